/* SPDX-License-Identifier: GPL-2.0 */
/* acl.h: which VM may send to which; default deny. */
#ifndef _VMQ_ACL_H
#define _VMQ_ACL_H

#include <linux/types.h>

bool vmq_acl_allowed(u32 sender, u32 receiver);
int vmq_acl_allow(u32 sender, u32 receiver);
int vmq_acl_revoke(u32 sender, u32 receiver);
void vmq_acl_purge(u32 id);
int vmq_acl_visit_receivers(u32 sender, int (*fn)(void *, u32), void *arg);
int vmq_acl_init(void);
void vmq_acl_exit(void);

#endif /* _VMQ_ACL_H */
