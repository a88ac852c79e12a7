// SPDX-License-Identifier: GPL-2.0
/*
 * rx.c: the VM's receive queue, consumed by the guest (Documentation/vmq/
 * ring.rst). Layer: receive (see guest.h).
 *
 * The host is the only producer. The guest's consumers (read() of any open
 * file, the identity taker) serialise on one mutex, as ring.rst asks of a
 * guest with several consuming vCPUs; the producer side needs no lock:
 *
 *  - smp_load_acquire(prod_head) pairs with the host's store-release of
 *    prod_head: every record below the head we see is fully written;
 *  - smp_store_release(cons_tail) pairs with the host's load-acquire of
 *    cons_tail: our reads of a record complete before the host may reuse
 *    its space; cons_msgs, advisory, is stored before it.
 *
 * Records come from the host, which we trust to follow the contract, but
 * a record that would leave the data area or the published range stops
 * consumption (-EIO) rather than make us read outside the ring.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/vmq_guest_dev.h>
#include <asm/io.h>

#include "guest.h"
#include "hypercall.h"
#include "peers.h"
#include "rx.h"

struct vmqg_rx {
	struct vmq_ring_hdr *hdr;
	u8 *data;
	u32 size;		/* data area, a power of two */
	size_t bytes;		/* header page + data area */
	bool live;		/* registered with the host */
	struct mutex lock;	/* the consumers */
};

static struct vmqg_rx vmqg_rx = {
	.lock = __MUTEX_INITIALIZER(vmqg_rx.lock),
};

int vmqg_rx_init(void)
{
	struct vmqg_rx *rx = &vmqg_rx;
	long ret;

	if (!is_power_of_2(vmqg_rx_bytes) || vmqg_rx_bytes < VMQ_RING_DATA_MIN ||
	    vmqg_rx_bytes > VMQ_RING_DATA_MAX) {
		pr_err("rx_bytes must be a power of two from %u to %u\n",
		       VMQ_RING_DATA_MIN, VMQ_RING_DATA_MAX);
		return -EINVAL;
	}
	rx->bytes = VMQ_RING_HDR_SIZE + vmqg_rx_bytes;
	rx->hdr = alloc_pages_exact(rx->bytes, GFP_KERNEL | __GFP_ZERO);
	if (!rx->hdr)
		return -ENOMEM;
	rx->data = (u8 *)rx->hdr + VMQ_RING_HDR_SIZE;
	rx->hdr->magic = VMQ_RING_MAGIC;

	/* A predecessor (an earlier load, a kexec'd kernel) may have one. */
	ret = vmqg_hc(VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0);
	if (ret && ret != -ENOTCONN)
		pr_warn("unregistering an old receive queue: %ld\n", ret);
	ret = vmqg_hc(VMQ_HC_QUEUE_REGISTER, virt_to_phys(rx->hdr), rx->bytes,
		      0, 0);
	if (ret) {
		pr_err("registering the receive queue: %ld\n", ret);
		goto err_free;
	}
	rx->size = READ_ONCE(rx->hdr->data_size);
	if (rx->size != vmqg_rx_bytes) {
		pr_err("host set data_size %u, not %u\n", rx->size,
		       vmqg_rx_bytes);
		ret = -EPROTO;
		goto err_unregister;
	}
	rx->live = true;
	return 0;

err_unregister:
	vmqg_hc(VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0);
err_free:
	free_pages_exact(rx->hdr, rx->bytes);
	rx->hdr = NULL;
	return ret < 0 ? ret : -EIO;
}

/*
 * Forget the queue before reboot or kexec: the registration outlives the
 * guest OS (ring.rst), and the host must not write into pages the next
 * kernel owns. The memory stays allocated; nothing reads it any more.
 */
void vmqg_rx_shutdown(void)
{
	struct vmqg_rx *rx = &vmqg_rx;
	long ret;

	mutex_lock(&rx->lock);
	if (rx->live) {
		ret = vmqg_hc(VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0);
		if (ret)
			pr_warn("unregistering the receive queue: %ld\n", ret);
		WRITE_ONCE(rx->live, false);
	}
	mutex_unlock(&rx->lock);
}

void vmqg_rx_exit(void)
{
	struct vmqg_rx *rx = &vmqg_rx;
	long ret = 0;

	if (!rx->hdr)
		return;
	mutex_lock(&rx->lock);
	if (rx->live)
		ret = vmqg_hc(VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0);
	WRITE_ONCE(rx->live, false);
	mutex_unlock(&rx->lock);
	/* Only -ENOTCONN says the host no longer writes there. */
	if (ret && ret != -ENOTCONN) {
		pr_warn("receive queue not unregistered (%ld): leaking it\n",
			ret);
		return;
	}
	free_pages_exact(rx->hdr, rx->bytes);
	rx->hdr = NULL;
}

bool vmqg_rx_live(void)
{
	return READ_ONCE(vmqg_rx.live);
}

u32 vmqg_rx_size(void)
{
	return vmqg_rx.size;
}

/*
 * Records waiting (any kind), with no lock and no exit. A waiter calls it
 * after queueing itself (set_current_state() is a full barrier), which
 * orders its earlier store of cons_tail before this load of prod_head.
 */
bool vmqg_rx_ready(void)
{
	struct vmqg_rx *rx = &vmqg_rx;

	if (!READ_ONCE(rx->live))
		return false;
	/* Pairs with the host's store-release of prod_head. */
	return smp_load_acquire(&rx->hdr->prod_head) !=
	       READ_ONCE(rx->hdr->cons_tail);
}

/* Messages waiting, for sysfs. */
u32 vmqg_rx_pending(void)
{
	struct vmqg_rx *rx = &vmqg_rx;

	if (!READ_ONCE(rx->live))
		return 0;
	/* Pairs with the host's store-release of prod_msgs. */
	return smp_load_acquire(&rx->hdr->prod_msgs) -
	       READ_ONCE(rx->hdr->cons_msgs);
}

/* Ask for (or stop) the arrival notification, VMQ_RING_F_NOTIFY. */
void vmqg_rx_set_notify(bool on)
{
	struct vmqg_rx *rx = &vmqg_rx;

	if (!rx->hdr)
		return;
	WRITE_ONCE(rx->hdr->cons_flags, on ? VMQ_RING_F_NOTIFY : 0);
	/* The flag before any later look at prod_head (wait.c). */
	smp_mb();
}

int vmqg_rx_lock(void)
{
	return mutex_lock_interruptible(&vmqg_rx.lock);
}

void vmqg_rx_unlock(void)
{
	mutex_unlock(&vmqg_rx.lock);
}

static void vmqg_rx_advance(struct vmqg_rx *rx, u32 rec, bool msg)
{
	u32 tail = rx->hdr->cons_tail;

	if (msg)
		WRITE_ONCE(rx->hdr->cons_msgs, rx->hdr->cons_msgs + 1);
	/* Our reads of the record are done before the host may reuse it. */
	smp_store_release(&rx->hdr->cons_tail, tail + rec);
}

static void vmqg_rx_take_identity(const struct vmq_msg_hdr *m)
{
	struct vmq_identity id;

	if (m->len < sizeof(id))
		return;
	memcpy(&id, m + 1, sizeof(id));
	vmqg_peers_add(&id);
	vmqg_count(VMQG_CTR_IDENTITIES, 1);
}

/*
 * The oldest message for a reader, under vmqg_rx_lock(); NULL when none,
 * ERR_PTR(-EIO) on a record that breaks the contract, ERR_PTR(-ENOTCONN)
 * once the queue is gone. Padding and identity records at the head are
 * consumed on the way. The message stays valid until vmqg_rx_consume().
 */
const struct vmq_msg_hdr *vmqg_rx_peek(void)
{
	struct vmqg_rx *rx = &vmqg_rx;

	lockdep_assert_held(&rx->lock);
	for (;;) {
		const struct vmq_msg_hdr *m;
		u32 head, tail, off, rec;

		if (!rx->live)
			return ERR_PTR(-ENOTCONN);
		tail = rx->hdr->cons_tail;
		/* Pairs with the host's store-release of prod_head. */
		head = smp_load_acquire(&rx->hdr->prod_head);
		if (head == tail)
			return NULL;
		off = tail & (rx->size - 1);
		m = (const struct vmq_msg_hdr *)(rx->data + off);
		rec = VMQ_MSG_RECORD_SIZE(READ_ONCE(m->len));
		if (head - tail > rx->size || rec > head - tail ||
		    rec > rx->size - off || READ_ONCE(m->len) > rx->size) {
			pr_err_ratelimited("corrupt record at %u (head %u)\n",
					   tail, head);
			return ERR_PTR(-EIO);
		}
		switch (m->type) {
		case VMQ_MSG_PAD:
			vmqg_rx_advance(rx, rec, false);
			break;
		case VMQ_MSG_IDENTITY:
			vmqg_rx_take_identity(m);
			vmqg_rx_advance(rx, rec, true);
			break;
		case VMQ_MSG_DATA:
			/*
			 * The drivers' own messages (copy.c) other than a
			 * request, which a reader serves: a WAKE did its work
			 * when it raised the interrupt.
			 */
			if ((READ_ONCE(m->tag) & VMQ_DEV_TAG_DRIVER) &&
			    (READ_ONCE(m->tag) != VMQ_DEV_CTL_REQ ||
			     READ_ONCE(m->len) < sizeof(struct vmq_dev_copy_req))) {
				vmqg_rx_advance(rx, rec, true);
				break;
			}
			return m;
		default:
			return m;
		}
	}
}

/* Hand the space of @m, the message vmqg_rx_peek() returned, back. */
void vmqg_rx_consume(const struct vmq_msg_hdr *m)
{
	lockdep_assert_held(&vmqg_rx.lock);
	vmqg_rx_advance(&vmqg_rx, VMQ_MSG_RECORD_SIZE(m->len), true);
}

/* Take the identity records at the head of the queue, if any. */
void vmqg_rx_absorb(void)
{
	mutex_lock(&vmqg_rx.lock);
	vmqg_rx_peek();
	mutex_unlock(&vmqg_rx.lock);
}
