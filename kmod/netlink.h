/* SPDX-License-Identifier: GPL-2.0 */
/* netlink.h: the "vmq" generic netlink family. */
#ifndef _VMQ_NETLINK_H
#define _VMQ_NETLINK_H

#include <linux/types.h>
#include <linux/vmq.h>

int vmq_netlink_init(void);
void vmq_netlink_exit(void);

#endif /* _VMQ_NETLINK_H */
