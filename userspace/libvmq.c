// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmq: client library for vmq's generic netlink family, on libnl-genl-3.
 * See libvmq.h for the API.
 *
 * Requests go out on one socket with NETLINK_EXT_ACK set, so that every
 * refusal comes back with the kernel's explanation; a custom error callback
 * picks NLMSGERR_ATTR_MSG and NLMSGERR_ATTR_OFFS out of the ACK and keeps
 * them in the context. Events arrive on a second socket that joined the
 * "events" multicast group; it is read directly, so that an overflow
 * (ENOBUFS) can be told apart from other failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "libvmq.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct libvmq_ctx {
	struct nl_sock *sock;
	struct nl_sock *ev_sock;
	int family;
	int ev_group;
	char err_msg[256];
	int err_attr;
	char *ev_buf;
	size_t ev_buf_size;
};

/* State of one request/response exchange. */
struct vmq_xfer {
	struct libvmq_ctx *ctx;
	struct nl_msg *req;
	int (*parse)(struct nl_msg *reply, void *arg);
	void *arg;
	int error;		/* the kernel's or @parse's, negative */
	int done;
};

static int nlerr_to_errno(int err)
{
	if (err >= 0)
		return err;
	switch (-err) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_MSGSIZE:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
		return -EMSGSIZE;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AF_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	default:
		return -EIO;
	}
}

static void clear_error(struct libvmq_ctx *ctx)
{
	ctx->err_msg[0] = '\0';
	ctx->err_attr = -1;
}

const char *libvmq_last_error_msg(const struct libvmq_ctx *ctx)
{
	return ctx->err_msg;
}

int libvmq_last_error_attr(const struct libvmq_ctx *ctx)
{
	return ctx->err_attr;
}

int libvmq_family_id(const struct libvmq_ctx *ctx)
{
	return ctx->family;
}

int libvmq_open(struct libvmq_ctx **ctxp)
{
	struct libvmq_ctx *ctx;
	int one = 1, ret, fd;

	*ctxp = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	clear_error(ctx);
	ctx->ev_group = -1;
	ctx->sock = nl_socket_alloc();
	if (!ctx->sock) {
		free(ctx);
		return -ENOMEM;
	}
	ret = genl_connect(ctx->sock);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto err;
	}
	fd = nl_socket_get_fd(ctx->sock);
	/* Explanations with every error; old kernels merely lack them. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	ret = genl_ctrl_resolve(ctx->sock, VMQ_GENL_NAME);
	if (ret < 0) {
		ret = ret == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr_to_errno(ret);
		goto err;
	}
	ctx->family = ret;
	*ctxp = ctx;
	return 0;
err:
	nl_socket_free(ctx->sock);
	free(ctx);
	return ret;
}

void libvmq_close(struct libvmq_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->ev_sock)
		nl_socket_free(ctx->ev_sock);
	nl_socket_free(ctx->sock);
	free(ctx->ev_buf);
	free(ctx);
}

void libvmq_ref_parse(const char *s, struct libvmq_ref *ref)
{
	unsigned long v;
	char *end;

	ref->id = 0;
	ref->name = s;
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (!*end && !errno && v <= UINT32_MAX)
			ref->id = v;
	}
}

/* ---- requests ---------------------------------------------------------- */

struct nl_msg *libvmq_msg_new(struct libvmq_ctx *ctx, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->family, 0, flags,
			 cmd, VMQ_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * The attribute type at byte @offs of our request (NLMSGERR_ATTR_OFFS
 * counts from the start of its netlink header), or -1.
 */
static int attr_at(struct nl_msg *req, uint32_t offs)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct nlattr *nla;

	if (offs < NLMSG_HDRLEN + GENL_HDRLEN ||
	    offs + sizeof(*nla) > nlh->nlmsg_len)
		return -1;
	nla = (struct nlattr *)((char *)nlh + offs);
	return nla_type(nla);
}

/* Keep the kernel's extended ACK: message text and offending attribute. */
static void keep_ext_ack(struct vmq_xfer *x, const struct nlmsghdr *nlh,
			 const struct nlmsgerr *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct libvmq_ctx *ctx = x->ctx;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		const char *m = nla_data(tb[NLMSGERR_ATTR_MSG]);
		int len = nla_len(tb[NLMSGERR_ATTR_MSG]);

		snprintf(ctx->err_msg, sizeof(ctx->err_msg), "%.*s", len, m);
	}
	if (tb[NLMSGERR_ATTR_OFFS] && x->req)
		ctx->err_attr = attr_at(x->req,
					nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
}

static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct vmq_xfer *x = arg;
	const struct nlmsghdr *nlh =
		(const struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)nla;
	keep_ext_ack(x, nlh, e);
	x->error = e->error;
	x->done = 1;
	return NL_STOP;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct vmq_xfer *x = arg;
	int ret;

	if (!x->parse || x->error)
		return NL_OK;
	ret = x->parse(msg, x->arg);
	if (ret < 0)
		x->error = ret;	/* keep reading to the end of the reply */
	return NL_OK;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct vmq_xfer *x = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/*
	 * A dump that failed says so in NLMSG_DONE's payload, followed by the
	 * extended ACK's attributes when NLM_F_ACK_TLVS is set.
	 */
	if (!x->error && nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int err = *(int *)nlmsg_data(nlh);
		size_t off = NLMSG_HDRLEN + sizeof(int);
		struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

		if (err < 0)
			x->error = err;
		if (err < 0 && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
		    off < nlh->nlmsg_len &&
		    nla_parse(tb, NLMSGERR_ATTR_MAX,
			      (struct nlattr *)((char *)nlh + off),
			      nlh->nlmsg_len - off, NULL) >= 0 &&
		    tb[NLMSGERR_ATTR_MSG])
			snprintf(x->ctx->err_msg, sizeof(x->ctx->err_msg),
				 "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
				 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	}
	x->done = 1;
	return NL_STOP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct vmq_xfer *x = arg;

	(void)msg;
	x->done = 1;
	return NL_STOP;
}

int libvmq_msg_send(struct libvmq_ctx *ctx, struct nl_msg *msg,
		    int (*parse)(struct nl_msg *reply, void *arg), void *arg)
{
	struct vmq_xfer x = {
		.ctx = ctx, .req = msg, .parse = parse, .arg = arg,
	};
	struct nl_cb *cb;
	int ret;

	clear_error(ctx);
	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, &x);

	ret = nl_send_auto(ctx->sock, msg);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto out;
	}
	while (!x.done) {
		ret = nl_recvmsgs(ctx->sock, cb);
		if (ret < 0 && !x.done) {
			ret = nlerr_to_errno(ret);
			goto out;
		}
	}
	ret = x.error;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return ret;
}

/* Name a VM (or peer) by id when it has one, else by name. */
static int put_ref(struct nl_msg *msg, int id_attr, int name_attr,
		   const struct libvmq_ref *ref)
{
	if (ref->id)
		return nla_put_u32(msg, id_attr, ref->id);
	if (ref->name)
		return nla_put_string(msg, name_attr, ref->name);
	return 0;
}

/* ---- VM descriptions --------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int libvmq_parse_vm(struct nl_msg *reply, struct libvmq_vm *out)
{
	struct nlattr *tb[VMQ_A_MAX + 1], *nla;
	struct nlmsghdr *nlh = nlmsg_hdr(reply);
	size_t n = 0;
	int rem, ret;

	memset(out, 0, sizeof(*out));
	ret = genlmsg_parse(nlh, 0, tb, VMQ_A_MAX, NULL);
	if (ret < 0)
		return nlerr_to_errno(ret);
	if (!tb[VMQ_A_VM_ID])
		return -EPROTO;
	out->id = nla_get_u32(tb[VMQ_A_VM_ID]);
	if (tb[VMQ_A_VM_NAME])
		snprintf(out->name, sizeof(out->name), "%.*s",
			 nla_len(tb[VMQ_A_VM_NAME]),
			 (char *)nla_data(tb[VMQ_A_VM_NAME]));
	if (tb[VMQ_A_VM_PID])
		out->pid = (int32_t)nla_get_u32(tb[VMQ_A_VM_PID]);
	if (tb[VMQ_A_VM_QUEUE_SIZE])
		out->queue_size = nla_get_u32(tb[VMQ_A_VM_QUEUE_SIZE]);
	if (tb[VMQ_A_VM_QUEUE_BYTES])
		out->queue_bytes = nla_get_u32(tb[VMQ_A_VM_QUEUE_BYTES]);
	if (tb[VMQ_A_VM_QUEUE_MSGS])
		out->queue_msgs = nla_get_u32(tb[VMQ_A_VM_QUEUE_MSGS]);
	if (tb[VMQ_A_VM_PEERS]) {
		nla_for_each_nested(nla, tb[VMQ_A_VM_PEERS], rem)
			if (nla_type(nla) == VMQ_A_PEER_ID)
				n++;
		if (n) {
			out->peers = calloc(n, sizeof(*out->peers));
			if (!out->peers)
				return -ENOMEM;
			nla_for_each_nested(nla, tb[VMQ_A_VM_PEERS], rem)
				if (nla_type(nla) == VMQ_A_PEER_ID &&
				    out->nr_peers < n)
					out->peers[out->nr_peers++] =
						nla_get_u32(nla);
			qsort(out->peers, out->nr_peers, sizeof(*out->peers),
			      cmp_u32);
		}
	}
	if (tb[VMQ_A_VM_QUOTAS]) {
		nla_for_each_nested(nla, tb[VMQ_A_VM_QUOTAS], rem) {
			if (nla_len(nla) < 4)
				continue;
			if (nla_type(nla) == VMQ_A_QUOTA_MAX_MSG)
				out->quota_max_msg = nla_get_u32(nla);
			else if (nla_type(nla) == VMQ_A_QUOTA_MAX_QUEUE)
				out->quota_max_queue = nla_get_u32(nla);
			else if (nla_type(nla) == VMQ_A_QUOTA_MAX_PAGES)
				out->quota_max_pages = nla_get_u32(nla);
			else if (nla_type(nla) == VMQ_A_QUOTA_MAX_GRANTS)
				out->quota_max_grants = nla_get_u32(nla);
		}
	}
	if (tb[VMQ_A_VM_COUNTERS]) {
		nla_for_each_nested(nla, tb[VMQ_A_VM_COUNTERS], rem) {
			int t = nla_type(nla);

			if (t < 1 || t > VMQ_CTR_NR || nla_len(nla) < 8)
				continue;
			out->counters[t - 1] = nla_get_u64(nla);
			if ((unsigned int)t > out->nr_counters)
				out->nr_counters = t;
		}
	}
	return 0;
}

void libvmq_vm_release(struct libvmq_vm *vm)
{
	free(vm->peers);
	vm->peers = NULL;
	vm->nr_peers = 0;
}

void libvmq_vm_list_free(struct libvmq_vm *vms, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		libvmq_vm_release(&vms[i]);
	free(vms);
}

const struct libvmq_vm *libvmq_vm_list_find(const struct libvmq_vm *vms,
					    size_t nr, uint32_t id)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (vms[i].id == id)
			return &vms[i];
	return NULL;
}

bool libvmq_vm_has_peer(const struct libvmq_vm *vm, uint32_t peer)
{
	size_t i;

	for (i = 0; i < vm->nr_peers; i++)
		if (vm->peers[i] == peer)
			return true;
	return false;
}

struct get_one {
	struct libvmq_vm *out;
	int got;
};

static int parse_one(struct nl_msg *reply, void *arg)
{
	struct get_one *g = arg;
	int ret;

	if (g->got)
		return 0;
	ret = libvmq_parse_vm(reply, g->out);
	if (!ret)
		g->got = 1;
	return ret;
}

int libvmq_get_vm(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		  struct libvmq_vm *out)
{
	struct get_one g = { .out = out };
	struct nl_msg *msg;
	int ret;

	memset(out, 0, sizeof(*out));
	msg = libvmq_msg_new(ctx, VMQ_CMD_GET_VM, 0);
	if (!msg)
		return -ENOMEM;
	if (put_ref(msg, VMQ_A_VM_ID, VMQ_A_VM_NAME, vm) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = libvmq_msg_send(ctx, msg, parse_one, &g);
	if (!ret && !g.got)
		ret = -EPROTO;
	if (ret)
		libvmq_vm_release(out);
	return ret;
}

struct get_list {
	struct libvmq_vm *vms;
	size_t nr, cap;
};

static int parse_list(struct nl_msg *reply, void *arg)
{
	struct get_list *l = arg;
	int ret;

	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct libvmq_vm *v = realloc(l->vms, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->vms = v;
		l->cap = cap;
	}
	ret = libvmq_parse_vm(reply, &l->vms[l->nr]);
	if (!ret)
		l->nr++;
	return ret;
}

int libvmq_list_vms(struct libvmq_ctx *ctx, struct libvmq_vm **vms, size_t *nr)
{
	struct get_list l = { 0 };
	int ret;

	*vms = NULL;
	*nr = 0;
	ret = libvmq_msg_send(ctx, libvmq_msg_new(ctx, VMQ_CMD_GET_VM, NLM_F_DUMP),
			      parse_list, &l);
	if (ret) {
		libvmq_vm_list_free(l.vms, l.nr);
		return ret;
	}
	*vms = l.vms;
	*nr = l.nr;
	return 0;
}

/* ---- changes ------------------------------------------------------------- */

int libvmq_set_name(struct libvmq_ctx *ctx, uint32_t id, const char *name)
{
	struct nl_msg *msg = libvmq_msg_new(ctx, VMQ_CMD_SET_VM, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, VMQ_A_VM_ID, id) < 0 ||
	    nla_put_string(msg, VMQ_A_VM_NAME, name ? name : "") < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return libvmq_msg_send(ctx, msg, NULL, NULL);
}

int libvmq_set_quotas(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		      const struct libvmq_quota_set *q)
{
	struct libvmq_ref by_id = *vm;
	struct nlattr *nest;
	struct nl_msg *msg;
	int ret;

	/*
	 * VMQ_CMD_SET_VM reads VMQ_A_VM_NAME as a new name: a VM named by
	 * name is looked up first and then named by its id.
	 */
	if (!vm->id && vm->name) {
		struct libvmq_vm d;

		ret = libvmq_get_vm(ctx, vm, &d);
		if (ret)
			return ret;
		by_id = LIBVMQ_REF_ID(d.id);
		libvmq_vm_release(&d);
	}
	msg = libvmq_msg_new(ctx, VMQ_CMD_SET_VM, 0);
	if (!msg)
		return -ENOMEM;
	if (put_ref(msg, VMQ_A_VM_ID, VMQ_A_VM_NAME, &by_id) < 0)
		goto too_big;
	nest = nla_nest_start(msg, VMQ_A_VM_QUOTAS);
	if (!nest)
		goto too_big;
	if (q->set_max_msg &&
	    nla_put_u32(msg, VMQ_A_QUOTA_MAX_MSG, q->max_msg) < 0)
		goto too_big;
	if (q->set_max_queue &&
	    nla_put_u32(msg, VMQ_A_QUOTA_MAX_QUEUE, q->max_queue) < 0)
		goto too_big;
	if (q->set_max_pages &&
	    nla_put_u32(msg, VMQ_A_QUOTA_MAX_PAGES, q->max_pages) < 0)
		goto too_big;
	if (q->set_max_grants &&
	    nla_put_u32(msg, VMQ_A_QUOTA_MAX_GRANTS, q->max_grants) < 0)
		goto too_big;
	nla_nest_end(msg, nest);
	return libvmq_msg_send(ctx, msg, NULL, NULL);
too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int pair_cmd(struct libvmq_ctx *ctx, uint8_t cmd, const struct libvmq_ref *vm,
		    const struct libvmq_ref *peer)
{
	struct nl_msg *msg = libvmq_msg_new(ctx, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (put_ref(msg, VMQ_A_VM_ID, VMQ_A_VM_NAME, vm) < 0 ||
	    put_ref(msg, VMQ_A_PEER_ID, VMQ_A_PEER_NAME, peer) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return libvmq_msg_send(ctx, msg, NULL, NULL);
}

int libvmq_allow(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		 const struct libvmq_ref *peer)
{
	return pair_cmd(ctx, VMQ_CMD_ALLOW, vm, peer);
}

int libvmq_revoke(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		  const struct libvmq_ref *peer)
{
	return pair_cmd(ctx, VMQ_CMD_REVOKE, vm, peer);
}

int libvmq_introduce(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		     const struct libvmq_ref *peer)
{
	return pair_cmd(ctx, VMQ_CMD_INTRODUCE, vm, peer);
}

int libvmq_reset_counters(struct libvmq_ctx *ctx, const struct libvmq_ref *vm)
{
	struct nl_msg *msg = libvmq_msg_new(ctx, VMQ_CMD_RESET_COUNTERS, 0);

	if (!msg)
		return -ENOMEM;
	if (vm && put_ref(msg, VMQ_A_VM_ID, VMQ_A_VM_NAME, vm) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return libvmq_msg_send(ctx, msg, NULL, NULL);
}

static int parse_stats(struct nl_msg *reply, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(reply));
	struct nlattr *tb[VMQ_A_MAX + 1], *a;
	uint64_t *stats = arg;
	int rem;

	if (nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
		      genlmsg_attrlen(gh, 0), NULL) || !tb[VMQ_A_STATS])
		return -EPROTO;
	/* Type 0 is alignment padding; types past ours are newer stats. */
	nla_for_each_nested(a, tb[VMQ_A_STATS], rem) {
		int t = nla_type(a);

		if (t >= 1 && t <= VMQ_STAT_NR && nla_len(a) == 8)
			stats[t - 1] = nla_get_u64(a);
	}
	return 0;
}

int libvmq_get_stats(struct libvmq_ctx *ctx, uint64_t stats[VMQ_STAT_NR])
{
	memset(stats, 0, sizeof(uint64_t) * VMQ_STAT_NR);
	return libvmq_msg_send(ctx, libvmq_msg_new(ctx, VMQ_CMD_GET_STATS, 0),
			       parse_stats, stats);
}

struct get_tables {
	struct libvmq_table *t;
	size_t nr, cap;
};

static int parse_table(struct nl_msg *reply, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(reply));
	struct nlattr *tb[VMQ_A_MAX + 1], *ta[VMQ_A_TABLE_MAX + 1];
	struct get_tables *l = arg;
	struct libvmq_table *t;

	if (nla_parse(tb, VMQ_A_MAX, genlmsg_attrdata(gh, 0),
		      genlmsg_attrlen(gh, 0), NULL) || !tb[VMQ_A_TABLE] ||
	    nla_parse_nested(ta, VMQ_A_TABLE_MAX, tb[VMQ_A_TABLE], NULL) ||
	    !ta[VMQ_A_TABLE_GPA] || !ta[VMQ_A_TABLE_LEVEL])
		return -EPROTO;
	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		t = realloc(l->t, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		l->t = t;
		l->cap = cap;
	}
	t = &l->t[l->nr++];
	memset(t, 0, sizeof(*t));
	t->gpa = nla_get_u64(ta[VMQ_A_TABLE_GPA]);
	t->level = nla_get_u32(ta[VMQ_A_TABLE_LEVEL]);
	if (ta[VMQ_A_TABLE_VA])
		t->va = nla_get_u64(ta[VMQ_A_TABLE_VA]);
	if (ta[VMQ_A_TABLE_SPAN])
		t->span = nla_get_u64(ta[VMQ_A_TABLE_SPAN]);
	t->aliased = !!ta[VMQ_A_TABLE_ALIASED];
	if (ta[VMQ_A_TABLE_USERS])
		t->users = nla_get_u32(ta[VMQ_A_TABLE_USERS]);
	if (ta[VMQ_A_TABLE_WRITES])
		t->writes = nla_get_u32(ta[VMQ_A_TABLE_WRITES]);
	return 0;
}

int libvmq_list_tables(struct libvmq_ctx *ctx, const struct libvmq_ref *vm,
		       struct libvmq_table **tables, size_t *nr)
{
	struct get_tables l = { 0 };
	struct nl_msg *msg;
	int ret;

	*tables = NULL;
	*nr = 0;
	msg = libvmq_msg_new(ctx, VMQ_CMD_GET_TABLES, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (put_ref(msg, VMQ_A_VM_ID, VMQ_A_VM_NAME, vm) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = libvmq_msg_send(ctx, msg, parse_table, &l);
	if (ret) {
		free(l.t);
		return ret;
	}
	*tables = l.t;
	*nr = l.nr;
	return 0;
}

/* ---- events -------------------------------------------------------------- */

int libvmq_events_subscribe(struct libvmq_ctx *ctx)
{
	int ret, grp, fd, size = 1 << 20;

	if (ctx->ev_sock)
		return 0;
	grp = genl_ctrl_resolve_grp(ctx->sock, VMQ_GENL_NAME,
				    VMQ_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr_to_errno(grp);
	ctx->ev_sock = nl_socket_alloc();
	if (!ctx->ev_sock)
		return -ENOMEM;
	nl_socket_disable_seq_check(ctx->ev_sock);
	ret = genl_connect(ctx->ev_sock);
	if (ret < 0)
		goto err;
	fd = nl_socket_get_fd(ctx->ev_sock);
	/* Room for bursts (hypercall paths can emit many events quickly). */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	ret = nl_socket_add_membership(ctx->ev_sock, grp);
	if (ret < 0)
		goto err;
	ctx->ev_group = grp;
	ctx->ev_buf_size = 65536;
	ctx->ev_buf = malloc(ctx->ev_buf_size);
	if (!ctx->ev_buf) {
		ret = -NLE_NOMEM;
		goto err;
	}
	return 0;
err:
	nl_socket_free(ctx->ev_sock);
	ctx->ev_sock = NULL;
	return nlerr_to_errno(ret);
}

int libvmq_events_fd(const struct libvmq_ctx *ctx)
{
	return ctx->ev_sock ? nl_socket_get_fd(ctx->ev_sock) : -EBADF;
}

static int parse_event(struct libvmq_ctx *ctx, struct nlmsghdr *nlh,
		       struct libvmq_event *ev)
{
	struct nlattr *tb[VMQ_A_MAX + 1];
	struct genlmsghdr *gh;

	if (nlh->nlmsg_type != ctx->family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -1;
	gh = nlmsg_data(nlh);
	if (gh->cmd != VMQ_CMD_EVENT)
		return -1;
	if (genlmsg_parse(nlh, 0, tb, VMQ_A_MAX, NULL) < 0 ||
	    !tb[VMQ_A_EVENT])
		return -1;
	memset(ev, 0, sizeof(*ev));
	ev->event = nla_get_u32(tb[VMQ_A_EVENT]);
	if (tb[VMQ_A_VM_ID])
		ev->vm = nla_get_u32(tb[VMQ_A_VM_ID]);
	if (tb[VMQ_A_PEER_ID])
		ev->peer = nla_get_u32(tb[VMQ_A_PEER_ID]);
	if (tb[VMQ_A_EVENT_ERROR])
		ev->error = (int32_t)nla_get_u32(tb[VMQ_A_EVENT_ERROR]);
	return 0;
}

int libvmq_events_wait(struct libvmq_ctx *ctx, int timeout_ms, libvmq_event_cb cb,
		       void *arg)
{
	struct pollfd pfd;
	int count = 0, ret;

	if (!ctx->ev_sock)
		return -EBADF;
	pfd.fd = nl_socket_get_fd(ctx->ev_sock);
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return 0;
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = recv(pfd.fd, ctx->ev_buf, ctx->ev_buf_size, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			if (errno == EINTR && count)
				return count;
			return -errno;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)ctx->ev_buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			struct libvmq_event ev;

			if (parse_event(ctx, nlh, &ev))
				continue;
			count++;
			if (cb) {
				ret = cb(&ev, arg);
				if (ret)
					return ret;
			}
		}
	}
}

/* ---- names ----------------------------------------------------------------- */

static const char *const counter_names[VMQ_CTR_NR] = {
	[VMQ_CTR_TX_MSGS] = "tx_msgs",
	[VMQ_CTR_TX_BYTES] = "tx_bytes",
	[VMQ_CTR_RX_MSGS] = "rx_msgs",
	[VMQ_CTR_RX_BYTES] = "rx_bytes",
	[VMQ_CTR_ERR_NODEST] = "err_nodest",
	[VMQ_CTR_ERR_DENIED] = "err_denied",
	[VMQ_CTR_ERR_TOOBIG] = "err_toobig",
	[VMQ_CTR_ERR_FAULT] = "err_fault",
	[VMQ_CTR_ERR_NOQUEUE] = "err_noqueue",
	[VMQ_CTR_ERR_FULL] = "err_full",
	[VMQ_CTR_ERR_BROKEN] = "err_broken",
	[VMQ_CTR_ERR_INVAL] = "err_inval",
	[VMQ_CTR_ERR_PERM] = "err_perm",
	[VMQ_CTR_HYPERCALLS] = "hypercalls",
	[VMQ_CTR_LAZY_MSGS] = "lazy_msgs",
	[VMQ_CTR_LAZY_EXITS] = "lazy_exits",
	[VMQ_CTR_WAITS] = "waits",
	[VMQ_CTR_NOTIFIES] = "notifies",
	[VMQ_CTR_ERR_QUOTA] = "err_quota",
	[VMQ_CTR_PAGES_TX] = "pages_tx",
	[VMQ_CTR_PAGES_RX] = "pages_rx",
	[VMQ_CTR_ERR_BUSY] = "err_busy",
	[VMQ_CTR_LAZY_DEFERRED] = "lazy_deferred",
	[VMQ_CTR_COPIES] = "copies",
	[VMQ_CTR_COPY_TX_BYTES] = "copy_tx_bytes",
	[VMQ_CTR_COPY_RX_BYTES] = "copy_rx_bytes",
	[VMQ_CTR_GPT_WALKS] = "gpt_walks",
	[VMQ_CTR_ERR_NOGRANT] = "err_nogrant",
	[VMQ_CTR_ERR_PROT] = "err_prot",
	[VMQ_CTR_TC_HITS] = "tc_hits",
	[VMQ_CTR_TC_MISSES] = "tc_misses",
	[VMQ_CTR_PT_WRITES] = "pt_writes",
	[VMQ_CTR_PATCHES] = "patches",
	[VMQ_CTR_PATCHES_APPLIED] = "patches_applied",
	[VMQ_CTR_PATCHES_INVALID] = "patches_invalid",
	[VMQ_CTR_TC_OVERFLOWS] = "tc_overflows",
	[VMQ_CTR_PT_RELEASED] = "pt_released",
};

const char *libvmq_counter_name(unsigned int ctr)
{
	return ctr < VMQ_CTR_NR ? counter_names[ctr] : NULL;
}

static const char *const stat_names[VMQ_STAT_NR] = {
	[VMQ_STAT_LIVE_VMS] = "live_vms",
	[VMQ_STAT_LIVE_QUEUES] = "live_queues",
	[VMQ_STAT_PINNED_PAGES] = "pinned_pages",
	[VMQ_STAT_LIVE_PAIRS] = "live_pairs",
	[VMQ_STAT_VMS_CREATED] = "vms_created",
	[VMQ_STAT_VMS_DESTROYED] = "vms_destroyed",
	[VMQ_STAT_LIVE_TX_RINGS] = "live_tx_rings",
	[VMQ_STAT_LIVE_WAITS] = "live_waits",
	[VMQ_STAT_BYTES_COPIED] = "bytes_copied",
	[VMQ_STAT_LIVE_WINDOWS] = "live_windows",
	[VMQ_STAT_WINDOW_PAGES] = "window_pages",
	[VMQ_STAT_PAGES_IN_FLIGHT] = "pages_in_flight",
	[VMQ_STAT_LIVE_GRANTS] = "live_grants",
	[VMQ_STAT_TRACKED_TABLES] = "tracked_tables",
	[VMQ_STAT_POOL_CLEAN_PAGES] = "pool_clean_pages",
	[VMQ_STAT_SEND_CLEARS] = "send_clears",
	[VMQ_STAT_OWN_RETURNS] = "own_returns",
	[VMQ_STAT_POOL_OWN_PAGES] = "pool_own_pages",
};

const char *libvmq_stat_name(unsigned int stat)
{
	return stat < VMQ_STAT_NR ? stat_names[stat] : NULL;
}

static const char *const event_names[__VMQ_EVENT_MAX] = {
	[VMQ_EVENT_VM_ATTACHED] = "attached",
	[VMQ_EVENT_VM_GONE] = "gone",
	[VMQ_EVENT_DENIED] = "denied",
	[VMQ_EVENT_DROP] = "drop",
	[VMQ_EVENT_QUOTA] = "quota",
};

const char *libvmq_event_name(unsigned int event)
{
	return event < __VMQ_EVENT_MAX ? event_names[event] : NULL;
}

const char *libvmq_errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ EPIPE, "EPIPE" }, { ERANGE, "ERANGE" },
		{ EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ENOBUFS, "ENOBUFS" }, { ENOTCONN, "ENOTCONN" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EPROTO, "EPROTO" },
	};
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return NULL;
}

/* ---- /dev/vmq -------------------------------------------------------------- */

int libvmq_attach_vm_fd(int dev_fd, int vm_fd, const char *name, uint32_t *id)
{
	struct vmq_attach a;

	memset(&a, 0, sizeof(a));
	a.vm_fd = vm_fd;
	if (name) {
		if (strlen(name) >= sizeof(a.name))
			return -EINVAL;
		strcpy(a.name, name);
	}
	if (ioctl(dev_fd, VMQ_IOC_ATTACH_VM, &a))
		return -errno;
	if (id)
		*id = a.id;
	return 0;
}

int libvmq_attach_vm(int vm_fd, const char *name, uint32_t *id)
{
	int fd, ret;

	fd = open("/dev/vmq", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = libvmq_attach_vm_fd(fd, vm_fd, name, id);
	close(fd);
	return ret;
}
