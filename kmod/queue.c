// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c: receive queues.
 *
 * A receive queue is a ring in the receiving VM's own memory (layout and
 * memory-ordering contract in <linux/vmq.h> and Documentation/vmq/ring.rst).
 * Producers are vCPUs of *other* VMs, running in other processes, so the
 * ring cannot be reached through the receiver's user mappings: vmq pins the
 * ring's pages when the guest registers it (from the receiver's own vCPU, in
 * its own mm) and maps them contiguously into the kernel with vmap(). The
 * pin keeps the pages in place whatever the VMM later does to its memory;
 * were a VMM to unmap them, vmq would only be writing into pages it still
 * holds, never into someone else's memory.
 *
 * The host keeps its own copy of every producer field (head, msgs, seq) and
 * only ever reads cons_tail and magic from guest memory, once each per
 * delivery, validating them before use.
 */
#include <linux/kvm_host.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "queue.h"

void vmq_queue_init(struct vmq_queue *q)
{
	mutex_init(&q->lock);
}

static void vmq_queue_unpin(struct page **pages, unsigned int npages)
{
	unpin_user_pages_dirty_lock(pages, npages, true);
	atomic64_sub(npages, &vmq_stats.pinned_pages);
}

/*
 * Pin the guest pages at @gfn..@gfn+@npages-1. They must be ordinary,
 * writable guest RAM of a user memslot: not MMIO, not a read-only slot,
 * not one of KVM's private slots.
 */
static int vmq_queue_pin(struct kvm_vcpu *vcpu, gfn_t gfn,
			 struct page **pages, unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++) {
		struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm,
							      gfn + i);
		unsigned long hva;

		if (!slot || slot->id >= KVM_USER_MEM_SLOTS ||
		    (slot->flags & KVM_MEM_READONLY))
			goto err_unpin;
		hva = gfn_to_hva_memslot(slot, gfn + i);
		if (pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM,
					&pages[i]) != 1)
			goto err_unpin;
		atomic64_inc(&vmq_stats.pinned_pages);
	}
	return 0;

err_unpin:
	vmq_queue_unpin(pages, i);
	return -EFAULT;
}

int vmq_queue_register(struct vmq_queue *q, struct kvm_vcpu *vcpu,
		       u64 gpa, u64 size, u64 flags)
{
	struct vmq_ring_hdr *hdr;
	struct page **pages;
	unsigned int npages;
	u64 data_size;
	int ret;

	if (flags || !PAGE_ALIGNED(gpa) || size <= VMQ_RING_HDR_SIZE)
		return -EINVAL;
	data_size = size - VMQ_RING_HDR_SIZE;
	if (data_size < VMQ_RING_DATA_MIN || data_size > VMQ_RING_DATA_MAX ||
	    !is_power_of_2(data_size))
		return -EINVAL;
	if (gpa_to_gfn(gpa) + (size >> PAGE_SHIFT) < gpa_to_gfn(gpa))
		return -EINVAL;
	npages = size >> PAGE_SHIFT;

	mutex_lock(&q->lock);
	ret = -EBUSY;
	if (q->hdr)
		goto err_unlock;

	ret = -ENOMEM;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		goto err_unlock;
	ret = vmq_queue_pin(vcpu, gpa_to_gfn(gpa), pages, npages);
	if (ret)
		goto err_free_array;
	ret = -ENOMEM;
	hdr = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	if (!hdr)
		goto err_unpin;

	/* The guest prepared the header: magic set, producer/consumer zero. */
	ret = -EINVAL;
	if (READ_ONCE(hdr->magic) != VMQ_RING_MAGIC ||
	    READ_ONCE(hdr->cons_tail) != 0)
		goto err_unmap;

	WRITE_ONCE(hdr->data_size, data_size);
	WRITE_ONCE(hdr->prod_head, 0);
	WRITE_ONCE(hdr->prod_msgs, 0);
	q->hdr = hdr;
	q->data = (u8 *)hdr + VMQ_RING_HDR_SIZE;
	q->size = data_size;
	q->head = 0;
	q->msgs = 0;
	q->seq = 0;
	q->pages = pages;
	q->npages = npages;
	atomic64_inc(&vmq_stats.live_queues);
	mutex_unlock(&q->lock);
	return 0;

err_unmap:
	vunmap(hdr);
err_unpin:
	vmq_queue_unpin(pages, npages);
err_free_array:
	kvfree(pages);
err_unlock:
	mutex_unlock(&q->lock);
	return ret;
}

static void __vmq_queue_teardown(struct vmq_queue *q)
{
	lockdep_assert_held(&q->lock);
	vunmap(q->hdr);
	vmq_queue_unpin(q->pages, q->npages);
	kvfree(q->pages);
	q->hdr = NULL;
	q->data = NULL;
	q->pages = NULL;
	q->npages = 0;
	atomic64_dec(&vmq_stats.live_queues);
}

int vmq_queue_unregister(struct vmq_queue *q)
{
	int ret = -ENOTCONN;

	mutex_lock(&q->lock);
	if (q->hdr) {
		__vmq_queue_teardown(q);
		ret = 0;
	}
	mutex_unlock(&q->lock);
	return ret;
}

void vmq_queue_teardown(struct vmq_queue *q)
{
	mutex_lock(&q->lock);
	if (q->hdr)
		__vmq_queue_teardown(q);
	mutex_unlock(&q->lock);
}

static void vmq_queue_put_hdr(struct vmq_queue *q, u32 off, u16 type,
			      const struct vmq_delivery *d, u32 len)
{
	struct vmq_msg_hdr *m = (struct vmq_msg_hdr *)(q->data + off);

	m->len = len;
	m->type = type;
	m->flags = 0;
	m->sender = d ? d->sender : 0;
	m->seq = type == VMQ_MSG_PAD ? 0 : q->seq++;
	m->tag = d ? d->tag : 0;
	m->reserved = 0;
}

/*
 * Write one record into @q and publish it. Nothing becomes visible to the
 * guest unless the whole record (and the padding before it) is written: a
 * failure leaves the ring as it was.
 */
int vmq_queue_deliver(struct vmq_queue *q, const struct vmq_delivery *d)
{
	u32 rec = VMQ_MSG_RECORD_SIZE(d->len);
	u32 tail, used, off, contig, pad = 0;
	int ret;

	mutex_lock(&q->lock);
	ret = -ENOTCONN;
	if (!q->hdr)
		goto out_unlock;
	ret = -EPIPE;
	if (READ_ONCE(q->hdr->magic) != VMQ_RING_MAGIC)
		goto out_unlock;
	ret = -EMSGSIZE;
	if (rec > q->size / 2)
		goto out_unlock;

	/* Pairs with the guest's store-release of cons_tail. */
	tail = smp_load_acquire(&q->hdr->cons_tail);
	used = q->head - tail;
	ret = -EPIPE;
	if (used > q->size || (tail & (VMQ_MSG_ALIGN - 1)))
		goto out_unlock;

	off = q->head & (q->size - 1);
	contig = q->size - off;
	if (contig < rec)
		pad = contig;
	ret = -EAGAIN;
	if (q->size - used < pad + rec)
		goto out_unlock;
	if (pad)
		off = 0;

	if (d->len) {
		ret = kvm_vcpu_read_guest(d->src, d->gpa,
					  q->data + off + sizeof(struct vmq_msg_hdr),
					  d->len);
		if (ret) {
			ret = -EFAULT;
			goto out_unlock;
		}
	}
	if (pad)
		vmq_queue_put_hdr(q, q->size - pad, VMQ_MSG_PAD, NULL,
				  pad - sizeof(struct vmq_msg_hdr));
	vmq_queue_put_hdr(q, off, d->type, d, d->len);

	q->head += pad + rec;
	q->msgs++;
	/*
	 * Publish the record: the guest load-acquires prod_head before it
	 * reads records. prod_msgs follows with release too, so a guest that
	 * sees a message count also sees the head that covers those messages.
	 */
	smp_store_release(&q->hdr->prod_head, q->head);
	smp_store_release(&q->hdr->prod_msgs, q->msgs); /* after prod_head */
	ret = 0;
out_unlock:
	mutex_unlock(&q->lock);
	return ret;
}

void vmq_queue_fill_info(struct vmq_queue *q, struct vmq_vm_info *info)
{
	mutex_lock(&q->lock);
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
	mutex_unlock(&q->lock);
}
