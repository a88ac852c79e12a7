// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c: struct vmq_vm, its references, and the indexes that find it. Layer:
 * VM core (see vmq.h). The life cycle that uses these (attach, adopt,
 * release) is lifetime.c's; the administrative operations are control.c's.
 *
 * Two indexes, both read under RCU on the hypercall path: by id (an
 * allocating xarray; ids start at 1 and grow, so a stale id never names a
 * newer VM while the module is loaded) and by struct kvm (a hash table; the
 * pointer is only compared, never followed, by lookups). Changes take
 * vmq_vms_lock, a mutex: attaching, adopting and releasing are rare.
 */
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "compat.h"
#include "events.h"
#include "kvm_hooks.h"
#include "queue.h"
#include "vm.h"

/* Serialises changes to both indexes, names, and lifetime hooks. */
DEFINE_MUTEX(vmq_vms_lock);
static DEFINE_XARRAY_ALLOC1(vmq_vms);
static DEFINE_HASHTABLE(vmq_vm_by_kvm, 7);
static u32 vmq_next_id = 1;
static atomic64_t vmq_next_serial = ATOMIC64_INIT(0);

static void vmq_vm_free_rcu(struct rcu_head *rcu)
{
	struct vmq_vm *vm = container_of(rcu, struct vmq_vm, rcu);

	vmq_kvm_hook_free(&vm->hook);
	kfree(vm);
}

static void vmq_vm_free(struct kref *ref)
{
	struct vmq_vm *vm = container_of(ref, struct vmq_vm, ref);

	call_rcu(&vm->rcu, vmq_vm_free_rcu);
}

void vmq_vm_put(struct vmq_vm *vm)
{
	kref_put(&vm->ref, vmq_vm_free);
}

struct vmq_vm *vmq_vm_get(u32 id)
{
	struct vmq_vm *vm;

	rcu_read_lock();
	vm = xa_load(&vmq_vms, id);
	if (vm && !kref_get_unless_zero(&vm->ref))
		vm = NULL;
	rcu_read_unlock();
	return vm;
}

/* The VM for @kvm, valid until rcu_read_unlock(); no reference taken. */
struct vmq_vm *__vmq_every_exit vmq_vm_find_rcu(struct kvm *kvm)
{
	struct vmq_vm *vm;

	hash_for_each_possible_rcu(vmq_vm_by_kvm, vm, kvm_node,
				   (unsigned long)kvm)
		if (READ_ONCE(vm->kvm) == kvm)
			return vm;
	return NULL;
}

struct vmq_vm *vmq_vm_get_by_kvm(struct kvm *kvm)
{
	struct vmq_vm *vm;

	rcu_read_lock();
	vm = vmq_vm_find_rcu(kvm);
	if (vm && !kref_get_unless_zero(&vm->ref))
		vm = NULL;
	rcu_read_unlock();
	return vm;
}

/*
 * Pin @vm's VM from any context, for work on its vCPUs or memory; NULL when
 * KVM is destroying it. Drop with vmq_vm_put_kvm().
 */
struct kvm *vmq_vm_get_kvm(struct vmq_vm *vm)
{
	struct kvm *kvm;
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	kvm = vm->kvm;
	if (kvm && !kvm_get_kvm_safe(kvm))
		kvm = NULL;
	spin_unlock_irqrestore(&vm->lock, flags);
	return kvm;
}

static void vmq_vm_put_work(struct work_struct *work)
{
	struct vmq_vm *vm = container_of(work, struct vmq_vm, put_work);

	while (atomic_dec_if_positive(&vm->deferred_puts) >= 0)
		kvm_put_kvm(vm->owner_kvm);
	vmq_vm_put(vm);
}

/* Any context: a last reference goes to a worker, which may destroy. */
void vmq_vm_put_kvm(struct vmq_vm *vm, struct kvm *kvm)
{
	if (vmq_kvm_put_unless_last(kvm))
		return;
	atomic_inc(&vm->deferred_puts);
	kref_get(&vm->ref);
	if (!queue_work(vmq_wq, &vm->put_work))
		vmq_vm_put(vm);
}

bool vmq_vm_name_taken(const char *name, struct vmq_vm *except)
{
	struct vmq_vm *vm;
	unsigned long id;

	lockdep_assert_held(&vmq_vms_lock);
	xa_for_each(&vmq_vms, id, vm)
		if (vm != except && !strcmp(vm->name, name))
			return true;
	return false;
}

/*
 * The thread group that runs the VM: the caller's when it is one of the
 * VM's own threads (a vCPU adopting it, a VMM attaching it), else that of
 * the thread that created it.
 */
static pid_t vmq_vm_tgid(struct kvm *kvm)
{
	struct task_struct *task;
	pid_t tgid = 0;

	if (current->mm == kvm->mm)
		return task_tgid_nr(current);
	rcu_read_lock();
	/* userspace_pid is a global pid (task_pid_nr() in kvm_create_vm()). */
	task = pid_task(find_pid_ns(kvm->userspace_pid, &init_pid_ns),
			PIDTYPE_PID);
	if (task)
		tgid = task_tgid_nr(task);
	rcu_read_unlock();
	return tgid ?: kvm->userspace_pid;
}

/*
 * A new VM that nothing can reach yet: its id is reserved, not published,
 * and everything it needs to be published and hooked is allocated, so that
 * neither step can fail once others may see it.
 */
struct vmq_vm *vmq_vm_create(struct kvm *kvm)
{
	struct vmq_vm *vm;
	u32 id;
	int ret;

	lockdep_assert_held(&vmq_vms_lock);
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	kref_init(&vm->ref);
	vm->kvm = kvm;
	vm->owner_kvm = kvm;
	spin_lock_init(&vm->lock);
	INIT_LIST_HEAD(&vm->waiters);
	INIT_WORK(&vm->put_work, vmq_vm_put_work);
	xa_init(&vm->vcpus);
	xa_init_flags(&vm->grants, XA_FLAGS_ALLOC1);
	mutex_init(&vm->xlate_lock);
	vm->pid = vmq_vm_tgid(kvm);
	vmq_queue_init(&vm->rxq);
	ret = vmq_kvm_hook_init(&vm->hook, kvm);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}
	/* Storing NULL reserves the id: lookups see nothing there yet. */
	ret = xa_alloc_cyclic(&vmq_vms, &id, NULL, xa_limit_32b, &vmq_next_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		vmq_kvm_hook_free(&vm->hook);
		kfree(vm);
		return ERR_PTR(ret);
	}
	vm->id = id;
	vm->serial = atomic64_inc_return(&vmq_next_serial);
	return vm;
}

/*
 * Make a created VM reachable by id and by struct kvm. Cannot fail: the
 * slot of its reserved id exists, so storing into it allocates nothing.
 */
void vmq_vm_publish(struct vmq_vm *vm)
{
	lockdep_assert_held(&vmq_vms_lock);
	xa_store(&vmq_vms, vm->id, vm, GFP_KERNEL_ACCOUNT);
	hash_add_rcu(vmq_vm_by_kvm, &vm->kvm_node, (unsigned long)vm->kvm);
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_VMS]);
	atomic64_inc(&vmq_stats[VMQ_STAT_VMS_CREATED]);
	vmq_event(VMQ_EVENT_VM_ATTACHED, vm->id, 0, 0);
}

/* Take a published VM out of both indexes: no new lookup finds it. */
void vmq_vm_unpublish(struct vmq_vm *vm)
{
	unsigned long flags;

	lockdep_assert_held(&vmq_vms_lock);
	hash_del_rcu(&vm->kvm_node);
	xa_erase(&vmq_vms, vm->id);
	spin_lock_irqsave(&vm->lock, flags);
	WRITE_ONCE(vm->kvm, NULL);
	spin_unlock_irqrestore(&vm->lock, flags);
	vm->gone = true;
}

/* The VM with id @id, if published; valid while vmq_vms_lock is held. */
struct vmq_vm *vmq_vm_find_locked(u32 id)
{
	lockdep_assert_held(&vmq_vms_lock);
	return xa_load(&vmq_vms, id);
}

/*
 * The published VM with the lowest id at or above *@index, which is set to
 * that id; NULL when there is none. Under vmq_vms_lock, like the result.
 */
struct vmq_vm *vmq_vm_next_locked(unsigned long *index)
{
	lockdep_assert_held(&vmq_vms_lock);
	if (*index > U32_MAX)
		return NULL;
	return xa_find(&vmq_vms, index, U32_MAX, XA_PRESENT);
}

/*
 * The id of the VM named by @id, or by @name when @id is 0. Returns
 * -ESRCH when there is none.
 */
int vmq_vm_resolve(u32 id, const char *name, u32 *out)
{
	struct vmq_vm *vm = NULL;
	unsigned long index;

	mutex_lock(&vmq_vms_lock);
	if (id) {
		vm = xa_load(&vmq_vms, id);
	} else if (name && name[0]) {
		xa_for_each(&vmq_vms, index, vm)
			if (!strcmp(vm->name, name))
				break;
	}
	if (vm)
		*out = vm->id;
	mutex_unlock(&vmq_vms_lock);
	return vm ? 0 : -ESRCH;
}

/* The per-VM counter that a failed guest request adds to. */
void vmq_count_error(struct vmq_vm *vm, long err)
{
	static const struct {
		long err;
		enum vmq_counter ctr;
	} map[] = {
		{ -ESRCH, VMQ_CTR_ERR_NODEST },
		{ -EACCES, VMQ_CTR_ERR_DENIED },
		{ -EMSGSIZE, VMQ_CTR_ERR_TOOBIG },
		{ -EFAULT, VMQ_CTR_ERR_FAULT },
		{ -ENOTCONN, VMQ_CTR_ERR_NOQUEUE },
		{ -EAGAIN, VMQ_CTR_ERR_FULL },
		{ -EPIPE, VMQ_CTR_ERR_BROKEN },
		{ -ENOSPC, VMQ_CTR_ERR_QUOTA },
		{ -EBUSY, VMQ_CTR_ERR_BUSY },
		{ -ENOENT, VMQ_CTR_ERR_NOGRANT },
		{ -EPERM, VMQ_CTR_ERR_PROT },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].err == err) {
			vmq_count(vm, map[i].ctr, 1);
			return;
		}
	}
	vmq_count(vm, VMQ_CTR_ERR_INVAL, 1);
}
