// SPDX-License-Identifier: GPL-2.0
/*
 * Page windows as a VMM sets one up. See vmqt_window.h.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vmq.h>

#include "processor.h"
#include "test_util.h"

#include "vmqt_ctl.h"
#include "vmqt_window.h"

void vmqt_window_plug(struct kvm_vm *vm, struct vmqt_win *w, u32 memslot,
		      u64 gpa)
{
	w->gpa = gpa;
	vm_set_user_memory_region(vm, memslot, 0, gpa, w->size, w->map);
	virt_map_level(vm, gpa, gpa, w->size,
		       w->page_size == 4096 ? PG_LEVEL_4K : PG_LEVEL_2M);
}

struct vmqt_win vmqt_window_new(u64 slots, u64 page_size)
{
	struct vmq_window_create wc = {
		.size = slots * page_size,
		.page_size = page_size,
	};
	struct vmqt_win w = { .size = wc.size, .page_size = page_size };

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc),
		    "VMQ_IOC_WINDOW_CREATE: %d", -errno);
	w.fd = wc.fd;
	w.map = mmap(NULL, w.size, PROT_READ | PROT_WRITE, MAP_SHARED, w.fd, 0);
	TEST_ASSERT(w.map != MAP_FAILED, "mmap window: %d", -errno);
	TEST_ASSERT(!((uintptr_t)w.map & (page_size - 1)),
		    "window mapping %p not aligned to its page size", w.map);
	return w;
}

struct vmqt_win vmqt_window_map(struct kvm_vm *vm, u32 memslot, u64 gpa,
				u64 slots, u64 page_size)
{
	struct vmqt_win w = vmqt_window_new(slots, page_size);

	vmqt_window_plug(vm, &w, memslot, gpa);
	return w;
}

void vmqt_window_unmap(struct vmqt_win *w)
{
	munmap(w->map, w->size);
	close(w->fd);
	w->fd = -1;
}
