// SPDX-License-Identifier: GPL-2.0
/*
 * tx.c: lazy sends, through each vCPU's transmit ring. Layer: transfer
 * (see vmq.h), above page transfer (window.c) and sending (send.c).
 *
 * A guest publishes descriptors in its vCPU's transmit ring with no exit;
 * vmq delivers them at that vCPU's next VM exit, whatever caused it, from
 * the kvm_exit tracepoint (kvm_hooks.c). Tracepoint probes run with
 * preemption disabled, so delivery there is atomic: payloads are read with
 * page faults disabled and rings are written through their kernel mappings.
 * On SVM the probe runs from svm_handle_exit() with kvm->srcu held and
 * delivers in place. On VMX it runs inside vmx_vcpu_run() with interrupts
 * off and without kvm->srcu, so it only hands the ring to tx_work. A
 * descriptor whose payload is not resident also goes to tx_work, which
 * borrows the VM's mm, faults it in and goes on; so does a page descriptor
 * (VMQ_TX_F_PAGE), because moving a page takes the windows' mutexes and
 * zaps mappings, which sleeps. Delivery stays in ring order because only
 * the holder of VMQ_VCPU_TX_BUSY consumes.
 */
#include <linux/kvm_host.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/sched/mm.h>
#include <linux/wait_bit.h>

#include "kvm_hooks.h"
#include "send.h"
#include "trace.h"
#include "tx.h"
#include "vm.h"
#include "wait.h"
#include "window.h"

#define VMQ_TX_MAX_PAGES	64	/* 8192 descriptors */

/*
 * What one VM exit may deliver in atomic context: a guest must not be able
 * to make the host copy without bound with preemption off. The rest of the
 * ring goes to tx_work, in process context, at once.
 */
#define VMQ_TX_EXIT_DESCS	64
#define VMQ_TX_EXIT_BYTES	(256 * 1024)

/*
 * Move the run of page descriptors that starts at tx_cons, all to one
 * receiver, as one batch (vmq_page_send_batch()): one invalidation of each
 * window's mappings, so one TLB flush per VM, for up to VMQ_PAGE_BATCH_MAX
 * pages instead of one per page. Completes them in ring order; returns how
 * many.
 */
static unsigned int vmq_tx_pages(struct vmq_vcpu *vcv, u32 prod)
{
	struct vmq_page_req *req = vcv->tx_pages;
	struct vmq_vm *vm = vcv->vm;
	unsigned int i, n = 0;
	u32 dest = 0;

	while (n < VMQ_PAGE_BATCH_MAX && vcv->tx_cons + n != prod) {
		struct vmq_tx_desc *d =
			&vcv->txd[(vcv->tx_cons + n) & (vcv->tx_nr - 1)];
		u32 ddest = READ_ONCE(d->dest);

		/*
		 * Each field is read once: a descriptor that breaks the run
		 * is read again, as the first of the next one.
		 */
		if (READ_ONCE(d->flags) != VMQ_TX_F_PAGE || READ_ONCE(d->len) ||
		    (n && ddest != dest))
			break;
		dest = ddest;
		req[n].gpa = READ_ONCE(d->gpa);
		req[n].tag = READ_ONCE(d->tag);
		n++;
	}
	if (n)
		vmq_page_send_batch(vm, dest, req, n);
	for (i = 0; i < n; i++) {
		struct vmq_tx_desc *d = &vcv->txd[vcv->tx_cons & (vcv->tx_nr - 1)];

		if (req[i].ret)
			vmq_count_error(vm, req[i].ret);
		else
			vmq_count(vm, VMQ_CTR_LAZY_MSGS, 1);
		WRITE_ONCE(d->status, req[i].ret);
		vcv->tx_cons++;
		/* The status is written before the slot is handed back. */
		smp_store_release(&vcv->txh->cons, vcv->tx_cons);
	}
	return n;
}

/*
 * Consume published descriptors. With @can_sleep the caller is in process
 * context, in the sender's mm, with its kvm->srcu held; otherwise in the
 * exit hook, which stops at the exit's budget. Returns the number
 * completed, or -VMQ_ENOTRESIDENT when the rest needs a caller that can
 * sleep: a payload must be faulted in, a page moved, or the budget is
 * spent (*@spent set). Needs VMQ_VCPU_TX_BUSY.
 */
static long vmq_tx_drain(struct vmq_vcpu *vcv, struct kvm *kvm, bool can_sleep,
			 bool *spent)
{
	struct vmq_vm *vm = vcv->vm;
	u32 prod, bytes = 0;
	long done = 0;

	if (!vcv->txh || vcv->tx_broken)
		return 0;
	/* Pairs with the guest's store-release of prod. */
	prod = smp_load_acquire(&vcv->txh->prod);
	if (prod - vcv->tx_cons > vcv->tx_nr) {
		vcv->tx_broken = true;
		vmq_count(vm, VMQ_CTR_ERR_BROKEN, 1);
		return 0;
	}
	while (vcv->tx_cons != prod) {
		struct vmq_tx_desc *d = &vcv->txd[vcv->tx_cons & (vcv->tx_nr - 1)];
		struct vmq_send_args a = {
			.dest = READ_ONCE(d->dest),
			.len = READ_ONCE(d->len),
			.gpa = READ_ONCE(d->gpa),
			.tag = READ_ONCE(d->tag),
		};
		u32 flags = READ_ONCE(d->flags);
		long ret = -EINVAL;
		unsigned int pages;

		if (flags == VMQ_TX_F_PAGE && !a.len && can_sleep) {
			pages = vmq_tx_pages(vcv, prod);
			if (pages) {
				done += pages;
				cond_resched();
				continue;
			}
		}
		/* A payload too large for any send fails without a copy. */
		if (!can_sleep && (done == VMQ_TX_EXIT_DESCS ||
				   (!flags && a.len > VMQ_TX_EXIT_BYTES - bytes &&
				    a.len <= READ_ONCE(vmq_max_msg_size)))) {
			*spent = true;
			return -VMQ_ENOTRESIDENT;
		}
		if (!flags) {
			ret = vmq_send(vm, kvm, &a, can_sleep);
			bytes += a.len;
		} else if (flags == VMQ_TX_F_PAGE) {
			/* @len is unused and must be zero, as for the hypercall. */
			ret = -VMQ_ENOTRESIDENT;
			if (a.len)
				ret = -EINVAL;
			else if (can_sleep)
				ret = vmq_page_send(vm, a.dest, a.gpa, a.tag);
		}
		if (ret == -VMQ_ENOTRESIDENT)
			return ret;
		if (ret)
			vmq_count_error(vm, ret);
		else
			vmq_count(vm, VMQ_CTR_LAZY_MSGS, 1);
		WRITE_ONCE(d->status, ret);
		vcv->tx_cons++;
		/* The status is written before the slot is handed back. */
		smp_store_release(&vcv->txh->cons, vcv->tx_cons);
		done++;
		if (can_sleep)
			cond_resched();
	}
	if (done)
		trace_vmq_lazy_drain(vm->id, vcv->vcpu->vcpu_idx, done,
				     !can_sleep);
	return done;
}

/*
 * The holder may be tx_work, blocked on a payload page that the VMM keeps
 * missing (userfaultfd) for as long as it likes: a vCPU waits killably, so
 * that the VMM can always be killed. Only tx_work waits uninterruptibly; it
 * is ended by the VMM's death, which releases such pages.
 */
static int vmq_tx_lock(struct vmq_vcpu *vcv)
{
	return wait_on_bit_lock(&vcv->flags, VMQ_VCPU_TX_BUSY,
				current->flags & PF_WQ_WORKER ?
				TASK_UNINTERRUPTIBLE : TASK_KILLABLE);
}

static void vmq_tx_unlock(struct vmq_vcpu *vcv)
{
	clear_bit_unlock(VMQ_VCPU_TX_BUSY, &vcv->flags);
	/* wake_up_bit() checks for waiters: order it after the clear. */
	smp_mb__after_atomic();
	wake_up_bit(&vcv->flags, VMQ_VCPU_TX_BUSY);
}

/*
 * What the exit hook left: runs in a worker, so it borrows the VM's mm and
 * takes its kvm->srcu to read payloads as the vCPU thread would.
 */
static void vmq_tx_work(struct work_struct *work)
{
	struct vmq_vcpu *vcv = container_of(work, struct vmq_vcpu, tx_work);
	struct vmq_vm *vm = vcv->vm;
	struct kvm *kvm = vmq_vm_get_kvm(vm);
	int idx;

	if (!kvm)
		return;		/* the VM is going away */
	if (mmget_not_zero(kvm->mm)) {
		kthread_use_mm(kvm->mm);
		idx = srcu_read_lock(&kvm->srcu);
		vmq_tx_lock(vcv);	/* uninterruptible: cannot fail */
		vmq_tx_drain(vcv, kvm, true, NULL);
		vmq_tx_unlock(vcv);
		srcu_read_unlock(&kvm->srcu, idx);
		kthread_unuse_mm(kvm->mm);
		mmput(kvm->mm);
	}
	vmq_vm_put_kvm(vm, kvm);
}

void vmq_tx_init(struct vmq_vcpu *vcv)
{
	INIT_WORK(&vcv->tx_work, vmq_tx_work);
}

static void vmq_tx_unmap(struct vmq_vcpu *vcv)
{
	if (!vcv->tx.va)
		return;
	vmq_gbuf_unmap(&vcv->tx);
	vcv->txh = NULL;
	vcv->txd = NULL;
	kfree(vcv->tx_pages);
	vcv->tx_pages = NULL;
	if (!atomic64_dec_return(&vmq_stats[VMQ_STAT_LIVE_TX_RINGS]))
		vmq_kvm_exits_idle();
}

/* Whether any vCPU of the host needs its exits seen (kvm_hooks.c). */
bool __vmq_every_exit vmq_tx_exits_wanted(void)
{
	return atomic64_read(&vmq_stats[VMQ_STAT_LIVE_TX_RINGS]) ||
	       atomic64_read(&vmq_stats[VMQ_STAT_LIVE_WAITS]);
}

/* The VM is gone (or vmq is): no vCPU runs, no hook can reach @vcv. */
void vmq_tx_release(struct vmq_vcpu *vcv)
{
	cancel_work_sync(&vcv->tx_work);
	vmq_tx_unmap(vcv);
}

long vmq_tx_register(struct vmq_vcpu *vcv, u64 gpa, u64 size, u64 flags)
{
	struct vmq_page_req *pages;
	struct vmq_gbuf buf;
	struct vmq_tx_hdr *hdr;
	u64 nr;
	long ret;

	if (flags || size <= VMQ_RING_HDR_SIZE || !PAGE_ALIGNED(size) ||
	    size - VMQ_RING_HDR_SIZE > VMQ_TX_MAX_PAGES * PAGE_SIZE)
		return -EINVAL;
	nr = (size - VMQ_RING_HDR_SIZE) / sizeof(struct vmq_tx_desc);
	if (!is_power_of_2(nr))
		return -EINVAL;

	pages = kmalloc_array(VMQ_PAGE_BATCH_MAX, sizeof(*pages),
			      GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	ret = -EINTR;
	if (vmq_tx_lock(vcv))
		goto out_free;
	ret = -EBUSY;
	if (vcv->tx.va)
		goto out_unlock;
	ret = vmq_gbuf_map(&buf, vcv->vcpu, gpa, size);
	if (ret)
		goto out_unlock;
	hdr = buf.va;
	ret = -EINVAL;
	if (READ_ONCE(hdr->magic) != VMQ_TX_MAGIC || READ_ONCE(hdr->prod)) {
		vmq_gbuf_unmap(&buf);
		goto out_unlock;
	}
	WRITE_ONCE(hdr->nr_desc, nr);
	WRITE_ONCE(hdr->cons, 0);
	vcv->tx = buf;
	vcv->txh = hdr;
	vcv->txd = buf.va + VMQ_RING_HDR_SIZE;
	vcv->tx_nr = nr;
	vcv->tx_cons = 0;
	vcv->tx_cons_exit = 0;
	vcv->tx_broken = false;
	vcv->tx_pages = pages;
	pages = NULL;
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_TX_RINGS]);
	/* Its exits must be seen from the next one on. */
	ret = vmq_kvm_exits_need();
	if (ret)
		vmq_tx_unmap(vcv);
out_unlock:
	vmq_tx_unlock(vcv);
out_free:
	kfree(pages);
	return ret;
}

long vmq_tx_unregister(struct vmq_vcpu *vcv)
{
	long ret = -ENOTCONN;

	if (vmq_tx_lock(vcv))
		return -EINTR;
	if (vcv->tx.va) {
		vmq_tx_drain(vcv, vcv->vcpu->kvm, true, NULL);
		vmq_tx_unmap(vcv);
		ret = 0;
	}
	vmq_tx_unlock(vcv);
	return ret;
}

/*
 * The exit probe ran at this hypercall's own VM exit and has usually
 * delivered everything already, so the count starts where cons stood when
 * the guest trapped, not where it stands now.
 */
long vmq_tx_flush(struct vmq_vcpu *vcv)
{
	long ret;

	if (!vcv->tx.va)
		return -ENOTCONN;
	if (vmq_tx_lock(vcv))
		return -EINTR;
	ret = vmq_tx_drain(vcv, vcv->vcpu->kvm, true, NULL);
	if (ret >= 0)
		ret = (u32)(vcv->tx_cons - vcv->tx_cons_exit);
	vmq_tx_unlock(vcv);
	return ret;
}

/*
 * Every VM exit of every vCPU comes through here, in atomic context: the
 * common case must stay a few loads. @can_read_guest: the caller holds
 * kvm->srcu and runs in the VM's mm (SVM); otherwise defer.
 */
void __vmq_every_exit vmq_tx_vcpu_exit(struct kvm_vcpu *vcpu,
				       bool can_read_guest)
{
	struct vmq_vcpu *vcv;
	struct vmq_vm *vm;
	bool spent = false;
	long ret;
	u32 cons;

	/*
	 * Nothing to do at any exit while no vCPU has a transmit ring or
	 * waits: on a host where few VMs use vmq, most exits end here. A
	 * vCPU's own registration or wait is counted before it runs again.
	 */
	if (!vmq_tx_exits_wanted())
		return;

	rcu_read_lock();
	vm = vmq_vm_find_rcu(vcpu->kvm);
	if (!vm)
		goto out_unlock;
	vcv = xa_load(&vm->vcpus, vcpu->vcpu_idx);
	if (!vcv)
		goto out_unlock;
	/* Running again: a WAIT that ended by an interrupt is over. */
	if (unlikely(!list_empty_careful(&vcv->wait_node)))
		vmq_wait_end(vcv);
	if (!vcv->txh)
		goto out_unlock;
	/* Where VMQ_HC_TX_FLUSH, if this exit is one, starts counting. */
	vcv->tx_cons_exit = READ_ONCE(vcv->tx_cons);
	if (READ_ONCE(vcv->txh->prod) == vcv->tx_cons)
		goto out_unlock;
	if (test_and_set_bit_lock(VMQ_VCPU_TX_BUSY, &vcv->flags))
		goto out_unlock;	/* tx_work or a hypercall has it */
	ret = -VMQ_ENOTRESIDENT;
	cons = vcv->tx_cons;
	if (can_read_guest)
		ret = vmq_tx_drain(vcv, vcpu->kvm, false, &spent);
	if (vcv->tx_cons != cons)
		vmq_count(vm, VMQ_CTR_LAZY_EXITS, 1);
	if (spent)
		vmq_count(vm, VMQ_CTR_LAZY_DEFERRED, 1);
	vmq_tx_unlock(vcv);
	if (ret == -VMQ_ENOTRESIDENT)
		queue_work(vmq_wq, &vcv->tx_work);
out_unlock:
	rcu_read_unlock();
}
