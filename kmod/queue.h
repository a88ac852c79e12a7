/* SPDX-License-Identifier: GPL-2.0 */
/* queue.h: receive queues, rings in guest memory written by the host. */
#ifndef _VMQ_QUEUE_H
#define _VMQ_QUEUE_H

#include "vmq.h"

struct kvm;
struct kvm_vcpu;
struct vmq_vm_info;

/* One message to send: what VMQ_HC_SEND and a transmit descriptor carry. */
struct vmq_send_args {
	u32 dest;		/* destination VM id */
	u32 len;		/* payload bytes */
	gpa_t gpa;		/* payload, in the sender's guest memory */
	u64 tag;
};

void vmq_queue_init(struct vmq_queue *q);
int vmq_queue_register(struct vmq_queue *q, struct kvm_vcpu *vcpu,
		       u64 gpa, u64 size, u64 flags, u32 max_data);
int vmq_queue_unregister(struct vmq_queue *q);
void vmq_queue_teardown(struct vmq_queue *q);
long vmq_queue_pending(struct vmq_queue *q);
void vmq_queue_fill_info(struct vmq_queue *q, struct vmq_vm_info *info);

long vmq_send(struct vmq_vm *src, struct kvm *src_kvm,
	      const struct vmq_send_args *a, bool can_sleep);
int vmq_introduce(struct vmq_vm *a, struct vmq_vm *b);
struct vmq_vm *vmq_dest_get(struct vmq_vm *src, u64 dest_id);
int vmq_queue_post(struct vmq_vm *dest, u16 type, u32 sender, u64 tag,
		   const void *payload, u32 len);

#endif /* _VMQ_QUEUE_H */
