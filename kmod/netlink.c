// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c: the "vmq" generic netlink family (<linux/vmq.h> documents
 * every command and attribute). Layer: entry points (see vmq.h): it checks
 * who asks, parses, and calls control.c; the events it carries come from
 * events.c. Policies are per operation and validated strictly; every error
 * carries an extended ACK message.
 *
 * Everything needs CAP_NET_ADMIN, reading included: VM names, host PIDs,
 * the permission graph, counters and the stream of refused sends describe
 * other users' VMs. It is checked in pre_doit and in the dump's start
 * callback, so that the refusal is explained too, and by the core for the
 * events group (GENL_MCAST_CAP_NET_ADMIN).
 */
#include <linux/capability.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "acl.h"
#include "compat.h"
#include "netlink.h"
#include "control.h"
#include "events.h"
#include "vm.h"
#include "xlate.h"

#define VMQ_NL_CHANGE	0x01	/* genl_ops.internal_flags: changes state */

static struct genl_family vmq_genl_family;

static const struct nla_policy vmq_quota_policy[VMQ_A_QUOTA_MAX + 1] = {
	[VMQ_A_QUOTA_MAX_MSG] = { .type = NLA_U32 },
	[VMQ_A_QUOTA_MAX_QUEUE] = { .type = NLA_U32 },
	[VMQ_A_QUOTA_MAX_PAGES] = { .type = NLA_U32 },
	[VMQ_A_QUOTA_MAX_GRANTS] = { .type = NLA_U32 },
};

static const struct nla_policy vmq_vm_policy[VMQ_A_MAX + 1] = {
	[VMQ_A_VM_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMQ_A_VM_NAME] = { .type = NLA_NUL_STRING, .len = VMQ_NAME_MAX - 1 },
};

static const struct nla_policy vmq_stats_policy[VMQ_A_MAX + 1] = {
	[1 ... VMQ_A_MAX] = {
		.type = NLA_REJECT,
		.reject_message = "vmq: VMQ_CMD_GET_STATS takes no attributes",
	},
};

static const struct nla_policy vmq_set_policy[VMQ_A_MAX + 1] = {
	[VMQ_A_VM_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMQ_A_VM_NAME] = { .type = NLA_NUL_STRING, .len = VMQ_NAME_MAX - 1 },
	[VMQ_A_VM_QUOTAS] = NLA_POLICY_NESTED(vmq_quota_policy),
};

static const struct nla_policy vmq_pair_policy[VMQ_A_MAX + 1] = {
	[VMQ_A_VM_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMQ_A_VM_NAME] = { .type = NLA_NUL_STRING, .len = VMQ_NAME_MAX - 1 },
	[VMQ_A_PEER_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMQ_A_PEER_NAME] = { .type = NLA_NUL_STRING, .len = VMQ_NAME_MAX - 1 },
};

/*
 * The VM named by the id attribute @id_attr or, without it, the name
 * attribute @name_attr. Explains any failure in the extended ACK.
 */
static int vmq_nl_vm(struct genl_info *info, int id_attr, int name_attr,
		     u32 *out)
{
	struct nlattr *id = info->attrs[id_attr];
	struct nlattr *name = info->attrs[name_attr];
	int ret;

	bool peer = id_attr == VMQ_A_PEER_ID;

	if (!id && !name) {
		if (peer)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: no peer given (VMQ_A_PEER_ID or VMQ_A_PEER_NAME)");
		else
			NL_SET_ERR_MSG(info->extack,
				       "vmq: no VM given (VMQ_A_VM_ID or VMQ_A_VM_NAME)");
		return -EINVAL;
	}
	if (id)
		ret = vmq_vm_resolve(nla_get_u32(id), NULL, out);
	else
		ret = vmq_vm_resolve(0, nla_data(name), out);
	if (ret && peer)
		NL_SET_ERR_MSG_ATTR(info->extack, id ? id : name,
				    "vmq: peer not found");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(info->extack, id ? id : name,
				    "vmq: VM not found");
	return ret;
}

static int vmq_nl_put_peer(void *skb, u32 peer)
{
	return nla_put_u32(skb, VMQ_A_PEER_ID, peer);
}

static int vmq_nl_put_vm(struct sk_buff *skb, const struct vmq_vm_info *vi,
			 u32 portid, u32 seq, int flags)
{
	struct nlattr *nest;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &vmq_genl_family, flags,
			  VMQ_CMD_GET_VM);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMQ_A_VM_ID, vi->id) ||
	    (vi->name[0] && nla_put_string(skb, VMQ_A_VM_NAME, vi->name)) ||
	    nla_put_u32(skb, VMQ_A_VM_PID, vi->pid) ||
	    nla_put_u32(skb, VMQ_A_VM_QUEUE_SIZE, vi->queue_size) ||
	    nla_put_u32(skb, VMQ_A_VM_QUEUE_BYTES, vi->queue_bytes) ||
	    nla_put_u32(skb, VMQ_A_VM_QUEUE_MSGS, vi->queue_msgs) ||
	    nla_put_u32(skb, VMQ_A_VM_PAGES_IN_FLIGHT, vi->pages_in_flight))
		goto err_cancel;

	nest = nla_nest_start(skb, VMQ_A_VM_PEERS);
	if (!nest || vmq_acl_visit_receivers(vi->id, vmq_nl_put_peer, skb))
		goto err_cancel;
	nla_nest_end(skb, nest);

	nest = nla_nest_start(skb, VMQ_A_VM_QUOTAS);
	if (!nest ||
	    nla_put_u32(skb, VMQ_A_QUOTA_MAX_MSG, vi->quota_max_msg) ||
	    nla_put_u32(skb, VMQ_A_QUOTA_MAX_QUEUE, vi->quota_max_queue) ||
	    nla_put_u32(skb, VMQ_A_QUOTA_MAX_PAGES, vi->quota_max_pages) ||
	    nla_put_u32(skb, VMQ_A_QUOTA_MAX_GRANTS, vi->quota_max_grants))
		goto err_cancel;
	nla_nest_end(skb, nest);

	/*
	 * Counter types are index + 1, so VMQ_A_PAD (14) is a counter's type
	 * in this nest: alignment padding, where an architecture needs it,
	 * uses type 0, which no counter has.
	 */
	nest = nla_nest_start(skb, VMQ_A_VM_COUNTERS);
	if (!nest)
		goto err_cancel;
	for (i = 0; i < VMQ_CTR_NR; i++)
		if (nla_put_u64_64bit(skb, i + 1, vi->counters[i], 0))
			goto err_cancel;
	nla_nest_end(skb, nest);

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vmq_nl_get_vm_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vmq_vm_info *vi;
	struct sk_buff *msg;
	int ret;

	vi = kzalloc(sizeof(*vi), GFP_KERNEL);
	if (!vi)
		return -ENOMEM;
	ret = vmq_nl_vm(info, VMQ_A_VM_ID, VMQ_A_VM_NAME, &vi->id);
	if (ret)
		goto out_free;
	ret = vmq_ctl_vm_info(vi, false);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "vmq: VM not found");
		goto out_free;
	}
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out_free;
	ret = vmq_nl_put_vm(msg, vi, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		NL_SET_ERR_MSG(info->extack, "vmq: reply too large");
		goto out_free;
	}
	ret = genlmsg_reply(msg, info);
out_free:
	kfree(vi);
	return ret;
}

static bool vmq_nl_allowed(struct sk_buff *skb, bool change,
			   struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_NET_ADMIN))
		return true;
	if (change)
		NL_SET_ERR_MSG(extack,
			       "vmq: changing vmq settings needs CAP_NET_ADMIN");
	else
		NL_SET_ERR_MSG(extack,
			       "vmq: reading vmq state needs CAP_NET_ADMIN");
	return false;
}

/* cb->args[0]: the last id dumped. */
static int vmq_nl_get_vm_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct vmq_vm_info *vi;
	int ret = 0;

	/*
	 * Dumps skip pre_doit, and on 6.1 a dump's start callback has no
	 * extended ACK to explain itself in: refuse from the first round,
	 * whose error and message end the dump (NLMSG_DONE).
	 */
	if (!cb->args[0] && !vmq_nl_allowed(cb->skb, false, cb->extack))
		return -EPERM;
	vi = kzalloc(sizeof(*vi), GFP_KERNEL);
	if (!vi)
		return -ENOMEM;
	for (;;) {
		memset(vi, 0, sizeof(*vi));
		vi->id = cb->args[0];
		if (vmq_ctl_vm_info(vi, true))
			break;		/* no more VMs */
		ret = vmq_nl_put_vm(skb, vi, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;		/* skb full: continue in the next call */
		cb->args[0] = vi->id;
	}
	kfree(vi);
	/* Something fit: let the dump go on; nothing did: end or fail. */
	return skb->len ? skb->len : ret;
}

static int vmq_nl_set_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *q[VMQ_A_QUOTA_MAX + 1];
	struct nlattr *name = info->attrs[VMQ_A_VM_NAME];
	u32 id, quota[VMQ_A_QUOTA_MAX + 1];
	unsigned long set = 0;
	int i, ret;

	if (!info->attrs[VMQ_A_VM_QUOTAS] && !name) {
		NL_SET_ERR_MSG(info->extack,
			       "vmq: nothing to set (VMQ_A_VM_NAME or VMQ_A_VM_QUOTAS)");
		return -EINVAL;
	}
	if (name && !info->attrs[VMQ_A_VM_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "vmq: renaming needs VMQ_A_VM_ID");
		return -EINVAL;
	}
	ret = vmq_nl_vm(info, VMQ_A_VM_ID, VMQ_A_VM_NAME, &id);
	if (ret)
		return ret;

	/*
	 * Validate everything before changing anything: a refused request
	 * leaves the VM as it was.
	 */
	memset(q, 0, sizeof(q));
	if (info->attrs[VMQ_A_VM_QUOTAS]) {
		ret = nla_parse_nested(q, VMQ_A_QUOTA_MAX,
				       info->attrs[VMQ_A_VM_QUOTAS],
				       vmq_quota_policy, info->extack);
		if (ret)
			return ret;
		for (i = 1; i <= VMQ_A_QUOTA_MAX; i++) {
			if (!q[i])
				continue;
			quota[i] = nla_get_u32(q[i]);
			set |= BIT(i);
		}
		if ((set & BIT(VMQ_A_QUOTA_MAX_MSG)) &&
		    quota[VMQ_A_QUOTA_MAX_MSG] > READ_ONCE(vmq_max_msg_size)) {
			NL_SET_ERR_MSG_ATTR(info->extack, q[VMQ_A_QUOTA_MAX_MSG],
					    "vmq: quota above the module's max_msg_size");
			return -ERANGE;
		}
	}
	/* Renaming is the step that can still fail (a taken name): first. */
	if (name) {
		ret = vmq_ctl_rename(id, nla_data(name));
		if (ret == -EEXIST)
			NL_SET_ERR_MSG_ATTR(info->extack, name,
					    "vmq: another VM has this name");
		else if (ret)
			NL_SET_ERR_MSG(info->extack, "vmq: VM not found");
		if (ret)
			return ret;
	}
	if (set) {
		ret = vmq_ctl_set_quotas(id, set, quota);
		if (ret)
			NL_SET_ERR_MSG(info->extack, "vmq: VM not found");
	}
	return ret;
}

static int vmq_nl_pair(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	u32 vm, peer;
	int ret;

	ret = vmq_nl_vm(info, VMQ_A_VM_ID, VMQ_A_VM_NAME, &vm);
	if (ret)
		return ret;
	ret = vmq_nl_vm(info, VMQ_A_PEER_ID, VMQ_A_PEER_NAME, &peer);
	if (ret)
		return ret;

	switch (cmd) {
	case VMQ_CMD_ALLOW:
		ret = vmq_ctl_allow(vm, peer);
		if (ret == -ESRCH)
			NL_SET_ERR_MSG(info->extack, "vmq: VM went away");
		else if (ret)
			NL_SET_ERR_MSG(info->extack, "vmq: cannot allow the pair");
		return ret;
	case VMQ_CMD_REVOKE:
		ret = vmq_ctl_revoke(vm, peer);
		if (ret == -ESRCH)
			NL_SET_ERR_MSG(info->extack, "vmq: VM went away");
		else if (ret)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: the pair was not allowed");
		return ret;
	default:	/* VMQ_CMD_INTRODUCE */
		ret = vmq_ctl_introduce(vm, peer);
		if (ret == -EINVAL)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: a VM cannot be introduced to itself");
		else if (ret == -ENOTCONN)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: both VMs need a receive queue");
		else if (ret == -EAGAIN)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: a receive queue is full; try again");
		else if (ret)
			NL_SET_ERR_MSG(info->extack,
				       "vmq: identities could not be delivered");
		return ret;
	}
}

static int vmq_nl_reset(struct sk_buff *skb, struct genl_info *info)
{
	u32 id = 0;
	int ret;

	if (info->attrs[VMQ_A_VM_ID] || info->attrs[VMQ_A_VM_NAME]) {
		ret = vmq_nl_vm(info, VMQ_A_VM_ID, VMQ_A_VM_NAME, &id);
		if (ret)
			return ret;
	}
	ret = vmq_ctl_reset_counters(id);
	if (ret)
		NL_SET_ERR_MSG(info->extack, "vmq: VM not found");
	return ret;
}

static int vmq_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	u64 stats[VMQ_STAT_NR];
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vmq_genl_family, 0,
				VMQ_CMD_GET_STATS);
	if (!hdr)
		goto err_free;
	vmq_ctl_stats(stats);
	/* Types are index + 1, as for counters: type 0 stays padding. */
	nest = nla_nest_start(msg, VMQ_A_STATS);
	if (!nest)
		goto err_free;
	for (i = 0; i < VMQ_STAT_NR; i++)
		if (nla_put_u64_64bit(msg, i + 1, stats[i], 0))
			goto err_free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "vmq: reply too large");
	return -EMSGSIZE;
}

struct vmq_nl_tables {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u32 id;
	unsigned long done;
};

static int vmq_nl_put_table(void *arg, const struct vmq_table_info *t)
{
	struct vmq_nl_tables *nt = arg;
	struct sk_buff *skb = nt->skb;
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(nt->cb->skb).portid,
			  nt->cb->nlh->nlmsg_seq, &vmq_genl_family,
			  NLM_F_MULTI, VMQ_CMD_GET_TABLES);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMQ_A_VM_ID, nt->id))
		goto err_cancel;
	nest = nla_nest_start(skb, VMQ_A_TABLE);
	if (!nest ||
	    nla_put_u64_64bit(skb, VMQ_A_TABLE_GPA, t->gpa, VMQ_A_TABLE_PAD) ||
	    nla_put_u32(skb, VMQ_A_TABLE_LEVEL, t->level) ||
	    nla_put_u64_64bit(skb, VMQ_A_TABLE_VA, t->va, VMQ_A_TABLE_PAD) ||
	    nla_put_u64_64bit(skb, VMQ_A_TABLE_SPAN, t->span,
			      VMQ_A_TABLE_PAD) ||
	    (t->aliased && nla_put_flag(skb, VMQ_A_TABLE_ALIASED)) ||
	    nla_put_u32(skb, VMQ_A_TABLE_USERS, t->users) ||
	    nla_put_u32(skb, VMQ_A_TABLE_WRITES, t->writes))
		goto err_cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	nt->done++;
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* cb->args[0]: tables dumped so far; cb->args[1]: the VM's id. */
static int vmq_nl_get_tables_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct vmq_nl_tables nt = { .skb = skb, .cb = cb };
	struct nlattr *id = di->attrs[VMQ_A_VM_ID];
	struct nlattr *name = di->attrs[VMQ_A_VM_NAME];
	int ret;

	if (!cb->args[1]) {
		/* The first round; see vmq_nl_get_vm_dumpit(). */
		if (!vmq_nl_allowed(cb->skb, false, cb->extack))
			return -EPERM;
		if (!id && !name) {
			NL_SET_ERR_MSG(cb->extack,
				       "vmq: no VM given (VMQ_A_VM_ID or VMQ_A_VM_NAME)");
			return -EINVAL;
		}
		ret = vmq_vm_resolve(id ? nla_get_u32(id) : 0,
				     id ? NULL : nla_data(name), &nt.id);
		if (ret) {
			NL_SET_ERR_MSG_ATTR(cb->extack, id ? id : name,
					    "vmq: VM not found");
			return ret;
		}
		cb->args[1] = nt.id;
	}
	nt.id = cb->args[1];
	nt.done = cb->args[0];
	ret = vmq_ctl_visit_tables(nt.id, nt.done, vmq_nl_put_table, &nt);
	cb->args[0] = nt.done;
	/* A VM gone meanwhile just ends the listing. */
	if (ret == -ESRCH && !nt.done) {
		NL_SET_ERR_MSG(cb->extack, "vmq: VM not found");
		return ret;
	}
	return skb->len;
}

static int vmq_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			   struct genl_info *info)
{
	if (!vmq_nl_allowed(skb, ops->internal_flags & VMQ_NL_CHANGE,
			    info->extack))
		return -EPERM;
	return 0;
}

static const struct genl_ops vmq_genl_ops[] = {
	{
		.cmd = VMQ_CMD_GET_VM,
		.doit = vmq_nl_get_vm_doit,
		.dumpit = vmq_nl_get_vm_dumpit,
		.policy = vmq_vm_policy,
		.maxattr = VMQ_A_MAX,
	},
	{
		.cmd = VMQ_CMD_SET_VM,
		.doit = vmq_nl_set_vm,
		.policy = vmq_set_policy,
		.maxattr = VMQ_A_MAX,
		.internal_flags = VMQ_NL_CHANGE,
	},
	{
		.cmd = VMQ_CMD_ALLOW,
		.doit = vmq_nl_pair,
		.policy = vmq_pair_policy,
		.maxattr = VMQ_A_MAX,
		.internal_flags = VMQ_NL_CHANGE,
	},
	{
		.cmd = VMQ_CMD_REVOKE,
		.doit = vmq_nl_pair,
		.policy = vmq_pair_policy,
		.maxattr = VMQ_A_MAX,
		.internal_flags = VMQ_NL_CHANGE,
	},
	{
		.cmd = VMQ_CMD_INTRODUCE,
		.doit = vmq_nl_pair,
		.policy = vmq_pair_policy,
		.maxattr = VMQ_A_MAX,
		.internal_flags = VMQ_NL_CHANGE,
	},
	{
		.cmd = VMQ_CMD_GET_STATS,
		.doit = vmq_nl_get_stats,
		.policy = vmq_stats_policy,
		.maxattr = VMQ_A_MAX,
	},
	{
		.cmd = VMQ_CMD_GET_TABLES,
		.dumpit = vmq_nl_get_tables_dumpit,
		.policy = vmq_vm_policy,
		.maxattr = VMQ_A_MAX,
	},
	{
		.cmd = VMQ_CMD_RESET_COUNTERS,
		.doit = vmq_nl_reset,
		.policy = vmq_vm_policy,
		.maxattr = VMQ_A_MAX,
		.internal_flags = VMQ_NL_CHANGE,
	},
};

static const struct genl_multicast_group vmq_genl_mcgrps[] = {
	[VMQ_EVENTS_MCGRP] = {
		.name = VMQ_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family vmq_genl_family __ro_after_init = {
	.name = VMQ_GENL_NAME,
	.version = VMQ_GENL_VERSION,
	.maxattr = VMQ_A_MAX,
	.module = THIS_MODULE,
	.ops = vmq_genl_ops,
	.n_ops = ARRAY_SIZE(vmq_genl_ops),
	.resv_start_op = VMQ_CMD_GET_VM,
	.mcgrps = vmq_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vmq_genl_mcgrps),
	.pre_doit = vmq_nl_pre_doit,
	.parallel_ops = true,
};

int vmq_netlink_init(void)
{
	int ret = genl_register_family(&vmq_genl_family);

	if (!ret)
		vmq_events_start(&vmq_genl_family);
	return ret;
}

void vmq_netlink_exit(void)
{
	vmq_events_stop();
	genl_unregister_family(&vmq_genl_family);
}
