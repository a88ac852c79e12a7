/* SPDX-License-Identifier: GPL-2.0 */
/* guest_mem.h: reaching guest memory from any context. */
#ifndef _VMQ_GUEST_MEM_H
#define _VMQ_GUEST_MEM_H

#include <linux/kvm_types.h>
#include <linux/mm.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct page;

/* Guest pages pinned and mapped contiguously into the kernel. */
struct vmq_gbuf {
	void *va;
	struct page **pages;
	unsigned int npages;
};

/*
 * Window pages (window.c) may leave their VM: vmq moves them to other VMs.
 * A ring vmq pinned on one would go with it, so rings are never pinned on
 * them; window.c tags each such page when it allocates it, in the
 * page->private of the head page, which nothing else uses for pages that
 * are in no page cache.
 */
#define VMQ_PAGE_MOVABLE	0x564d5150UL	/* "VMQP" */

static inline void vmq_page_set_movable(struct page *page, bool movable)
{
	set_page_private(page, movable ? VMQ_PAGE_MOVABLE : 0);
}

static inline bool vmq_page_is_movable(struct page *page)
{
	return page_private(compound_head(page)) == VMQ_PAGE_MOVABLE;
}

struct mm_struct;

unsigned long vmq_guest_hva(struct kvm *kvm, gfn_t gfn, bool write);
struct page *vmq_guest_page_pin(struct kvm *kvm, struct mm_struct *mm,
				gfn_t gfn, bool write);
void vmq_guest_page_unpin(struct page *page, bool dirty);
int vmq_gbuf_map(struct vmq_gbuf *buf, struct kvm_vcpu *vcpu, u64 gpa,
		 u64 size);
void vmq_gbuf_unmap(struct vmq_gbuf *buf);

/*
 * vmq_read_guest_atomic(): a payload page is not resident right now; a
 * caller that can sleep faults it in and tries again. Kernel-internal, never
 * returned to a guest. Not -EWOULDBLOCK: that is -EAGAIN, which senders get
 * for a full receive ring and must see as such.
 */
#define VMQ_ENOTRESIDENT	EINPROGRESS

int vmq_read_guest_atomic(struct kvm *kvm, gpa_t gpa, void *dst, u32 len);
int vmq_fault_in_guest(struct kvm *kvm, gpa_t gpa, u32 len);

#endif /* _VMQ_GUEST_MEM_H */
