/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmq: a small client library for vmq's generic netlink family (and the
 * one /dev/vmq ioctl a VMM needs), on libnl-genl-3.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno value on failure. When the kernel refused a request, the
 * extended ACK message it sent is kept in the context until the next request:
 * vmq_last_error_msg() returns it ("" when the kernel gave none), and
 * vmq_last_error_attr() the type of the top-level attribute it pointed at.
 *
 * A context is not thread-safe; use one per thread.
 */
#ifndef _LIBVMQ_H
#define _LIBVMQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmq.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmq_ctx;
struct nl_msg;

/* One VM as VMQ_CMD_GET_VM describes it. */
struct vmq_vm_desc {
	uint32_t id;
	char name[VMQ_NAME_MAX];	/* "" when unnamed */
	int32_t pid;
	uint32_t queue_size;		/* receive queue data area, 0: none */
	uint32_t queue_bytes;		/* bytes waiting */
	uint32_t queue_msgs;		/* messages waiting */
	uint32_t *peers;		/* VMs it may send to, ascending */
	size_t nr_peers;
	uint32_t quota_max_msg;		/* 0: the module's max_msg_size */
	uint32_t quota_max_queue;	/* 0: no limit */
	uint32_t quota_max_pages;	/* pages in flight; 0: no limit */
	uint64_t counters[VMQ_CTR_NR];	/* enum vmq_counter */
	unsigned int nr_counters;	/* how many the kernel reported */
};

/*
 * A VM named by id or by name: the id wins when non-zero (as in the kernel).
 * VMQ_REF_ID(7), VMQ_REF_NAME("reader").
 */
struct vmq_ref {
	uint32_t id;
	const char *name;
};

#define VMQ_REF_ID(i)		((struct vmq_ref){ .id = (i) })
#define VMQ_REF_NAME(n)		((struct vmq_ref){ .name = (n) })

/* Quotas to change: only the fields whose set_* flag is true are sent. */
struct vmq_quota_set {
	bool set_max_msg;
	bool set_max_queue;
	bool set_max_pages;
	uint32_t max_msg;
	uint32_t max_queue;
	uint32_t max_pages;
};

/* One VMQ_CMD_EVENT message. */
struct vmq_event_info {
	enum vmq_event event;
	uint32_t vm;
	uint32_t peer;		/* 0: none attached */
	int32_t error;		/* negative errno, 0: none attached */
};

/*
 * Called for every event; return 0 to go on, anything else to stop
 * vmq_events_wait() after this event (that value is then returned).
 */
typedef int (*vmq_event_cb)(const struct vmq_event_info *ev, void *arg);

/* Connect and resolve the family. -ENOENT: vmq is not loaded. */
int vmq_open(struct vmq_ctx **ctxp);
void vmq_close(struct vmq_ctx *ctx);

const char *vmq_last_error_msg(const struct vmq_ctx *ctx);
int vmq_last_error_attr(const struct vmq_ctx *ctx);	/* -1: none */
int vmq_family_id(const struct vmq_ctx *ctx);

/* Parse "7" as an id and anything else as a name (no copy is made). */
void vmq_ref_parse(const char *s, struct vmq_ref *ref);

/* Queries. Release descriptions with vmq_vm_desc_release/vmq_vm_list_free. */
int vmq_get_vm(struct vmq_ctx *ctx, const struct vmq_ref *vm,
	       struct vmq_vm_desc *out);
int vmq_list_vms(struct vmq_ctx *ctx, struct vmq_vm_desc **vms, size_t *nr);
void vmq_vm_desc_release(struct vmq_vm_desc *vm);
void vmq_vm_list_free(struct vmq_vm_desc *vms, size_t nr);
/* The VM with id @id in a list, or NULL. */
const struct vmq_vm_desc *vmq_vm_list_find(const struct vmq_vm_desc *vms,
					   size_t nr, uint32_t id);
bool vmq_vm_has_peer(const struct vmq_vm_desc *vm, uint32_t peer);

/* Changes (CAP_NET_ADMIN). */
int vmq_set_name(struct vmq_ctx *ctx, uint32_t id, const char *name);
int vmq_set_quotas(struct vmq_ctx *ctx, const struct vmq_ref *vm,
		   const struct vmq_quota_set *q);
int vmq_allow(struct vmq_ctx *ctx, const struct vmq_ref *vm,
	      const struct vmq_ref *peer);
int vmq_revoke(struct vmq_ctx *ctx, const struct vmq_ref *vm,
	       const struct vmq_ref *peer);
int vmq_introduce(struct vmq_ctx *ctx, const struct vmq_ref *vm,
		  const struct vmq_ref *peer);
/* @vm NULL: every VM. */
int vmq_reset_counters(struct vmq_ctx *ctx, const struct vmq_ref *vm);

/*
 * Raw requests, for what the helpers above do not cover (and for tests that
 * send malformed ones): vmq_msg_new() starts a request for @cmd with the
 * family header; add attributes with libnl's nla_put_*(); vmq_msg_send()
 * sends it (and frees it), waits for the ACK or the end of the dump, and calls
 * @parse for every reply message (it may be NULL). @parse returns 0 or a
 * negative errno, which vmq_msg_send() then returns.
 */
struct nl_msg *vmq_msg_new(struct vmq_ctx *ctx, uint8_t cmd, int flags);
int vmq_msg_send(struct vmq_ctx *ctx, struct nl_msg *msg,
		 int (*parse)(struct nl_msg *reply, void *arg), void *arg);
/* Fill @out from a VMQ_CMD_GET_VM reply (for raw requests). */
int vmq_parse_vm(struct nl_msg *reply, struct vmq_vm_desc *out);

/*
 * Events: vmq_events_subscribe() opens a second socket that joins the
 * "events" group; vmq_events_fd() is pollable. vmq_events_wait() waits up
 * to @timeout_ms (-1: forever, 0: only what is queued) and delivers the
 * events that arrived to @cb. It returns the number of events delivered,
 * a callback's non-zero value, or -errno (-ENOBUFS: the socket overflowed
 * and events were lost; the socket remains usable; -EINTR: a signal).
 */
int vmq_events_subscribe(struct vmq_ctx *ctx);
int vmq_events_fd(const struct vmq_ctx *ctx);
int vmq_events_wait(struct vmq_ctx *ctx, int timeout_ms, vmq_event_cb cb,
		    void *arg);

/* Names for output: "tx_msgs", "attached", ...; NULL when unknown. */
const char *vmq_counter_name(unsigned int ctr);
const char *vmq_event_name(unsigned int event);
/* "EACCES" for 13 or -13; NULL when unknown. */
const char *vmq_errno_name(int err);

/*
 * For VMMs: attach the KVM VM behind @vm_fd through /dev/vmq, optionally
 * naming it (@name NULL or ""), and return its id in @id. The _fd variant
 * takes an open /dev/vmq descriptor.
 */
int vmq_attach_vm(int vm_fd, const char *name, uint32_t *id);
int vmq_attach_vm_fd(int dev_fd, int vm_fd, const char *name, uint32_t *id);

#ifdef __cplusplus
}
#endif

#endif /* _LIBVMQ_H */
