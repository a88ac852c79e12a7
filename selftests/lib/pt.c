// SPDX-License-Identifier: GPL-2.0
/*
 * Page tables of test VMs, from the host's side. See vmqt_pt.h.
 */
#include "test_util.h"
#include "processor.h"

#include "vmqt_pt.h"

u64 *vmqt_pte_of(struct kvm_vm *vm, u64 gva, int level)
{
	u64 table = vm->pgd, *e = NULL;
	int l;

	for (l = 4; l >= level; l--) {
		e = (u64 *)addr_gpa2hva(vm, table) +
		    ((gva >> (12 + 9 * (l - 1))) & 511);
		if (l == level)
			break;
		TEST_ASSERT(*e & PTE_PRESENT_MASK, "no entry for %#lx at level %d",
			    (unsigned long)gva, l);
		TEST_ASSERT(!(*e & PTE_LARGE_MASK), "large page above level %d",
			    level);
		table = *e & PHYSICAL_PAGE_MASK;
	}
	return e;
}

u8 *vmqt_at(struct kvm_vm *vm, u64 gva)
{
	u64 table = vm->pgd, e = 0;
	int l;

	for (l = 4; l >= 1; l--) {
		e = ((u64 *)addr_gpa2hva(vm, table))[(gva >> (12 + 9 * (l - 1))) & 511];
		TEST_ASSERT(e & PTE_PRESENT_MASK, "%#lx not mapped",
			    (unsigned long)gva);
		if (l > 1 && (e & PTE_LARGE_MASK))
			break;
		table = e & PHYSICAL_PAGE_MASK;
	}
	if (l < 1)
		l = 1;
	return addr_gpa2hva(vm, (e & PHYSICAL_PAGE_MASK & ~(PG_LEVEL_SIZE(l) - 1)) |
			    (gva & (PG_LEVEL_SIZE(l) - 1)));
}

u64 vmqt_pte_alias(struct kvm_vm *vm, u64 gva, int level)
{
	u64 table = level == 4 ? vm->pgd :
		    *vmqt_pte_of(vm, gva, level + 1) & PHYSICAL_PAGE_MASK;
	u64 alias = vm_vaddr_alloc_page(vm);
	u64 *e = vmqt_pte_of(vm, alias, 1);

	/*
	 * A new mapping, rewritten before the guest ever uses it: no cached
	 * translation depends on it, so the host may write it directly.
	 */
	*e = (*e & ~PHYSICAL_PAGE_MASK) | table;
	return alias + ((gva >> (12 + 9 * (level - 1))) & 511) * sizeof(u64);
}
