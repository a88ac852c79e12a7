// SPDX-License-Identifier: GPL-2.0
/*
 * window.c: the VM's page window and who holds its slots (Documentation/
 * vmq/pages.rst). Layer: transfer (see guest.h).
 *
 * The window is the ivshmem device's BAR 2, which the host backs with a
 * vmq window; binding it (VMQ_HC_WINDOW_BIND) is also how ivshmem.c
 * tells a vmq window from any other ivshmem memory. Every slot is in one
 * of these states, as the guest sees it:
 *
 *   POOL	the host's: in the receive pool, where arriving pages land
 *   FREE	the guest's, handed to nobody (VMQ_DEV_IOC_PAGE_ALLOC takes it)
 *   OWNED	the guest's, held by one open file (allocated, or arrived and
 *		read by it); it may send it or give it to the pool
 *
 * A fresh binding holds every slot; the driver gives half of them to the
 * pool. The host has no call to unbind a window or to take a slot back
 * from the pool, so a binding that a previous load of this driver made
 * (-EBUSY) is taken over with every slot in the pool: the guest holds
 * only pages that arrive from then on.
 *
 * The slot size is not told by the host. The window_page_size parameter
 * gives it, else a probe decides: VMQ_HC_PAGE_FREE of the second 4 KiB
 * page succeeds only in a 4 KiB window (and donates that slot).
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vmq_guest_dev.h>

#include "guest.h"
#include "hypercall.h"
#include "window.h"

enum vmqg_slot_state {
	VMQG_SLOT_POOL,
	VMQG_SLOT_FREE,
	VMQG_SLOT_OWNED,
};

struct vmqg_window {
	struct mutex lock;		/* everything below */
	bool bound;
	phys_addr_t base;
	u64 size;
	u32 page_size;
	u32 nr_slots;
	u8 *state;			/* enum vmqg_slot_state */
	const void **owner;		/* of OWNED slots */
};

static struct vmqg_window vmqg_win = {
	.lock = __MUTEX_INITIALIZER(vmqg_win.lock),
};

static long vmqg_window_hc_free(struct vmqg_window *w, u32 slot)
{
	return vmqg_hc(VMQ_HC_PAGE_FREE, w->base + (u64)slot * w->page_size,
		       0, 0, 0);
}

/* Fresh binding: 4 KiB slots if the second 4 KiB page is a slot. */
static u32 vmqg_window_probe(struct vmqg_window *w, bool *slot1_pooled)
{
	*slot1_pooled = false;
	if (vmqg_window_page_size)
		return vmqg_window_page_size;
	if (!IS_ALIGNED(w->base, SZ_2M) || !IS_ALIGNED(w->size, SZ_2M))
		return PAGE_SIZE;
	if (!vmqg_hc(VMQ_HC_PAGE_FREE, w->base + PAGE_SIZE, 0, 0, 0)) {
		*slot1_pooled = true;
		return PAGE_SIZE;
	}
	return SZ_2M;
}

/* Taken over from a predecessor: which slots it held is unknown. */
static u32 vmqg_window_probe_rebound(struct vmqg_window *w)
{
	u64 off;

	if (vmqg_window_page_size)
		return vmqg_window_page_size;
	if (!IS_ALIGNED(w->size, SZ_2M) || !IS_ALIGNED(w->base, SZ_2M))
		return PAGE_SIZE;
	/* Any held 4 KiB slot inside the first 2 MiB gives it away. */
	for (off = PAGE_SIZE; off < SZ_2M && off < w->size; off += PAGE_SIZE)
		if (!vmqg_hc(VMQ_HC_PAGE_FREE, w->base + off, 0, 0, 0))
			return PAGE_SIZE;
	return SZ_2M;
}

int vmqg_window_bind(phys_addr_t base, u64 size)
{
	struct vmqg_window *w = &vmqg_win;
	bool rebound = false, slot1_pooled = false;
	u32 i, keep;
	long ret;

	if (!(vmqg_host.features & VMQ_FEAT_PAGES))
		return -EOPNOTSUPP;
	mutex_lock(&w->lock);
	ret = -EBUSY;
	if (w->bound)
		goto out_unlock;
	ret = vmqg_hc(VMQ_HC_WINDOW_BIND, base, size, 0, 0);
	if (ret == -EBUSY)
		rebound = true;
	else if (ret)
		goto out_unlock;
	w->base = base;
	w->size = size;
	w->page_size = rebound ? vmqg_window_probe_rebound(w) :
		       vmqg_window_probe(w, &slot1_pooled);
	ret = -EINVAL;
	if (w->page_size != PAGE_SIZE && w->page_size != SZ_2M)
		goto out_unlock;
	if (!IS_ALIGNED(size, w->page_size) || !IS_ALIGNED(base, w->page_size))
		goto out_unlock;
	w->nr_slots = size / w->page_size;
	ret = -ENOMEM;
	w->state = kvcalloc(w->nr_slots, sizeof(*w->state), GFP_KERNEL);
	w->owner = kvcalloc(w->nr_slots, sizeof(*w->owner), GFP_KERNEL);
	if (!w->state || !w->owner)
		goto err_free;

	/* Keep the first half, give the rest (at least one slot) to the pool. */
	keep = rebound ? 0 : w->nr_slots / 2;
	for (i = 0; i < w->nr_slots; i++) {
		if (i == 1 && slot1_pooled) {
			w->state[i] = VMQG_SLOT_POOL;	/* the probe gave it */
		} else if (i < keep) {
			w->state[i] = VMQG_SLOT_FREE;
		} else {
			w->state[i] = VMQG_SLOT_POOL;
			/* -EINVAL: the slot is in the pool already. */
			vmqg_window_hc_free(w, i);
		}
	}
	w->bound = true;
	pr_info("page window: %llu bytes at %pa, %u slots of %u bytes%s\n",
		w->size, &w->base, w->nr_slots, w->page_size,
		rebound ? " (taken over, all in the receive pool)" : "");
	mutex_unlock(&w->lock);
	return 0;

err_free:
	kvfree(w->state);
	kvfree(w->owner);
	w->state = NULL;
	w->owner = NULL;
out_unlock:
	mutex_unlock(&w->lock);
	return ret;
}

/* The device went away. The host keeps its binding (it has no unbind). */
void vmqg_window_unbind(void)
{
	struct vmqg_window *w = &vmqg_win;

	mutex_lock(&w->lock);
	w->bound = false;
	kvfree(w->state);
	kvfree(w->owner);
	w->state = NULL;
	w->owner = NULL;
	mutex_unlock(&w->lock);
}

bool vmqg_window_info(u64 *size, u32 *page_size)
{
	struct vmqg_window *w = &vmqg_win;
	bool bound;

	mutex_lock(&w->lock);
	bound = w->bound;
	*size = bound ? w->size : 0;
	*page_size = bound ? w->page_size : 0;
	mutex_unlock(&w->lock);
	return bound;
}

/* sysfs: "<size> <page size> <pool> <free> <owned>", or "none". */
ssize_t vmqg_window_show(char *buf)
{
	struct vmqg_window *w = &vmqg_win;
	u32 n[3] = {}, i;
	ssize_t len;

	mutex_lock(&w->lock);
	if (!w->bound) {
		mutex_unlock(&w->lock);
		return sysfs_emit(buf, "none\n");
	}
	for (i = 0; i < w->nr_slots; i++)
		n[w->state[i]]++;
	len = sysfs_emit(buf, "%llu %u %u %u %u\n", w->size, w->page_size,
			 n[VMQG_SLOT_POOL], n[VMQG_SLOT_FREE],
			 n[VMQG_SLOT_OWNED]);
	mutex_unlock(&w->lock);
	return len;
}

/*
 * Map the window, write-back cached like the RAM it is on the host: the
 * BAR is ordinary host memory that the host moves pages in and out of.
 */
int vmqg_window_mmap(struct vm_area_struct *vma)
{
	struct vmqg_window *w = &vmqg_win;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&w->lock);
	ret = w->bound ? vm_iomap_memory(vma, w->base, w->size) : -ENODEV;
	mutex_unlock(&w->lock);
	return ret;
}

/* The slot at @offset if @owner owns it, else -EINVAL. Under w->lock. */
static long vmqg_window_owned(struct vmqg_window *w, const void *owner,
			      u64 offset)
{
	u64 slot;

	if (!w->bound)
		return -ENODEV;
	if (!IS_ALIGNED(offset, w->page_size) || offset >= w->size)
		return -EINVAL;
	slot = offset / w->page_size;
	if (w->state[slot] != VMQG_SLOT_OWNED || w->owner[slot] != owner)
		return -EINVAL;
	return slot;
}

long vmqg_window_alloc(const void *owner, u64 *offset)
{
	struct vmqg_window *w = &vmqg_win;
	long ret = -ENODEV;
	u32 i;

	mutex_lock(&w->lock);
	if (!w->bound)
		goto out_unlock;
	ret = -ENOSPC;
	for (i = 0; i < w->nr_slots; i++) {
		if (w->state[i] != VMQG_SLOT_FREE)
			continue;
		w->state[i] = VMQG_SLOT_OWNED;
		w->owner[i] = owner;
		*offset = (u64)i * w->page_size;
		ret = 0;
		break;
	}
out_unlock:
	mutex_unlock(&w->lock);
	return ret;
}

/*
 * VMQ_HC_PAGE_SEND of a slot @owner owns. On success the slot holds a
 * zeroed page and is FREE; on failure it stays @owner's.
 */
long vmqg_window_send(const void *owner, u64 offset, u32 dest, u64 tag)
{
	struct vmqg_window *w = &vmqg_win;
	long slot, ret;

	mutex_lock(&w->lock);
	slot = vmqg_window_owned(w, owner, offset);
	ret = slot;
	if (slot < 0)
		goto out_unlock;
	ret = vmqg_hc(VMQ_HC_PAGE_SEND, dest, w->base + offset, tag, 0);
	if (!ret) {
		w->state[slot] = VMQG_SLOT_FREE;
		w->owner[slot] = NULL;
		vmqg_count(VMQG_CTR_PAGES_TX, 1);
	}
out_unlock:
	mutex_unlock(&w->lock);
	return ret;
}

long vmqg_window_free(const void *owner, u64 offset)
{
	struct vmqg_window *w = &vmqg_win;
	long slot, ret;

	mutex_lock(&w->lock);
	slot = vmqg_window_owned(w, owner, offset);
	ret = slot;
	if (slot < 0)
		goto out_unlock;
	ret = vmqg_window_hc_free(w, slot);
	if (!ret || ret == -EINVAL) {
		w->state[slot] = VMQG_SLOT_POOL;
		w->owner[slot] = NULL;
		ret = 0;
	}
out_unlock:
	mutex_unlock(&w->lock);
	return ret;
}

/*
 * A VMQ_MSG_PAGE record says a page landed at guest-physical @gpa: where
 * it is in the mapping (offset ~0 when it is no slot of our window).
 */
void vmqg_window_arrived(u64 gpa, u64 size, struct vmq_dev_page *out)
{
	struct vmqg_window *w = &vmqg_win;

	out->offset = ~0ULL;
	out->size = size;
	mutex_lock(&w->lock);
	if (w->bound && gpa >= w->base && gpa - w->base < w->size &&
	    IS_ALIGNED(gpa - w->base, w->page_size))
		out->offset = gpa - w->base;
	mutex_unlock(&w->lock);
}

/* The reader of that record, @owner, now holds the slot. */
void vmqg_window_take(const void *owner, const struct vmq_dev_page *pg)
{
	struct vmqg_window *w = &vmqg_win;
	u64 slot;

	mutex_lock(&w->lock);
	if (w->bound && pg->offset < w->size) {
		slot = pg->offset / w->page_size;
		w->state[slot] = VMQG_SLOT_OWNED;
		w->owner[slot] = owner;
		vmqg_count(VMQG_CTR_PAGES_RX, 1);
	}
	mutex_unlock(&w->lock);
}

/* @owner is closed: what it held goes to the receive pool. */
void vmqg_window_release(const void *owner)
{
	struct vmqg_window *w = &vmqg_win;
	u32 i;

	mutex_lock(&w->lock);
	for (i = 0; w->bound && i < w->nr_slots; i++) {
		if (w->state[i] != VMQG_SLOT_OWNED || w->owner[i] != owner)
			continue;
		vmqg_window_hc_free(w, i);
		w->state[i] = VMQG_SLOT_POOL;
		w->owner[i] = NULL;
	}
	mutex_unlock(&w->lock);
}
