/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_ctl.h: the host's control of vmq through /dev/vmq: attaching VMs,
 * the ACL, VM information and counters, global statistics, loading and
 * unloading the module. foo() asserts; __foo() returns 0 or -errno.
 */
#ifndef SELFTEST_VMQT_CTL_H
#define SELFTEST_VMQT_CTL_H

#include <stdbool.h>
#include <linux/vmq.h>

#include "vmqt_guest.h"

/* /dev/vmq, opened on first use (the test is skipped without it). */
int vmqt_dev(void);
/* Only for tests that unload the module: vmqt_dev() reopens lazily after. */
void vmqt_dev_close(void);

int __vmqt_attach(struct kvm_vm *vm, const char *name, u32 *id);
/* VMQ_IOC_ATTACH_VM of @g's VM, named @name (NULL: unnamed); its id. */
u32 vmqt_attach(struct vmqt_gvm *g, const char *name);

/* VMQ_IOC_ALLOW / VMQ_IOC_REVOKE (@cmd) of @s -> @r. */
int __vmqt_pair(unsigned long cmd, u32 s, u32 r);
void vmqt_allow(u32 s, u32 r);
void vmqt_revoke(u32 s, u32 r);

/* VMQ_IOC_VM_INFO for VM @id. */
int __vmqt_info_of(u32 id, struct vmq_vm_info *i);
struct vmq_vm_info vmqt_info_of(u32 id);
/* Counter @c of VM @id. */
u64 vmqt_ctr(u32 id, enum vmq_counter c);
bool vmqt_ctr_is_error(int c);
/*
 * Since @before: error counter @ctr of VM @id rose by @n (@ctr < 0: none
 * expected), every other error counter stayed put, and VMQ_CTR_HYPERCALLS
 * rose by @calls.
 */
void vmqt_check_err_ctrs(u32 id, const struct vmq_vm_info *before, int ctr,
			 u64 n, u64 calls);

/* VMQ_IOC_STATS. */
struct vmq_stats vmqt_stats(void);
/*
 * vmqt_settle() condition: every live-object count of VMQ_IOC_STATS is back
 * at the one in @arg (a struct vmq_stats).
 */
bool vmqt_stats_live_at(void *arg);

/* Load vmq from $VMQ_KO (tests that unload it). */
void vmqt_load_module(void);
/* vmqt_settle() condition: vmq unloaded (nothing of ours holds it). */
bool vmqt_unload_module(void *arg);

#endif /* SELFTEST_VMQT_CTL_H */
