// SPDX-License-Identifier: GPL-2.0
/*
 * copy.c: large writes, from the writer's buffer straight into the buffer
 * of the reader's read(), with one cross-guest copy (VMQ_HC_COPY). The
 * protocol between the two drivers is in <linux/vmq_guest_dev.h> ("Large
 * writes"). Layer: transfer (see guest.h).
 *
 * Both user buffers are pinned while the host may copy: the host walks the
 * guest's page tables and needs each page present (and the reader's
 * writable) when the copy reaches it; pinning faults them in and keeps
 * them. The small structures each side lets the other write (reply, done)
 * live in kmalloc memory, the direct map that every address space maps,
 * granted as supervisor ranges.
 *
 * Nothing here holds a lock while it waits for the other side: the request
 * went through the writing file's order of messages, which is what places
 * the data in the reader's stream.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmq_guest_dev.h>
#include <asm/io.h>

#include "copy.h"
#include "guest.h"
#include "hypercall.h"
#include "rx.h"
#include "send.h"
#include "wait.h"

#define VMQG_COPY_BACKOFF_MIN_US	20
#define VMQG_COPY_BACKOFF_MAX_US	10000
/* How often a side that waits checks that its peer is still there. */
#define VMQG_COPY_PROBE_MS		1000

/* What one side of a transfer lets the other write, and its own notes. */
struct vmqg_copy {
	struct vmq_dev_copy_reply reply;	/* the writer's, from the reader */
	struct vmq_dev_copy_done done;		/* the reader's, from the writer */
	struct vmq_dev_copy_req req;		/* the writer's request */
	u32 xid;				/* the word sent last */
	u64 zero;				/* a WAKE's (empty) payload */
};

static atomic_t vmqg_copy_xid = ATOMIC_INIT(0);

bool vmqg_copy_supported(void)
{
	return vmqg_host.features & VMQ_FEAT_COPY;
}

static long vmqg_grant(unsigned long gva, u64 len, u64 flags, u32 sender)
{
	return vmqg_hc(VMQ_HC_GRANT, gva, len, flags, sender);
}

static void vmqg_revoke(long grant)
{
	if (grant > 0)
		vmqg_hc(VMQ_HC_GRANT_REVOKE, grant, 0, 0, 0);
}

/*
 * Copy @len bytes at @src into byte @offset of grant @grant of VM @dest.
 * The bytes copied, or a negative errno when none were; *@err is what
 * stopped the copy (0: all of them).
 */
static long vmqg_copy_to(u32 dest, u32 grant, u64 offset, unsigned long src,
			 u64 len, u32 flags, long *err)
{
	struct vmqg_regs r = {
		VMQ_HC_COPY, (u64)dest << 32 | grant, offset, src,
		(u64)flags << 32 | len,
	};

	vmqg_hc_regs(&r);
	*err = (long)r.ax < 0 ? (long)r.ax : (long)r.bx;
	return r.ax;
}

/*
 * Copy the structure at @p (@len bytes, its last u32 the transfer's xid)
 * into grant @grant of @dest: the body first, then the xid, so that a side
 * that sees its xid sees the rest.
 */
static long vmqg_copy_reply_to(u32 dest, u32 grant, const void *p, u64 len)
{
	u64 body = len - 2 * sizeof(u32);
	long err;

	if (vmqg_copy_to(dest, grant, 0, (unsigned long)p, body, 0, &err) != body)
		return err ?: -EIO;
	if (vmqg_copy_to(dest, grant, body, (unsigned long)p + body,
			 sizeof(u32), 0, &err) != sizeof(u32))
		return err ?: -EIO;
	return 0;
}

/* An empty VMQ_DEV_CTL_WAKE to @peer: its arrival interrupt, if queue empty. */
static long vmqg_copy_wake(struct vmqg_copy *c, u32 peer)
{
	return vmqg_hc(VMQ_HC_SEND, peer, virt_to_phys(&c->zero), 0,
		       VMQ_DEV_CTL_WAKE);
}

/*
 * Sleep until @peer's copy puts @xid in *@word. Returns 0, -ERESTARTSYS on
 * a signal, or the host's answer to a WAKE when @peer is gone.
 */
static int vmqg_copy_wait(struct vmqg_copy *c, const u32 *word, u32 xid,
			  u32 peer)
{
	unsigned int backoff = VMQG_COPY_BACKOFF_MIN_US;
	ktime_t probe = ktime_add_ms(ktime_get(), VMQG_COPY_PROBE_MS);
	long ret;

	for (;;) {
		ret = vmqg_wait_word(word, xid, backoff);
		/* Its WAKE is at the head of our queue: nobody reads it. */
		vmqg_rx_absorb();
		if (READ_ONCE(*word) == xid) {
			/* The xid landed after the rest (vmqg_copy_reply_to()). */
			smp_rmb();
			return 0;
		}
		if (ret)
			return ret;
		backoff = min(backoff * 2, VMQG_COPY_BACKOFF_MAX_US);
		if (ktime_after(ktime_get(), probe)) {
			ret = vmqg_copy_wake(c, peer);
			if (ret && ret != -EAGAIN)
				return ret;
			probe = ktime_add_ms(ktime_get(), VMQG_COPY_PROBE_MS);
		}
	}
}

/* Pin the pages under [@addr, @addr + @len); their count in *@nr. */
static struct page **vmqg_copy_pin(unsigned long addr, size_t len, bool write,
				   int *nr)
{
	int n = DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE);
	struct page **pages;
	int got;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	got = pin_user_pages_fast(addr & PAGE_MASK, n, write ? FOLL_WRITE : 0,
				  pages);
	if (got != n) {
		if (got > 0)
			unpin_user_pages(pages, got);
		kvfree(pages);
		return ERR_PTR(got < 0 ? got : -EFAULT);
	}
	*nr = n;
	return pages;
}

static void vmqg_copy_unpin(struct page **pages, int nr, bool dirty)
{
	unpin_user_pages_dirty_lock(pages, nr, dirty);
	kvfree(pages);
}

/* Tell the reader that @n bytes went (it waits for this even for none). */
static long vmqg_copy_done(struct vmqg_copy *c, u32 dest, u64 n)
{
	long ret;

	c->done = (struct vmq_dev_copy_done) { .len = n, .xid = c->xid };
	ret = vmqg_copy_reply_to(dest, c->reply.done, &c->done, sizeof(c->done));
	vmqg_copy_wake(c, dest);
	return ret;
}

ssize_t vmqg_copy_write(struct vmqg_sender *s, u32 dest, u64 tag,
			const void __user *ubuf, size_t len)
{
	struct vmqg_copy *c;
	struct page **pages;
	long reply, ret, err;
	bool told = false;
	int nr;
	u64 n;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->xid = atomic_inc_return(&vmqg_copy_xid) ?: atomic_inc_return(&vmqg_copy_xid);
	reply = vmqg_grant((unsigned long)&c->reply, sizeof(c->reply), 0, dest);
	if (reply < 0) {
		ret = reply;
		goto out_free;
	}
	c->req = (struct vmq_dev_copy_req) {
		.tag = tag,
		.len = min_t(u64, len, VMQ_COPY_MAX),
		.reply = reply,
		.xid = c->xid,
	};
	ret = vmqg_send_kernel(s, dest, VMQ_DEV_CTL_REQ, &c->req, sizeof(c->req));
	if (ret)
		goto out_revoke;
	ret = vmqg_copy_wait(c, &c->reply.xid, c->xid, dest);
	if (ret)
		goto out_revoke;
	/* The reply is the reader's to write until revoked: hold it still. */
	vmqg_revoke(reply);
	reply = 0;
	if (!c->reply.data) {
		ret = -EMSGSIZE;	/* declined: the reader waits for nothing */
		goto out_revoke;
	}
	n = min(c->req.len, c->reply.len);
	pages = n ? vmqg_copy_pin((unsigned long)ubuf, n, false, &nr) :
		    ERR_PTR(-EMSGSIZE);
	if (IS_ERR(pages)) {
		ret = PTR_ERR(pages);
		n = 0;
	} else {
		ret = vmqg_copy_to(dest, c->reply.data, 0, (unsigned long)ubuf,
				   n, VMQ_COPY_USER, &err);
		vmqg_copy_unpin(pages, nr, false);
		n = ret > 0 ? ret : 0;
		if (err)
			pr_debug("copy to VM %u stopped after %llu bytes: %ld\n",
				 dest, n, err);
		if (ret == -ENOENT)
			ret = -ECONNRESET;
	}
	err = vmqg_copy_done(c, dest, n);
	told = true;
	if (n) {
		vmqg_count(VMQG_CTR_COPY_TX, 1);
		vmqg_count(VMQG_CTR_COPY_TX_BYTES, n);
		ret = n;
	} else if (ret >= 0) {
		ret = err ?: -EIO;
	}
out_revoke:
	vmqg_revoke(reply);
	/*
	 * Given up (a signal) while the reply was landing: its reader waits
	 * for a done. No copy lands after the revoke.
	 */
	if (!told && READ_ONCE(c->reply.xid) == c->xid) {
		/* The xid lands last: the rest of the reply is there. */
		smp_rmb();
		if (c->reply.data)
			vmqg_copy_done(c, dest, 0);
	}
out_free:
	kfree(c);
	return ret;
}

ssize_t vmqg_copy_read(const struct vmq_dev_copy_req *req, u32 sender,
		       u32 seq, char __user *ubuf, size_t count)
{
	struct vmq_dev_msg h = {
		.type = VMQ_MSG_DATA,
		.sender = sender,
		.seq = seq,
		.tag = req->tag,
	};
	unsigned long dst = (unsigned long)ubuf + sizeof(h);
	long data = 0, done = 0, ret = -EAGAIN;
	struct page **pages = NULL;
	struct vmqg_copy *c;
	int nr = 0;
	u64 n;

	if (!req->xid || !req->reply)
		return -EAGAIN;		/* not a request: nothing to answer */
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	n = min3((u64)req->len, (u64)(count - sizeof(h)), (u64)VMQ_COPY_MAX);
	if (n) {
		pages = vmqg_copy_pin(dst, n, true, &nr);
		if (!IS_ERR(pages)) {
			data = vmqg_grant(dst, n, VMQ_GRANT_USER, sender);
			done = vmqg_grant((unsigned long)&c->done, sizeof(c->done),
					  0, sender);
		}
		/* A buffer or grant we cannot give: decline, and say why. */
		ret = IS_ERR(pages) ? PTR_ERR(pages) : data < 0 ? data : done;
		if (IS_ERR(pages) || data < 0 || done < 0)
			n = 0;
	}
	c->reply = (struct vmq_dev_copy_reply) {
		.data = n ? data : 0,
		.done = n ? done : 0,
		.len = n,
		.xid = req->xid,
	};
	if (vmqg_copy_reply_to(sender, req->reply, &c->reply, sizeof(c->reply)))
		n = 0;		/* the writer gave the transfer up */
	if (n) {
		vmqg_copy_wake(c, sender);
		ret = vmqg_copy_wait(c, &c->done.xid, req->xid, sender);
	} else if (ret > 0) {
		ret = -EAGAIN;
	}
	if (data > 0)
		vmqg_revoke(data);
	if (done > 0)
		vmqg_revoke(done);
	/* After the revokes no copy lands: what did is what we have. */
	if (n && READ_ONCE(c->done.xid) == req->xid) {
		h.len = min(c->done.len, n);
		ret = -EAGAIN;		/* the writer's copy failed: nothing */
		if (h.len && copy_to_user(ubuf, &h, sizeof(h))) {
			ret = -EFAULT;
		} else if (h.len) {
			ret = sizeof(h) + h.len;
			vmqg_count(VMQG_CTR_COPY_RX, 1);
			vmqg_count(VMQG_CTR_COPY_RX_BYTES, h.len);
		}
	} else if (ret == -ERESTARTSYS) {
		/* The request is consumed: a restarted read() would lose it. */
		ret = -EINTR;
	}
	if (!IS_ERR_OR_NULL(pages))
		vmqg_copy_unpin(pages, nr, true);
	kfree(c);
	return ret;
}
