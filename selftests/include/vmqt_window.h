/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_window.h: page windows as a VMM sets one up: vmq's pages, mapped
 * into the VMM, registered as a memslot.
 */
#ifndef SELFTEST_VMQT_WINDOW_H
#define SELFTEST_VMQT_WINDOW_H

#include "kvm_util.h"

struct vmqt_win {
	int fd;
	void *map;		/* the VMM's view */
	u64 size, page_size, gpa;
};

/*
 * Register @w (fd and map set) as memslot @memslot at @gpa and map it into
 * the guest at the same virtual address, with 2 MiB guest mappings for
 * 2 MiB pages (so that shadow paging can map them large too).
 */
void vmqt_window_plug(struct kvm_vm *vm, struct vmqt_win *w, u32 memslot,
		      u64 gpa);
/* Create a window of @slots pages of @page_size and map it, in no VM yet. */
struct vmqt_win vmqt_window_new(u64 slots, u64 page_size);

/*
 * Create a window of @slots pages of @page_size, map it and plug it into
 * @vm at @gpa. The guest still has to bind it.
 */
struct vmqt_win vmqt_window_map(struct kvm_vm *vm, u32 memslot, u64 gpa,
				u64 slots, u64 page_size);
/* The VMM's side only: the memslot goes with the VM. */
void vmqt_window_unmap(struct vmqt_win *w);

#endif /* SELFTEST_VMQT_WINDOW_H */
