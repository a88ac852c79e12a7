/* SPDX-License-Identifier: GPL-2.0 */
/*
 * queue.h: receive rings, in a VM's memory, written by the host. A leaf:
 * the ring knows nothing of VMs, senders or permissions (send.c does).
 */
#ifndef _VMQ_QUEUE_H
#define _VMQ_QUEUE_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vmq.h>

#include "guest_mem.h"

struct kvm;
struct kvm_vcpu;

/*
 * A VM's receive queue: a ring in the VM's own memory, pinned by vmq.
 * Producers may run in atomic context (the VM-exit hook), hence a spinlock;
 * registration, which pins and maps, happens outside it and is serialised
 * by reg_lock.
 */
struct vmq_queue {
	struct mutex reg_lock;		/* (un)registration */
	spinlock_t lock;		/* producers; hdr and the fields below */
	struct vmq_ring_hdr *hdr;	/* NULL: no queue registered */
	u8 *data;			/* data area, hdr + VMQ_RING_HDR_SIZE */
	u32 size;			/* data area bytes, a power of two */
	u32 head;			/* the host's own producer offset */
	u32 msgs;			/* records produced, padding excluded */
	u32 seq;			/* next sequence number */
	struct vmq_gbuf buf;
};

/* Where a record goes in a ring, once vmq_queue_reserve() found room. */
struct vmq_slot {
	u32 off;		/* of the record in the data area */
	u32 pad;		/* bytes of padding record before it */
	u32 rec;		/* record bytes */
};

void vmq_queue_init(struct vmq_queue *q);
int vmq_queue_register(struct vmq_queue *q, struct kvm_vcpu *vcpu,
		       u64 gpa, u64 size, u64 flags, u32 max_data);
int vmq_queue_unregister(struct vmq_queue *q);
void vmq_queue_teardown(struct vmq_queue *q);
long vmq_queue_pending(struct vmq_queue *q);
void vmq_queue_fill_info(struct vmq_queue *q, struct vmq_vm_info *info);

/* Producing, under q->lock: reserve, write the payload, commit. */
int vmq_queue_reserve(struct vmq_queue *q, u32 len, struct vmq_slot *s);
void *vmq_slot_payload(struct vmq_queue *q, const struct vmq_slot *s);
bool vmq_queue_commit(struct vmq_queue *q, const struct vmq_slot *s,
		      u16 type, u32 sender, u64 tag, u32 len);

/* The whole sequence, taking q->lock; *@notify: see vmq_queue_commit(). */
int vmq_queue_write(struct vmq_queue *q, u16 type, u32 sender, u64 tag,
		    const void *payload, u32 len, bool *notify);
int vmq_queue_write_guest(struct vmq_queue *q, u32 sender, u64 tag,
			  struct kvm *src_kvm, gpa_t gpa, u32 len,
			  bool *notify);

#endif /* _VMQ_QUEUE_H */
