// SPDX-License-Identifier: GPL-2.0
/*
 * guest_pt.c: walking a guest's page tables. Layer: leaves (see vmq.h).
 *
 * Cross-guest copies name memory by guest-virtual address on both sides, and
 * the receiving side is usually not running when a sender copies into it,
 * so vmq cannot ask the CPU (or KVM's MMU, which walks only for a running
 * vCPU) to translate: it walks the guest's page tables itself, reading them
 * from guest memory. Every entry is read once, into a local, and judged
 * only from that copy: the guest may rewrite its tables at any time.
 *
 * What is walked: x86-64 4-level paging (the caller checks the vCPU's mode,
 * compat.h), with 4 KiB pages, 2 MiB pages (PS in a PDE) and 1 GiB pages
 * (PS in a PDPTE). Refused before any walk: LA57, legacy 32-bit and PAE
 * paging, paging off, a nested guest. An entry with reserved bits set (PS
 * in a PML4E, address bits inside a large page's offset) ends the walk as
 * not present, which is what the CPU would fault on. NX, protection keys
 * and SMAP/SMEP concern the guest CPU's own accesses, not the host's, and
 * are not looked at.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>

#include "guest_mem.h"
#include "guest_pt.h"

bool vmq_gva_canonical(u64 gva)
{
	return (u64)((s64)(gva << 16) >> 16) == gva;
}

/* Read the entry at @gpa of the VM of @mem, from its VMM's memory. */
static int vmq_gpt_read(const struct vmq_gpt_mem *mem, gpa_t gpa, u64 *pte)
{
	struct page *page;
	void *va;

	if (!mem->mm)
		return kvm_read_guest(mem->kvm, gpa, pte, sizeof(*pte)) ?
		       -EFAULT : 0;

	page = vmq_guest_page_pin(mem->kvm, mem->mm, gpa_to_gfn(gpa), false);
	if (!page)
		return -EFAULT;
	va = kmap_local_page(page);
	*pte = READ_ONCE(*(u64 *)(va + offset_in_page(gpa)));
	kunmap_local(va);
	vmq_guest_page_unpin(page, false);
	return 0;
}

/*
 * The guest page that leaf entry @pte at @level maps (1: a 4 KiB PTE; 2, 3:
 * a PDE or PDPTE with PS), when it is present, allows @access (VMQ_GPT_*)
 * and has no reserved bit set: 0 and its guest-physical base in *@base;
 * else -EFAULT or -EPERM as vmq_gpt_walk() answers.
 */
int vmq_gpt_leaf(u64 pte, unsigned int level, unsigned int access, u64 *base)
{
	u64 size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));

	if (!(pte & VMQ_PTE_P))
		return -EFAULT;
	if ((access & VMQ_GPT_WRITE) && !(pte & VMQ_PTE_RW))
		return -EPERM;
	if ((access & VMQ_GPT_USER) && !(pte & VMQ_PTE_US))
		return -EPERM;
	/* PS is reserved in a PML4E; without it a PDE or PDPTE is a table. */
	if (level == VMQ_GPT_LEVELS || (level > 1 && !(pte & VMQ_PTE_PS)))
		return -EFAULT;
	/* Bits 12 up to the page size are reserved (12 is PAT). */
	if (level > 1 && (pte & VMQ_PTE_ADDR & (size - 1) & ~BIT_ULL(12)))
		return -EFAULT;
	*base = pte & VMQ_PTE_ADDR & ~(size - 1);
	return 0;
}

/*
 * Translate @gva through the tables rooted at @cr3 (its address bits) of
 * the VM of @mem, for @access (VMQ_GPT_*). Returns 0 with @w filled, -EFAULT
 * when a level is not present (or is not guest RAM, or has reserved bits
 * set), -EPERM when the page is present but a level forbids @access. @w's
 * tables and entries name what the walk read, also on failure.
 */
int vmq_gpt_walk(const struct vmq_gpt_mem *mem, u64 cr3, u64 gva,
		 unsigned int access, struct vmq_gpt_walk *w)
{
	gpa_t table = cr3 & VMQ_PTE_ADDR;
	int level, ret;

	w->nr_tables = 0;
	if (!vmq_gva_canonical(gva))
		return -EFAULT;
	for (level = VMQ_GPT_LEVELS; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
		u64 index = (gva >> shift) & 511;
		u64 pte, base;

		ret = vmq_gpt_read(mem, table + index * sizeof(u64), &pte);
		w->tables[w->nr_tables] = gpa_to_gfn(table);
		w->entries[w->nr_tables++] = ret ? 0 : pte;
		if (ret || !(pte & VMQ_PTE_P))
			return -EFAULT;
		if ((access & VMQ_GPT_WRITE) && !(pte & VMQ_PTE_RW))
			return -EPERM;
		if ((access & VMQ_GPT_USER) && !(pte & VMQ_PTE_US))
			return -EPERM;
		if (level > 1 && !(pte & VMQ_PTE_PS)) {
			table = pte & VMQ_PTE_ADDR;
			continue;
		}
		/* A 4 KiB page, or PS in a PDE (2 MiB) or PDPTE (1 GiB). */
		ret = vmq_gpt_leaf(pte, level, access, &base);
		if (ret)
			return ret;
		w->page_size = 1ULL << shift;
		w->gpa = base | (gva & (w->page_size - 1));
		return 0;
	}
	return -EFAULT;		/* not reached */
}
