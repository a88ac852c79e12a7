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
 *   transfer       tx.c -> window.c -> copy.c -> xlate.c -> send.c
 *   receive        wait.c
 *   VM core        vm.c
 *   leaves         queue.c, guest_pt.c, guest_mem.c, acl.c, events.c,
 *                  kvm_hooks.c, trace.c
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
#include <linux/vmq.h>

/* Module-wide statistics, by enum vmq_stat (VMQ_CMD_GET_STATS). */
extern atomic64_t vmq_stats[VMQ_STAT_NR];
extern struct workqueue_struct *vmq_wq;
extern unsigned int vmq_max_msg_size;

#endif /* _VMQ_H */
