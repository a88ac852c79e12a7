// SPDX-License-Identifier: GPL-2.0
/*
 * wait.c: the blocking receive (VMQ_HC_WAIT), and what a VM is told when
 * records arrive in its queue. Layer: receive (see vmq.h).
 *
 * VMQ_HC_WAIT halts the vCPU the way HLT does: the hypercall sets the vCPU's
 * activity state to halted and returns to KVM, whose run loop blocks it
 * with all of KVM's machinery (halt polling, interrupts, signals,
 * immediate_exit). A message, or the wait's timer, ends the halt the way a
 * paravirtual unhalt does (compat.h). Waking a vCPU of another VM needs that
 * VM alive: the waker pins it with kvm_get_kvm_safe() under vm->lock, so it
 * never touches a vCPU that KVM is freeing.
 */
#include <linux/eventfd.h>
#include <linux/kvm_host.h>

#include "compat.h"
#include "kvm_hooks.h"
#include "queue.h"
#include "trace.h"
#include "vm.h"
#include "wait.h"

static enum hrtimer_restart vmq_wait_timer(struct hrtimer *timer)
{
	struct vmq_vcpu *vcv = container_of(timer, struct vmq_vcpu, timer);

	vmq_wake_waiters(vcv->vm, vcv);
	return HRTIMER_NORESTART;
}

void vmq_wait_init(struct vmq_vcpu *vcv)
{
	INIT_LIST_HEAD(&vcv->wait_node);
	hrtimer_init(&vcv->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcv->timer.function = vmq_wait_timer;
}

/*
 * The vCPU waits no more: it runs again (an interrupt ended the halt), or
 * the VM is going away. Any context.
 */
void vmq_wait_end(struct vmq_vcpu *vcv)
{
	struct vmq_vm *vm = vcv->vm;
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	if (!list_empty(&vcv->wait_node)) {
		list_del_init(&vcv->wait_node);
		if (!atomic64_dec_return(&vmq_stats[VMQ_STAT_LIVE_WAITS]))
			vmq_kvm_exits_idle();
		hrtimer_try_to_cancel(&vcv->timer);
	}
	spin_unlock_irqrestore(&vm->lock, flags);
}

/* The VM is gone (or vmq is): no vCPU runs, no hook can reach @vcv. */
void vmq_wait_release(struct vmq_vcpu *vcv)
{
	vmq_wait_end(vcv);
	hrtimer_cancel(&vcv->timer);
}

/*
 * End the wait of every vCPU of @vm halted in VMQ_HC_WAIT (or of @only).
 * Any context.
 */
void vmq_wake_waiters(struct vmq_vm *vm, struct vmq_vcpu *only)
{
	struct vmq_vcpu *vcv, *tmp;
	struct kvm *kvm = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	if (list_empty(&vm->waiters) || !vm->kvm ||
	    !kvm_get_kvm_safe(vm->kvm))
		goto out_unlock;
	kvm = vm->kvm;
	list_for_each_entry_safe(vcv, tmp, &vm->waiters, wait_node) {
		if (only && vcv != only)
			continue;
		list_del_init(&vcv->wait_node);
		if (!atomic64_dec_return(&vmq_stats[VMQ_STAT_LIVE_WAITS]))
			vmq_kvm_exits_idle();
		if (vcv != only)
			hrtimer_try_to_cancel(&vcv->timer);
		trace_vmq_wake(vm->id, vcv->vcpu->vcpu_idx, !only);
		vmq_vcpu_unhalt(vcv->vcpu);
	}
out_unlock:
	spin_unlock_irqrestore(&vm->lock, flags);
	if (kvm)
		vmq_vm_put_kvm(vm, kvm);
}

static void vmq_notify_arrival(struct vmq_vm *vm)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	if (vm->notify) {
		eventfd_signal(vm->notify, 1);
		vmq_count(vm, VMQ_CTR_NOTIFIES, 1);
	}
	spin_unlock_irqrestore(&vm->lock, flags);
}

/*
 * A record was published in @vm's queue: end the waits of its vCPUs halted
 * in VMQ_HC_WAIT and, when the commit said so (@notify), signal its arrival
 * eventfd. The one tail of every delivery. Any context.
 */
void vmq_arrival(struct vmq_vm *vm, bool notify)
{
	/*
	 * Pairs with the smp_mb() in vmq_wait(): either the waiter sees the
	 * record, or we see the waiter on the list.
	 */
	smp_mb();
	if (!list_empty_careful(&vm->waiters))
		vmq_wake_waiters(vm, NULL);
	if (notify)
		vmq_notify_arrival(vm);
}

/*
 * VMQ_HC_WAIT. Returns the number of waiting messages, or 0 when the vCPU
 * is to halt: the caller sets it halted and returns to KVM's run loop,
 * which blocks it. A wake-up that comes before the halt is set is not
 * lost: it leaves the vCPU runnable (pv_unhalted), and KVM's run loop ends
 * the halt at once.
 */
long vmq_wait(struct vmq_vcpu *vcv, u64 timeout_ns)
{
	struct vmq_vm *vm = vcv->vm;
	unsigned long flags;
	long n;

	if (!vmq_vcpu_has_lapic(vcv->vcpu))
		return -EOPNOTSUPP;
	if (timeout_ns > VMQ_WAIT_MAX_NS)
		return -EINVAL;
	n = vmq_queue_pending(&vm->rxq);
	if (n || !timeout_ns) {
		trace_vmq_wait(vm->id, vcv->vcpu->vcpu_idx, timeout_ns, n);
		return n;
	}

	spin_lock_irqsave(&vm->lock, flags);
	if (list_empty(&vcv->wait_node)) {
		list_add_tail(&vcv->wait_node, &vm->waiters);
		atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_WAITS]);
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	/*
	 * An interrupt that ends the halt is seen at the vCPU's next exit;
	 * without the probe (no memory for it) the wait ends at its timer.
	 */
	vmq_kvm_exits_need();
	/* Pairs with the smp_mb() in vmq_arrival(): a sender sees us or we see it. */
	smp_mb();
	n = vmq_queue_pending(&vm->rxq);
	if (n) {
		vmq_wait_end(vcv);
		trace_vmq_wait(vm->id, vcv->vcpu->vcpu_idx, timeout_ns, n);
		return n;
	}
	hrtimer_start(&vcv->timer, ns_to_ktime(timeout_ns), HRTIMER_MODE_REL);
	vmq_count(vm, VMQ_CTR_WAITS, 1);
	trace_vmq_wait(vm->id, vcv->vcpu->vcpu_idx, timeout_ns, 0);
	return 0;
}
