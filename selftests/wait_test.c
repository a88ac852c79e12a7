// SPDX-License-Identifier: GPL-2.0
/*
 * wait_test - the blocking receive, VMQ_HC_WAIT.
 *
 * A receiver VM's vCPU runs in its own thread and halts in VMQ_HC_WAIT; the
 * main thread plays another VM that sends to it. Checked: a message ends
 * the wait (and is there), the timeout ends it (no sooner than asked), a
 * non-empty queue answers at once, bad timeouts and missing queues fail as
 * documented, the host CPU is free while the vCPU waits, a signal and
 * immediate_exit leave KVM_RUN as for HLT with the wait going on, and a
 * VMM killed during a wait leaves nothing behind.
 *
 * Wall time never decides a result: waits for the other thread are
 * bounded only to turn a hang into a failure, the timeout is checked as a
 * lower bound, and CPU use as a fraction of the elapsed time.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "vmqt.h"

#define MSG_LEN		40

struct wt {
	struct vmqt_gvm r, s;
	struct vmqt_gmem rx, buf;
};

static void wt_setup(struct wt *w)
{
	w->r = vmqt_gvm_create();
	w->s = vmqt_gvm_create();
	vmqt_attach(&w->r, NULL);
	vmqt_attach(&w->s, NULL);
	vmqt_allow(w->s.id, w->r.id);
	w->rx = vmqt_rx_setup(&w->r, 4096);
	w->buf = vmqt_gmem_alloc(w->s.vm, 4096);
	vmqt_fill(w->buf.hva, MSG_LEN, w->s.id, 0);
}

static void send_one(struct wt *w, u64 tag)
{
	s64 r = vmqt_gvm_hc(&w->s, VMQ_HC_SEND, w->r.id, w->buf.gpa, MSG_LEN,
			    tag);

	TEST_ASSERT(r == 0, "VMQ_HC_SEND: %ld", (long)r);
}

static void expect_msg(struct wt *w, u64 tag)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&w->rx);

	TEST_ASSERT(m, "message with tag %lu missing", (unsigned long)tag);
	TEST_ASSERT(m->type == VMQ_MSG_DATA && m->sender == w->s.id &&
		    m->len == MSG_LEN && m->tag == tag,
		    "message: type %u sender %u (want %u) len %u tag %lu (want %lu)",
		    m->type, m->sender, w->s.id, m->len, (unsigned long)m->tag,
		    (unsigned long)tag);
	TEST_ASSERT(vmqt_check_fill(vmqg_msg_payload(m), MSG_LEN, w->s.id, 0),
		    "payload differs");
	vmqt_host_consume(&w->rx, m);
}

static void expect_empty(struct wt *w)
{
	TEST_ASSERT(!vmqt_host_peek(&w->rx) && !vmqt_host_pending(&w->rx),
		    "queue not empty");
}

static u64 ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000ULL + t->tv_nsec;
}

static u64 now_ns(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return ns_of(&t);
}

/* The receiver's vCPU thread: one VMQ_HC_WAIT, measured. */
struct waiter {
	struct vmqt_gvm *g;
	u64 timeout;
	bool raw;		/* one bare KVM_RUN, no retry on EINTR */
	pthread_t thread;
	volatile pid_t tid;
	volatile bool done;
	s64 ret;		/* the guest's VMQ_HC_WAIT result */
	int raw_rc, raw_errno;
	u64 wall_ns, cpu_ns;
};

static void *waiter_fn(void *arg)
{
	struct waiter *wa = arg;
	u64 w0, c0;

	wa->tid = syscall(SYS_gettid);
	w0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	if (wa->raw) {
		wa->raw_rc = ioctl(wa->g->vcpu->fd, KVM_RUN, NULL);
		wa->raw_errno = errno;
	} else {
		wa->ret = vmqt_gvm_run(wa->g);
	}
	wa->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	wa->wall_ns = now_ns(CLOCK_MONOTONIC) - w0;
	wa->done = true;
	return NULL;
}

/* Start the receiver's VMQ_HC_WAIT(@timeout) in its own thread. */
static void waiter_start(struct waiter *wa, struct vmqt_gvm *g, u64 timeout,
			 bool raw)
{
	memset(wa, 0, sizeof(*wa));
	wa->g = g;
	wa->timeout = timeout;
	wa->raw = raw;
	vmqt_cmd_set_hc(g->cmd, VMQ_HC_WAIT, timeout, 0, 0, 0);
	TEST_ASSERT(!pthread_create(&wa->thread, NULL, waiter_fn, wa),
		    "pthread_create");
}

/* Re-enter KVM_RUN on a vCPU whose guest is inside VMQ_HC_WAIT. */
static void waiter_resume(struct waiter *wa, bool raw)
{
	struct vmqt_gvm *g = wa->g;
	u64 timeout = wa->timeout;

	memset(wa, 0, sizeof(*wa));
	wa->g = g;
	wa->timeout = timeout;
	wa->raw = raw;
	TEST_ASSERT(!pthread_create(&wa->thread, NULL, waiter_fn, wa),
		    "pthread_create");
}

static void waiter_join(struct waiter *wa)
{
	TEST_ASSERT(!pthread_join(wa->thread, NULL), "pthread_join");
}

/*
 * The message with @tag, just sent, ended @wa's wait (@why: how it was
 * sent): the receiver is off the waiters at once, its VMQ_HC_WAIT returned
 * 0, and the message is all its queue holds.
 */
static void expect_woken(struct wt *w, struct waiter *wa, u64 live0, u64 tag,
			 const char *why)
{
	TEST_ASSERT(vmqt_stats().live_waits == live0,
		    "%s did not end the wait", why);
	waiter_join(wa);
	TEST_ASSERT(wa->ret == 0, "VMQ_HC_WAIT returned %ld, want 0",
		    (long)wa->ret);
	expect_msg(w, tag);
	expect_empty(w);
}

/* Bounded polling: a hang becomes a failure, never a timing verdict. */
#define POLL_UNTIL(cond, what)						\
	do {								\
		int __i;						\
		for (__i = 0; __i < 60000 && !(cond); __i++)		\
			usleep(1000);					\
		TEST_ASSERT((cond), "never happened: %s", what);	\
	} while (0)


/* The vCPU of @g is halted in VMQ_HC_WAIT and its thread sleeps. */
static void wait_blocked(struct waiter *wa, u64 live0, u64 waits0)
{
	struct vmqt_gvm *g = wa->g;

	POLL_UNTIL(vmqt_stats().live_waits == live0 + 1 &&
		   vmqt_ctr(g->id, VMQ_CTR_WAITS) == waits0 + 1,
		   "live_waits +1 and VMQ_CTR_WAITS +1");
	/* After halt polling, KVM puts the thread to sleep. */
	POLL_UNTIL(wa->tid && (vmqt_task_state(getpid(), wa->tid) == 'S' || wa->done),
		   "vCPU thread asleep");
	TEST_ASSERT(!wa->done, "the wait returned by itself (ret %ld)",
		    (long)wa->ret);
}

static void test_wake_by_message(void)
{
	struct waiter wa;
	u64 live0, waits0;
	struct wt w;

	wt_setup(&w);
	live0 = vmqt_stats().live_waits;
	waits0 = vmqt_ctr(w.r.id, VMQ_CTR_WAITS);

	waiter_start(&wa, &w.r, VMQ_WAIT_MAX_NS, false);
	wait_blocked(&wa, live0, waits0);

	send_one(&w, 77);
	/*
	 * The send itself ends the wait: the receiver is off the waiters as
	 * soon as VMQ_HC_SEND returned, long before a 10 s timeout.
	 */
	expect_woken(&w, &wa, live0, 77, "the message");
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) == waits0 + 1, "VMQ_CTR_WAITS");
}

/*
 * The same with a lazy send: the sender's exit, in atomic context inside
 * another VM's exit handling, wakes the waiter.
 */
static void test_wake_by_lazy_send(void)
{
	struct vmqt_gmem tx;
	struct vmq_tx_hdr *h;
	struct vmq_tx_desc *d;
	struct waiter wa;
	u64 live0, waits0;
	struct wt w;

	wt_setup(&w);
	tx = vmqt_tx_setup(&w.s, 1);
	h = tx.hva;

	live0 = vmqt_stats().live_waits;
	waits0 = vmqt_ctr(w.r.id, VMQ_CTR_WAITS);
	waiter_start(&wa, &w.r, VMQ_WAIT_MAX_NS, false);
	wait_blocked(&wa, live0, waits0);

	/* Publish one descriptor (as the guest would), then a plain exit. */
	d = vmqt_tx_put(w.s.cmd, tx.hva, w.r.id, w.buf.gpa, MSG_LEN, 99, 0);
	TEST_ASSERT(vmqt_gvm_natural_exit(&w.s) == 0, "natural exit");
	TEST_ASSERT(__atomic_load_n(&h->cons, __ATOMIC_ACQUIRE) == 1 &&
		    d->status == 0, "descriptor: cons %u status %d", h->cons,
		    d->status);
	expect_woken(&w, &wa, live0, 99, "the lazy message");
}

/*
 * vmqg_tx_send_wait(): a message posted in the transmit ring and then
 * VMQ_HC_WAIT: the receiver has it while the sender is still halted in
 * its wait (the wait's exit delivered it, no later exit did), and a
 * message for the sender ends that wait.
 */
static void test_send_then_wait(void)
{
	struct vmqt_op_send_wait *sw;
	struct waiter wa;
	u64 live0, waits0;
	s64 r;
	struct wt w;

	wt_setup(&w);
	vmqt_rx_setup(&w.s, 4096);
	vmqt_tx_setup(&w.s, 1);
	vmqt_allow(w.r.id, w.s.id);
	live0 = vmqt_stats().live_waits;
	waits0 = vmqt_ctr(w.s.id, VMQ_CTR_WAITS);

	memset(&wa, 0, sizeof(wa));
	wa.g = &w.s;
	w.s.cmd->op = VMQT_OP_SEND_WAIT;
	sw = &w.s.cmd->send_wait;
	*sw = (struct vmqt_op_send_wait){
		.dest = w.r.id, .gpa = w.buf.gpa, .len = MSG_LEN, .tag = 55,
		.timeout_ns = VMQ_WAIT_MAX_NS,
	};
	TEST_ASSERT(!pthread_create(&wa.thread, NULL, waiter_fn, &wa),
		    "pthread_create");
	wait_blocked(&wa, live0, waits0);
	/* Delivered by the wait's own exit, before the halt. */
	expect_msg(&w, 55);
	expect_empty(&w);

	r = vmqt_gvm_send(&w.r, w.s.id, w.rx.gpa, 8, 56);
	TEST_ASSERT(!r, "answer: %ld", (long)r);
	waiter_join(&wa);
	TEST_ASSERT(wa.ret == 0 && sw->status == 0,
		    "the wait: %ld, the descriptor: %ld", (long)wa.ret,
		    (long)sw->status);
}

static void test_timeout(void)
{
	const u64 timeout = 300 * 1000 * 1000ULL;
	struct waiter wa;
	u64 live0, waits0;
	struct wt w;

	wt_setup(&w);
	live0 = vmqt_stats().live_waits;
	waits0 = vmqt_ctr(w.r.id, VMQ_CTR_WAITS);

	waiter_start(&wa, &w.r, timeout, false);
	waiter_join(&wa);
	TEST_ASSERT(wa.ret == 0, "VMQ_HC_WAIT returned %ld, want 0", (long)wa.ret);
	TEST_ASSERT(wa.wall_ns >= timeout,
		    "returned after %lu ns, before the %lu ns timeout",
		    (unsigned long)wa.wall_ns, (unsigned long)timeout);
	expect_empty(&w);
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) == waits0 + 1, "VMQ_CTR_WAITS");
	TEST_ASSERT(vmqt_stats().live_waits == live0, "live_waits after timeout");
}

static void test_pending_and_errors(void)
{
	u64 waits0, inval0, noq0;
	u64 live0 = vmqt_stats().live_waits;
	struct wt w;
	s64 r;
	int i;

	wt_setup(&w);
	for (i = 0; i < 3; i++)
		send_one(&w, 500 + i);
	waits0 = vmqt_ctr(w.r.id, VMQ_CTR_WAITS);

	/* Messages waiting: their number, at once, no halt. */
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, 1000 * 1000 * 1000ULL, 0, 0, 0);
	TEST_ASSERT(r == 3, "VMQ_HC_WAIT with 3 waiting: %ld", (long)r);
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS, 0, 0, 0);
	TEST_ASSERT(r == 3, "VMQ_HC_WAIT(VMQ_WAIT_MAX_NS) with 3 waiting: %ld",
		    (long)r);
	expect_msg(&w, 500);
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, 1000 * 1000 * 1000ULL, 0, 0, 0);
	TEST_ASSERT(r == 2, "VMQ_HC_WAIT with 2 waiting: %ld", (long)r);
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) == waits0,
		    "VMQ_HC_WAIT halted with messages waiting");
	expect_msg(&w, 501);
	expect_msg(&w, 502);
	expect_empty(&w);

	/* A zero timeout on an empty queue only looks. */
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_WAIT(0): %ld", (long)r);

	inval0 = vmqt_ctr(w.r.id, VMQ_CTR_ERR_INVAL);
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS + 1, 0, 0, 0);
	TEST_ASSERT(r == -EINVAL, "VMQ_HC_WAIT(max + 1): %ld", (long)r);
	r = vmqt_gvm_hc(&w.r, VMQ_HC_WAIT, ~0ULL, 0, 0, 0);
	TEST_ASSERT(r == -EINVAL, "VMQ_HC_WAIT(~0): %ld", (long)r);
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_ERR_INVAL) == inval0 + 2,
		    "VMQ_CTR_ERR_INVAL");

	/* s has no receive queue. */
	noq0 = vmqt_ctr(w.s.id, VMQ_CTR_ERR_NOQUEUE);
	r = vmqt_gvm_hc(&w.s, VMQ_HC_WAIT, 1000, 0, 0, 0);
	TEST_ASSERT(r == -ENOTCONN, "VMQ_HC_WAIT without a queue: %ld", (long)r);
	r = vmqt_gvm_hc(&w.s, VMQ_HC_WAIT, 0, 0, 0, 0);
	TEST_ASSERT(r == -ENOTCONN, "VMQ_HC_WAIT(0) without a queue: %ld",
		    (long)r);
	TEST_ASSERT(vmqt_ctr(w.s.id, VMQ_CTR_ERR_NOQUEUE) == noq0 + 2,
		    "VMQ_CTR_ERR_NOQUEUE");
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) == waits0 &&
		    vmqt_ctr(w.s.id, VMQ_CTR_WAITS) == 0, "a failed wait halted");
	TEST_ASSERT(vmqt_stats().live_waits == live0, "live_waits");
}

/* A VM whose local APIC is in userspace: HLT would exit to the VMM. */
static void test_no_lapic(void)
{
	struct vmqt_gvm g = vmqt_gvm_create_no_lapic();
	u64 inval0;
	s64 r;

	vmqt_attach(&g, NULL);
	vmqt_rx_setup(&g, 4096);

	inval0 = vmqt_ctr(g.id, VMQ_CTR_ERR_INVAL);
	r = vmqt_gvm_hc(&g, VMQ_HC_WAIT, 1000 * 1000, 0, 0, 0);
	TEST_ASSERT(r == -EOPNOTSUPP, "VMQ_HC_WAIT without an in-kernel LAPIC: %ld",
		    (long)r);
	TEST_ASSERT(vmqt_ctr(g.id, VMQ_CTR_ERR_INVAL) == inval0 + 1,
		    "VMQ_CTR_ERR_INVAL");
	TEST_ASSERT(vmqt_ctr(g.id, VMQ_CTR_WAITS) == 0, "halted");
	/* The VM still works: the same vCPU runs on. */
	r = vmqt_gvm_hc(&g, VMQ_HC_INFO, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_INFO: %ld", (long)r);
	vmqt_gvm_free(&g);
}

static void test_cpu_idle(void)
{
	const u64 timeout = 1000 * 1000 * 1000ULL;
	struct waiter wa;
	struct wt w;

	wt_setup(&w);
	waiter_start(&wa, &w.r, timeout, false);
	waiter_join(&wa);
	ksft_print_msg("1 s wait: %lu us elapsed, %lu us of CPU\n",
		       (unsigned long)(wa.wall_ns / 1000),
		       (unsigned long)(wa.cpu_ns / 1000));
	TEST_ASSERT(wa.ret == 0, "VMQ_HC_WAIT returned %ld", (long)wa.ret);
	TEST_ASSERT(wa.wall_ns >= timeout, "returned before the timeout");
	TEST_ASSERT(wa.cpu_ns < wa.wall_ns / 4,
		    "vCPU thread used %lu us of CPU in %lu us",
		    (unsigned long)(wa.cpu_ns / 1000),
		    (unsigned long)(wa.wall_ns / 1000));
}

static void on_sigusr1(int sig)
{
}

static void test_signal_and_immediate_exit(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	u64 live0, waits0;
	struct kvm_run *run;
	struct waiter wa;
	struct wt w;
	int rc;

	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	wt_setup(&w);
	run = w.r.vcpu->run;
	live0 = vmqt_stats().live_waits;
	waits0 = vmqt_ctr(w.r.id, VMQ_CTR_WAITS);

	waiter_start(&wa, &w.r, VMQ_WAIT_MAX_NS, true);
	wait_blocked(&wa, live0, waits0);
	TEST_ASSERT(!pthread_kill(wa.thread, SIGUSR1), "pthread_kill");
	waiter_join(&wa);
	TEST_ASSERT(wa.raw_rc == -1 && wa.raw_errno == EINTR &&
		    run->exit_reason == KVM_EXIT_INTR,
		    "KVM_RUN after a signal: rc %d errno %d exit_reason %u",
		    wa.raw_rc, wa.raw_errno, run->exit_reason);
	/* Still halted in the wait, as after HLT. */
	TEST_ASSERT(vmqt_stats().live_waits == live0 + 1,
		    "the signal ended the wait");
	expect_empty(&w);

	/* immediate_exit: back at once, the wait still on. */
	run->immediate_exit = 1;
	rc = ioctl(w.r.vcpu->fd, KVM_RUN, NULL);
	TEST_ASSERT(rc == -1 && errno == EINTR && run->exit_reason == KVM_EXIT_INTR,
		    "KVM_RUN with immediate_exit: rc %d errno %d exit_reason %u",
		    rc, errno, run->exit_reason);
	run->immediate_exit = 0;
	TEST_ASSERT(vmqt_stats().live_waits == live0 + 1,
		    "immediate_exit ended the wait");

	/* Re-entering goes on waiting... */
	waiter_resume(&wa, false);
	POLL_UNTIL(wa.tid && (vmqt_task_state(getpid(), wa.tid) == 'S' || wa.done),
		   "vCPU thread asleep again");
	TEST_ASSERT(!wa.done, "re-entered KVM_RUN did not wait (ret %ld)",
		    (long)wa.ret);
	TEST_ASSERT(vmqt_stats().live_waits == live0 + 1, "live_waits");

	/* ...until the message: the guest sees 0 and finds it. */
	send_one(&w, 88);
	expect_woken(&w, &wa, live0, 88, "the message");
	TEST_ASSERT(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) == waits0 + 1,
		    "VMQ_CTR_WAITS rose by %lu",
		    (unsigned long)(vmqt_ctr(w.r.id, VMQ_CTR_WAITS) - waits0));
}

static void test_kill_vmm(void)
{
	struct vmqt_stats base = vmqt_stats(), s;
	int status, i;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct vmqt_gvm g = vmqt_gvm_create();

		vmqt_attach(&g, NULL);
		vmqt_rx_setup(&g, 4096);
		vmqt_gvm_hc(&g, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS, 0, 0, 0);
		exit(KSFT_FAIL);	/* the parent kills it before */
	}
	POLL_UNTIL(vmqt_stats().live_waits == base.live_waits + 1,
		   "the child's vCPU blocked in VMQ_HC_WAIT");
	s = vmqt_stats();
	TEST_ASSERT(s.live_vms == base.live_vms + 1 &&
		    s.live_queues == base.live_queues + 1 &&
		    s.pinned_pages > base.pinned_pages, "child's VM not counted");
	TEST_ASSERT(!kill(pid, SIGKILL), "kill");
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "child status %#x", status);

	/* VM teardown may end in a worker: let it, then judge. */
	for (i = 0; i < 6000; i++) {
		s = vmqt_stats();
		if (s.live_vms == base.live_vms &&
		    s.live_waits == base.live_waits &&
		    s.live_queues == base.live_queues &&
		    s.pinned_pages == base.pinned_pages)
			break;
		usleep(10000);
	}
	TEST_ASSERT(s.live_vms == base.live_vms &&
		    s.live_waits == base.live_waits &&
		    s.live_queues == base.live_queues &&
		    s.pinned_pages == base.pinned_pages,
		    "after the kill: vms %lu/%lu waits %lu/%lu queues %lu/%lu pinned %lu/%lu",
		    (unsigned long)s.live_vms, (unsigned long)base.live_vms,
		    (unsigned long)s.live_waits, (unsigned long)base.live_waits,
		    (unsigned long)s.live_queues, (unsigned long)base.live_queues,
		    (unsigned long)s.pinned_pages, (unsigned long)base.pinned_pages);
	TEST_ASSERT(s.vms_destroyed > base.vms_destroyed, "vms_destroyed");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(9);
	vmqt_run_case("wait: a message from another VM ends the wait",
		      test_wake_by_message);
	vmqt_run_case("wait: a lazy send from another VM's exit ends the wait",
		      test_wake_by_lazy_send);
	vmqt_run_case("wait: what the vCPU posted goes out before it halts",
		      test_send_then_wait);
	vmqt_run_case("wait: times out, no sooner than asked, queue empty",
		      test_timeout);
	vmqt_run_case("wait: pending count at once; -EINVAL; -ENOTCONN",
		      test_pending_and_errors);
	vmqt_run_case("wait: -EOPNOTSUPP without an in-kernel local APIC",
		      test_no_lapic);
	vmqt_run_case("wait: the vCPU thread uses little CPU while blocked",
		      test_cpu_idle);
	vmqt_run_case("wait: signal and immediate_exit end KVM_RUN, wait goes on",
		      test_signal_and_immediate_exit);
	vmqt_run_case("wait: killing the VMM mid-wait leaves nothing behind",
		      test_kill_vmm);
	ksft_finished();
}
