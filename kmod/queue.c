// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c: receive queues.
 *
 * A receive queue is a ring in the receiving VM's own memory (layout and
 * memory-ordering contract in <linux/vmq.h> and Documentation/vmq/ring.rst).
 * Producers are vCPUs of *other* VMs, running in other processes and
 * sometimes in atomic context, so the ring is pinned and mapped into the
 * kernel when the guest registers it (gmem.c) and producers serialise on a
 * spinlock. The payload is copied once, from the sender's memory straight
 * into the ring.
 *
 * The host keeps its own copy of every producer field (head, msgs, seq) and
 * only ever reads cons_tail and magic from guest memory, once each per
 * delivery, validating them before use.
 */
#include <linux/eventfd.h>
#include <linux/kvm_host.h>
#include <linux/log2.h>

#include "acl.h"
#include "netlink.h"
#include "queue.h"
#include "registry.h"
#include "vcpu.h"

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
	atomic64_inc(&vmq_stats.live_queues);
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
	atomic64_dec(&vmq_stats.live_queues);
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

/* Where a record goes in a ring, once vmq_queue_reserve() found room. */
struct vmq_slot {
	u32 off;		/* of the record in the data area */
	u32 pad;		/* bytes of padding record before it */
	u32 rec;		/* record bytes */
	bool was_empty;
};

/*
 * Find room for a record of @len payload bytes. Reads the guest's consumer
 * index once and checks it. Caller holds q->lock.
 */
static int vmq_queue_reserve(struct vmq_queue *q, u32 len, struct vmq_slot *s)
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
	s->was_empty = !used;
	return 0;
}

static void *vmq_slot_payload(struct vmq_queue *q, const struct vmq_slot *s)
{
	return q->data + s->off + sizeof(struct vmq_msg_hdr);
}

/*
 * Write the headers of a reserved record whose payload is in place, and
 * publish it. Returns whether the guest wants an arrival notification.
 */
static bool vmq_queue_commit(struct vmq_queue *q, const struct vmq_slot *s,
			     u16 type, u32 sender, u64 tag, u32 len)
{
	lockdep_assert_held(&q->lock);
	if (s->pad)
		vmq_queue_put_hdr(q, q->size - s->pad, VMQ_MSG_PAD, 0, 0,
				  s->pad - sizeof(struct vmq_msg_hdr));
	vmq_queue_put_hdr(q, s->off, type, sender, tag, len);

	q->head += s->pad + s->rec;
	q->msgs++;
	/*
	 * Publish the record: the guest load-acquires prod_head before it
	 * reads records. prod_msgs follows with release too, so a guest that
	 * sees a message count also sees the head that covers those messages.
	 */
	smp_store_release(&q->hdr->prod_head, q->head);
	smp_store_release(&q->hdr->prod_msgs, q->msgs); /* after prod_head */
	return s->was_empty &&
	       (READ_ONCE(q->hdr->cons_flags) & VMQ_RING_F_NOTIFY);
}

/*
 * Write one message from guest memory into @q and publish it. Nothing
 * becomes visible to the guest unless the whole record (and the padding
 * before it) is written: a failure leaves the ring as it was.
 * -VMQ_ENOTRESIDENT: the payload is not resident; the caller faults it in and
 * tries again, or defers. *@notify: see vmq_queue_commit().
 */
static int vmq_queue_deliver(struct vmq_queue *q, struct kvm *src_kvm,
			     u32 sender, const struct vmq_send_args *a,
			     bool *notify)
{
	struct vmq_slot slot;
	int ret;

	spin_lock(&q->lock);
	ret = vmq_queue_reserve(q, a->len, &slot);
	if (!ret && a->len)
		ret = vmq_read_guest_atomic(src_kvm, a->gpa,
					    vmq_slot_payload(q, &slot), a->len);
	if (!ret)
		*notify = vmq_queue_commit(q, &slot, VMQ_MSG_DATA, sender,
					   a->tag, a->len);
	spin_unlock(&q->lock);
	return ret;
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
 * eventfd. The one tail of every delivery.
 */
static void vmq_queue_kick(struct vmq_vm *vm, bool notify)
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
 * The VM that @src wants to reach, referenced, if the host allows the pair;
 * else ERR_PTR(-EACCES), announced as VMQ_EVENT_DENIED. A VM that does not
 * exist gets the same answer as one that may not be reached: a guest
 * learns nothing about VMs it may not send to (VMQ_HC_LOOKUP keeps the same
 * rule). Pairs only ever name published VMs (registry.c), so the ACL is
 * asked first; a VM that went away since is not found, and refused alike.
 */
struct vmq_vm *vmq_dest_get(struct vmq_vm *src, u64 dest_id)
{
	struct vmq_vm *dest = NULL;

	if (dest_id && dest_id <= U32_MAX && vmq_acl_allowed(src->id, dest_id))
		dest = vmq_vm_get(dest_id);
	if (!dest) {
		vmq_nl_event(VMQ_EVENT_DENIED, src->id,
			     dest_id <= U32_MAX ? dest_id : 0, -EACCES);
		return ERR_PTR(-EACCES);
	}
	return dest;
}

/*
 * Send one message from @src, whose memory is the current mm and whose
 * kvm->srcu the caller holds. Returns 0 or a documented negative error;
 * -VMQ_ENOTRESIDENT only when !@can_sleep and the payload must be faulted in.
 */
long vmq_send(struct vmq_vm *src, struct kvm *src_kvm,
	      const struct vmq_send_args *a, bool can_sleep)
{
	struct vmq_vm *dest;
	bool notify = false;
	int tries = 0;
	long ret;

	u32 quota = READ_ONCE(src->quota_max_msg);

	if (a->len > READ_ONCE(vmq_max_msg_size))
		return -EMSGSIZE;
	if (quota && a->len > quota) {
		vmq_count(src, VMQ_CTR_ERR_QUOTA, 1);
		vmq_nl_event(VMQ_EVENT_QUOTA, src->id, a->dest, -EMSGSIZE);
		return -EMSGSIZE;
	}
	dest = vmq_dest_get(src, a->dest);
	if (IS_ERR(dest))
		return PTR_ERR(dest);

	for (;;) {
		ret = vmq_queue_deliver(&dest->rxq, src_kvm, src->id, a,
					&notify);
		if (ret != -VMQ_ENOTRESIDENT || !can_sleep)
			break;
		/* A page that keeps going away is not worth chasing forever. */
		ret = -EFAULT;
		if (++tries > 3 || vmq_fault_in_guest(src_kvm, a->gpa, a->len))
			break;
	}
	if (ret) {
		if (ret != -EAGAIN && ret != -VMQ_ENOTRESIDENT)
			vmq_nl_event(VMQ_EVENT_DROP, src->id, dest->id, ret);
		goto out_put;
	}

	atomic64_add(a->len, &vmq_stats.bytes_copied);
	vmq_count(src, VMQ_CTR_TX_MSGS, 1);
	vmq_count(src, VMQ_CTR_TX_BYTES, a->len);
	vmq_count(dest, VMQ_CTR_RX_MSGS, 1);
	vmq_count(dest, VMQ_CTR_RX_BYTES, a->len);
	vmq_queue_kick(dest, notify);
out_put:
	vmq_vm_put(dest);
	return ret;
}

/*
 * Write a record whose payload the host made (@payload, @len bytes) into
 * @dest's queue, and wake or notify the guest. Returns 0 or a
 * VMQ_HC_SEND error; a failure leaves the ring as it was.
 */
int vmq_queue_post(struct vmq_vm *dest, u16 type, u32 sender, u64 tag,
		   const void *payload, u32 len)
{
	struct vmq_queue *q = &dest->rxq;
	struct vmq_slot slot;
	bool notify = false;
	int ret;

	spin_lock(&q->lock);
	ret = vmq_queue_reserve(q, len, &slot);
	if (!ret) {
		memcpy(vmq_slot_payload(q, &slot), payload, len);
		notify = vmq_queue_commit(q, &slot, type, sender, tag, len);
	}
	spin_unlock(&q->lock);
	if (ret)
		return ret;

	vmq_queue_kick(dest, notify);
	return 0;
}

static void vmq_identity_of(struct vmq_vm *vm, struct vmq_identity *id)
{
	lockdep_assert_held(&vmq_registry_lock);
	memset(id, 0, sizeof(*id));
	id->id = vm->id;
	memcpy(id->name, vm->name, sizeof(id->name));
}

/*
 * Convey each VM's identity into the other's queue: both records or
 * neither. Both queue locks are held together, lower id first. Caller
 * holds vmq_registry_lock (names are stable).
 */
int vmq_introduce(struct vmq_vm *a, struct vmq_vm *b)
{
	struct vmq_vm *first = a->id < b->id ? a : b;
	struct vmq_vm *second = first == a ? b : a;
	struct vmq_identity ida, idb;
	struct vmq_slot sa, sb;
	bool na, nb;
	int ret;

	lockdep_assert_held(&vmq_registry_lock);
	vmq_identity_of(a, &ida);
	vmq_identity_of(b, &idb);

	spin_lock(&first->rxq.lock);
	spin_lock_nested(&second->rxq.lock, SINGLE_DEPTH_NESTING);
	ret = vmq_queue_reserve(&a->rxq, sizeof(idb), &sa);
	if (!ret)
		ret = vmq_queue_reserve(&b->rxq, sizeof(ida), &sb);
	if (!ret) {
		memcpy(vmq_slot_payload(&a->rxq, &sa), &idb, sizeof(idb));
		memcpy(vmq_slot_payload(&b->rxq, &sb), &ida, sizeof(ida));
		na = vmq_queue_commit(&a->rxq, &sa, VMQ_MSG_IDENTITY, 0, 0,
				      sizeof(idb));
		nb = vmq_queue_commit(&b->rxq, &sb, VMQ_MSG_IDENTITY, 0, 0,
				      sizeof(ida));
	}
	spin_unlock(&second->rxq.lock);
	spin_unlock(&first->rxq.lock);
	if (ret)
		return ret;

	vmq_queue_kick(a, na);
	vmq_queue_kick(b, nb);
	return 0;
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
