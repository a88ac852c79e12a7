/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control.h: what the host may do to VMs, whichever interface asks
 * (/dev/vmq and VM handles, or netlink).
 */
#ifndef _VMQ_CONTROL_H
#define _VMQ_CONTROL_H

#include <linux/types.h>

#include <linux/vmq.h>

struct vmq_vm_info;
struct vmq_table_info;

int vmq_ctl_allow(u32 sender, u32 receiver);
int vmq_ctl_revoke(u32 sender, u32 receiver);
int vmq_ctl_introduce(u32 a, u32 b);
int vmq_ctl_rename(u32 id, const char *name);
int vmq_ctl_set_quotas(u32 id, unsigned long set,
		       const u32 val[VMQ_A_QUOTA_MAX + 1]);
int vmq_ctl_reset_counters(u32 id);
int vmq_ctl_set_notify(u32 id, int fd);
int vmq_ctl_vm_info(struct vmq_vm_info *info, bool next);
void vmq_ctl_stats(u64 s[VMQ_STAT_NR]);
int vmq_ctl_visit_tables(u32 id, unsigned long skip,
			 int (*fn)(void *arg, const struct vmq_table_info *t),
			 void *arg);

#endif /* _VMQ_CONTROL_H */
