/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_nl.h: raw libnl-genl-3 access to vmq's generic netlink family for
 * the selftests. Deliberately independent of userspace/libvmq, so that the
 * tests check the kernel's interface and not a client library's reading of
 * it.
 *
 * Every request asks for an ACK and turns on NETLINK_EXT_ACK; the error
 * callback keeps the kernel's errno and its extended-ACK text
 * (NLMSGERR_ATTR_MSG) and attribute offset (NLMSGERR_ATTR_OFFS). Each
 * request names itself as the case's stage (vmqt_set_stage()).
 */
#ifndef SELFTEST_VMQT_NL_H
#define SELFTEST_VMQT_NL_H

#include <stdbool.h>
#include <linux/vmq.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "test_util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct vmqt_nl {
	struct nl_sock *sk;
	int family;
	/* Result of the last request. */
	bool done;
	int err;		/* 0 or the kernel's negative errno */
	char msg[256];		/* extended ACK message, "" if none */
	int offs;		/* NLMSGERR_ATTR_OFFS, -1 if none */
	/*
	 * A socket-level failure (no memory for the request or the reply,
	 * as under fault injection) ends the request with -ENOMEM instead
	 * of failing the test.
	 */
	bool lenient;
};

/* One VM as VMQ_CMD_GET_VM reports it. */
#define VMQT_NL_MAX_PEERS 16
struct vmqt_nl_vm {
	u32 id;
	bool has_name;
	char name[VMQ_NAME_MAX];
	u32 pid;
	u32 queue_size, queue_bytes, queue_msgs;
	u32 pages_in_flight;
	bool has_peers, has_quotas, has_counters;
	u32 peers[VMQT_NL_MAX_PEERS];
	int nr_peers;
	u32 max_msg, max_queue, max_pages, max_grants;
	u64 ctr[VMQ_CTR_NR];
	int nr_ctr;
};

#define VMQT_NL_MAX_VMS 64
struct vmqt_nl_vms {
	struct vmqt_nl_vm vm[VMQT_NL_MAX_VMS];
	int n;
};

/* Connect, resolve the family, turn on extended ACKs. -ENOENT: no vmq. */
int vmqt_nl_open(struct vmqt_nl *v);

void vmqt_nl_close(struct vmqt_nl *v);

struct nl_msg *vmqt_nl_msg(struct vmqt_nl *v, u8 cmd, int flags);

/*
 * Send @msg (consumed), hand every reply to @parse, wait for the ACK, the end
 * of the dump, or the error. Returns 0 or the kernel's negative errno.
 */
int vmqt_nl_xfer(struct vmqt_nl *v, struct nl_msg *msg,
		 nl_recvmsg_msg_cb_t parse, void *arg);

/* The last error came with the extended-ACK message @text. */
bool vmqt_nl_msg_is(struct vmqt_nl *v, const char *text);

/* VMQ_CMD_GET_VM (do) by id (non-zero) or name. */
int vmqt_nl_get(struct vmqt_nl *v, u32 id, const char *name,
		struct vmqt_nl_vm *out);

struct vmqt_nl_vm vmqt_nl_get_ok(struct vmqt_nl *v, u32 id);

/* VMQ_CMD_GET_VM dump into @vms. */
int vmqt_nl_dump(struct vmqt_nl *v, struct vmqt_nl_vms *vms);

/* VMQ_CMD_ALLOW / REVOKE / INTRODUCE by ids or names. */
int vmqt_nl_pair(struct vmqt_nl *v, u8 cmd, u32 id, const char *name,
		 u32 peer, const char *peer_name);

void vmqt_nl_pair_ok(struct vmqt_nl *v, u8 cmd, u32 id, u32 peer);

/* VMQ_CMD_SET_VM: @name and/or quotas (a negative quota is left out). */
int vmqt_nl_set(struct vmqt_nl *v, u32 id, const char *name,
		long long max_msg, long long max_queue);

/* VMQ_CMD_SET_VM of the one quota @attr (VMQ_A_QUOTA_*) to @value. */
int vmqt_nl_set_quota(struct vmqt_nl *v, u32 id, int attr, u32 value);

/* VMQ_CMD_RESET_COUNTERS; @id 0: every VM. */
int vmqt_nl_reset(struct vmqt_nl *v, u32 id);

/* VMQ_CMD_GET_STATS into @stats, by enum vmq_stat. */
/* VMQ_CMD_GET_TABLES of VM @id (0: send no VM), up to VMQT_NL_TABLES_MAX. */
#define VMQT_NL_TABLES_MAX	256

struct vmqt_nl_table {
	u32 vm, level, users, writes;
	u64 gpa, va, span;
	bool aliased;
};

struct vmqt_nl_tables {
	unsigned int nr;
	struct vmqt_nl_table t[VMQT_NL_TABLES_MAX];
};

int vmqt_nl_tables(struct vmqt_nl *v, u32 id, struct vmqt_nl_tables *out);
int vmqt_nl_stats(struct vmqt_nl *v, u64 stats[VMQ_STAT_NR]);

/* Events: a second socket in the "events" multicast group. */
struct vmqt_nl_event {
	u32 event, vm, peer;
	s32 error;
	bool has_peer, has_error;
};

#define VMQT_NL_MAX_EVENTS 256
struct vmqt_nl_events {
	struct nl_sock *sk;
	struct vmqt_nl_event ev[VMQT_NL_MAX_EVENTS];
	int n;
};

void vmqt_nl_events_open(struct vmqt_nl_events *e);

/* Read every event queued on the socket now. */
void vmqt_nl_events_drain(struct vmqt_nl_events *e);

struct vmqt_nl_event *vmqt_nl_events_find(struct vmqt_nl_events *e, u32 ev,
					  u32 vm);

/*
 * The event @ev about @vm: events are multicast synchronously by the
 * operation that causes them, so it is normally queued already; a VM's
 * teardown may finish a little later, hence the (generous) poll.
 */
struct vmqt_nl_event *vmqt_nl_events_wait(struct vmqt_nl_events *e, u32 ev,
					  u32 vm);

void vmqt_nl_events_close(struct vmqt_nl_events *e);

#endif /* SELFTEST_VMQT_NL_H */
