// SPDX-License-Identifier: GPL-2.0
/*
 * events.c: vmq's event stream (VMQ_CMD_EVENT messages on the
 * VMQ_GENL_MCGRP_EVENTS group). Layer: leaves (see vmq.h).
 *
 * Every layer reports what a listener should know (a VM attached or gone, a
 * send refused, dropped or over quota) by calling vmq_event(), a one-way
 * sink that never fails its caller. The family belongs to netlink.c, which
 * hands it here once it is registered and takes it back before
 * unregistering it. The module's start-up and exit order keeps both steps
 * away from any event: no VM exists before the family is registered, and
 * the last VM is released before it is unregistered.
 */
#include <net/genetlink.h>

#include "events.h"
#include "trace.h"

static struct genl_family *vmq_events_family;

void vmq_events_start(struct genl_family *family)
{
	WRITE_ONCE(vmq_events_family, family);
}

void vmq_events_stop(void)
{
	WRITE_ONCE(vmq_events_family, NULL);
}

/*
 * Multicast an event to listeners, if any. Any context: events come from
 * the hypercall and VM-exit paths too.
 */
void vmq_event(enum vmq_event ev, u32 vm, u32 peer, int err)
{
	struct genl_family *family = READ_ONCE(vmq_events_family);
	struct sk_buff *msg;
	void *hdr;

	if (ev == VMQ_EVENT_DENIED || ev == VMQ_EVENT_DROP ||
	    ev == VMQ_EVENT_QUOTA)
		trace_vmq_drop(ev, vm, peer, err);

	if (!family || !genl_has_listeners(family, &init_net, VMQ_EVENTS_MCGRP))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, family, 0, VMQ_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, VMQ_A_EVENT, ev) ||
	    nla_put_u32(msg, VMQ_A_VM_ID, vm) ||
	    (peer && nla_put_u32(msg, VMQ_A_PEER_ID, peer)) ||
	    (err && nla_put_s32(msg, VMQ_A_EVENT_ERROR, err))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(family, msg, 0, VMQ_EVENTS_MCGRP, GFP_ATOMIC);
}
