// SPDX-License-Identifier: GPL-2.0
/*
 * acl.c: the host's send permissions. Layer: leaves (see vmq.h).
 *
 * Default deny: VM A may send to VM B only while the pair (A, B) is in this
 * table. Lookups run on every send, under RCU; changes are rare and take
 * vmq_acl_lock.
 */
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "acl.h"
#include "vmq.h"

struct vmq_acl_entry {
	struct hlist_node node;
	u64 key;
	struct rcu_head rcu;
};

static DEFINE_MUTEX(vmq_acl_lock);
static DEFINE_HASHTABLE(vmq_acl, 8);

static inline u64 vmq_acl_key(u32 sender, u32 receiver)
{
	return (u64)sender << 32 | receiver;
}

static struct vmq_acl_entry *vmq_acl_find(u64 key)
{
	struct vmq_acl_entry *e;

	hash_for_each_possible_rcu(vmq_acl, e, node, key)
		if (e->key == key)
			return e;
	return NULL;
}

bool vmq_acl_allowed(u32 sender, u32 receiver)
{
	bool allowed;

	rcu_read_lock();
	allowed = vmq_acl_find(vmq_acl_key(sender, receiver));
	rcu_read_unlock();
	return allowed;
}

int vmq_acl_allow(u32 sender, u32 receiver)
{
	u64 key = vmq_acl_key(sender, receiver);
	struct vmq_acl_entry *e;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->key = key;

	mutex_lock(&vmq_acl_lock);
	if (vmq_acl_find(key)) {
		mutex_unlock(&vmq_acl_lock);
		kfree(e);
		return 0;
	}
	hash_add_rcu(vmq_acl, &e->node, key);
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_PAIRS]);
	mutex_unlock(&vmq_acl_lock);
	return 0;
}

static void vmq_acl_remove(struct vmq_acl_entry *e)
{
	lockdep_assert_held(&vmq_acl_lock);
	hash_del_rcu(&e->node);
	kfree_rcu(e, rcu);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_PAIRS]);
}

int vmq_acl_revoke(u32 sender, u32 receiver)
{
	struct vmq_acl_entry *e;
	int ret = -ENOENT;

	mutex_lock(&vmq_acl_lock);
	e = vmq_acl_find(vmq_acl_key(sender, receiver));
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
	int bkt, ret = 0;

	rcu_read_lock();
	hash_for_each_rcu(vmq_acl, bkt, e, node) {
		if ((u32)(e->key >> 32) != sender)
			continue;
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
	struct vmq_acl_entry *e;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&vmq_acl_lock);
	hash_for_each_safe(vmq_acl, bkt, tmp, e, node)
		if ((u32)(e->key >> 32) == id || (u32)e->key == id)
			vmq_acl_remove(e);
	mutex_unlock(&vmq_acl_lock);
}

void vmq_acl_exit(void)
{
	struct vmq_acl_entry *e;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&vmq_acl_lock);
	hash_for_each_safe(vmq_acl, bkt, tmp, e, node)
		vmq_acl_remove(e);
	mutex_unlock(&vmq_acl_lock);
}
