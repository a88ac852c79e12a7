/* SPDX-License-Identifier: GPL-2.0 */
/* events.h: vmq's event stream, multicast on the netlink family. */
#ifndef _VMQ_EVENTS_H
#define _VMQ_EVENTS_H

#include <linux/types.h>
#include <linux/vmq.h>

struct genl_family;

/* The events group's index in the family's multicast groups (netlink.c). */
#define VMQ_EVENTS_MCGRP	0

void vmq_events_start(struct genl_family *family);
void vmq_events_stop(void);
void vmq_event(enum vmq_event ev, u32 vm, u32 peer, int err);

#endif /* _VMQ_EVENTS_H */
