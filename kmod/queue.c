// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c: receive rings. Layer: leaves (see vmq.h).
 *
 * A receive queue is a ring in the receiving VM's own memory (layout and
 * memory-ordering contract in <linux/vmq.h> and Documentation/vmq/ring.rst).
 * Producers are vCPUs of *other* VMs, running in other processes and
 * sometimes in atomic context, so the ring is pinned and mapped into the
 * kernel when the guest registers it (guest_mem.c) and producers serialise
 * on a spinlock. The payload is copied once, from the sender's memory
 * straight into the ring. Who may write into whose ring, and what happens
 * after a record is published, is send.c's business.
 *
 * The host keeps its own copy of every producer field (head, msgs, seq) and
 * only ever reads cons_tail and magic from guest memory, once each per
 * delivery, validating them before use.
 */
#include <linux/kvm_host.h>
#include <linux/log2.h>

#include "guest_mem.h"
#include "queue.h"
#include "vmq.h"

void vmq_queue_init(struct vmq_queue *q)
{
	mutex_init(&q->reg_lock);
	spin_lock_init(&q->lock);
}

int vmq_queue_register(struct vmq_queue *q, struct kvm_vcpu *vcpu,
		       u64 gpa, u64 size, u64 flags, u32 max_data)
{
	struct vmq_gbuf buf;
	struct vmq_ring_hdr *hdr;
	u64 data_size;
	int ret;

	if (flags || !PAGE_ALIGNED(gpa) || size <= VMQ_RING_HDR_SIZE)
		return -EINVAL;
	data_size = size - VMQ_RING_HDR_SIZE;
	if (data_size < VMQ_RING_DATA_MIN || data_size > VMQ_RING_DATA_MAX ||
	    !is_power_of_2(data_size))
		return -EINVAL;

	mutex_lock(&q->reg_lock);
	ret = -EBUSY;
	if (q->hdr)
		goto out_unlock;
	ret = -ENOSPC;
	if (max_data && data_size > max_data)
		goto out_unlock;
	ret = vmq_gbuf_map(&buf, vcpu, gpa, size);
	if (ret)
		goto out_unlock;

	/* The guest prepared the header: magic set, consumer index zero. */
	hdr = buf.va;
	ret = -EINVAL;
	if (READ_ONCE(hdr->magic) != VMQ_RING_MAGIC ||
	    READ_ONCE(hdr->cons_tail) != 0) {
		vmq_gbuf_unmap(&buf);
		goto out_unlock;
	}
	WRITE_ONCE(hdr->data_size, data_size);
	WRITE_ONCE(hdr->prod_head, 0);
	WRITE_ONCE(hdr->prod_msgs, 0);

	spin_lock(&q->lock);
	q->buf = buf;
	q->data = (u8 *)hdr + VMQ_RING_HDR_SIZE;
	q->size = data_size;
	q->head = 0;
	q->msgs = 0;
	q->seq = 0;
	q->hdr = hdr;
	spin_unlock(&q->lock);
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_QUEUES]);
	ret = 0;
out_unlock:
	mutex_unlock(&q->reg_lock);
	return ret;
}

/* Stop producers from seeing the ring, then let it go. */
static void __vmq_queue_teardown(struct vmq_queue *q)
{
	struct vmq_gbuf buf;

	lockdep_assert_held(&q->reg_lock);
	spin_lock(&q->lock);
	buf = q->buf;
	q->hdr = NULL;
	q->data = NULL;
	memset(&q->buf, 0, sizeof(q->buf));
	spin_unlock(&q->lock);
	vmq_gbuf_unmap(&buf);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_QUEUES]);
}

int vmq_queue_unregister(struct vmq_queue *q)
{
	int ret = -ENOTCONN;

	mutex_lock(&q->reg_lock);
	if (q->hdr) {
		__vmq_queue_teardown(q);
		ret = 0;
	}
	mutex_unlock(&q->reg_lock);
	return ret;
}

void vmq_queue_teardown(struct vmq_queue *q)
{
	mutex_lock(&q->reg_lock);
	if (q->hdr)
		__vmq_queue_teardown(q);
	mutex_unlock(&q->reg_lock);
}

/*
 * Messages waiting in @q as the host sees them: at least 1 whenever the
 * guest has not consumed every byte, whatever it wrote to cons_msgs.
 */
long vmq_queue_pending(struct vmq_queue *q)
{
	long n = 0;
	u32 msgs;

	spin_lock(&q->lock);
	if (!q->hdr) {
		n = -ENOTCONN;
	} else if (q->head != READ_ONCE(q->hdr->cons_tail)) {
		msgs = q->msgs - READ_ONCE(q->hdr->cons_msgs);
		n = clamp_t(u32, msgs, 1, q->msgs);
	}
	spin_unlock(&q->lock);
	return n;
}

static void vmq_queue_put_hdr(struct vmq_queue *q, u32 off, u16 type,
			      u32 sender, u64 tag, u32 len)
{
	struct vmq_msg_hdr *m = (struct vmq_msg_hdr *)(q->data + off);

	m->len = len;
	m->type = type;
	m->flags = 0;
	m->sender = sender;
	m->seq = type == VMQ_MSG_PAD ? 0 : q->seq++;
	m->tag = tag;
	m->reserved = 0;
}

/*
 * Find room for a record of @len payload bytes. Reads the guest's consumer
 * index once and checks it. Caller holds q->lock.
 */
int vmq_queue_reserve(struct vmq_queue *q, u32 len, struct vmq_slot *s)
{
	u32 tail, used, contig;

	lockdep_assert_held(&q->lock);
	if (!q->hdr)
		return -ENOTCONN;
	if (READ_ONCE(q->hdr->magic) != VMQ_RING_MAGIC)
		return -EPIPE;
	s->rec = VMQ_MSG_RECORD_SIZE(len);
	if (s->rec > q->size / 2)
		return -EMSGSIZE;

	/* Pairs with the guest's store-release of cons_tail. */
	tail = smp_load_acquire(&q->hdr->cons_tail);
	used = q->head - tail;
	if (used > q->size || (tail & (VMQ_MSG_ALIGN - 1)))
		return -EPIPE;

	s->off = q->head & (q->size - 1);
	contig = q->size - s->off;
	s->pad = contig < s->rec ? contig : 0;
	if (q->size - used < s->pad + s->rec)
		return -EAGAIN;
	if (s->pad)
		s->off = 0;
	return 0;
}

void *vmq_slot_payload(struct vmq_queue *q, const struct vmq_slot *s)
{
	return q->data + s->off + sizeof(struct vmq_msg_hdr);
}

/*
 * Write the headers of a reserved record whose payload is in place, and
 * publish it. Returns whether the guest wants an arrival notification.
 */
bool vmq_queue_commit(struct vmq_queue *q, const struct vmq_slot *s,
		      u16 type, u32 sender, u64 tag, u32 len)
{
	u32 old_head;

	lockdep_assert_held(&q->lock);
	if (s->pad)
		vmq_queue_put_hdr(q, q->size - s->pad, VMQ_MSG_PAD, 0, 0,
				  s->pad - sizeof(struct vmq_msg_hdr));
	vmq_queue_put_hdr(q, s->off, type, sender, tag, len);

	old_head = q->head;
	q->head += s->pad + s->rec;
	q->msgs++;
	/*
	 * Publish the record: the guest load-acquires prod_head before it
	 * reads records. prod_msgs follows with release too, so a guest that
	 * sees a message count also sees the head that covers those messages.
	 */
	smp_store_release(&q->hdr->prod_head, q->head);
	smp_store_release(&q->hdr->prod_msgs, q->msgs); /* after prod_head */
	/*
	 * Did the record land in a queue the guest had emptied? Asked now,
	 * not when the space was reserved: the guest may have drained the
	 * queue and gone to sleep while the payload was being copied. Pairs
	 * with the full barrier a sleeping consumer puts between its store
	 * of cons_tail and its last look at prod_head (ring.rst): either it
	 * sees this record, or we see its tail at our old head.
	 */
	smp_mb();
	return READ_ONCE(q->hdr->cons_tail) == old_head &&
	       (READ_ONCE(q->hdr->cons_flags) & VMQ_RING_F_NOTIFY);
}

/*
 * Write one record whose payload is read from guest memory (@len bytes at
 * @gpa of @src_kvm, whose kvm->srcu the caller holds, in its mm) and
 * publish it. Nothing becomes visible to the guest unless the whole record
 * (and the padding before it) is written: a failure leaves the ring as it
 * was. -VMQ_ENOTRESIDENT: the payload is not resident; the caller faults it
 * in and tries again, or defers.
 */
int vmq_queue_write_guest(struct vmq_queue *q, u32 sender, u64 tag,
			  struct kvm *src_kvm, gpa_t gpa, u32 len,
			  bool *notify)
{
	struct vmq_slot slot;
	int ret;

	spin_lock(&q->lock);
	ret = vmq_queue_reserve(q, len, &slot);
	if (!ret && len)
		ret = vmq_read_guest_atomic(src_kvm, gpa,
					    vmq_slot_payload(q, &slot), len);
	if (!ret)
		*notify = vmq_queue_commit(q, &slot, VMQ_MSG_DATA, sender, tag,
					   len);
	spin_unlock(&q->lock);
	return ret;
}

/* The same for a payload the host made; a failure leaves the ring alone. */
int vmq_queue_write(struct vmq_queue *q, u16 type, u32 sender, u64 tag,
		    const void *payload, u32 len, bool *notify)
{
	struct vmq_slot slot;
	int ret;

	spin_lock(&q->lock);
	ret = vmq_queue_reserve(q, len, &slot);
	if (!ret) {
		memcpy(vmq_slot_payload(q, &slot), payload, len);
		*notify = vmq_queue_commit(q, &slot, type, sender, tag, len);
	}
	spin_unlock(&q->lock);
	return ret;
}

void vmq_queue_fill_info(struct vmq_queue *q, struct vmq_vm_info *info)
{
	spin_lock(&q->lock);
	if (q->hdr) {
		info->queue_size = q->size;
		info->queue_bytes = min(q->head - READ_ONCE(q->hdr->cons_tail),
					q->size);
		info->queue_msgs = q->msgs - READ_ONCE(q->hdr->cons_msgs);
	} else {
		info->queue_size = 0;
		info->queue_bytes = 0;
		info->queue_msgs = 0;
	}
	spin_unlock(&q->lock);
}
