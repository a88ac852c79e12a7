/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_TX_H
#define _VMQG_TX_H

#include <linux/kref.h>
#include <linux/types.h>

/*
 * One sender's lazy sends: how many were delivered or refused, and where
 * its descriptors not yet completed are (all on one CPU's ring, last_cpu:
 * a sender that moves flushes the old ring first, send.c). Every posted
 * descriptor holds a reference until the host completed it.
 */
struct vmqg_lazy {
	struct kref ref;
	atomic_t outstanding;	/* posted, not yet completed */
	atomic_t sent;
	atomic_t failed;
	atomic_t first_error;
	int last_cpu;
};

struct vmqg_lazy *vmqg_lazy_alloc(void);
void vmqg_lazy_put(struct vmqg_lazy *lz);

int vmqg_tx_init(void);
void vmqg_tx_exit(void);
void vmqg_tx_shutdown(void);
bool vmqg_tx_enabled(void);

int vmqg_tx_post(struct vmqg_lazy *lz, u32 dest, const void *buf, u32 len,
		 u64 tag);
void vmqg_tx_flush_cpu(int cpu);

#endif /* _VMQG_TX_H */
