// SPDX-License-Identifier: GPL-2.0
/*
 * peers.c: the peers the host introduced to this VM (VMQ_MSG_IDENTITY
 * records, VMQ_CMD_INTRODUCE on the host), as sysfs shows them.
 * Layer: receive (see guest.h).
 *
 * A peer introduced again (renamed, or introduced twice) keeps one entry
 * with its latest name. Ids are never reused while vmq is loaded on the
 * host, so an entry is never wrong about who an id was, only possibly
 * about whether it still exists.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "guest.h"
#include "peers.h"

struct vmqg_peer {
	struct list_head node;
	u32 id;
	char name[VMQ_NAME_MAX];
};

static LIST_HEAD(vmqg_peers);
static DEFINE_MUTEX(vmqg_peers_lock);

void vmqg_peers_add(const struct vmq_identity *id)
{
	struct vmqg_peer *p;

	mutex_lock(&vmqg_peers_lock);
	list_for_each_entry(p, &vmqg_peers, node)
		if (p->id == id->id)
			goto found;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		goto out_unlock;
	p->id = id->id;
	list_add_tail(&p->node, &vmqg_peers);
found:
	/* The host NUL-terminates; a broken record must not make us overrun. */
	strscpy(p->name, id->name, sizeof(p->name));
out_unlock:
	mutex_unlock(&vmqg_peers_lock);
}

/* One line per peer: "<id> <name>", the name "-" when the VM has none. */
ssize_t vmqg_peers_show(char *buf)
{
	struct vmqg_peer *p;
	int len = 0;

	mutex_lock(&vmqg_peers_lock);
	list_for_each_entry(p, &vmqg_peers, node)
		len += sysfs_emit_at(buf, len, "%u %s\n", p->id,
				     p->name[0] ? p->name : "-");
	mutex_unlock(&vmqg_peers_lock);
	return len;
}

void vmqg_peers_exit(void)
{
	struct vmqg_peer *p, *tmp;

	mutex_lock(&vmqg_peers_lock);
	list_for_each_entry_safe(p, tmp, &vmqg_peers, node) {
		list_del(&p->node);
		kfree(p);
	}
	mutex_unlock(&vmqg_peers_lock);
}
