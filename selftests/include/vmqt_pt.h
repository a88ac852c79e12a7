/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_pt.h: a test VM's x86-64 page tables as the host sees them (the
 * KVM library's own helpers walk 4 KiB pages only), and the guest's way to
 * write its own page-table entries.
 */
#ifndef SELFTEST_VMQT_PT_H
#define SELFTEST_VMQT_PT_H

#include "kvm_util.h"

/*
 * The host's pointer to the entry that maps @gva at @level (1: the 4 KiB
 * page table entry, 4: the PML4 entry); the levels above must be present.
 */
u64 *vmqt_pte_of(struct kvm_vm *vm, u64 gva, int level);

/* The host's view of guest-virtual @gva of @vm, large pages included. */
u8 *vmqt_at(struct kvm_vm *vm, u64 gva);

/*
 * A guest-virtual address at which @vm's guest sees the entry that maps
 * @gva at @level (1: 4 KiB page table entry ... 4: PML4 entry): the table
 * page is mapped a second time, so that the guest's own stores rewrite it
 * (and KVM traps them where they are tracked). The levels above @level
 * must be present and not large pages.
 */
u64 vmqt_pte_alias(struct kvm_vm *vm, u64 gva, int level);

#endif /* SELFTEST_VMQT_PT_H */
