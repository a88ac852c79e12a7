// SPDX-License-Identifier: GPL-2.0
/*
 * guest_mem.c: reaching guest memory from any context. Layer: leaves (see
 * vmq.h).
 *
 * Rings are written by vCPUs of other VMs, in other processes, sometimes in
 * atomic context (the VM-exit hook). So ring pages are pinned when a guest
 * registers them, from its own vCPU and so in its own mm, and mapped
 * contiguously into the kernel. The pin keeps the pages in place whatever the
 * VMM later does to its memory; were a VMM to unmap them, vmq would only be
 * writing into pages it still holds, never into someone else's memory.
 *
 * Payloads are read where they lie, in the sender's memory, through the
 * sender's user mappings: the caller runs in the sender's mm (its vCPU
 * thread, or a worker that borrowed the mm) and holds the sender's
 * kvm->srcu. The atomic read never faults; a sleepable caller that gets
 * -VMQ_ENOTRESIDENT faults the pages in and tries again.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "guest_mem.h"
#include "vmq.h"

static void vmq_gbuf_unpin(struct page **pages, unsigned int npages)
{
	unpin_user_pages_dirty_lock(pages, npages, true);
	atomic64_sub(npages, &vmq_stats[VMQ_STAT_PINNED_PAGES]);
}

/*
 * The host address of guest page @gfn of @kvm, if it is ordinary guest RAM
 * of a user memslot (not MMIO, not one of KVM's private slots) and, for
 * @write, not in a read-only slot; else KVM_HVA_ERR_BAD. The caller holds
 * kvm->srcu.
 */
unsigned long vmq_guest_hva(struct kvm *kvm, gfn_t gfn, bool write)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gfn);

	if (!slot || slot->id >= KVM_USER_MEM_SLOTS ||
	    (write && (slot->flags & KVM_MEM_READONLY)))
		return KVM_HVA_ERR_BAD;
	return gfn_to_hva_memslot(slot, gfn);
}

/*
 * Pin guest page @gfn of @kvm through @mm, its VMM's address space, which
 * the caller holds (mmget()) and which need not be the current one: for
 * writing (@write) or for reading. The mmap_lock is held only while
 * pinning. Returns the page, or NULL when @gfn is not such guest RAM (see
 * vmq_guest_hva()) or cannot be faulted in. Release with
 * vmq_guest_page_unpin().
 */
struct page *vmq_guest_page_pin(struct kvm *kvm, struct mm_struct *mm,
				gfn_t gfn, bool write)
{
	struct page *page;
	unsigned long hva;
	long got;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	hva = vmq_guest_hva(kvm, gfn, write);
	srcu_read_unlock(&kvm->srcu, idx);
	if (kvm_is_error_hva(hva))
		return NULL;
	mmap_read_lock(mm);
	got = pin_user_pages_remote(mm, hva, 1, write ? FOLL_WRITE : 0, &page,
				    NULL, NULL);
	mmap_read_unlock(mm);
	return got == 1 ? page : NULL;
}

void vmq_guest_page_unpin(struct page *page, bool dirty)
{
	unpin_user_pages_dirty_lock(&page, 1, dirty);
}

/*
 * Pin the guest pages at @gfn..@gfn+@npages-1. They must be ordinary,
 * writable guest RAM of a user memslot: not MMIO, not a read-only slot,
 * not one of KVM's private slots, and not a page window's, whose pages may
 * move to another VM (the pin would then reach into that VM's memory).
 */
static int vmq_gbuf_pin(struct kvm_vcpu *vcpu, gfn_t gfn, struct page **pages,
			unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++) {
		unsigned long hva = vmq_guest_hva(vcpu->kvm, gfn + i, true);

		if (kvm_is_error_hva(hva) ||
		    pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM,
					&pages[i]) != 1)
			goto err_unpin;
		/* A window page stays a window page: no race with a move. */
		if (vmq_page_is_movable(pages[i])) {
			unpin_user_page(pages[i]);
			goto err_unpin;
		}
		atomic64_inc(&vmq_stats[VMQ_STAT_PINNED_PAGES]);
	}
	return 0;

err_unpin:
	vmq_gbuf_unpin(pages, i);
	return -EFAULT;
}

/*
 * Map @size bytes of guest memory at page-aligned @gpa for the host. Called
 * from a vCPU of the owning VM, with its kvm->srcu held.
 */
int vmq_gbuf_map(struct vmq_gbuf *buf, struct kvm_vcpu *vcpu, u64 gpa,
		 u64 size)
{
	unsigned int npages = size >> PAGE_SHIFT;
	struct page **pages;
	void *va;
	int ret;

	if (!PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(size) || !npages ||
	    gpa_to_gfn(gpa) + npages < gpa_to_gfn(gpa))
		return -EINVAL;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	ret = vmq_gbuf_pin(vcpu, gpa_to_gfn(gpa), pages, npages);
	if (ret)
		goto err_free_array;
	ret = -ENOMEM;
	va = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	if (!va)
		goto err_unpin;
	buf->va = va;
	buf->pages = pages;
	buf->npages = npages;
	return 0;

err_unpin:
	vmq_gbuf_unpin(pages, npages);
err_free_array:
	kvfree(pages);
	return ret;
}

void vmq_gbuf_unmap(struct vmq_gbuf *buf)
{
	if (!buf->va)
		return;
	vunmap(buf->va);
	vmq_gbuf_unpin(buf->pages, buf->npages);
	kvfree(buf->pages);
	buf->va = NULL;
	buf->pages = NULL;
	buf->npages = 0;
}

/*
 * Copy @len bytes at @gpa of @kvm (the current mm's VM) to @dst without
 * faulting. Returns 0, -EFAULT when the range is not guest RAM (see
 * vmq_guest_hva()), or
 * -VMQ_ENOTRESIDENT when a page is not present right now.
 */
int vmq_read_guest_atomic(struct kvm *kvm, gpa_t gpa, void *dst, u32 len)
{
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - offset_in_page(gpa));
		unsigned long hva = vmq_guest_hva(kvm, gpa_to_gfn(gpa), false);
		void __user *src = (void __user *)(hva + offset_in_page(gpa));
		unsigned long left;

		if (kvm_is_error_hva(hva))
			return -EFAULT;
		pagefault_disable();
		left = __copy_from_user_inatomic(dst, src, n);
		pagefault_enable();
		if (left)
			return -VMQ_ENOTRESIDENT;
		gpa += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/* Fault in what vmq_read_guest_atomic() could not read. May sleep. */
int vmq_fault_in_guest(struct kvm *kvm, gpa_t gpa, u32 len)
{
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - offset_in_page(gpa));
		unsigned long hva = vmq_guest_hva(kvm, gpa_to_gfn(gpa), false);

		if (kvm_is_error_hva(hva))
			return -EFAULT;
		if (fault_in_readable((const char __user *)hva +
				      offset_in_page(gpa), n))
			return -EFAULT;
		gpa += n;
		len -= n;
	}
	return 0;
}
