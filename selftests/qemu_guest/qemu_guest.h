/* SPDX-License-Identifier: GPL-2.0 */
/* qemu_guest.h: what qemu_test and its guest, qemu_guest, agree on. */
#ifndef _VMQ_QEMU_GUEST_H
#define _VMQ_QEMU_GUEST_H

#define QG_PEER			"qemu-peer"
#define QG_PAGE_SIZE		(2U << 20)
#define QG_WINDOW_SIZE		(8 * QG_PAGE_SIZE)	/* the ivshmem BAR */
#define QG_IVSHMEM_VENDOR	0x1af4
#define QG_IVSHMEM_DEVICE	0x1110
#define QG_TAG_OUT		0x51
#define QG_TAG_BACK		0x52
#define QG_SEED_OUT		0x0a11ce
#define QG_SEED_BACK		0x0b0b
/* isa-debug-exit: QEMU exits with (code << 1) | 1. */
#define QG_EXIT_PORT		0xf4
#define QG_EXIT_OK		0x10
#define QG_EXIT_FAIL		0x11

static inline __u32 qg_pattern(__u32 seed, __u32 i)
{
	return (seed + i) * 2654435761U;
}

#endif /* _VMQ_QEMU_GUEST_H */
