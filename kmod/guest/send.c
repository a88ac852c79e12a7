// SPDX-License-Identifier: GPL-2.0
/*
 * send.c: one open file's sends, immediate (VMQ_HC_SEND) and lazy (the
 * CPU's transmit ring), in the order the file made them. Layer: transfer
 * (see guest.h).
 *
 * Order: the host keeps one vCPU's sends in program order (VMQ_HC_SEND and
 * VMQ_HC_PAGE_SEND deliver the caller's transmit ring first), not those of
 * two vCPUs. A file's lazy descriptors not yet completed are all on one
 * CPU's ring (lazy->last_cpu); before it sends from another CPU, the file
 * flushes that ring (an IPI that runs VMQ_HC_TX_FLUSH there). Each send
 * runs with migration disabled from that check to its hypercall or post.
 *
 * A payload must be physically contiguous guest RAM that stays put until
 * the host copied it: the file's bounce buffer (kmalloc) for an immediate
 * send, the CPU's payload ring (tx.c) for a lazy one.
 *
 * A full receiver (-EAGAIN) makes a blocking write() sleep and retry with
 * an exponential back-off from 20 us to 10 ms, as hypercalls.rst advises:
 * the host does not signal room. A non-blocking one returns -EAGAIN and
 * reports EPOLLOUT again when the back-off timer fires.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmq_guest_dev.h>
#include <asm/io.h>

#include "guest.h"
#include "hypercall.h"
#include "send.h"
#include "tx.h"
#include "wait.h"
#include "window.h"

#define VMQG_BACKOFF_MIN_US	20
#define VMQG_BACKOFF_MAX_US	10000

/* The largest payload write() takes: the host's, and what kmalloc gives. */
u32 vmqg_send_max(void)
{
	return min_t(u32, vmqg_host.max_msg, KMALLOC_MAX_SIZE);
}

u32 vmqg_send_lazy_max(void)
{
	if (!vmqg_tx_enabled())
		return 0;
	return min3(vmqg_lazy_max, vmqg_lazy_buf / 4, vmqg_send_max());
}

static enum hrtimer_restart vmqg_send_retry(struct hrtimer *t)
{
	struct vmqg_sender *s = container_of(t, struct vmqg_sender, retry);

	WRITE_ONCE(s->full, false);
	vmqg_wait_wake_writers();
	return HRTIMER_NORESTART;
}

int vmqg_sender_init(struct vmqg_sender *s)
{
	mutex_init(&s->lock);
	hrtimer_init(&s->retry, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	s->retry.function = vmqg_send_retry;
	s->backoff_us = VMQG_BACKOFF_MIN_US;
	s->buf_size = 256;
	s->buf = kmalloc(s->buf_size, GFP_KERNEL);
	s->lazy = vmqg_lazy_alloc();
	if (!s->buf || !s->lazy) {
		kfree(s->buf);
		if (s->lazy)
			vmqg_lazy_put(s->lazy);
		return -ENOMEM;
	}
	return 0;
}

/* Called with migration disabled: this file's older lazy sends go first. */
static void vmqg_send_order(struct vmqg_sender *s)
{
	int cpu = READ_ONCE(s->lazy->last_cpu);

	if (cpu >= 0 && cpu != smp_processor_id() &&
	    atomic_read(&s->lazy->outstanding))
		vmqg_tx_flush_cpu(cpu);
}

void vmqg_sender_release(struct vmqg_sender *s)
{
	int cpu = READ_ONCE(s->lazy->last_cpu);

	/* Deliver what the file left in a ring, so that it is accounted. */
	if (cpu >= 0 && atomic_read(&s->lazy->outstanding))
		vmqg_tx_flush_cpu(cpu);
	hrtimer_cancel(&s->retry);
	vmqg_lazy_put(s->lazy);
	kfree(s->buf);
}

static int vmqg_send_buf(struct vmqg_sender *s, size_t len)
{
	void *buf;

	if (len <= s->buf_size)
		return 0;
	buf = kmalloc(len, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	kfree(s->buf);
	s->buf = buf;
	s->buf_size = len;
	return 0;
}

static long vmqg_send_now(struct vmqg_sender *s, u32 dest, u32 len, u64 tag)
{
	long ret;

	migrate_disable();
	vmqg_send_order(s);
	ret = vmqg_hc(VMQ_HC_SEND, dest, virt_to_phys(s->buf), len, tag);
	migrate_enable();
	if (!ret) {
		vmqg_count(VMQG_CTR_TX_MSGS, 1);
		vmqg_count(VMQG_CTR_TX_BYTES, len);
	} else if (ret == -EAGAIN) {
		vmqg_count(VMQG_CTR_TX_FULL, 1);
	} else {
		vmqg_count(VMQG_CTR_TX_ERRORS, 1);
	}
	return ret;
}

/* 0 when posted; else the caller sends it immediately. */
static int vmqg_send_lazy(struct vmqg_sender *s, u32 dest, u32 len, u64 tag)
{
	int ret;

	if (len > vmqg_send_lazy_max())
		return -EMSGSIZE;
	migrate_disable();
	vmqg_send_order(s);
	ret = vmqg_tx_post(s->lazy, dest, s->buf, len, tag);
	migrate_enable();
	if (!ret) {
		vmqg_count(VMQG_CTR_LAZY_MSGS, 1);
		vmqg_count(VMQG_CTR_LAZY_BYTES, len);
	}
	return ret;
}

static void vmqg_send_backoff_arm(struct vmqg_sender *s)
{
	WRITE_ONCE(s->full, true);
	hrtimer_start(&s->retry, ns_to_ktime((u64)s->backoff_us * NSEC_PER_USEC), HRTIMER_MODE_REL);
	s->backoff_us = min(s->backoff_us * 2, VMQG_BACKOFF_MAX_US);
}

static int vmqg_send_backoff_sleep(struct vmqg_sender *s)
{
	ktime_t t = ns_to_ktime((u64)s->backoff_us * NSEC_PER_USEC);

	s->backoff_us = min(s->backoff_us * 2, VMQG_BACKOFF_MAX_US);
	set_current_state(TASK_INTERRUPTIBLE);
	schedule_hrtimeout_range(&t, t / 4, HRTIMER_MODE_REL);
	return signal_pending(current) ? -ERESTARTSYS : 0;
}

/* Send s->buf's @len bytes now, sleeping on a full receiver unless @nonblock. */
static long vmqg_send_blocking(struct vmqg_sender *s, u32 dest, u32 len,
			       u64 tag, bool nonblock)
{
	long ret;

	for (;;) {
		ret = vmqg_send_now(s, dest, len, tag);
		if (ret != -EAGAIN)
			break;
		if (nonblock) {
			vmqg_send_backoff_arm(s);
			break;
		}
		ret = vmqg_send_backoff_sleep(s);
		if (ret)
			break;
	}
	if (!ret) {
		s->backoff_us = VMQG_BACKOFF_MIN_US;
		WRITE_ONCE(s->full, false);
	}
	return ret;
}

/*
 * Send the @len bytes at @ubuf as one message. Returns @len, or a negative
 * errno and nothing was sent (a lazy send's own result comes later:
 * VMQ_DEV_IOC_FLUSH).
 */
ssize_t vmqg_send_user(struct vmqg_sender *s, u32 dest, u64 tag, u32 flags,
		       const void __user *ubuf, size_t len, bool nonblock)
{
	long ret;

	if (len > vmqg_send_max())
		return -EMSGSIZE;
	if (tag & VMQ_DEV_TAG_DRIVER)
		return -EINVAL;
	if (mutex_lock_interruptible(&s->lock))
		return -ERESTARTSYS;
	ret = vmqg_send_buf(s, len);
	if (ret)
		goto out_unlock;
	ret = -EFAULT;
	if (copy_from_user(s->buf, ubuf, len))
		goto out_unlock;
	if (flags & VMQ_DEV_LAZY) {
		ret = vmqg_send_lazy(s, dest, len, tag);
		if (!ret) {
			s->backoff_us = VMQG_BACKOFF_MIN_US;
			WRITE_ONCE(s->full, false);
			ret = len;
			goto out_unlock;
		}
		vmqg_count(VMQG_CTR_LAZY_FALLBACK, 1);
	}
	ret = vmqg_send_blocking(s, dest, len, tag, nonblock);
	if (!ret)
		ret = len;
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * One of the driver's own messages (copy.c), in the file's order of
 * messages, immediately, sleeping on a full receiver. 0 or a negative errno.
 */
long vmqg_send_kernel(struct vmqg_sender *s, u32 dest, u64 tag,
		      const void *payload, u32 len)
{
	long ret;

	if (mutex_lock_interruptible(&s->lock))
		return -ERESTARTSYS;
	ret = vmqg_send_buf(s, len);
	if (!ret) {
		memcpy(s->buf, payload, len);
		ret = vmqg_send_blocking(s, dest, len, tag, false);
	}
	mutex_unlock(&s->lock);
	return ret;
}

/* VMQ_HC_PAGE_SEND of a slot @owner holds, in this file's send order. */
long vmqg_send_page(struct vmqg_sender *s, const void *owner, u64 offset,
		    u32 dest, u64 tag)
{
	long ret;

	if (mutex_lock_interruptible(&s->lock))
		return -ERESTARTSYS;
	migrate_disable();
	vmqg_send_order(s);
	ret = vmqg_window_send(owner, offset, dest, tag);
	migrate_enable();
	mutex_unlock(&s->lock);
	return ret;
}

/* Deliver this file's lazy sends now and collect their results. */
void vmqg_send_flush(struct vmqg_sender *s, struct vmq_dev_flush *out)
{
	int cpu;

	mutex_lock(&s->lock);
	cpu = READ_ONCE(s->lazy->last_cpu);
	if (cpu >= 0 && atomic_read(&s->lazy->outstanding))
		vmqg_tx_flush_cpu(cpu);
	out->sent = atomic_xchg(&s->lazy->sent, 0);
	out->failed = atomic_xchg(&s->lazy->failed, 0);
	out->first_error = atomic_xchg(&s->lazy->first_error, 0);
	mutex_unlock(&s->lock);
}

/* EPOLLOUT: no full receiver met, or its back-off is over. */
bool vmqg_send_writable(struct vmqg_sender *s)
{
	return !READ_ONCE(s->full);
}
