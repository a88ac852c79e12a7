// SPDX-License-Identifier: GPL-2.0
/*
 * Raw access to vmq's generic netlink family. See vmqt_nl.h.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

#include "vmqt_case.h"
#include "vmqt_nl.h"

static int vmqt_nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e,
			  void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct vmqt_nl *v = arg;
	int off = sizeof(*e);

	v->done = true;
	v->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if ((int)nlh->nlmsg_len - NLMSG_HDRLEN - off <= 0)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(v->msg, sizeof(v->msg), "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		v->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	return NL_STOP;
}

static int vmqt_nl_ack_cb(struct nl_msg *msg, void *arg)
{
	struct vmqt_nl *v = arg;

	v->done = true;
	return NL_STOP;
}

/*
 * NLMSG_DONE: a dump that failed carries its errno there, and with
 * NLM_F_ACK_TLVS the extended ACK's attributes right after it.
 */
static int vmqt_nl_done_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(int);
	struct vmqt_nl *v = arg;

	v->done = true;
	if (len < 0)
		return NL_STOP;
	v->err = *(int *)nlmsg_data(nlh);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > 0 &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlmsg_data(nlh) + sizeof(int)),
		       len, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(v->msg, sizeof(v->msg), "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

int vmqt_nl_open(struct vmqt_nl *v)
{
	int one = 1;

	memset(v, 0, sizeof(*v));
	v->sk = nl_socket_alloc();
	TEST_ASSERT(v->sk, "nl_socket_alloc");
	TEST_ASSERT(!genl_connect(v->sk), "genl_connect");
	TEST_ASSERT(!setsockopt(nl_socket_get_fd(v->sk), SOL_NETLINK,
				NETLINK_EXT_ACK, &one, sizeof(one)),
		    "NETLINK_EXT_ACK: %s", strerror(errno));
	v->family = genl_ctrl_resolve(v->sk, VMQ_GENL_NAME);
	if (v->family < 0) {
		nl_socket_free(v->sk);
		v->sk = NULL;
		return -ENOENT;
	}
	return 0;
}

void vmqt_nl_close(struct vmqt_nl *v)
{
	if (v->sk)
		nl_socket_free(v->sk);
	v->sk = NULL;
}

struct nl_msg *vmqt_nl_msg(struct vmqt_nl *v, u8 cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	TEST_ASSERT(msg, "nlmsg_alloc");
	TEST_ASSERT(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, v->family, 0,
				flags, cmd, VMQ_GENL_VERSION),
		    "genlmsg_put");
	return msg;
}

int vmqt_nl_xfer(struct vmqt_nl *v, struct nl_msg *msg,
		 nl_recvmsg_msg_cb_t parse, void *arg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	TEST_ASSERT(cb, "nl_cb_alloc");
	v->done = false;
	v->err = 0;
	v->msg[0] = '\0';
	v->offs = -1;
	nl_cb_err(cb, NL_CB_CUSTOM, vmqt_nl_err_cb, v);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vmqt_nl_ack_cb, v);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vmqt_nl_done_cb, v);
	if (parse)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, parse, arg);
	vmqt_set_stage("netlink command %u",
		       ((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd);
	ret = nl_send_auto(v->sk, msg);
	nlmsg_free(msg);
	if (ret < 0 && v->lenient) {
		v->done = true;
		v->err = -ENOMEM;
	}
	TEST_ASSERT(ret >= 0 || v->lenient, "nl_send_auto: %s",
		    nl_geterror(ret));
	while (!v->done) {
		ret = nl_recvmsgs(v->sk, cb);
		if (ret < 0 && !v->done && v->lenient) {
			v->done = true;
			v->err = -ENOMEM;
		}
		TEST_ASSERT(ret >= 0 || v->done, "nl_recvmsgs: %s",
			    nl_geterror(ret));
	}
	nl_cb_put(cb);
	vmqt_set_stage("-");
	return v->err;
}

bool vmqt_nl_msg_is(struct vmqt_nl *v, const char *text)
{
	return !strcmp(v->msg, text);
}

static int vmqt_nl_parse_vm(struct nl_msg *msg, void *arg)
{
	struct vmqt_nl_vms *vms = arg;
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[VMQ_A_MAX + 1], *a;
	struct vmqt_nl_vm *vm;
	int rem;

	TEST_ASSERT(gh->cmd == VMQ_CMD_GET_VM, "reply cmd %u", gh->cmd);
	TEST_ASSERT(vms->n < VMQT_NL_MAX_VMS, "too many VMs");
	vm = &vms->vm[vms->n++];
	memset(vm, 0, sizeof(*vm));
	TEST_ASSERT(!nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
			       genlmsg_attrlen(gh, 0), NULL), "nla_parse");
	TEST_ASSERT(tb[VMQ_A_VM_ID] && tb[VMQ_A_VM_PID] &&
		    tb[VMQ_A_VM_QUEUE_SIZE] && tb[VMQ_A_VM_QUEUE_BYTES] &&
		    tb[VMQ_A_VM_QUEUE_MSGS] && tb[VMQ_A_VM_PAGES_IN_FLIGHT],
		    "GET_VM reply lacks a mandatory attribute");
	vm->id = nla_get_u32(tb[VMQ_A_VM_ID]);
	if (tb[VMQ_A_VM_NAME]) {
		vm->has_name = true;
		TEST_ASSERT(nla_len(tb[VMQ_A_VM_NAME]) <= VMQ_NAME_MAX,
			    "name attribute too long");
		snprintf(vm->name, sizeof(vm->name), "%s",
			 (char *)nla_data(tb[VMQ_A_VM_NAME]));
	}
	vm->pid = nla_get_u32(tb[VMQ_A_VM_PID]);
	vm->queue_size = nla_get_u32(tb[VMQ_A_VM_QUEUE_SIZE]);
	vm->queue_bytes = nla_get_u32(tb[VMQ_A_VM_QUEUE_BYTES]);
	vm->queue_msgs = nla_get_u32(tb[VMQ_A_VM_QUEUE_MSGS]);
	vm->pages_in_flight = nla_get_u32(tb[VMQ_A_VM_PAGES_IN_FLIGHT]);
	if (tb[VMQ_A_VM_PEERS]) {
		vm->has_peers = true;
		nla_for_each_nested(a, tb[VMQ_A_VM_PEERS], rem) {
			TEST_ASSERT(nla_type(a) == VMQ_A_PEER_ID,
				    "peer list holds attribute %d", nla_type(a));
			TEST_ASSERT(vm->nr_peers < VMQT_NL_MAX_PEERS, "peers");
			vm->peers[vm->nr_peers++] = nla_get_u32(a);
		}
	}
	if (tb[VMQ_A_VM_QUOTAS]) {
		struct nlattr *q[VMQ_A_QUOTA_MAX + 1];

		vm->has_quotas = true;
		TEST_ASSERT(!nla_parse_nested(q, VMQ_A_QUOTA_MAX,
					      tb[VMQ_A_VM_QUOTAS], NULL),
			    "quotas");
		TEST_ASSERT(q[VMQ_A_QUOTA_MAX_MSG] && q[VMQ_A_QUOTA_MAX_QUEUE] &&
			    q[VMQ_A_QUOTA_MAX_PAGES] && q[VMQ_A_QUOTA_MAX_GRANTS],
			    "quota attributes missing");
		vm->max_msg = nla_get_u32(q[VMQ_A_QUOTA_MAX_MSG]);
		vm->max_queue = nla_get_u32(q[VMQ_A_QUOTA_MAX_QUEUE]);
		vm->max_pages = nla_get_u32(q[VMQ_A_QUOTA_MAX_PAGES]);
		vm->max_grants = nla_get_u32(q[VMQ_A_QUOTA_MAX_GRANTS]);
	}
	if (tb[VMQ_A_VM_COUNTERS]) {
		vm->has_counters = true;
		nla_for_each_nested(a, tb[VMQ_A_VM_COUNTERS], rem) {
			int t = nla_type(a);

			/* Alignment padding, on architectures that need it. */
			if (t == 0)
				continue;
			TEST_ASSERT(t >= 1 && nla_len(a) == 8,
				    "counter attribute %d, len %d", t,
				    nla_len(a));
			if (t <= VMQ_CTR_NR) {
				vm->ctr[t - 1] = nla_get_u64(a);
				vm->nr_ctr++;
			}
		}
	}
	return NL_OK;
}

int vmqt_nl_get(struct vmqt_nl *v, u32 id, const char *name,
		struct vmqt_nl_vm *out)
{
	static struct vmqt_nl_vms vms;
	struct nl_msg *msg = vmqt_nl_msg(v, VMQ_CMD_GET_VM, 0);
	int ret;

	if (id)
		NLA_PUT_U32(msg, VMQ_A_VM_ID, id);
	if (name)
		NLA_PUT_STRING(msg, VMQ_A_VM_NAME, name);
	vms.n = 0;
	ret = vmqt_nl_xfer(v, msg, vmqt_nl_parse_vm, &vms);
	if (!ret) {
		TEST_ASSERT(vms.n == 1, "GET_VM do: %d replies", vms.n);
		if (out)
			*out = vms.vm[0];
	}
	return ret;
nla_put_failure:
	TEST_FAIL("nla_put");
	return -ENOMEM;
}

struct vmqt_nl_vm vmqt_nl_get_ok(struct vmqt_nl *v, u32 id)
{
	struct vmqt_nl_vm vm;
	int ret = vmqt_nl_get(v, id, NULL, &vm);

	TEST_ASSERT(!ret, "GET_VM %u: %d (%s)", id, ret, v->msg);
	return vm;
}

int vmqt_nl_dump(struct vmqt_nl *v, struct vmqt_nl_vms *vms)
{
	vms->n = 0;
	return vmqt_nl_xfer(v, vmqt_nl_msg(v, VMQ_CMD_GET_VM, NLM_F_DUMP),
			    vmqt_nl_parse_vm, vms);
}

static void vmqt_nl_put_vm(struct nl_msg *msg, u32 id, const char *name,
			   int id_attr, int name_attr)
{
	if (id)
		TEST_ASSERT(!nla_put_u32(msg, id_attr, id), "nla_put");
	if (name)
		TEST_ASSERT(!nla_put_string(msg, name_attr, name), "nla_put");
}

int vmqt_nl_pair(struct vmqt_nl *v, u8 cmd, u32 id, const char *name,
		 u32 peer, const char *peer_name)
{
	struct nl_msg *msg = vmqt_nl_msg(v, cmd, 0);

	vmqt_nl_put_vm(msg, id, name, VMQ_A_VM_ID, VMQ_A_VM_NAME);
	vmqt_nl_put_vm(msg, peer, peer_name, VMQ_A_PEER_ID, VMQ_A_PEER_NAME);
	return vmqt_nl_xfer(v, msg, NULL, NULL);
}

void vmqt_nl_pair_ok(struct vmqt_nl *v, u8 cmd, u32 id, u32 peer)
{
	int ret = vmqt_nl_pair(v, cmd, id, NULL, peer, NULL);

	TEST_ASSERT(!ret, "pair command %u %u->%u: %d (%s)", cmd, id, peer,
		    ret, v->msg);
}

int vmqt_nl_set(struct vmqt_nl *v, u32 id, const char *name,
		long long max_msg, long long max_queue)
{
	struct nl_msg *msg = vmqt_nl_msg(v, VMQ_CMD_SET_VM, 0);

	vmqt_nl_put_vm(msg, id, name, VMQ_A_VM_ID, VMQ_A_VM_NAME);
	if (max_msg >= 0 || max_queue >= 0) {
		struct nlattr *nest = nla_nest_start(msg, VMQ_A_VM_QUOTAS);

		TEST_ASSERT(nest, "nla_nest_start");
		if (max_msg >= 0)
			TEST_ASSERT(!nla_put_u32(msg, VMQ_A_QUOTA_MAX_MSG, max_msg),
				    "nla_put");
		if (max_queue >= 0)
			TEST_ASSERT(!nla_put_u32(msg, VMQ_A_QUOTA_MAX_QUEUE,
						 max_queue), "nla_put");
		nla_nest_end(msg, nest);
	}
	return vmqt_nl_xfer(v, msg, NULL, NULL);
}

int vmqt_nl_set_quota(struct vmqt_nl *v, u32 id, int attr, u32 value)
{
	struct nl_msg *msg = vmqt_nl_msg(v, VMQ_CMD_SET_VM, 0);
	struct nlattr *nest;

	vmqt_nl_put_vm(msg, id, NULL, VMQ_A_VM_ID, VMQ_A_VM_NAME);
	nest = nla_nest_start(msg, VMQ_A_VM_QUOTAS);
	TEST_ASSERT(nest && !nla_put_u32(msg, attr, value), "nla_put");
	nla_nest_end(msg, nest);
	return vmqt_nl_xfer(v, msg, NULL, NULL);
}

int vmqt_nl_reset(struct vmqt_nl *v, u32 id)
{
	struct nl_msg *msg = vmqt_nl_msg(v, VMQ_CMD_RESET_COUNTERS, 0);

	if (id)
		TEST_ASSERT(!nla_put_u32(msg, VMQ_A_VM_ID, id), "nla_put");
	return vmqt_nl_xfer(v, msg, NULL, NULL);
}

static int vmqt_nl_event_cb(struct nl_msg *msg, void *arg)
{
	struct vmqt_nl_events *e = arg;
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[VMQ_A_MAX + 1];
	struct vmqt_nl_event *ev;

	TEST_ASSERT(gh->cmd == VMQ_CMD_EVENT, "multicast cmd %u", gh->cmd);
	TEST_ASSERT(!nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
			       genlmsg_attrlen(gh, 0), NULL), "nla_parse");
	TEST_ASSERT(tb[VMQ_A_EVENT] && tb[VMQ_A_VM_ID],
		    "event without VMQ_A_EVENT or VMQ_A_VM_ID");
	if (e->n >= VMQT_NL_MAX_EVENTS)
		return NL_OK;
	ev = &e->ev[e->n++];
	memset(ev, 0, sizeof(*ev));
	ev->event = nla_get_u32(tb[VMQ_A_EVENT]);
	ev->vm = nla_get_u32(tb[VMQ_A_VM_ID]);
	if (tb[VMQ_A_PEER_ID]) {
		ev->has_peer = true;
		ev->peer = nla_get_u32(tb[VMQ_A_PEER_ID]);
	}
	if (tb[VMQ_A_EVENT_ERROR]) {
		ev->has_error = true;
		ev->error = (s32)nla_get_u32(tb[VMQ_A_EVENT_ERROR]);
	}
	return NL_OK;
}

void vmqt_nl_events_open(struct vmqt_nl_events *e)
{
	int grp;

	memset(e, 0, sizeof(*e));
	e->sk = nl_socket_alloc();
	TEST_ASSERT(e->sk, "nl_socket_alloc");
	nl_socket_disable_seq_check(e->sk);
	TEST_ASSERT(!genl_connect(e->sk), "genl_connect");
	grp = genl_ctrl_resolve_grp(e->sk, VMQ_GENL_NAME, VMQ_GENL_MCGRP_EVENTS);
	TEST_ASSERT(grp >= 0, "multicast group \"%s\": %s",
		    VMQ_GENL_MCGRP_EVENTS, nl_geterror(grp));
	TEST_ASSERT(!nl_socket_add_membership(e->sk, grp), "add_membership");
	TEST_ASSERT(!nl_socket_set_nonblocking(e->sk), "nonblocking");
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_CUSTOM, vmqt_nl_event_cb, e);
}

void vmqt_nl_events_drain(struct vmqt_nl_events *e)
{
	int ret;

	do
		ret = nl_recvmsgs_default(e->sk);
	while (ret >= 0);
	TEST_ASSERT(ret == -NLE_AGAIN, "events: %s", nl_geterror(ret));
}

struct vmqt_nl_event *vmqt_nl_events_find(struct vmqt_nl_events *e, u32 ev,
					  u32 vm)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (e->ev[i].event == ev && e->ev[i].vm == vm)
			return &e->ev[i];
	return NULL;
}

struct vmqt_nl_event *vmqt_nl_events_wait(struct vmqt_nl_events *e, u32 ev,
					  u32 vm)
{
	struct pollfd p = { .fd = nl_socket_get_fd(e->sk), .events = POLLIN };
	struct vmqt_nl_event *r;
	int tries;

	for (tries = 0; tries < 60; tries++) {
		vmqt_nl_events_drain(e);
		r = vmqt_nl_events_find(e, ev, vm);
		if (r)
			return r;
		poll(&p, 1, 1000);
	}
	return NULL;
}

void vmqt_nl_events_close(struct vmqt_nl_events *e)
{
	nl_socket_free(e->sk);
	e->sk = NULL;
}

static int vmqt_nl_parse_stats(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[VMQ_A_MAX + 1], *a;
	u64 *stats = arg;
	int rem, seen = 0;

	TEST_ASSERT(gh->cmd == VMQ_CMD_GET_STATS, "reply cmd %u", gh->cmd);
	TEST_ASSERT(!nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
			       genlmsg_attrlen(gh, 0), NULL), "nla_parse");
	TEST_ASSERT(tb[VMQ_A_STATS], "GET_STATS reply without VMQ_A_STATS");
	nla_for_each_nested(a, tb[VMQ_A_STATS], rem) {
		int t = nla_type(a);

		if (t == 0)
			continue;	/* alignment padding */
		TEST_ASSERT(nla_len(a) == 8, "stat %d, len %d", t, nla_len(a));
		if (t <= VMQ_STAT_NR) {
			stats[t - 1] = nla_get_u64(a);
			seen++;
		}
	}
	TEST_ASSERT(seen == VMQ_STAT_NR, "GET_STATS: %d of %d statistics",
		    seen, VMQ_STAT_NR);
	return NL_OK;
}

int vmqt_nl_stats(struct vmqt_nl *v, u64 stats[VMQ_STAT_NR])
{
	return vmqt_nl_xfer(v, vmqt_nl_msg(v, VMQ_CMD_GET_STATS, 0),
			    vmqt_nl_parse_stats, stats);
}

static int vmqt_nl_parse_table(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[VMQ_A_MAX + 1], *ta[VMQ_A_TABLE_MAX + 1];
	struct vmqt_nl_tables *l = arg;
	struct vmqt_nl_table *t;

	TEST_ASSERT(gh->cmd == VMQ_CMD_GET_TABLES, "reply cmd %u", gh->cmd);
	TEST_ASSERT(!nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
			       genlmsg_attrlen(gh, 0), NULL) &&
		    tb[VMQ_A_VM_ID] && tb[VMQ_A_TABLE] &&
		    !nla_parse_nested(ta, VMQ_A_TABLE_MAX, tb[VMQ_A_TABLE],
				      NULL),
		    "GET_TABLES reply");
	TEST_ASSERT(ta[VMQ_A_TABLE_GPA] && ta[VMQ_A_TABLE_LEVEL] &&
		    ta[VMQ_A_TABLE_VA] && ta[VMQ_A_TABLE_SPAN] &&
		    ta[VMQ_A_TABLE_USERS] && ta[VMQ_A_TABLE_WRITES],
		    "GET_TABLES: an attribute is missing");
	if (l->nr == VMQT_NL_TABLES_MAX)
		return NL_OK;
	t = &l->t[l->nr++];
	t->vm = nla_get_u32(tb[VMQ_A_VM_ID]);
	t->gpa = nla_get_u64(ta[VMQ_A_TABLE_GPA]);
	t->level = nla_get_u32(ta[VMQ_A_TABLE_LEVEL]);
	t->va = nla_get_u64(ta[VMQ_A_TABLE_VA]);
	t->span = nla_get_u64(ta[VMQ_A_TABLE_SPAN]);
	t->aliased = !!ta[VMQ_A_TABLE_ALIASED];
	t->users = nla_get_u32(ta[VMQ_A_TABLE_USERS]);
	t->writes = nla_get_u32(ta[VMQ_A_TABLE_WRITES]);
	return NL_OK;
}

int vmqt_nl_tables(struct vmqt_nl *v, u32 id, struct vmqt_nl_tables *out)
{
	struct nl_msg *msg = vmqt_nl_msg(v, VMQ_CMD_GET_TABLES, NLM_F_DUMP);

	memset(out, 0, sizeof(*out));
	if (id)
		NLA_PUT_U32(msg, VMQ_A_VM_ID, id);
	return vmqt_nl_xfer(v, msg, vmqt_nl_parse_table, out);
nla_put_failure:
	TEST_FAIL("nla_put");
	return -EMSGSIZE;
}
