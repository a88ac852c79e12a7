/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_ctl.h: the host's control of vmq: attaching VMs (/dev/vmq), the
 * ACL, VM information and counters, global statistics (netlink, as an
 * administrator does it), loading and unloading the module. foo() asserts;
 * __foo() returns 0 or -errno.
 */
#ifndef SELFTEST_VMQT_CTL_H
#define SELFTEST_VMQT_CTL_H

#include <stdbool.h>
#include <linux/vmq.h>

#include "vmqt_guest.h"

/* /dev/vmq, opened on first use (the test is skipped without it). */
int vmqt_dev(void);
/*
 * Only for tests that unload the module: closes /dev/vmq and the netlink
 * socket, which reopen lazily after (the family's id may change).
 */
void vmqt_dev_close(void);

/* The netlink socket that the helpers below use, opened on first use. */
struct vmqt_nl *vmqt_ctl_nl(void);

int __vmqt_attach(struct kvm_vm *vm, const char *name, u32 *id);
/* VMQ_IOC_ATTACH_VM of @g's VM, named @name (NULL: unnamed); its id. */
u32 vmqt_attach(struct vmqt_gvm *g, const char *name);

/* A VM handle of @vm (VMQ_ATTACH_HANDLE, name kept); the fd. */
int vmqt_handle_of(struct kvm_vm *vm);
/* VMQ_IOC_VM_INFO through handle @h: its own VM. */
struct vmq_vm_info vmqt_handle_info(int h);

/* VMQ_CMD_ALLOW / VMQ_CMD_REVOKE (@cmd) of @s -> @r, by ids. */
int __vmqt_pair(u8 cmd, u32 s, u32 r);
void vmqt_allow(u32 s, u32 r);
void vmqt_revoke(u32 s, u32 r);

/* VMQ_CMD_GET_VM for VM @id, in the shape of a handle's VMQ_IOC_VM_INFO. */
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

/* VMQ_CMD_GET_STATS, by name (enum vmq_stat, in its order); __u64 as in UAPI. */
struct vmqt_stats {
	__u64 live_vms;
	__u64 live_queues;
	__u64 pinned_pages;
	__u64 live_pairs;
	__u64 vms_created;
	__u64 vms_destroyed;
	__u64 live_tx_rings;
	__u64 live_waits;
	__u64 bytes_copied;
	__u64 live_windows;
	__u64 window_pages;
	__u64 pages_in_flight;
	__u64 live_grants;
	__u64 tracked_tables;
	__u64 pool_clean_pages;	/* 4 KiB units */
	__u64 send_clears;
	__u64 own_returns;
	__u64 pool_own_pages;
};

struct vmqt_stats vmqt_stats(void);
/*
 * vmqt_settle() condition: every live-object count of VMQ_CMD_GET_STATS is
 * back at the one in @arg (a struct vmqt_stats).
 */
bool vmqt_stats_live_at(void *arg);

/* Load vmq from $VMQ_KO (tests that unload it). */
void vmqt_load_module(void);
/* vmqt_settle() condition: vmq unloaded (nothing of ours holds it). */
bool vmqt_unload_module(void *arg);

#endif /* SELFTEST_VMQT_CTL_H */
