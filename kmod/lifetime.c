// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime.c: how VMs and their vCPUs come to vmq and leave it. Layer:
 * operations (see vmq.h); releasing a VM tears down every subsystem's state
 * in it, so this file sits above all of them.
 *
 * A VM comes to vmq when its VMM attaches it (/dev/vmq) or when one of its
 * vCPUs makes a first vmq hypercall (adoption). Either way it is created
 * with everything it needs to be published and watched (vm.c), so that no
 * step can fail once others may see it. It leaves when KVM destroys it
 * (the lifetime hook of kvm_hooks.c calls vmq_vm_destroyed()) or when the
 * module unloads (vmq_lifetime_exit()).
 */
#include <linux/eventfd.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "acl.h"
#include "copy.h"
#include "events.h"
#include "kvm_hooks.h"
#include "lifetime.h"
#include "queue.h"
#include "tx.h"
#include "vm.h"
#include "wait.h"
#include "window.h"
#include "xlate.h"

/* The vCPU's vmq state, created on first use; NULL on allocation failure. */
struct vmq_vcpu *vmq_vcpu_get(struct vmq_vm *vm, struct kvm_vcpu *vcpu)
{
	struct vmq_vcpu *vcv = xa_load(&vm->vcpus, vcpu->vcpu_idx);

	if (vcv)
		return vcv;
	vcv = kzalloc(sizeof(*vcv), GFP_KERNEL_ACCOUNT);
	if (!vcv)
		return NULL;
	vcv->vm = vm;
	vcv->vcpu = vcpu;
	vmq_tx_init(vcv);
	vmq_wait_init(vcv);
	/* Only this vCPU's own thread creates its entry: no race to lose. */
	if (xa_insert(&vm->vcpus, vcpu->vcpu_idx, vcv, GFP_KERNEL_ACCOUNT)) {
		kfree(vcv);
		return NULL;
	}
	return vcv;
}

/* The VM is gone (or vmq is): no vCPU runs, no hook can reach these. */
static void vmq_vcpus_release(struct vmq_vm *vm)
{
	struct vmq_vcpu *vcv;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcv) {
		vmq_wait_release(vcv);
		vmq_tx_release(vcv);
		vmq_tcache_free(vcv->tc);
		kfree(vcv);
	}
	xa_destroy(&vm->vcpus);
}

/* Free what an unpublished VM owns, and drop the indexes' reference. */
static void vmq_vm_finish_release(struct vmq_vm *vm)
{
	struct eventfd_ctx *notify;
	unsigned long flags;

	vmq_acl_purge(vm->id);
	vmq_vcpus_release(vm);
	vmq_grants_release(vm);
	vmq_xlate_release(vm);
	spin_lock_irqsave(&vm->lock, flags);
	notify = vm->notify;
	vm->notify = NULL;
	spin_unlock_irqrestore(&vm->lock, flags);
	if (notify)
		eventfd_ctx_put(notify);
	vmq_queue_teardown(&vm->rxq);
	vmq_kvm_untrack_memslots(&vm->hook);
	vmq_window_unbind(vm);
	vmq_event(VMQ_EVENT_VM_GONE, vm->id, 0, 0);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_VMS]);
	atomic64_inc(&vmq_stats[VMQ_STAT_VMS_DESTROYED]);
	wake_up_var(&vmq_stats[VMQ_STAT_LIVE_VMS]);
	vmq_vm_put(vm);
}

/*
 * Adoption installs the lifetime hook from a work item: the hypercall runs
 * under vcpu->mutex, and KVM's lock order puts kvm->lock outside it. The work
 * holds a reference on the VM and on its struct kvm until the hook is in
 * place, so KVM cannot destroy the VM before vmq watches it, and installing
 * the hook cannot fail: there is no error path that would have to take a
 * VM that vCPUs already use back out of the indexes.
 */
static void vmq_vm_hook_work(struct work_struct *work)
{
	struct vmq_vm *vm = container_of(work, struct vmq_vm, hook_work);
	struct kvm *kvm = vm->owner_kvm;

	mutex_lock(&vmq_vms_lock);
	if (!vm->gone)
		vmq_kvm_watch_vm(&vm->hook);
	mutex_unlock(&vmq_vms_lock);
	vmq_vm_put(vm);
	kvm_put_kvm(kvm);
}

struct vmq_vm *vmq_vm_adopt(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct vmq_vm *vm;

	mutex_lock(&vmq_vms_lock);
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
	mutex_unlock(&vmq_vms_lock);
	return vm;
}

struct vmq_vm *vmq_vm_attach(struct kvm *kvm, const char *name)
{
	struct vmq_vm *vm;

	mutex_lock(&vmq_vms_lock);
	vm = vmq_vm_get_by_kvm(kvm);
	if (name[0] && vmq_vm_name_taken(name, vm)) {
		mutex_unlock(&vmq_vms_lock);
		if (vm)
			vmq_vm_put(vm);
		return ERR_PTR(-EEXIST);
	}
	if (!vm) {
		vm = vmq_vm_create(kvm);
		if (IS_ERR(vm))
			goto out_unlock;
		/* Watched before anyone can find it: no way back needed. */
		vmq_kvm_watch_vm(&vm->hook);
		vmq_vm_publish(vm);
		kref_get(&vm->ref);	/* for the caller */
	} else if (!vm->gone) {
		/* Adopted, and its hook work may not have run yet. */
		vmq_kvm_watch_vm(&vm->hook);
	}
	if (name[0])
		strscpy_pad(vm->name, name, sizeof(vm->name));
out_unlock:
	mutex_unlock(&vmq_vms_lock);
	return vm;
}

/*
 * KVM destroyed the VM: take it out of both indexes so no new lookup finds
 * it, then free what it owns. Senders that looked it up earlier hold
 * references and find it gone.
 */
void vmq_vm_destroyed(struct vmq_kvm_hook *hook)
{
	struct vmq_vm *vm = container_of(hook, struct vmq_vm, hook);

	mutex_lock(&vmq_vms_lock);
	vmq_kvm_forget_vm(&vm->hook);
	vmq_vm_unpublish(vm);
	mutex_unlock(&vmq_vms_lock);
	vmq_xlate_kill(vm);
	vmq_vm_finish_release(vm);
}

void vmq_vm_memslot_gone(struct vmq_kvm_hook *hook, gfn_t base, u64 npages)
{
	struct vmq_vm *vm = container_of(hook, struct vmq_vm, hook);

	vmq_xlate_memslot_gone(vm, base, npages);
	vmq_window_memslot_gone(vm, base, npages);
}

void vmq_vm_pt_write(struct vmq_kvm_hook *hook, struct kvm_vcpu *vcpu,
		     gpa_t gpa, const u8 *new, int bytes)
{
	vmq_xlate_pt_write(container_of(hook, struct vmq_vm, hook), vcpu, gpa,
			   new, bytes);
}

/*
 * Module unload: the hypercall hook is gone and the adoption work has run.
 * VMs that KVM is destroying right now are left to their ->destroy(); every
 * other VM gets its hook taken off and is released here.
 */
void vmq_lifetime_exit(void)
{
	atomic64_t *live_vms = &vmq_stats[VMQ_STAT_LIVE_VMS];
	struct vmq_vm *vm;
	unsigned long index;

	for (;;) {
		s64 live;

		mutex_lock(&vmq_vms_lock);
		index = 0;
		vm = vmq_vm_next_locked(&index);
		if (!vm) {
			mutex_unlock(&vmq_vms_lock);
			break;
		}
		if (kvm_get_kvm_safe(vm->kvm)) {
			struct kvm *kvm = vm->kvm;

			/* vCPUs halted in VMQ_HC_WAIT go back to their guest. */
			vmq_wake_waiters(vm, NULL);
			vmq_kvm_unwatch_vm(&vm->hook);
			vmq_vm_unpublish(vm);
			mutex_unlock(&vmq_vms_lock);
			vmq_vm_finish_release(vm);
			kvm_put_kvm(kvm);
			continue;
		}
		/* kvm_destroy_vm() is on its way to our ->destroy(). */
		live = atomic64_read(live_vms);
		mutex_unlock(&vmq_vms_lock);
		wait_var_event(live_vms, atomic64_read(live_vms) != live);
	}
}
