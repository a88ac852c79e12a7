/* SPDX-License-Identifier: GPL-2.0 */
/* send.h: putting a message into another VM's queue. */
#ifndef _VMQ_SEND_H
#define _VMQ_SEND_H

#include <linux/kvm_types.h>
#include <linux/types.h>

struct kvm;
struct vmq_vm;

/* One message to send: what VMQ_HC_SEND and a transmit descriptor carry. */
struct vmq_send_args {
	u32 dest;		/* destination VM id */
	u32 len;		/* payload bytes */
	gpa_t gpa;		/* payload, in the sender's guest memory */
	u64 tag;
};

struct vmq_vm *vmq_dest_get(struct vmq_vm *src, u64 dest_id);
long vmq_send(struct vmq_vm *src, struct kvm *src_kvm,
	      const struct vmq_send_args *a, bool can_sleep);
int vmq_post(struct vmq_vm *dest, u16 type, u32 sender, u64 tag,
	     const void *payload, u32 len);
int vmq_introduce(struct vmq_vm *a, struct vmq_vm *b);

#endif /* _VMQ_SEND_H */
