// SPDX-License-Identifier: GPL-2.0
/*
 * wait.c: how a reader sleeps until a message arrives. Layer: receive (see
 * guest.h).
 *
 * Readers (read(), poll(), epoll) sleep on one wait queue. Two things wake
 * it, never a periodic timer and never a busy loop:
 *
 * - irq mode: the host signals the VM's arrival eventfd whenever a message
 *   lands in an empty queue while VMQ_RING_F_NOTIFY is set; the ivshmem
 *   server wired that eventfd to the ivshmem-doorbell device's MSI-X vector
 *   0, whose handler (ivshmem.c) calls vmqg_wait_arrival(). Used while an
 *   ivshmem-doorbell device with MSI-X is bound and the use_irq parameter
 *   is set.
 *
 * - wait mode, otherwise: a kernel thread, "vmq-wait", runs only while
 *   somebody waits on an empty queue, and then halts its vCPU in the host
 *   with VMQ_HC_WAIT until a message arrives or an interrupt is due (the
 *   guest's own tick or an IPI ends the halt, as it ends HLT). It runs as
 *   SCHED_IDLE, so any other guest task on that CPU goes first: the vCPU
 *   halts in VMQ_HC_WAIT only when the guest had nothing else to run.
 *   A host without an in-kernel local APIC answers -EOPNOTSUPP; the thread
 *   then looks at the queue every 10 ms, the one case that polls.
 *
 * Writers blocked on a full receiver sleep with a back-off (send.c): the
 * host does not signal room. vmqg_wait_wake_writers() lets poll() report
 * EPOLLOUT again once the back-off passed.
 */
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/sched/types.h>

#include "guest.h"
#include "hypercall.h"
#include "rx.h"
#include "wait.h"

/* VMQ_HC_WAIT's timeout: the guest's tick normally ends a halt before it. */
#define VMQG_WAIT_NS		(1000 * NSEC_PER_MSEC)
#define VMQG_WAIT_POLL_MS	10

static DECLARE_WAIT_QUEUE_HEAD(vmqg_readers);
static DECLARE_WAIT_QUEUE_HEAD(vmqg_waitd_wq);
static struct task_struct *vmqg_waitd;
static bool vmqg_irq_mode;
static bool vmqg_wait_unsupported;

static void vmqg_absorb_fn(struct work_struct *work)
{
	vmqg_rx_absorb();
}

static DECLARE_WORK(vmqg_absorb_work, vmqg_absorb_fn);

static void vmqg_wake_readers(void)
{
	wake_up_interruptible_poll(&vmqg_readers, EPOLLIN | EPOLLRDNORM);
}

/* Should the wait thread halt the vCPU for the readers? */
static bool vmqg_waitd_needed(void)
{
	return !READ_ONCE(vmqg_irq_mode) && vmqg_rx_live() &&
	       wq_has_sleeper(&vmqg_readers) && !vmqg_rx_ready();
}

static int vmqg_waitd_fn(void *unused)
{
	long ret;

	while (!kthread_should_stop()) {
		wait_event_interruptible(vmqg_waitd_wq,
					 kthread_should_stop() ||
					 vmqg_waitd_needed());
		if (kthread_should_stop())
			break;
		if (!vmqg_waitd_needed())
			continue;
		if (READ_ONCE(vmqg_wait_unsupported)) {
			schedule_timeout_interruptible(msecs_to_jiffies(VMQG_WAIT_POLL_MS));
		} else {
			vmqg_count(VMQG_CTR_WAITS, 1);
			ret = vmqg_hc(VMQ_HC_WAIT, VMQG_WAIT_NS, 0, 0, 0);
			if (ret == -EOPNOTSUPP) {
				pr_info("VMQ_HC_WAIT unsupported (no in-kernel local APIC): polling every %d ms\n",
					VMQG_WAIT_POLL_MS);
				WRITE_ONCE(vmqg_wait_unsupported, true);
			}
		}
		if (vmqg_rx_ready())
			vmqg_wake_readers();
		cond_resched();
	}
	return 0;
}

static void vmqg_waitd_kick(void)
{
	if (!READ_ONCE(vmqg_irq_mode) && vmqg_waitd)
		wake_up_interruptible(&vmqg_waitd_wq);
}

int vmqg_wait_init(void)
{
	struct sched_attr attr = { .sched_policy = SCHED_IDLE };
	struct task_struct *t;

	if (!(vmqg_host.features & VMQ_FEAT_WAIT))
		WRITE_ONCE(vmqg_wait_unsupported, true);
	t = kthread_create(vmqg_waitd_fn, NULL, "vmq-wait");
	if (IS_ERR(t))
		return PTR_ERR(t);
	sched_setattr_nocheck(t, &attr);
	vmqg_waitd = t;
	wake_up_process(t);
	return 0;
}

void vmqg_wait_exit(void)
{
	/* Readers are gone (the device is); the thread stops at its next look. */
	if (vmqg_waitd)
		kthread_stop(vmqg_waitd);
	vmqg_waitd = NULL;
	cancel_work_sync(&vmqg_absorb_work);
}

/*
 * Sleep until a record is queued (or the queue went away). Returns 0, or
 * -ERESTARTSYS on a signal.
 */
int vmqg_wait_readable(void)
{
	DEFINE_WAIT(wait);
	int ret = 0;

	for (;;) {
		/* A full barrier: our cons_tail store before the ring check. */
		prepare_to_wait(&vmqg_readers, &wait, TASK_INTERRUPTIBLE);
		if (vmqg_rx_ready() || !vmqg_rx_live())
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		vmqg_waitd_kick();
		schedule();
	}
	finish_wait(&vmqg_readers, &wait);
	return ret;
}

/*
 * Sleep until *@word is @want (another VM's copy writes it; the WAKE
 * message that follows raises the arrival interrupt), for at most
 * @timeout_us: a copy raises no interrupt of its own, and a WAKE that lands
 * in a queue that was not empty raises none either. Returns 0, or
 * -ERESTARTSYS on a signal.
 */
int vmqg_wait_word(const u32 *word, u32 want, unsigned int timeout_us)
{
	ktime_t t = ns_to_ktime((u64)timeout_us * NSEC_PER_USEC);
	DEFINE_WAIT(wait);
	int ret = 0;

	prepare_to_wait(&vmqg_readers, &wait, TASK_INTERRUPTIBLE);
	if (READ_ONCE(*word) != want && !signal_pending(current)) {
		vmqg_waitd_kick();
		schedule_hrtimeout_range(&t, t / 4, HRTIMER_MODE_REL);
	}
	if (signal_pending(current))
		ret = -ERESTARTSYS;
	finish_wait(&vmqg_readers, &wait);
	return ret;
}

/* poll(): queue the caller, and make sure somebody will wake it. */
void vmqg_wait_poll(struct file *file, poll_table *pt)
{
	poll_wait(file, &vmqg_readers, pt);
	/* poll_wait() queued us; pairs with wq_has_sleeper() in the thread. */
	smp_mb();
	if (!vmqg_rx_ready())
		vmqg_waitd_kick();
}

void vmqg_wait_wake_writers(void)
{
	wake_up_interruptible_poll(&vmqg_readers, EPOLLOUT | EPOLLWRNORM);
}

/* The arrival interrupt (hard irq context). */
void vmqg_wait_arrival(void)
{
	vmqg_count(VMQG_CTR_IRQS, 1);
	vmqg_wake_readers();
	/* Identity records are taken even when nobody reads. */
	schedule_work(&vmqg_absorb_work);
}

/*
 * Switch between irq and wait mode. In irq mode the ring asks for the
 * notification; records that arrived before it did raised none, so the
 * readers look again.
 */
void vmqg_wait_set_irq(bool on)
{
	WRITE_ONCE(vmqg_irq_mode, on);
	vmqg_rx_set_notify(on);
	vmqg_wake_readers();
	if (!on)
		wake_up_interruptible(&vmqg_waitd_wq);
}

bool vmqg_wait_irq(void)
{
	return READ_ONCE(vmqg_irq_mode);
}

const char *vmqg_wait_mode(void)
{
	if (READ_ONCE(vmqg_irq_mode))
		return "irq";
	return READ_ONCE(vmqg_wait_unsupported) ? "poll" : "wait";
}
