/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmq: a small client library for vmq's generic netlink family (and the
 * one /dev/vmq ioctl a VMM needs), on libnl-genl-3.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno value on failure. When the kernel refused a request, the
 * extended ACK message it sent is kept in the context until the next request:
 * libvmq_last_error_msg() returns it ("" when the kernel gave none), and
 * libvmq_last_error_attr() the type of the top-level attribute it pointed at.
 *
 * Everything it exports is named libvmq_ (LIBVMQ_ for macros); the UAPI
 * types and constants of <linux/vmq.h> keep their vmq_/VMQ_ names.
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

struct libvmq_ctx;
struct nl_msg;

/* One VM as VMQ_CMD_GET_VM describes it. */
struct libvmq_vm {
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
	uint32_t quota_max_grants;	/* copy grants; 0: VMQ_GRANTS_MAX */
	uint64_t counters[VMQ_CTR_NR];	/* enum vmq_counter */
	unsigned int nr_counters;	/* how many the kernel reported */
};

/*
 * A VM named by id or by name: the id wins when non-zero (as in the kernel).
 * LIBVMQ_REF_ID(7), LIBVMQ_REF_NAME("reader").
 */
struct libvmq_ref {
	uint32_t id;
	const char *name;
};

#define LIBVMQ_REF_ID(i)		((struct libvmq_ref){ .id = (i) })
#define LIBVMQ_REF_NAME(n)		((struct libvmq_ref){ .name = (n) })

/* Quotas to change: only the fields whose set_* flag is true are sent. */
struct libvmq_quota_set {
	bool set_max_msg;
	bool set_max_queue;
	bool set_max_pages;
	bool set_max_grants;
	uint32_t max_msg;
	uint32_t max_queue;
	uint32_t max_pages;
	uint32_t max_grants;
};

/* One VMQ_CMD_EVENT message. */
struct libvmq_event {
	enum vmq_event event;
	uint32_t vm;
	uint32_t peer;		/* 0: none attached */
	int32_t error;		/* negative errno, 0: none attached */
};

/*
 * Called for every event; return 0 to go on, anything else to stop
 * libvmq_events_wait() after this event (that value is then returned).
 */
typedef int (*libvmq_event_cb)(const struct libvmq_event *ev, void *arg);

/* Connect and resolve the family. -ENOENT: vmq is not loaded. */
int libvmq_open(struct libvmq_ctx **ctxp);
void libvmq_close(struct libvmq_ctx *ctx);

const char *libvmq_last_error_msg(const struct libvmq_ctx *ctx);
int libvmq_last_error_attr(const struct libvmq_ctx *ctx);	/* -1: none */
int libvmq_family_id(const struct libvmq_ctx *ctx);

/* Parse "7" as an id and anything else as a name (no copy is made). */
void libvmq_ref_parse(const char *s, struct libvmq_ref *ref);

/* Queries. Release descriptions with libvmq_vm_release/libvmq_vm_list_free. */
int libvmq_get_vm(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		  struct libvmq_vm *out);
int libvmq_list_vms(struct libvmq_ctx *ctx, struct libvmq_vm **vms, size_t *nr);
void libvmq_vm_release(struct libvmq_vm *vm);
void libvmq_vm_list_free(struct libvmq_vm *vms, size_t nr);
/* The VM with id @id in a list, or NULL. */
const struct libvmq_vm *libvmq_vm_list_find(const struct libvmq_vm *vms,
					    size_t nr, uint32_t id);
bool libvmq_vm_has_peer(const struct libvmq_vm *vm, uint32_t peer);

/* Changes (CAP_NET_ADMIN). */
int libvmq_set_name(struct libvmq_ctx *ctx, uint32_t id, const char *name);
int libvmq_set_quotas(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		      const struct libvmq_quota_set *q);
int libvmq_allow(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		 const struct libvmq_ref *peer);
int libvmq_revoke(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		  const struct libvmq_ref *peer);
int libvmq_introduce(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		     const struct libvmq_ref *peer);
/* @vm NULL: every VM. */
int libvmq_reset_counters(struct libvmq_ctx *ctx, const struct libvmq_ref *vm);
/* VMQ_CMD_GET_STATS: the module-wide statistics, by enum vmq_stat. */
int libvmq_get_stats(struct libvmq_ctx *ctx, uint64_t stats[VMQ_STAT_NR]);

/* A guest page table vmq write-tracks (VMQ_CMD_GET_TABLES). */
struct libvmq_table {
	uint64_t gpa;
	uint32_t level;		/* 4: PML4 ... 1: page table */
	bool aliased;		/* also met at another place */
	uint64_t va, span;	/* the virtual range it maps */
	uint32_t users;		/* cached translations on it */
	uint32_t writes;	/* trapped writes to it */
};

/* The VM's tracked tables; free(*tables) when done. */
int libvmq_list_tables(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		       struct libvmq_table **tables, size_t *nr);

/*
 * Raw requests, for what the helpers above do not cover (and for tests that
 * send malformed ones): libvmq_msg_new() starts a request for @cmd with the
 * family header; add attributes with libnl's nla_put_*(); libvmq_msg_send()
 * sends it (and frees it), waits for the ACK or the end of the dump, and calls
 * @parse for every reply message (it may be NULL). @parse returns 0 or a
 * negative errno, which libvmq_msg_send() then returns.
 */
struct nl_msg *libvmq_msg_new(struct libvmq_ctx *ctx, uint8_t cmd, int flags);
int libvmq_msg_send(struct libvmq_ctx *ctx, struct nl_msg *msg,
		    int (*parse)(struct nl_msg *reply, void *arg), void *arg);
/* Fill @out from a VMQ_CMD_GET_VM reply (for raw requests). */
int libvmq_parse_vm(struct nl_msg *reply, struct libvmq_vm *out);

/*
 * Events: libvmq_events_subscribe() opens a second socket that joins the
 * "events" group; libvmq_events_fd() is pollable. libvmq_events_wait() waits up
 * to @timeout_ms (-1: forever, 0: only what is queued) and delivers the
 * events that arrived to @cb. It returns the number of events delivered,
 * a callback's non-zero value, or -errno (-ENOBUFS: the socket overflowed
 * and events were lost; the socket remains usable; -EINTR: a signal).
 */
int libvmq_events_subscribe(struct libvmq_ctx *ctx);
int libvmq_events_fd(const struct libvmq_ctx *ctx);
int libvmq_events_wait(struct libvmq_ctx *ctx, int timeout_ms, libvmq_event_cb cb,
		       void *arg);

/* Names for output: "tx_msgs", "attached", ...; NULL when unknown. */
const char *libvmq_counter_name(unsigned int ctr);
const char *libvmq_stat_name(unsigned int stat);
const char *libvmq_event_name(unsigned int event);
/* "EACCES" for 13 or -13; NULL when unknown. */
const char *libvmq_errno_name(int err);

/*
 * For VMMs: attach the KVM VM behind @vm_fd through /dev/vmq, optionally
 * naming it (@name NULL or ""), and return its id in @id. The _fd variant
 * takes an open /dev/vmq descriptor.
 */
int libvmq_attach_vm(int vm_fd, const char *name, uint32_t *id);
int libvmq_attach_vm_fd(int dev_fd, int vm_fd, const char *name, uint32_t *id);

#ifdef __cplusplus
}
#endif

#endif /* _LIBVMQ_H */
