// SPDX-License-Identifier: GPL-2.0
/*
 * registry.c: VM ids, names, and the lifetime of struct vmq_vm.
 *
 * Two indexes, both read under RCU on the hypercall path: by id (an
 * allocating xarray; ids start at 1 and grow, so a stale id never names a
 * newer VM while the module is loaded) and by struct kvm (a hash table; the
 * pointer is only compared, never followed, by lookups). Changes take
 * vmq_registry_lock, a mutex: attaching, adopting and releasing are rare.
 */
#include <linux/eventfd.h>
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#include "acl.h"
#include "compat.h"
#include "kvm_hooks.h"
#include "netlink.h"
#include "queue.h"
#include "registry.h"
#include "vcpu.h"
#include "window.h"

/* Serialises changes to both indexes, names, and lifetime hooks. */
DEFINE_MUTEX(vmq_registry_lock);
static DEFINE_XARRAY_ALLOC1(vmq_vms);
static DEFINE_HASHTABLE(vmq_vm_by_kvm, 7);
static u32 vmq_next_id = 1;

static void vmq_vm_free_rcu(struct rcu_head *rcu)
{
	struct vmq_vm *vm = container_of(rcu, struct vmq_vm, rcu);

	/*
	 * The lifetime hook is always the VM's to free: KVM only takes it
	 * off kvm->devices before calling its ->destroy() (kvm_hooks.c).
	 */
	kfree(vm->kdev);
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
struct vmq_vm *vmq_vm_find_rcu(struct kvm *kvm)
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

static bool vmq_name_taken(const char *name, struct vmq_vm *except)
{
	struct vmq_vm *vm;
	unsigned long id;

	lockdep_assert_held(&vmq_registry_lock);
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
static struct vmq_vm *vmq_vm_create(struct kvm *kvm)
{
	struct vmq_vm *vm;
	u32 id;
	int ret;

	lockdep_assert_held(&vmq_registry_lock);
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	kref_init(&vm->ref);
	vm->kvm = kvm;
	vm->owner_kvm = kvm;
	spin_lock_init(&vm->lock);
	mutex_init(&vm->track_lock);
	INIT_LIST_HEAD(&vm->waiters);
	INIT_WORK(&vm->put_work, vmq_vm_put_work);
	xa_init(&vm->vcpus);
	vm->pid = vmq_vm_tgid(kvm);
	vmq_queue_init(&vm->rxq);
	vm->kdev = vmq_kvm_dev_alloc(vm);
	if (!vm->kdev) {
		kfree(vm);
		return ERR_PTR(-ENOMEM);
	}
	/* Storing NULL reserves the id: lookups see nothing there yet. */
	ret = xa_alloc_cyclic(&vmq_vms, &id, NULL, xa_limit_32b, &vmq_next_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		kfree(vm->kdev);
		kfree(vm);
		return ERR_PTR(ret);
	}
	vm->id = id;
	return vm;
}

/*
 * Make a created VM reachable by id and by struct kvm. Cannot fail: the
 * slot of its reserved id exists, so storing into it allocates nothing.
 */
static void vmq_vm_publish(struct vmq_vm *vm)
{
	lockdep_assert_held(&vmq_registry_lock);
	xa_store(&vmq_vms, vm->id, vm, GFP_KERNEL_ACCOUNT);
	hash_add_rcu(vmq_vm_by_kvm, &vm->kvm_node, (unsigned long)vm->kvm);
	atomic64_inc(&vmq_stats.live_vms);
	atomic64_inc(&vmq_stats.vms_created);
	vmq_nl_event(VMQ_EVENT_VM_ATTACHED, vm->id, 0, 0);
}

/* Take a published VM out of both indexes: no new lookup finds it. */
static void vmq_vm_unpublish(struct vmq_vm *vm)
{
	unsigned long flags;

	lockdep_assert_held(&vmq_registry_lock);
	hash_del_rcu(&vm->kvm_node);
	xa_erase(&vmq_vms, vm->id);
	spin_lock_irqsave(&vm->lock, flags);
	WRITE_ONCE(vm->kvm, NULL);
	spin_unlock_irqrestore(&vm->lock, flags);
	vm->gone = true;
}

static void vmq_vm_finish_release(struct vmq_vm *vm)
{
	struct eventfd_ctx *notify;
	unsigned long flags;

	vmq_acl_purge(vm->id);
	vmq_vcpus_release(vm);
	spin_lock_irqsave(&vm->lock, flags);
	notify = vm->notify;
	vm->notify = NULL;
	spin_unlock_irqrestore(&vm->lock, flags);
	if (notify)
		eventfd_ctx_put(notify);
	vmq_queue_teardown(&vm->rxq);
	vmq_kvm_untrack_memslots(vm);
	vmq_window_unbind(vm);
	vmq_nl_event(VMQ_EVENT_VM_GONE, vm->id, 0, 0);
	atomic64_dec(&vmq_stats.live_vms);
	atomic64_inc(&vmq_stats.vms_destroyed);
	wake_up_var(&vmq_stats.live_vms);
	vmq_vm_put(vm);
}

/*
 * Adoption installs the lifetime hook from a work item: the hypercall runs
 * under vcpu->mutex, and KVM's lock order puts kvm->lock outside it. The work
 * holds a reference on the VM and on its struct kvm until the hook is in
 * place, so KVM cannot destroy the VM before vmq watches it, and installing
 * the hook cannot fail: there is no error path that would have to take a
 * VM that vCPUs already use back out of the registry.
 */
static void vmq_vm_hook_work(struct work_struct *work)
{
	struct vmq_vm *vm = container_of(work, struct vmq_vm, hook_work);
	struct kvm *kvm = vm->owner_kvm;

	mutex_lock(&vmq_registry_lock);
	if (!vm->gone)
		vmq_kvm_watch_vm(vm);
	mutex_unlock(&vmq_registry_lock);
	vmq_vm_put(vm);
	kvm_put_kvm(kvm);
}

struct vmq_vm *vmq_vm_adopt(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct vmq_vm *vm;

	mutex_lock(&vmq_registry_lock);
	vm = vmq_vm_get_by_kvm(kvm);
	if (vm)
		goto out_unlock;
	vm = vmq_vm_create(kvm);
	if (IS_ERR(vm))
		goto out_unlock;
	vmq_vm_publish(vm);
	kref_get(&vm->ref);	/* for the hook work */
	kvm_get_kvm(kvm);
	INIT_WORK(&vm->hook_work, vmq_vm_hook_work);
	queue_work(vmq_wq, &vm->hook_work);
	kref_get(&vm->ref);	/* for the caller */
out_unlock:
	mutex_unlock(&vmq_registry_lock);
	return vm;
}

struct vmq_vm *vmq_vm_attach(struct kvm *kvm, const char *name)
{
	struct vmq_vm *vm;

	mutex_lock(&vmq_registry_lock);
	vm = vmq_vm_get_by_kvm(kvm);
	if (name[0] && vmq_name_taken(name, vm)) {
		mutex_unlock(&vmq_registry_lock);
		if (vm)
			vmq_vm_put(vm);
		return ERR_PTR(-EEXIST);
	}
	if (!vm) {
		vm = vmq_vm_create(kvm);
		if (IS_ERR(vm))
			goto out_unlock;
		/* Watched before anyone can find it: no way back needed. */
		vmq_kvm_watch_vm(vm);
		vmq_vm_publish(vm);
		kref_get(&vm->ref);	/* for the caller */
	} else if (!vm->gone) {
		/* Adopted, and its hook work may not have run yet. */
		vmq_kvm_watch_vm(vm);
	}
	if (name[0])
		strscpy_pad(vm->name, name, sizeof(vm->name));
out_unlock:
	mutex_unlock(&vmq_registry_lock);
	return vm;
}

/*
 * KVM destroyed the VM (or the module is going away): take it out of both
 * indexes so no new lookup finds it, then free what it owns. Senders that
 * looked it up earlier hold references and find it gone.
 */
void vmq_vm_release(struct vmq_vm *vm)
{
	mutex_lock(&vmq_registry_lock);
	vmq_kvm_forget_vm(vm);
	vmq_vm_unpublish(vm);
	mutex_unlock(&vmq_registry_lock);
	vmq_vm_finish_release(vm);
}

/*
 * Pairs are only ever added between VMs that are still published:
 * vmq_vm_release() unpublishes first and purges the VM's pairs after, so no
 * pair can outlive its VMs.
 */
int vmq_vm_allow_pair(u32 sender, u32 receiver)
{
	int ret = -ESRCH;

	mutex_lock(&vmq_registry_lock);
	if (xa_load(&vmq_vms, sender) && xa_load(&vmq_vms, receiver))
		ret = vmq_acl_allow(sender, receiver);
	mutex_unlock(&vmq_registry_lock);
	return ret;
}

/* -ESRCH when either VM is unknown, -ENOENT when the pair was not allowed. */
int vmq_vm_revoke_pair(u32 sender, u32 receiver)
{
	int ret = -ESRCH;

	mutex_lock(&vmq_registry_lock);
	if (xa_load(&vmq_vms, sender) && xa_load(&vmq_vms, receiver))
		ret = vmq_acl_revoke(sender, receiver);
	mutex_unlock(&vmq_registry_lock);
	return ret;
}

/*
 * The id of the VM named by @id, or by @name when @id is 0. Returns
 * -ESRCH when there is none.
 */
int vmq_vm_resolve(u32 id, const char *name, u32 *out)
{
	struct vmq_vm *vm = NULL;
	unsigned long index;

	mutex_lock(&vmq_registry_lock);
	if (id) {
		vm = xa_load(&vmq_vms, id);
	} else if (name && name[0]) {
		xa_for_each(&vmq_vms, index, vm)
			if (!strcmp(vm->name, name))
				break;
	}
	if (vm)
		*out = vm->id;
	mutex_unlock(&vmq_registry_lock);
	return vm ? 0 : -ESRCH;
}

int vmq_vm_rename(u32 id, const char *name)
{
	struct vmq_vm *vm;
	int ret = -ESRCH;

	mutex_lock(&vmq_registry_lock);
	vm = xa_load(&vmq_vms, id);
	if (vm) {
		ret = -EEXIST;
		if (!name[0] || !vmq_name_taken(name, vm)) {
			/* No byte of an older, longer name may reach a peer. */
			strscpy_pad(vm->name, name, sizeof(vm->name));
			ret = 0;
		}
	}
	mutex_unlock(&vmq_registry_lock);
	return ret;
}

/* NULL leaves a quota as it is. */
int vmq_vm_set_quotas(u32 id, const u32 *max_msg, const u32 *max_queue,
		      const u32 *max_pages)
{
	struct vmq_vm *vm;

	mutex_lock(&vmq_registry_lock);
	vm = xa_load(&vmq_vms, id);
	if (vm && max_msg)
		WRITE_ONCE(vm->quota_max_msg, *max_msg);
	if (vm && max_queue)
		WRITE_ONCE(vm->quota_max_queue, *max_queue);
	if (vm && max_pages)
		WRITE_ONCE(vm->quota_max_pages, *max_pages);
	mutex_unlock(&vmq_registry_lock);
	return vm ? 0 : -ESRCH;
}

static void vmq_vm_zero_counters(struct vmq_vm *vm)
{
	int i;

	for (i = 0; i < VMQ_CTR_NR; i++)
		atomic64_set(&vm->ctr[i], 0);
}

/* @id 0: every VM. */
int vmq_vm_reset_counters(u32 id)
{
	struct vmq_vm *vm;
	unsigned long index;
	int ret = 0;

	mutex_lock(&vmq_registry_lock);
	if (id) {
		vm = xa_load(&vmq_vms, id);
		if (vm)
			vmq_vm_zero_counters(vm);
		else
			ret = -ESRCH;
	} else {
		xa_for_each(&vmq_vms, index, vm)
			vmq_vm_zero_counters(vm);
	}
	mutex_unlock(&vmq_registry_lock);
	return ret;
}

/*
 * Let @a and @b talk both ways and tell each about the other. If the
 * identities cannot both be delivered, the pairs are left as they were.
 */
int vmq_vm_introduce(u32 a, u32 b)
{
	struct vmq_vm *va, *vb;
	bool ab, ba;
	int ret;

	if (a == b)
		return -EINVAL;
	mutex_lock(&vmq_registry_lock);
	va = xa_load(&vmq_vms, a);
	vb = xa_load(&vmq_vms, b);
	ret = -ESRCH;
	if (!va || !vb)
		goto out_unlock;
	ab = vmq_acl_allowed(a, b);
	ba = vmq_acl_allowed(b, a);
	ret = vmq_acl_allow(a, b);
	if (ret)
		goto out_unlock;
	ret = vmq_acl_allow(b, a);
	if (ret)
		goto err_revoke_ab;
	ret = vmq_introduce(va, vb);
	if (ret)
		goto err_revoke_ba;
	mutex_unlock(&vmq_registry_lock);
	return 0;

err_revoke_ba:
	if (!ba)
		vmq_acl_revoke(b, a);
err_revoke_ab:
	if (!ab)
		vmq_acl_revoke(a, b);
out_unlock:
	mutex_unlock(&vmq_registry_lock);
	return ret;
}

/* VMQ_IOC_SET_NOTIFY: @fd < 0 removes the notification. */
int vmq_vm_set_notify(u32 id, int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;
	unsigned long flags;
	struct vmq_vm *vm;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&vmq_registry_lock);
	vm = xa_load(&vmq_vms, id);
	if (!vm) {
		mutex_unlock(&vmq_registry_lock);
		if (ctx)
			eventfd_ctx_put(ctx);
		return -ESRCH;
	}
	spin_lock_irqsave(&vm->lock, flags);
	old = vm->notify;
	vm->notify = ctx;
	spin_unlock_irqrestore(&vm->lock, flags);
	mutex_unlock(&vmq_registry_lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

int vmq_vm_fill_info(struct vmq_vm_info *info)
{
	unsigned long index = info->id;
	struct vmq_vm *vm;
	int i;

	mutex_lock(&vmq_registry_lock);
	if (info->flags & VMQ_INFO_NEXT) {
		index++;
		vm = index > U32_MAX ? NULL :
			xa_find(&vmq_vms, &index, U32_MAX, XA_PRESENT);
	} else {
		vm = xa_load(&vmq_vms, index);
	}
	if (!vm) {
		mutex_unlock(&vmq_registry_lock);
		return -ESRCH;
	}
	info->id = vm->id;
	info->pid = vm->pid;
	memcpy(info->name, vm->name, sizeof(info->name));
	info->quota_max_msg = vm->quota_max_msg;
	info->quota_max_queue = vm->quota_max_queue;
	info->quota_max_pages = vm->quota_max_pages;
	info->pages_in_flight = atomic_read(&vm->pages_in_flight);
	vmq_queue_fill_info(&vm->rxq, info);
	BUILD_BUG_ON(VMQ_CTR_NR > VMQ_CTR_SLOTS);
	info->nr_counters = VMQ_CTR_NR;
	info->reserved = 0;
	for (i = 0; i < VMQ_CTR_NR; i++)
		info->counters[i] = atomic64_read(&vm->ctr[i]);
	for (; i < VMQ_CTR_SLOTS; i++)
		info->counters[i] = 0;
	mutex_unlock(&vmq_registry_lock);
	return 0;
}

int vmq_registry_init(void)
{
	return 0;
}

/*
 * Module unload: the hypercall hook is gone and the adoption work has run.
 * VMs that KVM is destroying right now are left to their ->destroy(); every
 * other VM gets its hook taken off and is released here.
 */
void vmq_registry_exit(void)
{
	struct vmq_vm *vm;
	unsigned long index;

	for (;;) {
		s64 live;

		mutex_lock(&vmq_registry_lock);
		index = 0;
		vm = xa_find(&vmq_vms, &index, U32_MAX, XA_PRESENT);
		if (!vm) {
			mutex_unlock(&vmq_registry_lock);
			break;
		}
		if (kvm_get_kvm_safe(vm->kvm)) {
			struct kvm *kvm = vm->kvm;

			/* vCPUs halted in VMQ_HC_WAIT go back to their guest. */
			vmq_wake_waiters(vm, NULL);
			vmq_kvm_unwatch_vm(vm);
			vmq_vm_unpublish(vm);
			mutex_unlock(&vmq_registry_lock);
			vmq_vm_finish_release(vm);
			kvm_put_kvm(kvm);
			continue;
		}
		/* kvm_destroy_vm() is on its way to our ->destroy(). */
		live = atomic64_read(&vmq_stats.live_vms);
		mutex_unlock(&vmq_registry_lock);
		wait_var_event(&vmq_stats.live_vms,
			       atomic64_read(&vmq_stats.live_vms) != live);
	}
}
