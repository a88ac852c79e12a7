/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq.h: what the whole module shares and every layer may use: the
 * module-wide live-object counters, the work queue, the tunables.
 *
 * Layers (each file's opening comment names its own), top to bottom; a file
 * calls only into its own layer or the ones below it:
 *
 *   entry points   main.c, chardev.c, handle.c, netlink.c
 *   operations     hypercall.c, control.c, lifetime.c
 *   transfer       tx.c -> window.c -> send.c
 *   receive        wait.c
 *   VM core        vm.c
 *   leaves         queue.c, guest_mem.c, acl.c, events.c, kvm_hooks.c
 *   KVM internals  compat.h
 *
 * KVM calls into vmq only through kvm_hooks.c, which hands each event up
 * through the struct vmq_kvm_callbacks that main.c gives it: the one place
 * where control flows upwards.
 */
#ifndef _VMQ_H
#define _VMQ_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/workqueue.h>

/* Module-wide live-object counters (struct vmq_stats). */
struct vmq_global_stats {
	atomic64_t live_vms;
	atomic64_t live_queues;
	atomic64_t pinned_pages;
	atomic64_t live_pairs;
	atomic64_t vms_created;
	atomic64_t vms_destroyed;
	atomic64_t live_tx_rings;
	atomic64_t live_waits;
	atomic64_t bytes_copied;
	atomic64_t live_windows;
	atomic64_t window_pages;
	atomic64_t pages_in_flight;
};

extern struct vmq_global_stats vmq_stats;
extern struct workqueue_struct *vmq_wq;
extern unsigned int vmq_max_msg_size;

#endif /* _VMQ_H */
