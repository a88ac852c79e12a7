/* SPDX-License-Identifier: GPL-2.0 */
/* queue.h: receive queues, rings in guest memory written by the host. */
#ifndef _VMQ_QUEUE_H
#define _VMQ_QUEUE_H

#include "vmq.h"

struct kvm_vcpu;
struct vmq_vm_info;

/* What a producer asks vmq_queue_deliver() to write. */
struct vmq_delivery {
	u16 type;		/* VMQ_MSG_* */
	u32 sender;		/* VM id */
	u64 tag;
	u32 len;		/* payload bytes */
	struct kvm_vcpu *src;	/* the payload is in @src's guest memory */
	gpa_t gpa;		/* at this guest-physical address */
};

void vmq_queue_init(struct vmq_queue *q);
int vmq_queue_register(struct vmq_queue *q, struct kvm_vcpu *vcpu,
		       u64 gpa, u64 size, u64 flags);
int vmq_queue_unregister(struct vmq_queue *q);
void vmq_queue_teardown(struct vmq_queue *q);
int vmq_queue_deliver(struct vmq_queue *q, const struct vmq_delivery *d);
void vmq_queue_fill_info(struct vmq_queue *q, struct vmq_vm_info *info);

#endif /* _VMQ_QUEUE_H */
