// SPDX-License-Identifier: GPL-2.0
/*
 * window.c: page windows, and whole pages moved between VMs through them.
 * Layer: transfer (see vmq.h), between lazy sends (tx.c) and sending
 * (send.c), which delivers the page's record.
 *
 * A window is memory that vmq owns and a VMM maps (mmap of a window fd) and
 * registers as guest memory (a KVM memslot). It is an array of slots, each
 * backed by one 4 KiB page or one 2 MiB compound page. A guest binds the
 * window it sees at some guest-physical address (VMQ_HC_WINDOW_BIND); from
 * then on it may send the page in any slot it holds to another VM, and it
 * donates slots it does not need to its receive pool (VMQ_HC_PAGE_FREE).
 *
 * Sending swaps struct page pointers: the sender's page goes into a free
 * slot of the receiver's window, the receiver's free page comes back zeroed
 * into the sender's slot. No byte of the payload is copied. What makes this
 * safe is that neither guest can reach a page through a stale mapping:
 *
 *  - Each window has its own inode, so unmap_mapping_range() on a slot
 *    removes exactly the host PTEs that map that slot. It runs the mmu
 *    notifiers first, and KVM's invalidate_range_start zaps its second-level
 *    entries (NPT/EPT, or shadow page tables) and flushes the guest TLBs of
 *    every vCPU before it returns. A vCPU that touches the slot afterwards
 *    faults into KVM, which faults the host PTE back in through
 *    vmq_window_fault() and gets the new page.
 *  - vmq_window_fault() looks a slot up and locks the page under the window
 *    mutex, and hands the page to the core fault code locked. A swap holds
 *    the window mutex and both page locks, so a fault that raced with it
 *    either installed its PTE before the swap's zap (and the zap removes it)
 *    or looks the slot up after the swap.
 *  - The page handed to the sender was cleared while nothing but the window
 *    could reach it (see "Clearing" below).
 *
 * Clearing. A send must give its sender a zeroed page, and clearing 2 MiB
 * costs far more than the rest of a move, so sends take clearing off
 * their path: a slot that enters the receive pool (VMQ_HC_PAGE_FREE) is
 * "dirty" and clear_work clears it in the background; it becomes "clean"
 * once its page was zapped from every mapping, found exclusive (see
 * vmq_page_exclusive()) and cleared, with no fault on the slot since the
 * zap. Only a fault can map a window page again, and vmq_window_fault()
 * makes a pool slot dirty again (the donor, or its VMM, touched it), so a
 * clean slot is unmapped and zero: a send hands it out without zapping or
 * clearing it. Only when the receiver's pool holds no clean slot does a
 * send clear one itself, as every send did before (counted as
 * VMQ_STAT_SEND_CLEARS): never a spurious -EAGAIN. clear_work holds the
 * page lock while it clears, so a send that must take that very page
 * waits for the clear to end rather than handing out a page still being
 * written.
 *
 * Own bytes. A VM that bound its window with VMQ_WINDOW_OWN_BYTES accepts,
 * instead of a zeroed page, one that holds bytes it sent itself: the
 * pages of a stream from A to B go back and forth and need no clear at
 * all. A page may only go back to its last sender while it holds exactly
 * what that sender sent, so each slot remembers whose bytes its page holds
 * (@from: the sender's serial, set when the page lands there) and forgets
 * it on the first write through any mapping: the window's mappings are
 * write-notify mappings (a page_mkwrite handler), so a read maps a slot
 * read-only and the first write, by a vCPU through KVM, by the VMM, or by
 * any GUP for writing, goes through vmq_window_mkwrite() before it can
 * happen. A 2 MiB slot stays mapped by one PMD: a write to a read-only
 * PMD of a file mapping makes the core code unmap it ("splitting" a
 * file PMD creates no PTEs: __split_huge_pmd_locked()), and the write
 * faults again on an empty PMD, which do_set_pmd() maps whole, writable,
 * after vmq_window_mkwrite().
 * A freed slot that still knows its sender is unmapped by the free
 * itself and kept as "own" rather than cleared (clear_work does the same
 * for one it finds in that state), and that sender's next send takes it
 * back.
 * Slots kept for a sender that no longer sends do not starve the others:
 * a send that finds neither its own nor a clean slot clears one itself
 * and has clear_work clear the other kept ones (vmq_pool_unkeep()).
 *
 * Batches. Zapping a slot runs KVM's mmu notifier, which flushes the TLBs
 * of every vCPU of the VM. Page descriptors drained together from a
 * transmit ring go as one batch (vmq_page_send_batch()): every page is
 * swapped first, then each window's moved slots are zapped with as few
 * unmap_mapping_range() calls as their layout allows (one for adjacent
 * slots: see vmq_slots_zap()), which means one flush per VM, and only then
 * is each page checked for exclusivity and its record posted.
 *
 * 2 MiB windows keep 2 MiB compound pages: the core fault code maps a
 * compound page of PMD order with one PMD when the mapping is 2 MiB aligned
 * (do_set_pmd()), and KVM then maps the guest-physical range with one large
 * second-level entry (host_pfn_mapping_level()). See
 * Documentation/vmq/pages.rst for when it falls back to 4 KiB.
 *
 * Lock order: mmap_lock, window mutex (lower address first when two),
 * page locks, i_mmap_rwsem, KVM's mmu_lock; a receive queue's spinlock
 * nests inside the window mutexes. A batch holds the page locks of all its
 * pages, and clear_work those of the pages it clears: only holders of the
 * window mutex, or of nothing else, take the page locks of its pages, so
 * the order among them does not matter.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "events.h"
#include "guest_mem.h"
#include "kvm_hooks.h"
#include "send.h"
#include "trace.h"
#include "vm.h"
#include "window.h"
#include "xlate.h"

#define VMQ_WINDOW_FS_MAGIC	0x564d5157	/* "VMQW" */
/* Largest window: bounds the slot arrays and one VMM's single allocation. */
#define VMQ_WINDOW_MAX		BIT_ULL(32)

struct vmq_window {
	struct mutex lock;		/* slots, pages, binding */
	struct inode *inode;		/* own address space: zaps hit only us */
	struct file *file;
	u64 size;
	unsigned int order;		/* of each slot's page: 0 or PMD order */
	u32 nr_slots;
	u32 nr_free;
	/* Binding: written once under @lock, read with READ_ONCE after. */
	u32 bound_id;			/* VM whose window this is, 0: none */
	u64 gpa;			/* where that VM sees slot 0 */
	struct page **pages;		/* one (head) page per slot */
	u32 *charge;			/* VM charged for a page in flight */
	unsigned long *free;		/* slots in the receive pool */
	/* Pool slots: dirty ones wait for clear_work, clean ones are ready. */
	unsigned long *dirty;
	unsigned long *clean;
	unsigned long *own;		/* pool slots kept for @from's sender */
	u64 *from;			/* serial of the VM whose bytes it holds */
	bool own_bytes;			/* the bound VM takes its bytes back */
	struct work_struct clear_work;
};

/*
 * Slots zapped with one unmap_mapping_range() although up to this many
 * unmoved slots lie between them: those are only faulted in again on their
 * next access, which costs less than another TLB flush of every vCPU.
 */
#define VMQ_ZAP_GAP		16

static struct vfsmount *vmq_window_mnt;

static u64 vmq_slot_bytes(const struct vmq_window *w)
{
	return PAGE_SIZE << w->order;
}

static void vmq_slot_zap(struct vmq_window *w, u32 first, u32 nr)
{
	unmap_mapping_range(w->inode->i_mapping,
			    (loff_t)first * vmq_slot_bytes(w),
			    (loff_t)nr * vmq_slot_bytes(w), 1);
}

static int vmq_u32_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Zap the @nr slots in @slots (sorted here) from every mapping of @w. Each
 * unmap_mapping_range() call runs KVM's mmu notifier once per mapping of
 * the window, and each of those zaps and flushes the TLBs of all the VM's
 * vCPUs if it found anything mapped: so slots no further apart than
 * VMQ_ZAP_GAP share one call, and a batch of adjacent slots costs one
 * flush.
 */
static void vmq_slots_zap(struct vmq_window *w, u32 *slots, unsigned int nr)
{
	unsigned int i, first;

	if (!nr)
		return;
	sort(slots, nr, sizeof(*slots), vmq_u32_cmp, NULL);
	for (first = 0, i = 1; i <= nr; i++) {
		if (i < nr && slots[i] - slots[i - 1] <= VMQ_ZAP_GAP + 1)
			continue;
		vmq_slot_zap(w, slots[first], slots[i - 1] - slots[first] + 1);
		first = i;
	}
}

static void vmq_slot_clear(struct vmq_window *w, struct page *page)
{
	unsigned int i;

	for (i = 0; i < (1U << w->order); i++) {
		clear_highpage(page + i);
		if (w->order)
			cond_resched();
	}
}

/*
 * Whether @page, whose slot mappings were just zapped, can be reached only
 * through its window. A window holds exactly one reference on each slot's
 * page (the head page of a 2 MiB one), and every host PTE or PMD that maps
 * it holds another; the zap dropped those. Anything left is a way in that
 * the zap did not close and that would survive the move: a GUP pin or
 * reference (O_DIRECT I/O in flight, a vmsplice()d pipe buffer, VFIO DMA,
 * KVM's own kvm_vcpu_map() of a nested guest's VMCB/VMCS page), or a
 * mapping that is not the window's. Rings are never pinned on window pages
 * (guest_mem.c refuses them), so vmq's own pins never stand in the way.
 *
 * The caller holds the page lock and the window mutex, which keep the
 * window's fault handler from handing the page out again; GUP-fast may
 * still take and drop a speculative reference, which only makes this
 * answer "no" spuriously, never "yes" wrongly: it rechecks the PTE it
 * read, and that is gone.
 */
static bool vmq_page_exclusive(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_ref_count(folio) == 1 && !folio_mapped(folio) &&
	       !folio_maybe_dma_pinned(folio);
}

static struct page *vmq_page_alloc(unsigned int order)
{
	/* Charged to the memory cgroup of whoever creates the window. */
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	struct page *page;

	if (order)
		gfp |= __GFP_COMP | __GFP_RETRY_MAYFAIL;
	page = alloc_pages(gfp, order);
	if (page)
		vmq_page_set_movable(page, true);
	return page;
}

/* The in-flight charge of a page ends (freed, forwarded, receiver gone). */
static void vmq_uncharge(u32 id)
{
	struct vmq_vm *vm;

	if (!id)
		return;
	atomic64_dec(&vmq_stats[VMQ_STAT_PAGES_IN_FLIGHT]);
	vm = vmq_vm_get(id);
	if (vm) {
		atomic_dec(&vm->pages_in_flight);
		vmq_vm_put(vm);
	}
}

/*
 * Receive pool. Each pool slot is in exactly one state: dirty (clear_work
 * will clear it), clean (cleared and unmapped since: a send may hand its
 * page out as it is), own (unmapped since, and holding exactly the bytes
 * that the VM named by @from sent: a send of that VM may take it back as
 * it is, see "Own bytes"), or none while clear_work clears it or after
 * clear_work found its page referenced by someone else (a send still takes
 * it when nothing better is left, clearing it itself). All under w->lock.
 */
static void vmq_pool_dirty(struct vmq_window *w, u32 slot)
{
	if (__test_and_clear_bit(slot, w->clean))
		atomic64_sub(1 << w->order, &vmq_stats[VMQ_STAT_POOL_CLEAN_PAGES]);
	if (__test_and_clear_bit(slot, w->own))
		atomic64_sub(1 << w->order, &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
	if (!__test_and_set_bit(slot, w->dirty))
		queue_work(vmq_wq, &w->clear_work);
}

static void vmq_pool_add(struct vmq_window *w, u32 slot)
{
	__set_bit(slot, w->free);
	w->nr_free++;
	vmq_pool_dirty(w, slot);
}

/*
 * Into the pool, a slot whose page holds what its sender sent, unwritten
 * (@from): it needs no clear, only unmapping, which costs no more than a
 * send's own zap. Done here and now, the slot is ready for that sender at
 * once, instead of after clear_work ran, while the sender met a full
 * pool. Anything else still reaching the page makes it an ordinary dirty
 * slot.
 */
static void vmq_pool_add_own(struct vmq_window *w, u32 slot)
{
	struct page *page = w->pages[slot];

	__set_bit(slot, w->free);
	w->nr_free++;
	lock_page(page);
	vmq_slot_zap(w, slot, 1);
	if (vmq_page_exclusive(page)) {
		__set_bit(slot, w->own);
		atomic64_add(1 << w->order, &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
	} else {
		vmq_pool_dirty(w, slot);
	}
	unlock_page(page);
}

/* Back into the pool after a failed move, in the state it was taken in. */
static void vmq_pool_return(struct vmq_window *w, u32 slot,
			    enum vmq_pool_state state)
{
	__set_bit(slot, w->free);
	w->nr_free++;
	switch (state) {
	case VMQ_POOL_CLEAN:
		__set_bit(slot, w->clean);
		atomic64_add(1 << w->order,
			     &vmq_stats[VMQ_STAT_POOL_CLEAN_PAGES]);
		break;
	case VMQ_POOL_OWN:
		__set_bit(slot, w->own);
		atomic64_add(1 << w->order, &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
		break;
	default:
		vmq_pool_dirty(w, slot);
	}
}

/* Take @slot out of the pool; the state it was in. */
static enum vmq_pool_state vmq_pool_take(struct vmq_window *w, u32 slot)
{
	enum vmq_pool_state state = VMQ_POOL_UNCLEAN;

	if (__test_and_clear_bit(slot, w->clean)) {
		atomic64_sub(1 << w->order, &vmq_stats[VMQ_STAT_POOL_CLEAN_PAGES]);
		state = VMQ_POOL_CLEAN;
	} else if (__test_and_clear_bit(slot, w->own)) {
		atomic64_sub(1 << w->order, &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
		state = VMQ_POOL_OWN;
	}
	__clear_bit(slot, w->dirty);
	__clear_bit(slot, w->free);
	w->nr_free--;
	return state;
}

/* Own slots a send looks at for one of its own before taking a clean one. */
#define VMQ_OWN_SCAN		16

/*
 * The pages kept in @w's pool, but @keep's, serve no sender that sends:
 * make them dirty, for clear_work to clear. Only those kept until now:
 * one kept later may be for a sender that is sending.
 */
static void vmq_pool_unkeep(struct vmq_window *w, unsigned long keep)
{
	unsigned long s;

	for_each_set_bit(s, w->own, w->nr_slots) {
		if (s == keep)
			continue;
		w->from[s] = 0;
		vmq_pool_dirty(w, s);
	}
}

/*
 * The pool slot of @wr whose page goes back to @src, a sender into @wr:
 * one kept for @src if @src takes its own bytes back, else a clean one,
 * else one that the send clears itself, preferring one already unmapped.
 * Only in that last case are the other kept slots cleared in the
 * background (vmq_pool_unkeep()).
 */
static long vmq_pool_pick(struct vmq_window *ws, struct vmq_window *wr,
			  const struct vmq_vm *src)
{
	unsigned int scanned = 0;
	unsigned long r;

	if (ws->own_bytes) {
		for_each_set_bit(r, wr->own, wr->nr_slots) {
			if (wr->from[r] == src->serial)
				return r;
			if (++scanned == VMQ_OWN_SCAN)
				break;
		}
	}
	r = find_first_bit(wr->clean, wr->nr_slots);
	if (r < wr->nr_slots)
		return r;
	r = find_first_bit(wr->own, wr->nr_slots);
	if (r < wr->nr_slots) {
		vmq_pool_unkeep(wr, r);
		return r;
	}
	r = find_first_bit(wr->free, wr->nr_slots);
	return r < wr->nr_slots ? r : -EAGAIN;
}

/* Slots clear_work takes at a time: one zap, so one TLB flush, for all. */
#define VMQ_CLEAR_BATCH		16

/*
 * Clear the dirty slots of a window's receive pool, in process context,
 * off every send's path. A slot's page is zapped from every mapping and
 * proven exclusive under the window mutex and its page lock; the clear
 * runs with only the page lock held (a fault or a send that needs the
 * page waits for it, any other send goes on); the slot becomes clean only
 * if it is still in the pool, backed by the same page, and no fault made
 * it dirty again meanwhile.
 */
static void vmq_window_clear_work(struct work_struct *work)
{
	struct vmq_window *w = container_of(work, struct vmq_window,
					    clear_work);
	struct page *pages[VMQ_CLEAR_BATCH];
	u32 slots[VMQ_CLEAR_BATCH], zap[VMQ_CLEAR_BATCH];
	unsigned int i, n, kept;
	unsigned long s;

	do {
		mutex_lock(&w->lock);
		n = 0;
		for_each_set_bit(s, w->dirty, w->nr_slots) {
			__clear_bit(s, w->dirty);
			slots[n] = s;
			zap[n] = s;
			pages[n] = w->pages[s];
			lock_page(pages[n]);
			if (++n == VMQ_CLEAR_BATCH)
				break;
		}
		vmq_slots_zap(w, zap, n);
		for (i = kept = 0; i < n; i++) {
			if (!vmq_page_exclusive(pages[i])) {
				/* Someone else still reaches it: not clean. */
				unlock_page(pages[i]);
			} else if (w->from[slots[i]]) {
				/* Unwritten since it came: kept for its sender. */
				__set_bit(slots[i], w->own);
				atomic64_add(1 << w->order,
					     &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
				unlock_page(pages[i]);
			} else {
				slots[kept] = slots[i];
				pages[kept++] = pages[i];
			}
		}
		mutex_unlock(&w->lock);

		for (i = 0; i < kept; i++) {
			vmq_slot_clear(w, pages[i]);
			unlock_page(pages[i]);
		}

		mutex_lock(&w->lock);
		for (i = 0; i < kept; i++) {
			s = slots[i];
			if (w->pages[s] != pages[i] || !test_bit(s, w->free) ||
			    test_bit(s, w->dirty))
				continue;
			__set_bit(s, w->clean);
			atomic64_add(1 << w->order,
				     &vmq_stats[VMQ_STAT_POOL_CLEAN_PAGES]);
		}
		mutex_unlock(&w->lock);
		cond_resched();
	} while (n == VMQ_CLEAR_BATCH);
}

/* Give back a window's slots and their pages; it is empty again. */
static void vmq_window_depopulate(struct vmq_window *w)
{
	u32 i;

	for (i = 0; w->pages && i < w->nr_slots; i++) {
		if (w->charge)
			vmq_uncharge(w->charge[i]);
		if (w->clean && test_bit(i, w->clean))
			atomic64_sub(1 << w->order,
				     &vmq_stats[VMQ_STAT_POOL_CLEAN_PAGES]);
		if (w->own && test_bit(i, w->own))
			atomic64_sub(1 << w->order,
				     &vmq_stats[VMQ_STAT_POOL_OWN_PAGES]);
		if (w->pages[i]) {
			vmq_page_set_movable(w->pages[i], false);
			put_page(w->pages[i]);
			atomic64_sub(1 << w->order,
				     &vmq_stats[VMQ_STAT_WINDOW_PAGES]);
		}
	}
	bitmap_free(w->own);
	bitmap_free(w->clean);
	bitmap_free(w->dirty);
	bitmap_free(w->free);
	kvfree(w->from);
	kvfree(w->charge);
	kvfree(w->pages);
	w->own = NULL;
	w->from = NULL;
	w->clean = NULL;
	w->dirty = NULL;
	w->free = NULL;
	w->charge = NULL;
	w->pages = NULL;
	w->nr_slots = 0;
	w->size = 0;
}

static void vmq_window_free(struct vmq_window *w)
{
	/* Nothing queues it any more: no binding, no mapping, no file. */
	cancel_work_sync(&w->clear_work);
	vmq_window_depopulate(w);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_WINDOWS]);
	kfree(w);
}

static int vmq_window_release(struct inode *inode, struct file *file)
{
	vmq_window_free(file->private_data);
	return 0;
}

static vm_fault_t vmq_window_fault(struct vm_fault *vmf)
{
	struct vmq_window *w = vmf->vma->vm_file->private_data;
	u32 slot = vmf->pgoff >> w->order;
	struct page *page;

	if (vmf->pgoff >= w->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	/* A swap holds the mutex and the page lock: see the top of the file. */
	mutex_lock(&w->lock);
	/*
	 * A pool slot that is touched again (by its donor's vCPUs or its
	 * VMM) may be written: no longer clean, it is cleared again before a
	 * send hands it out.
	 */
	if (test_bit(slot, w->free))
		vmq_pool_dirty(w, slot);
	page = w->pages[slot] + (vmf->pgoff & ((1UL << w->order) - 1));
	get_page(page);
	lock_page(page);
	mutex_unlock(&w->lock);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * The first write to a slot's page through a mapping (a read maps it
 * read-only: see "Own bytes"). The page may have moved on since the fault
 * that mapped it: then the access faults again and finds the new one.
 */
static vm_fault_t vmq_window_mkwrite(struct vm_fault *vmf)
{
	struct vmq_window *w = vmf->vma->vm_file->private_data;
	u32 slot = vmf->pgoff >> w->order;

	mutex_lock(&w->lock);
	if (vmf->pgoff >= w->size >> PAGE_SHIFT ||
	    w->pages[slot] != compound_head(vmf->page)) {
		mutex_unlock(&w->lock);
		return VM_FAULT_NOPAGE;
	}
	/* Its bytes are no longer only what its sender sent. */
	w->from[slot] = 0;
	lock_page(vmf->page);
	mutex_unlock(&w->lock);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct vmq_window_vm_ops = {
	.fault = vmq_window_fault,
	.page_mkwrite = vmq_window_mkwrite,
};

/* An empty window: no slots until vmq_window_populate(). */
static struct vmq_window *vmq_window_alloc(unsigned int order)
{
	struct vmq_window *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return NULL;
	mutex_init(&w->lock);
	INIT_WORK(&w->clear_work, vmq_window_clear_work);
	w->order = order;
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_WINDOWS]);
	return w;
}

static bool vmq_window_size_ok(u64 size, unsigned int order)
{
	return size && size <= VMQ_WINDOW_MAX &&
	       IS_ALIGNED(size, PAGE_SIZE << order);
}

/* Give an empty window @size bytes of slots, all held by the guest. */
static int vmq_window_populate(struct vmq_window *w, u64 size)
{
	u32 i;

	if (!vmq_window_size_ok(size, w->order))
		return -EINVAL;
	w->nr_slots = size >> (PAGE_SHIFT + w->order);
	w->pages = kvcalloc(w->nr_slots, sizeof(*w->pages), GFP_KERNEL_ACCOUNT);
	w->charge = kvcalloc(w->nr_slots, sizeof(*w->charge),
			     GFP_KERNEL_ACCOUNT);
	w->free = bitmap_zalloc(w->nr_slots, GFP_KERNEL_ACCOUNT);
	w->dirty = bitmap_zalloc(w->nr_slots, GFP_KERNEL_ACCOUNT);
	w->clean = bitmap_zalloc(w->nr_slots, GFP_KERNEL_ACCOUNT);
	w->own = bitmap_zalloc(w->nr_slots, GFP_KERNEL_ACCOUNT);
	w->from = kvcalloc(w->nr_slots, sizeof(*w->from), GFP_KERNEL_ACCOUNT);
	if (!w->pages || !w->charge || !w->free || !w->dirty || !w->clean ||
	    !w->own || !w->from)
		goto err_depopulate;
	for (i = 0; i < w->nr_slots; i++) {
		w->pages[i] = vmq_page_alloc(w->order);
		if (!w->pages[i])
			goto err_depopulate;
		atomic64_add(1 << w->order, &vmq_stats[VMQ_STAT_WINDOW_PAGES]);
		if (fatal_signal_pending(current))
			goto err_depopulate;
		cond_resched();
	}
	w->size = size;
	w->inode->i_size = size;
	return 0;

err_depopulate:
	vmq_window_depopulate(w);
	return -ENOMEM;
}

static int vmq_window_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmq_window *w = file->private_data;
	unsigned long pages;
	int ret = 0;

	/* A private mapping would copy on write: pages must stay ours. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* A window node's first mapping, from offset 0, sizes its window. */
	mutex_lock(&w->lock);
	if (!w->size)
		ret = vma->vm_pgoff ? -EINVAL :
		      vmq_window_populate(w, vma->vm_end - vma->vm_start);
	pages = w->size >> PAGE_SHIFT;
	mutex_unlock(&w->lock);
	if (ret)
		return ret;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;
	/* VM_DONTEXPAND also keeps mlock() and mremap() growth away. */
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &vmq_window_vm_ops;
	return 0;
}

static const struct file_operations vmq_window_fops = {
	.owner = THIS_MODULE,
	.mmap = vmq_window_mmap,
	/* 2 MiB windows want 2 MiB aligned mappings for PMD mappings. */
	.get_unmapped_area = thp_get_unmapped_area,
	.release = vmq_window_release,
	.llseek = no_llseek,
};

/* VMQ_IOC_WINDOW_CREATE: a new window, as a file descriptor to mmap. */
long vmq_window_create_fd(u64 size, u32 page_size, u32 flags)
{
	struct vmq_window *w;
	struct inode *inode;
	struct file *file;
	unsigned int order;
	int fd, ret;

	if (page_size == PAGE_SIZE)
		order = 0;
	else if (page_size == HPAGE_PMD_SIZE)
		order = HPAGE_PMD_ORDER;
	else
		return -EINVAL;
	if (flags || !vmq_window_size_ok(size, order))
		return -EINVAL;

	w = vmq_window_alloc(order);
	if (!w)
		return -ENOMEM;
	inode = alloc_anon_inode(vmq_window_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_free;
	}
	w->inode = inode;
	ret = vmq_window_populate(w, size);
	if (ret)
		goto err_iput;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_iput;
	}
	/* The file's f_op pins the module; __fput() drops this reference. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, vmq_window_mnt, "[vmq-window]",
				 O_RDWR, &vmq_window_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	file->private_data = w;
	w->file = file;
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_iput:
	iput(inode);
err_free:
	vmq_window_free(w);
	return ret;
}

/* VMQ_IOC_WINDOW_CREATE, on /dev/vmq and on VM handles alike. */
long vmq_window_create_ioctl(struct vmq_window_create __user *uarg)
{
	struct vmq_window_create wc;
	long fd;

	if (copy_from_user(&wc, uarg, sizeof(wc)))
		return -EFAULT;
	if (wc.reserved)
		return -EINVAL;
	fd = vmq_window_create_fd(wc.size, wc.page_size, wc.flags);
	if (fd < 0)
		return fd;
	/* The fd is installed: on a fault here the caller still owns it. */
	if (put_user((s32)fd, &uarg->fd))
		return -EFAULT;
	return 0;
}

/*
 * VMQ_HC_WINDOW_BIND: the window the caller sees at @gpa becomes its page
 * window. The whole window must be mapped by one vma of the VMM, from its
 * start, and registered in one writable memslot.
 */
long vmq_window_bind(struct vmq_vm *vm, struct kvm_vcpu *vcpu, u64 gpa,
		     u64 size, u64 bind_flags)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memory_slot *ms;
	struct vm_area_struct *vma;
	struct vmq_window *w;
	unsigned long hva, flags;
	long ret;

	if (!PAGE_ALIGNED(gpa) || !size || size > VMQ_WINDOW_MAX ||
	    gpa + size < gpa || (bind_flags & ~VMQ_WINDOW_OWN_BYTES))
		return -EINVAL;
	/*
	 * Watch memslot changes before looking at the memslot, so that none
	 * can slip in between the check below and the binding.
	 */
	vmq_kvm_track_memslots(&vm->hook);
	ms = gfn_to_memslot(kvm, gpa_to_gfn(gpa));
	if (!ms || ms != gfn_to_memslot(kvm, gpa_to_gfn(gpa + size - 1)) ||
	    (ms->flags & KVM_MEM_READONLY))
		return -EFAULT;
	hva = __gfn_to_hva_memslot(ms, gpa_to_gfn(gpa));
	if (kvm->mm != current->mm)
		return -EFAULT;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, hva);
	ret = -EFAULT;
	if (!vma || vma->vm_ops != &vmq_window_vm_ops)
		goto out_unlock;
	w = vma->vm_file->private_data;
	ret = -EINVAL;
	if (hva != vma->vm_start || vma->vm_pgoff ||
	    vma->vm_end - vma->vm_start != w->size || size != w->size ||
	    !IS_ALIGNED(gpa, vmq_slot_bytes(w)))
		goto out_unlock;

	mutex_lock(&w->lock);
	spin_lock_irqsave(&vm->lock, flags);
	ret = -EBUSY;
	if (!vm->window && !w->bound_id) {
		w->gpa = gpa;
		w->own_bytes = bind_flags & VMQ_WINDOW_OWN_BYTES;
		WRITE_ONCE(w->bound_id, vm->id);
		get_file(w->file);
		/* Readers without vm->lock: vmq_page_send(), vmq_page_free(). */
		smp_store_release(&vm->window, w);
		ret = 0;
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	mutex_unlock(&w->lock);
out_unlock:
	mmap_read_unlock(current->mm);
	return ret;
}

/*
 * The VM is gone: its window keeps its pages (the VMM may still map it) but
 * belongs to no VM, and what it received is no longer in flight.
 */
void vmq_window_unbind(struct vmq_vm *vm)
{
	struct vmq_window *w;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&vm->lock, flags);
	w = vm->window;
	WRITE_ONCE(vm->window, NULL);
	spin_unlock_irqrestore(&vm->lock, flags);
	if (!w)
		return;
	mutex_lock(&w->lock);
	WRITE_ONCE(w->bound_id, 0);
	w->own_bytes = false;
	for (i = 0; i < w->nr_slots; i++) {
		vmq_uncharge(w->charge[i]);
		w->charge[i] = 0;
	}
	mutex_unlock(&w->lock);
	fput(w->file);
}

/* @vm's window with a reference on its file, or NULL. */
static struct vmq_window *vmq_vm_window(struct vmq_vm *vm)
{
	struct vmq_window *w;
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	w = vm->window;
	if (w)
		get_file(w->file);
	spin_unlock_irqrestore(&vm->lock, flags);
	return w;
}

/* The slot of @w that the bound VM sees at @gpa, or -EINVAL. */
static long vmq_window_slot(struct vmq_window *w, u64 gpa)
{
	u64 off = gpa - w->gpa;

	if (gpa < w->gpa || off >= w->size ||
	    !IS_ALIGNED(off, vmq_slot_bytes(w)))
		return -EINVAL;
	return off >> (PAGE_SHIFT + w->order);
}

static void vmq_window_lock_two(struct vmq_window *a, struct vmq_window *b)
{
	if (a == b) {
		mutex_lock(&a->lock);
	} else if (a < b) {
		mutex_lock(&a->lock);
		mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	} else {
		mutex_lock(&b->lock);
		mutex_lock_nested(&a->lock, SINGLE_DEPTH_NESTING);
	}
}

static void vmq_window_unlock_two(struct vmq_window *a, struct vmq_window *b)
{
	if (a != b)
		mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
}

/*
 * Take one of @src's VMQ_A_QUOTA_MAX_PAGES before moving a page, so that
 * concurrent senders of one VM cannot pass the quota together.
 */
static bool vmq_pages_reserve(struct vmq_vm *src)
{
	u32 quota = READ_ONCE(src->quota_max_pages);
	int n = atomic_read(&src->pages_in_flight);

	do {
		if (quota && n >= quota)
			return false;
	} while (!atomic_try_cmpxchg(&src->pages_in_flight, &n, n + 1));
	return true;
}

/*
 * The second half of one move of a batch: the page of @q->s (the sender's
 * slot in @ws) is in @q->r of @wr and @wr's free page in @q->s, both slots
 * zapped, both pages locked. Prove that nothing else reaches either page
 * (see vmq_page_exclusive()), give the receiver its record and clear the
 * sender's new page unless it came out of the pool clean, or holding what
 * the sender itself sent; or put both back.
 */
static long vmq_page_finish(struct vmq_vm *src, struct vmq_vm *dest,
			    struct vmq_window *ws, struct vmq_window *wr,
			    struct vmq_page_req *q)
{
	u64 sgpa = ws->gpa + (u64)q->s * vmq_slot_bytes(ws);
	struct vmq_page_msg msg = {
		.gpa = wr->gpa + (u64)q->r * vmq_slot_bytes(wr),
		.size = vmq_slot_bytes(wr),
	};
	bool pr_alone = vmq_page_exclusive(q->pr);
	long ret = -EBUSY;

	if (vmq_page_exclusive(q->ps) && pr_alone)
		ret = vmq_post(dest, VMQ_MSG_PAGE, src->id, q->tag, &msg,
			       sizeof(msg));
	if (ret) {
		/*
		 * Nobody could map either slot meanwhile: we hold the mutexes.
		 * The next access faults the same pages back in. The free page
		 * is in the state it was if nothing else reaches it.
		 */
		ws->pages[q->s] = q->ps;
		wr->pages[q->r] = q->pr;
		vmq_pool_return(wr, q->r,
				pr_alone ? q->state : VMQ_POOL_UNCLEAN);
		atomic_dec(&src->pages_in_flight);
		if (ret != -EAGAIN)
			vmq_event(VMQ_EVENT_DROP, src->id, dest->id, ret);
		return ret;
	}
	/* The receiver's pool had no clean slot: the fallback, as before. */
	if (q->clear) {
		vmq_slot_clear(ws, q->pr);
		atomic64_inc(&vmq_stats[VMQ_STAT_SEND_CLEARS]);
	} else if (q->state == VMQ_POOL_OWN) {
		atomic64_inc(&vmq_stats[VMQ_STAT_OWN_RETURNS]);
	}
	/*
	 * Whose bytes each page holds now (see "Own bytes"): the receiver's
	 * only what @src sent, if @src takes its own bytes back; the sender's
	 * new one nobody's in particular.
	 */
	wr->from[q->r] = ws->own_bytes ? src->serial : 0;
	ws->from[q->s] = 0;
	/* Should either slot hold a guest page table, its caches must know. */
	vmq_xlate_host_write(src, gpa_to_gfn(sgpa),
			     vmq_slot_bytes(ws) >> PAGE_SHIFT);
	vmq_xlate_host_write(dest, gpa_to_gfn(msg.gpa), msg.size >> PAGE_SHIFT);

	trace_vmq_page_move(src->id, dest->id, sgpa, msg.gpa, msg.size,
			    q->tag);
	/* The page is in flight, charged to its latest sender. */
	vmq_uncharge(ws->charge[q->s]);
	ws->charge[q->s] = 0;
	wr->charge[q->r] = src->id;	/* src->pages_in_flight: reserved */
	atomic64_inc(&vmq_stats[VMQ_STAT_PAGES_IN_FLIGHT]);
	return 0;
}

/*
 * Whether @s, a slot of @ws, is already in the first @n moves of @req:
 * sent (the second send of a slot must see the first one's outcome), or,
 * when the sender sends to itself, just received (its page is locked).
 */
static bool vmq_batch_has(struct vmq_page_req *req, unsigned int n,
			  struct vmq_window *ws, struct vmq_window *wr, u32 s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (req[i].ps && (req[i].s == s || (ws == wr && req[i].r == s)))
			return true;
	return false;
}

/*
 * Move the pages of @req[0..@n) whose ret is still 0, in order, with both
 * windows locked: swap each page with a free one of the receiver's pool
 * (a clean one if there is one), zap the sender's slots with one
 * invalidation per run of nearby slots (and the receiver's slots that were
 * not clean), then finish each move. Stops before a slot that is already
 * in the batch; returns how many requests it consumed.
 */
static unsigned int vmq_page_batch_locked(struct vmq_vm *src,
					  struct vmq_vm *dest,
					  struct vmq_window *ws,
					  struct vmq_window *wr,
					  struct vmq_page_req *req,
					  unsigned int n)
{
	u32 zs[VMQ_PAGE_BATCH_MAX], zr[VMQ_PAGE_BATCH_MAX];
	unsigned int i, nzs = 0, nzr = 0;
	struct vmq_page_req *q;
	long s, r;

	for (i = 0; i < n; i++) {
		q = &req[i];
		q->ps = NULL;
		if (q->ret)
			continue;
		s = vmq_window_slot(ws, q->gpa);
		if (s >= 0 && vmq_batch_has(req, i, ws, wr, s))
			break;
		if (s < 0 || test_bit(s, ws->free)) {
			q->ret = s < 0 ? s : -EINVAL;
			vmq_event(VMQ_EVENT_DROP, src->id, dest->id, q->ret);
			continue;
		}
		if (!vmq_pages_reserve(src)) {
			/* Counted as VMQ_CTR_ERR_QUOTA by the caller. */
			vmq_event(VMQ_EVENT_QUOTA, src->id, dest->id, -ENOSPC);
			q->ret = -ENOSPC;
			continue;
		}
		r = vmq_pool_pick(ws, wr, src);
		if (r < 0) {
			atomic_dec(&src->pages_in_flight);
			q->ret = r;
			continue;
		}
		q->s = s;
		q->r = r;
		q->state = vmq_pool_take(wr, r);
		/* A kept page is as good as a clean one for its sender only. */
		q->clear = q->state == VMQ_POOL_UNCLEAN ||
			   (q->state == VMQ_POOL_OWN &&
			    (!ws->own_bytes || wr->from[r] != src->serial));
		q->ps = ws->pages[s];
		q->pr = wr->pages[r];
		/* clear_work holds an unclean page's lock while it clears. */
		lock_page(q->ps);
		lock_page(q->pr);
		ws->pages[s] = q->pr;
		wr->pages[r] = q->ps;
		zs[nzs++] = s;
		if (q->state == VMQ_POOL_UNCLEAN)
			zr[nzr++] = r;
	}

	/*
	 * After these, no vCPU of either VM (and no other user of either
	 * mapping) reaches a sender's page through its slot or a receiver's
	 * free page through its own: KVM has zapped and flushed, once per
	 * call. A clean or own slot needs no zap: nothing mapped it since
	 * clear_work zapped it, or it would be dirty again.
	 */
	vmq_slots_zap(ws, zs, nzs);
	vmq_slots_zap(wr, zr, nzr);

	n = i;
	for (i = 0; i < n; i++) {
		q = &req[i];
		if (!q->ps)
			continue;
		q->ret = vmq_page_finish(src, dest, ws, wr, q);
		unlock_page(q->pr);
		unlock_page(q->ps);
	}
	return n;
}

static void vmq_page_reqs_fail(struct vmq_page_req *req, unsigned int n,
			       long err)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!req[i].ret)
			req[i].ret = err;
}

/*
 * VMQ_HC_PAGE_SEND of each of @req[0..@n) (n <= VMQ_PAGE_BATCH_MAX), in
 * order, to @dest_id: each ends as that hypercall would have (@req[i].ret),
 * but the batch costs one invalidation of the sender's window mapping per
 * run of nearby slots, not one per page (see vmq_slots_zap()).
 */
void vmq_page_send_batch(struct vmq_vm *src, u64 dest_id,
			 struct vmq_page_req *req, unsigned int n)
{
	struct vmq_window *ws, *wr;
	struct vmq_vm *dest;
	unsigned int i;

	if (WARN_ON_ONCE(n > VMQ_PAGE_BATCH_MAX)) {
		vmq_page_reqs_fail(req, n, -EINVAL);
		return;
	}
	for (i = 0; i < n; i++)
		req[i].ret = 0;
	/* A memslot change may unbind it meanwhile: hold the file. */
	ws = vmq_vm_window(src);
	if (!ws) {
		vmq_page_reqs_fail(req, n, -ENOTCONN);
		return;
	}
	for (i = 0; i < n; i++)
		if (vmq_window_slot(ws, req[i].gpa) < 0)
			req[i].ret = -EINVAL;
	dest = vmq_dest_get(src, dest_id);
	if (IS_ERR(dest)) {
		vmq_page_reqs_fail(req, n, PTR_ERR(dest));
		goto out_put_own;
	}
	wr = vmq_vm_window(dest);
	if (!wr) {
		vmq_page_reqs_fail(req, n, -ENOTCONN);
		goto out_put_vm;
	}
	if (wr->order != ws->order) {
		vmq_page_reqs_fail(req, n, -EMSGSIZE);
		goto out_put_window;
	}

	vmq_window_lock_two(ws, wr);
	/*
	 * Both still bound (a memslot change unbinds), and the slots looked
	 * up where the window is bound now.
	 */
	if (READ_ONCE(ws->bound_id) != src->id ||
	    READ_ONCE(wr->bound_id) != dest->id) {
		for (i = 0; i < n; i++) {
			if (req[i].ret)
				continue;
			req[i].ret = -ENOTCONN;
			vmq_event(VMQ_EVENT_DROP, src->id, dest->id, -ENOTCONN);
		}
	} else {
		for (i = 0; i < n; )
			i += vmq_page_batch_locked(src, dest, ws, wr, req + i,
						   n - i);
	}
	vmq_window_unlock_two(ws, wr);
	for (i = 0; i < n; i++) {
		if (req[i].ret)
			continue;
		vmq_count(src, VMQ_CTR_PAGES_TX, 1);
		vmq_count(dest, VMQ_CTR_PAGES_RX, 1);
	}
out_put_window:
	fput(wr->file);
out_put_vm:
	vmq_vm_put(dest);
out_put_own:
	fput(ws->file);
}

/* VMQ_HC_PAGE_SEND: move the page at @gpa of the caller's window to @dest. */
long vmq_page_send(struct vmq_vm *src, u64 dest_id, u64 gpa, u64 tag)
{
	struct vmq_page_req req = { .gpa = gpa, .tag = tag };

	vmq_page_send_batch(src, dest_id, &req, 1);
	return req.ret;
}

/*
 * VMQ_HC_PAGE_FREE: the caller gives the slot at @gpa to its receive pool.
 * Its contents are gone from then on: the next page sent to the caller may
 * land there, and whatever page is there now is cleared before anyone else
 * sees it.
 */
long vmq_page_free(struct vmq_vm *vm, u64 gpa)
{
	struct vmq_window *w = vmq_vm_window(vm);
	long s, ret;

	if (!w)
		return -ENOTCONN;
	mutex_lock(&w->lock);
	s = vmq_window_slot(w, gpa);
	if (READ_ONCE(w->bound_id) != vm->id) {
		ret = -ENOTCONN;
	} else if (s < 0) {
		ret = s;
	} else if (test_bit(s, w->free)) {
		ret = -EINVAL;
	} else {
		/* Cleared in the background, off the senders' path, or kept. */
		if (w->from[s])
			vmq_pool_add_own(w, s);
		else
			vmq_pool_add(w, s);
		vmq_uncharge(w->charge[s]);
		w->charge[s] = 0;
		ret = 0;
	}
	mutex_unlock(&w->lock);
	fput(w->file);
	return ret;
}

/*
 * KVM is deleting or moving the memslot at @base, @npages long, of @vm
 * (the memslot watch of kvm_hooks.c, through lifetime.c). If it held @vm's
 * window, the guest-physical addresses that page records name would no
 * longer be the window's: the window is unbound, as when the VM goes away.
 * The guest may bind it again where the VMM puts it next.
 */
void vmq_window_memslot_gone(struct vmq_vm *vm, gfn_t base, u64 npages)
{
	struct vmq_window *w = vmq_vm_window(vm);
	gfn_t first, end;

	if (!w)
		return;
	first = gpa_to_gfn(w->gpa);
	end = first + (w->size >> PAGE_SHIFT);
	if (first < base + npages && base < end)
		vmq_window_unbind(vm);
	fput(w->file);
}

static int vmq_window_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VMQ_WINDOW_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vmq_window_fs_type = {
	.name = "vmq_window",
	.init_fs_context = vmq_window_init_fs_context,
	.kill_sb = kill_anon_super,
};

/*
 * Window nodes, for VMMs that can only open a path (QEMU's
 * memory-backend-file): every open() of /dev/vmq-window (4 KiB pages) or
 * /dev/vmq-window-2m is a new, empty window, sized by its first mmap()
 * from offset 0. Each gets its own inode for its mappings, as a window fd
 * has, so that zapping a slot reaches no other window.
 */
static struct miscdevice vmq_window_node_4k, vmq_window_node_2m;

static int vmq_window_node_open(struct inode *node, struct file *file)
{
	/* misc_open() left the struct miscdevice that was opened here. */
	unsigned int order = file->private_data == &vmq_window_node_2m ?
			     HPAGE_PMD_ORDER : 0;
	struct vmq_window *w;
	struct inode *inode;

	/* As for /dev/vmq: the node's mode alone does not stop root. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	w = vmq_window_alloc(order);
	if (!w)
		return -ENOMEM;
	inode = alloc_anon_inode(vmq_window_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		vmq_window_free(w);
		return PTR_ERR(inode);
	}
	w->inode = inode;
	w->file = file;
	file->f_mapping = inode->i_mapping;
	file->private_data = w;
	return 0;
}

static int vmq_window_node_release(struct inode *node, struct file *file)
{
	struct vmq_window *w = file->private_data;
	struct inode *inode = w->inode;

	vmq_window_free(w);
	iput(inode);
	return 0;
}

static const struct file_operations vmq_window_node_fops = {
	.owner = THIS_MODULE,
	.open = vmq_window_node_open,
	.mmap = vmq_window_mmap,
	.get_unmapped_area = thp_get_unmapped_area,
	.release = vmq_window_node_release,
	.llseek = no_llseek,
};

static struct miscdevice vmq_window_node_4k = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmq-window",
	.fops = &vmq_window_node_fops,
	.mode = 0600,
};

static struct miscdevice vmq_window_node_2m = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmq-window-2m",
	.fops = &vmq_window_node_fops,
	.mode = 0600,
};

int vmq_window_init(void)
{
	int ret;

	vmq_window_mnt = kern_mount(&vmq_window_fs_type);
	if (IS_ERR(vmq_window_mnt))
		return PTR_ERR(vmq_window_mnt);
	ret = misc_register(&vmq_window_node_4k);
	if (ret)
		goto err_unmount;
	ret = misc_register(&vmq_window_node_2m);
	if (ret)
		goto err_deregister_4k;
	return 0;

err_deregister_4k:
	misc_deregister(&vmq_window_node_4k);
err_unmount:
	kern_unmount(vmq_window_mnt);
	return ret;
}

void vmq_window_exit(void)
{
	misc_deregister(&vmq_window_node_2m);
	misc_deregister(&vmq_window_node_4k);
	kern_unmount(vmq_window_mnt);
}
