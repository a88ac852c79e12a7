/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcpu.h: per-vCPU state: the transmit ring (lazy sends) and the blocking
 * receive (VMQ_HC_WAIT).
 */
#ifndef _VMQ_VCPU_H
#define _VMQ_VCPU_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/workqueue.h>

#include "vmq.h"

struct kvm_vcpu;

struct vmq_vcpu {
	struct vmq_vm *vm;
	struct kvm_vcpu *vcpu;

	/*
	 * Transmit ring. VMQ_VCPU_TX_BUSY is the right to touch it: the exit
	 * hook tries it and leaves the ring to its holder; the hypercalls and
	 * tx_work sleep for it.
	 */
	unsigned long flags;
	struct vmq_gbuf tx;		/* tx.va == NULL: no ring */
	struct vmq_tx_hdr *txh;
	struct vmq_tx_desc *txd;
	u32 tx_nr;			/* descriptors, a power of two */
	u32 tx_cons;			/* the host's own consumer index */
	u32 tx_cons_exit;		/* tx_cons at the vCPU's last exit */
	bool tx_broken;			/* prod ran ahead; stopped */
	struct work_struct tx_work;	/* finishes what the hook could not */

	/* Blocking receive: on vm->waiters while halted in VMQ_HC_WAIT. */
	struct list_head wait_node;
	struct hrtimer timer;
};

#define VMQ_VCPU_TX_BUSY	0

struct vmq_vcpu *vmq_vcpu_get(struct vmq_vm *vm, struct kvm_vcpu *vcpu);
void vmq_vcpus_release(struct vmq_vm *vm);

long vmq_tx_register(struct vmq_vcpu *vcv, u64 gpa, u64 size, u64 flags);
long vmq_tx_unregister(struct vmq_vcpu *vcv);
long vmq_tx_flush(struct vmq_vcpu *vcv);
void vmq_vcpu_on_exit(struct kvm_vcpu *vcpu, bool can_read_guest);

long vmq_wait(struct vmq_vcpu *vcv, u64 timeout_ns);
void vmq_wake_waiters(struct vmq_vm *vm, struct vmq_vcpu *only);

#endif /* _VMQ_VCPU_H */
