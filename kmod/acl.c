// SPDX-License-Identifier: GPL-2.0
/*
 * acl.c: the host's send permissions. Layer: leaves (see vmq.h).
 *
 * Default deny: VM A may send to VM B only while the pair (A, B) is in this
 * table. Lookups run on every send, under RCU, and cost the same however
 * many VMs and pairs the host has: the pairs are in a resizable hash table
 * (rhashtable) keyed by (sender, receiver). Every pair is also on a list
 * of its sender and one of its receiver, so that listing what one VM may
 * send to, or forgetting a VM, costs that VM's pairs and no others.
 * Changes are rare and take vmq_acl_lock.
 */
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "acl.h"
#include "vmq.h"

struct vmq_acl_entry {
	struct rhash_head node;		/* vmq_acl_pairs */
	u64 key;			/* sender << 32 | receiver */
	struct list_head out;		/* the sender's vmq_acl_vm.out; RCU */
	struct list_head in;		/* the receiver's vmq_acl_vm.in */
	struct rcu_head rcu;
};

/* The pairs that name one VM; created with its first pair. */
struct vmq_acl_vm {
	struct list_head out;		/* pairs it sends on; RCU */
	struct list_head in;		/* pairs it receives on */
	struct rcu_head rcu;
};

static const struct rhashtable_params vmq_acl_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct vmq_acl_entry, key),
	.head_offset = offsetof(struct vmq_acl_entry, node),
	.automatic_shrinking = true,
};

static DEFINE_MUTEX(vmq_acl_lock);
static struct rhashtable vmq_acl_pairs;
static DEFINE_XARRAY(vmq_acl_vms);	/* struct vmq_acl_vm by VM id */

static inline u64 vmq_acl_key(u32 sender, u32 receiver)
{
	return (u64)sender << 32 | receiver;
}

bool vmq_acl_allowed(u32 sender, u32 receiver)
{
	u64 key = vmq_acl_key(sender, receiver);

	/* rhashtable_lookup_fast() is its own RCU read-side section. */
	return rhashtable_lookup_fast(&vmq_acl_pairs, &key, vmq_acl_params);
}

/* @id's lists, created if need be. vmq_acl_lock. */
static struct vmq_acl_vm *vmq_acl_vm_get(u32 id)
{
	struct vmq_acl_vm *v = xa_load(&vmq_acl_vms, id);

	lockdep_assert_held(&vmq_acl_lock);
	if (v)
		return v;
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return NULL;
	INIT_LIST_HEAD(&v->out);
	INIT_LIST_HEAD(&v->in);
	if (xa_err(xa_store(&vmq_acl_vms, id, v, GFP_KERNEL_ACCOUNT))) {
		kfree(v);
		return NULL;
	}
	return v;
}

int vmq_acl_allow(u32 sender, u32 receiver)
{
	u64 key = vmq_acl_key(sender, receiver);
	struct vmq_acl_vm *s, *r;
	struct vmq_acl_entry *e;
	int ret = 0;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->key = key;

	mutex_lock(&vmq_acl_lock);
	if (rhashtable_lookup_fast(&vmq_acl_pairs, &key, vmq_acl_params))
		goto out_free;		/* allowed already */
	ret = -ENOMEM;
	s = vmq_acl_vm_get(sender);
	r = s ? vmq_acl_vm_get(receiver) : NULL;
	if (!r)
		goto out_free;		/* an empty vmq_acl_vm is harmless */
	ret = rhashtable_insert_fast(&vmq_acl_pairs, &e->node, vmq_acl_params);
	if (ret)
		goto out_free;
	list_add_tail_rcu(&e->out, &s->out);
	list_add_tail(&e->in, &r->in);
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_PAIRS]);
	mutex_unlock(&vmq_acl_lock);
	return 0;

out_free:
	mutex_unlock(&vmq_acl_lock);
	kfree(e);
	return ret;
}

static void vmq_acl_remove(struct vmq_acl_entry *e)
{
	lockdep_assert_held(&vmq_acl_lock);
	rhashtable_remove_fast(&vmq_acl_pairs, &e->node, vmq_acl_params);
	list_del_rcu(&e->out);
	list_del(&e->in);
	kfree_rcu(e, rcu);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_PAIRS]);
}

int vmq_acl_revoke(u32 sender, u32 receiver)
{
	u64 key = vmq_acl_key(sender, receiver);
	struct vmq_acl_entry *e;
	int ret = -ENOENT;

	mutex_lock(&vmq_acl_lock);
	e = rhashtable_lookup_fast(&vmq_acl_pairs, &key, vmq_acl_params);
	if (e) {
		vmq_acl_remove(e);
		ret = 0;
	}
	mutex_unlock(&vmq_acl_lock);
	return ret;
}

/*
 * Call @fn for every VM @sender may send to, under RCU (@fn must not
 * sleep), until it returns non-zero; returns that value or 0.
 */
int vmq_acl_visit_receivers(u32 sender, int (*fn)(void *, u32), void *arg)
{
	struct vmq_acl_entry *e;
	struct vmq_acl_vm *v;
	int ret = 0;

	rcu_read_lock();
	v = xa_load(&vmq_acl_vms, sender);
	if (v)
		list_for_each_entry_rcu(e, &v->out, out) {
			ret = fn(arg, (u32)e->key);
			if (ret)
				break;
		}
	rcu_read_unlock();
	return ret;
}

/* Forget every pair that names @id: its VM is gone. */
void vmq_acl_purge(u32 id)
{
	struct vmq_acl_entry *e, *tmp;
	struct vmq_acl_vm *v;

	mutex_lock(&vmq_acl_lock);
	v = xa_erase(&vmq_acl_vms, id);
	if (v) {
		list_for_each_entry_safe(e, tmp, &v->out, out)
			vmq_acl_remove(e);
		list_for_each_entry_safe(e, tmp, &v->in, in)
			vmq_acl_remove(e);
		/* visit_receivers() may be walking its lists. */
		kfree_rcu(v, rcu);
	}
	mutex_unlock(&vmq_acl_lock);
}

int vmq_acl_init(void)
{
	return rhashtable_init(&vmq_acl_pairs, &vmq_acl_params);
}

/* Module exit: every VM is gone, so is every pair. */
void vmq_acl_exit(void)
{
	struct vmq_acl_vm *v;
	unsigned long id;

	xa_for_each(&vmq_acl_vms, id, v)
		vmq_acl_purge(id);
	xa_destroy(&vmq_acl_vms);
	rhashtable_destroy(&vmq_acl_pairs);
}
