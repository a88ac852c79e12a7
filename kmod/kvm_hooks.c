// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hooks.c: every place where vmq hooks into KVM. Layer: leaves (see
 * vmq.h): it knows nothing of vmq's objects and hands what KVM tells it up
 * through the struct vmq_kvm_callbacks that main.c registers, the way a
 * lower layer of the kernel calls back into its users.
 *
 * vmq runs on an unmodified distribution kernel, so it cannot add calls to
 * KVM; it attaches at four points, all through exported interfaces only.
 *
 * 1. Hypercalls: an ftrace direct call (register_ftrace_direct(), exported)
 *    at the entry of the exported kvm_emulate_hypercall() runs
 *    vmq_hypercall_entry (kvm_hooks_entry.S) before KVM's code, for every
 *    hypercall of every VM. It asks vmq_hypercall_claim(), which claims
 *    only numbers in vmq's range (->hypercall_is_ours, hypercall.c): the
 *    others return into KVM at once, so a host whose VMs never call vmq
 *    pays a call and a register read per hypercall. A claimed hypercall
 *    goes to vmq_hypercall_redirect() instead of KVM's code, and returns
 *    from there to KVM's caller.
 *
 * 2. VM lifetime: KVM destroys the struct kvm_device objects on kvm->devices
 *    from kvm_destroy_vm() by calling their ->destroy() method. vmq puts one
 *    such device of its own (never exposed to userspace) on every VM it
 *    knows, under kvm->lock as KVM does, and learns from its ->destroy()
 *    that the VM is gone; vmq holds no reference on the VM, so a VM's life
 *    is not changed by vmq. Hooking kvm_put_kvm() instead would not work:
 *    KVM inlines it into kvm_vcpu_release().
 *
 * 3. VM exits: a probe on KVM's exported kvm_exit tracepoint delivers lazy
 *    sends (->vcpu_exit, tx.c) at every exit of every vCPU. Tracepoint
 *    probes run with preemption disabled (on VMX also with interrupts off
 *    and outside kvm->srcu), so the probe does atomic work only. It is
 *    registered only while vmq has work at exits (a transmit ring or a
 *    wait somewhere on the host, ->exits_wanted): the exits of a host
 *    whose VMs use neither pay nothing for vmq.
 *
 * 4. Memslot changes and page-table writes: KVM's page-track notifiers
 *    (exported; Debian builds CONFIG_KVM_EXTERNAL_WRITE_TRACKING, compat.h)
 *    call ->track_flush_slot() whenever a memslot is deleted or moved, and
 *    ->track_write() after KVM emulated a guest write to a page vmq
 *    write-protected with kvm_slot_page_track_add_page() (->pt_write: the
 *    guest page tables behind cached translations, xlate.c). A VM gets the
 *    notifier when it binds a page window or first has a table tracked.
 *
 * Unloading: the direct call and the probe are unregistered first, so no
 * new hypercall or exit enters vmq; vmq_hc_srcu then waits for vmq's
 * hypercalls already running, tracepoint_synchronize_unregister() for
 * probes, and synchronize_rcu_tasks() for tasks in vmq_hypercall_entry's
 * instructions or vmq_hypercall_claim() (none of which sleeps) and in the
 * few after a srcu_read_unlock(). Only then does vmq detach from the VMs. Last,
 * vmq_kvm_hooks_drain() waits the same way for VM destructions that KVM ran
 * through the lifetime hook meanwhile.
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/rcupdate_wait.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/tracepoint.h>

#include <linux/vmq.h>

#include "compat.h"
#include "kvm_hooks.h"

/* Exported by kvm.ko: the tracepoint of every VM exit. */
extern struct tracepoint __tracepoint_kvm_exit;

DEFINE_STATIC_SRCU(vmq_hc_srcu);

/* Set once before the hooks go live, read after they are all gone. */
static const struct vmq_kvm_callbacks *vmq_kvm_cb;

/*
 * From vmq_hypercall_entry, for every hypercall on the host: whether vmq
 * takes it. The low half of the number settles KVM's own calls here, with
 * no call further: ->hypercall_is_ours() decides the rest. notrace: it
 * runs inside a traced function's entry.
 */
bool notrace __vmq_every_exit vmq_hypercall_claim(struct kvm_vcpu *vcpu)
{
	if ((u32)vmq_reg_read(vcpu, VCPU_REGS_RAX) - VMQ_HC_BASE >= VMQ_HC_RANGE)
		return false;
	return vmq_kvm_cb->hypercall_is_ours(vcpu);
}

/*
 * From vmq_hypercall_entry, in kvm_emulate_hypercall()'s place, for the
 * hypercalls vmq claimed. Each runs inside vmq_hc_srcu, for the unload:
 * vmq's own hypercalls may sleep (a blocking wait for as long as the guest
 * asked). The entry's few instructions before and after are covered by
 * tasks RCU (vmq_kvm_hooks_exit()).
 */
int notrace vmq_hypercall_redirect(struct kvm_vcpu *vcpu)
{
	int idx, ret;

	idx = srcu_read_lock(&vmq_hc_srcu);
	ret = vmq_kvm_cb->hypercall(vcpu);
	srcu_read_unlock(&vmq_hc_srcu, idx);
	return ret;
}

static void __vmq_every_exit vmq_exit_probe(void *data, struct kvm_vcpu *vcpu,
					    u32 isa)
{
	vmq_kvm_cb->vcpu_exit(vcpu, isa == VMQ_KVM_ISA_SVM);
}

/*
 * The exit probe on demand. Whoever makes ->exits_wanted() true (counts a
 * transmit ring or a wait) then calls vmq_kvm_exits_need(), in process
 * context, before the vCPU runs again. Whoever may have made it false
 * calls vmq_kvm_exits_idle(), any context; the probe goes a second later
 * if nothing wants it by then. The two sides are ordered as a Dekker
 * pair: the wanter counts, then (full barrier) reads the flag; the off
 * work clears the flag, then (full barrier) reads the counts. Either the
 * wanter sees the flag down and registers again under the lock, or the
 * off work sees the count and leaves the probe on.
 */
static DEFINE_MUTEX(vmq_exit_probe_lock);
static bool vmq_exit_probe_on;
static bool vmq_exit_probe_gone;	/* vmq is unloading: never again */

static void vmq_exit_probe_off(struct work_struct *work)
{
	mutex_lock(&vmq_exit_probe_lock);
	if (vmq_exit_probe_on) {
		WRITE_ONCE(vmq_exit_probe_on, false);
		/* The flag before the counts: see above. */
		smp_mb();
		if (vmq_kvm_cb->exits_wanted()) {
			WRITE_ONCE(vmq_exit_probe_on, true);
		} else {
			tracepoint_probe_unregister(&__tracepoint_kvm_exit,
						    vmq_exit_probe, NULL);
			tracepoint_synchronize_unregister();
		}
	}
	mutex_unlock(&vmq_exit_probe_lock);
}

static DECLARE_DELAYED_WORK(vmq_exit_probe_off_work, vmq_exit_probe_off);

/* -ENOMEM when the probe could not be registered. Sleeps. */
int vmq_kvm_exits_need(void)
{
	int ret = 0;

	/* The caller's count before the flag: see above. */
	smp_mb();
	if (READ_ONCE(vmq_exit_probe_on))
		return 0;
	mutex_lock(&vmq_exit_probe_lock);
	if (!vmq_exit_probe_on && !vmq_exit_probe_gone) {
		ret = tracepoint_probe_register(&__tracepoint_kvm_exit,
						vmq_exit_probe, NULL);
		if (!ret)
			WRITE_ONCE(vmq_exit_probe_on, true);
	}
	mutex_unlock(&vmq_exit_probe_lock);
	return ret;
}

void vmq_kvm_exits_idle(void)
{
	mod_delayed_work(system_wq, &vmq_exit_probe_off_work, HZ);
}

/*
 * KVM's kvm_destroy_vm() may run this at any time, also while vmq unloads;
 * vmq_kvm_hooks_drain() waits for it through vmq_release_srcu, up to the
 * last instruction that touches vmq's objects.
 */
DEFINE_STATIC_SRCU(vmq_release_srcu);

static void vmq_kvm_dev_destroy(struct kvm_device *dev)
{
	int idx = srcu_read_lock(&vmq_release_srcu);

	/* KVM took @dev off kvm->devices; vmq frees it with the hook. */
	vmq_kvm_cb->vm_destroyed(dev->private);
	srcu_read_unlock(&vmq_release_srcu, idx);
}

static const struct kvm_device_ops vmq_kvm_dev_ops = {
	.name = "vmq",
	.destroy = vmq_kvm_dev_destroy,
};

/*
 * Prepare @hook for @kvm. The lifetime hook is allocated now, so that
 * putting it in place later cannot fail; vmq_kvm_hook_free() frees it,
 * once nothing can reach the hook any more.
 */
int vmq_kvm_hook_init(struct vmq_kvm_hook *hook, struct kvm *kvm)
{
	struct kvm_device *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->ops = &vmq_kvm_dev_ops;
	dev->kvm = kvm;
	dev->private = hook;
	hook->kvm = kvm;
	hook->dev = dev;
	mutex_init(&hook->track_lock);
	return 0;
}

/* KVM only takes the device off kvm->devices: it is always ours to free. */
void vmq_kvm_hook_free(struct vmq_kvm_hook *hook)
{
	kfree(hook->dev);
}

/*
 * Have KVM tell vmq (->vm_destroyed) when the VM is destroyed. The caller
 * serialises the watch calls of one hook and keeps the VM alive.
 */
void vmq_kvm_watch_vm(struct vmq_kvm_hook *hook)
{
	struct kvm *kvm = hook->kvm;

	if (hook->hooked)
		return;
	mutex_lock(&kvm->lock);
	list_add(&hook->dev->vm_node, vmq_kvm_devices(kvm));
	mutex_unlock(&kvm->lock);
	hook->hooked = true;
}

/*
 * Take the lifetime hook off a VM that lives on (module unload). The caller
 * serialises as for vmq_kvm_watch_vm() and holds a reference on the VM.
 */
void vmq_kvm_unwatch_vm(struct vmq_kvm_hook *hook)
{
	struct kvm *kvm = hook->kvm;

	if (!hook->hooked)
		return;
	mutex_lock(&kvm->lock);
	list_del(&hook->dev->vm_node);
	mutex_unlock(&kvm->lock);
	hook->hooked = false;
}

/*
 * KVM is destroying the VM: it took the hook off itself, and it tore down
 * its page tracking before destroying its devices (kvm_destroy_vm() calls
 * kvm_arch_destroy_vm() first), so the memslot notifier is gone with it and
 * must not be unregistered.
 */
void vmq_kvm_forget_vm(struct vmq_kvm_hook *hook)
{
	hook->hooked = false;
	mutex_lock(&hook->track_lock);
	hook->tracking = false;
	mutex_unlock(&hook->track_lock);
}

/*
 * Runs on the vCPU that wrote, inside KVM's track_srcu, after KVM wrote
 * @new to guest memory and before the guest goes on: for every write to
 * every write-tracked page of the VM, KVM's own shadow tables included.
 * Process context, from the emulator: ->pt_write may sleep.
 */
static void vmq_track_write(struct kvm_vcpu *vcpu, gpa_t gpa, const u8 *new,
			    int bytes, struct kvm_page_track_notifier_node *node)
{
	struct vmq_kvm_hook *hook = container_of(node, struct vmq_kvm_hook,
						 track);

	vmq_kvm_cb->pt_write(hook, vcpu, gpa, new, bytes);
}

static void vmq_track_flush_slot(struct kvm *kvm, struct kvm_memory_slot *slot,
				 struct kvm_page_track_notifier_node *node)
{
	struct vmq_kvm_hook *hook = container_of(node, struct vmq_kvm_hook,
						 track);

	vmq_kvm_cb->memslot_gone(hook, slot->base_gfn, slot->npages);
}

/*
 * Tell vmq (->memslot_gone) about memslot changes of the VM from now on;
 * once is enough. Called from one of the VM's vCPUs, which keeps it alive.
 */
void vmq_kvm_track_memslots(struct vmq_kvm_hook *hook)
{
	mutex_lock(&hook->track_lock);
	if (!hook->tracking) {
		hook->track.track_flush_slot = vmq_track_flush_slot;
		hook->track.track_write = vmq_track_write;
		kvm_page_track_register_notifier(hook->kvm, &hook->track);
		hook->tracking = true;
	}
	mutex_unlock(&hook->track_lock);
}

/*
 * A VM that vmq lets go of while it lives (module unload; the caller holds
 * its struct kvm). Releases from KVM's destruction come here after
 * vmq_kvm_forget_vm(), with nothing left to do.
 */
void vmq_kvm_untrack_memslots(struct vmq_kvm_hook *hook)
{
	mutex_lock(&hook->track_lock);
	if (hook->tracking) {
		kvm_page_track_unregister_notifier(hook->kvm, &hook->track);
		hook->tracking = false;
	}
	mutex_unlock(&hook->track_lock);
}

/*
 * Write-protect guest page @gfn of the hook's VM (@on) so that guest writes
 * to it trap and reach ->pt_write, or take that protection back. KVM keeps
 * a count per page (a u16 it WARNs on overflowing): the caller adds each
 * page once and removes it once. The caller keeps the VM alive and may
 * sleep; -EFAULT when no memslot holds @gfn.
 */
int vmq_kvm_write_track(struct vmq_kvm_hook *hook, gfn_t gfn, bool on)
{
	struct kvm *kvm = hook->kvm;
	struct kvm_memory_slot *slot;
	int idx, ret = 0;

	idx = srcu_read_lock(&kvm->srcu);
	slot = gfn_to_memslot(kvm, gfn);
	/*
	 * A slot being deleted or moved (KVM_MEMSLOT_INVALID) has had its
	 * ->track_flush_slot() already, or is about to: protecting a page in
	 * it now would outlive it, and its removal would meet another slot.
	 */
	if (!slot || slot->id >= KVM_USER_MEM_SLOTS ||
	    (on && (slot->flags & KVM_MEMSLOT_INVALID))) {
		ret = -EFAULT;
		goto out_unlock;
	}
	write_lock(&kvm->mmu_lock);
	if (on)
		kvm_slot_page_track_add_page(kvm, slot, gfn,
					     KVM_PAGE_TRACK_WRITE);
	else
		kvm_slot_page_track_remove_page(kvm, slot, gfn,
						KVM_PAGE_TRACK_WRITE);
	write_unlock(&kvm->mmu_lock);
out_unlock:
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

int vmq_kvm_hooks_init(const struct vmq_kvm_callbacks *cb)
{
	vmq_kvm_cb = cb;
	return vmq_ftrace_direct_register((unsigned long)kvm_emulate_hypercall,
					  (unsigned long)vmq_hypercall_entry);
}

void vmq_kvm_hooks_exit(void)
{
	vmq_ftrace_direct_unregister((unsigned long)kvm_emulate_hypercall,
				     (unsigned long)vmq_hypercall_entry);
	/* No hypercall of vmq's runs any more: nothing asks for the probe. */
	synchronize_srcu(&vmq_hc_srcu);
	mutex_lock(&vmq_exit_probe_lock);
	if (vmq_exit_probe_on)
		tracepoint_probe_unregister(&__tracepoint_kvm_exit,
					    vmq_exit_probe, NULL);
	vmq_exit_probe_on = false;
	vmq_exit_probe_gone = true;
	mutex_unlock(&vmq_exit_probe_lock);
	tracepoint_synchronize_unregister();
	synchronize_rcu_tasks();
}

/*
 * The last step before the module's memory goes: every ->destroy() that KVM
 * started has left vmq's objects (SRCU) and vmq's text (tasks RCU: a task
 * preempted in the instructions after srcu_read_unlock() is waited for).
 * Then the RCU callbacks those releases queued may run.
 */
void vmq_kvm_hooks_drain(void)
{
	/* Releases ask for the probe to go (vmq_kvm_exits_idle()) to the end. */
	cancel_delayed_work_sync(&vmq_exit_probe_off_work);
	synchronize_srcu(&vmq_release_srcu);
	synchronize_rcu_tasks();
	rcu_barrier();
}
