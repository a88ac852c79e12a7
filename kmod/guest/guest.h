/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.h: what the whole guest driver shares and every layer may use: the
 * host's answer to VMQ_HC_INFO, the counters, the tunables.
 *
 * Layers (each file's opening comment names its own), top to bottom; a file
 * calls only into its own layer or the ones below it (kmod/guest/Kbuild
 * lists them in this order, scripts/check-layers.sh checks it):
 *
 *   entry points   main.c, chardev.c, sysfs.c, ivshmem.c
 *   transfer       copy.c, send.c, window.c, tx.c
 *   receive        wait.c, rx.c, peers.c
 *   leaves         hypercall.c
 *
 * Nothing calls upwards: the ivshmem interrupt reaches readers through
 * wait.c, which ivshmem.c calls down into.
 */
#ifndef _VMQG_GUEST_H
#define _VMQG_GUEST_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/vmq.h>

/* The host, as VMQ_HC_INFO described it at load time. */
struct vmqg_host {
	u32 abi_version;
	u32 vm_id;
	u32 features;
	u32 max_msg;
};

extern struct vmqg_host vmqg_host;

/* The guest driver's own counters, shown in sysfs (counters). */
enum vmqg_ctr {
	VMQG_CTR_TX_MSGS,	/* messages sent immediately */
	VMQG_CTR_TX_BYTES,
	VMQG_CTR_LAZY_MSGS,	/* messages posted to a transmit ring */
	VMQG_CTR_LAZY_BYTES,
	VMQG_CTR_LAZY_FAILED,	/* lazy messages the host refused */
	VMQG_CTR_LAZY_FALLBACK,	/* lazy sends that went immediately */
	VMQG_CTR_FLUSHES,	/* VMQ_HC_TX_FLUSH calls */
	VMQG_CTR_TX_ERRORS,	/* immediate sends the host refused */
	VMQG_CTR_TX_FULL,	/* -EAGAIN answers to immediate sends */
	VMQG_CTR_RX_MSGS,	/* messages read */
	VMQG_CTR_RX_BYTES,
	VMQG_CTR_IDENTITIES,	/* identity records taken */
	VMQG_CTR_IRQS,		/* arrival interrupts */
	VMQG_CTR_WAITS,		/* VMQ_HC_WAIT calls of the wait thread */
	VMQG_CTR_PAGES_TX,
	VMQG_CTR_PAGES_RX,
	VMQG_CTR_COPY_TX,	/* large writes that went by copy */
	VMQG_CTR_COPY_TX_BYTES,
	VMQG_CTR_COPY_RX,	/* reads that a copy filled */
	VMQG_CTR_COPY_RX_BYTES,
	VMQG_CTR_NR
};

extern atomic64_t vmqg_ctrs[VMQG_CTR_NR];

static inline void vmqg_count(enum vmqg_ctr c, u64 n)
{
	atomic64_add(n, &vmqg_ctrs[c]);
}

/* Module parameters (main.c). */
extern unsigned int vmqg_rx_bytes;
extern unsigned int vmqg_lazy_max;
extern unsigned int vmqg_lazy_buf;
extern bool vmqg_use_irq;
extern unsigned int vmqg_window_page_size;

#endif /* _VMQG_GUEST_H */
