/* SPDX-License-Identifier: GPL-2.0 */
/* guest_pt.h: walking a guest's 4-level page tables. */
#ifndef _VMQ_GUEST_PT_H
#define _VMQ_GUEST_PT_H

#include <linux/bits.h>
#include <linux/kvm_types.h>
#include <linux/types.h>

struct kvm;
struct mm_struct;

/* The memory a walk reads: a VM's, through its VMM's mm. */
struct vmq_gpt_mem {
	struct kvm *kvm;
	/*
	 * NULL: the current mm is the VM's (its vCPU thread), and the caller
	 * holds kvm->srcu. Else the VM's mm, which the caller holds
	 * (mmget()); the walk takes kvm->srcu and the mmap_lock itself.
	 */
	struct mm_struct *mm;
};

/* x86 page-table entry bits vmq looks at. */
#define VMQ_PTE_P	BIT_ULL(0)
#define VMQ_PTE_RW	BIT_ULL(1)
#define VMQ_PTE_US	BIT_ULL(2)
#define VMQ_PTE_A	BIT_ULL(5)
#define VMQ_PTE_D	BIT_ULL(6)
#define VMQ_PTE_PS	BIT_ULL(7)
/* Bits 51:12: the next table, or the page frame (x86 MAXPHYADDR <= 52). */
#define VMQ_PTE_ADDR	GENMASK_ULL(51, 12)

#define VMQ_GPT_WRITE	BIT(0)	/* every level must allow writes */
#define VMQ_GPT_USER	BIT(1)	/* every level must allow user access */

#define VMQ_GPT_LEVELS	4

/* One translation, and what it was derived from. */
struct vmq_gpt_walk {
	gpa_t gpa;			/* of the address walked */
	u64 page_size;			/* of the guest page: 4K, 2M or 1G */
	unsigned int nr_tables;		/* tables read, root first */
	gfn_t tables[VMQ_GPT_LEVELS];
	u64 entries[VMQ_GPT_LEVELS];	/* each entry as read */
};

int vmq_gpt_walk(const struct vmq_gpt_mem *mem, u64 cr3, u64 gva,
		 unsigned int access, struct vmq_gpt_walk *w);
int vmq_gpt_leaf(u64 pte, unsigned int level, unsigned int access, u64 *base);
bool vmq_gva_canonical(u64 gva);

#endif /* _VMQ_GUEST_PT_H */
