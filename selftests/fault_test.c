// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test - every slab allocation vmq makes on the way to a VM's state
 * may fail, and each failure is a clean, documented error.
 *
 * With the kernel's fault injection (CONFIG_FAILSLAB and fail-nth, as the
 * debug kernel has them; elsewhere the test skips), each operation below
 * runs again and again with its 1st, 2nd, 3rd, ... allocation failing,
 * until a run passes without reaching the injected failure: attaching a VM
 * (VMQ_IOC_ATTACH_VM), adopting one (its first hypercall), registering a
 * receive queue and a transmit ring, sending, creating, binding and moving
 * page windows, and the netlink commands (SET_VM, ALLOW, INTRODUCE,
 * GET_VM). Every run must return success or a documented error of that
 * operation, and after each one, once its VMs are gone, every live-object
 * count of VMQ_CMD_GET_STATS is back at its baseline. The sandbox fails the run
 * on any kernel report (KASAN, lockdep, kmemleak, WARN).
 *
 * The failures hit KVM's own allocations on the way too (its MMU caches
 * refill when a vCPU enters): a KVM_RUN that fails so is simply run again,
 * as a VMM would, and the hypercall's result is read when it completes.
 * Only slab allocations are failed: a failed page allocation without
 * __GFP_NOWARN prints the page allocator's own warning with a stack, which
 * the sandbox would count as a report, whoever made it.
 */
#include <fcntl.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define WIN_GPA		0x40000000UL
#define WIN_MEMSLOT	20
#define MAX_NTH		400

static int nth_fd = -1;
static int hit = -1;	/* the armed failure was injected; -1: still armed */

/* The next @n-th fault injection point of this thread fails. */
static void fail_nth(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	TEST_ASSERT(pwrite(nth_fd, buf, len, 0) == len, "fail-nth: %d", -errno);
	if (n)
		hit = -1;
}

/*
 * Disarm, right after the call into the kernel that is under test, so
 * that what the test does next (reading registers, parsing replies) is
 * not what fails. Once is enough.
 */
static void disarm(void)
{
	char buf[16] = "";

	if (hit >= 0)
		return;
	TEST_ASSERT(pread(nth_fd, buf, sizeof(buf) - 1, 0) > 0, "fail-nth");
	fail_nth(0);
	hit = atoi(buf) == 0;
}

static void write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	TEST_ASSERT(fd >= 0, "open %s: %d", path, -errno);
	TEST_ASSERT(write(fd, val, strlen(val)) == (ssize_t)strlen(val),
		    "write %s: %d", path, -errno);
	close(fd);
}

/* Everything one operation needs; set up without injection. */
struct fx {
	struct vmqt_gvm a, b;
	struct vmqt_gmem ring;
	struct vmqt_win wa, wb;
	struct vmqt_nl v;
	int win_fd;
};

struct fop {
	const char *name;
	void (*setup)(struct fx *x);
	long (*op)(struct fx *x);	/* runs with the failure armed */
	const long *ok;			/* results allowed, 1 ends the list */
	void (*teardown)(struct fx *x);
	/*
	 * A failure may come after the change took effect (netlink: the
	 * reply could not be allocated): start afresh after every failure.
	 */
	bool reset;
};

/*
 * A hypercall from @g's guest. A KVM_RUN that one of KVM's own allocations
 * failed is run again, as a VMM would: the guest carries on where it was.
 */
static long guest_hc(struct vmqt_gvm *g, u64 nr, u64 a0, u64 a1, u64 a2)
{
	struct ucall uc;
	int ret, tries = 0;

	vmqt_cmd_set_hc(g->cmd, nr, a0, a1, a2, 0);
	/* Raw KVM_RUN: _vcpu_run() reads registers before we could disarm. */
	ret = ioctl(g->vcpu->fd, KVM_RUN, NULL);
	disarm();
	while (ret) {
		TEST_ASSERT((errno == ENOMEM || errno == EINTR) && ++tries < 10,
			    "KVM_RUN: %d", -errno);
		ret = ioctl(g->vcpu->fd, KVM_RUN, NULL);
	}
	TEST_ASSERT(get_ucall(g->vcpu, &uc) == UCALL_SYNC,
		    "exit %u", g->vcpu->run->exit_reason);
	return uc.args[1];
}

static void setup_none(struct fx *x)
{
}

/*
 * A command guest whose vCPU has run once (no hypercall): KVM's MMU is
 * loaded and its caches full, so that the armed run fails KVM's own
 * allocations as little as possible.
 */
static struct vmqt_gvm warm_gvm(void)
{
	struct vmqt_gvm g = vmqt_gvm_create();

	TEST_ASSERT(!vmqt_gvm_natural_exit(&g), "warm-up");
	return g;
}

static void setup_vm(struct fx *x)
{
	x->a = warm_gvm();
}

static void setup_attached(struct fx *x)
{
	x->a = warm_gvm();
	vmqt_attach(&x->a, "fault-a");
}

static void teardown_vms(struct fx *x)
{
	if (x->a.vm)
		vmqt_gvm_free(&x->a);
	if (x->b.vm)
		vmqt_gvm_free(&x->b);
}

static long op_attach(struct fx *x)
{
	long ret = __vmqt_attach(x->a.vm, "fault-a", &x->a.id);

	disarm();
	return ret;
}

static long op_adopt(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_INFO, 0, 0, 0);
}

static void setup_ring(struct fx *x, u32 magic)
{
	setup_attached(x);
	x->ring = vmqt_gmem_alloc(x->a.vm, VMQ_RING_HDR_SIZE + 8192);
	*(u32 *)x->ring.hva = magic;
}

static void setup_rx(struct fx *x)
{
	setup_ring(x, VMQ_RING_MAGIC);
}

static void setup_tx(struct fx *x)
{
	setup_ring(x, VMQ_TX_MAGIC);
}

static long op_rx_register(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_QUEUE_REGISTER, x->ring.gpa,
			x->ring.bytes, 0);
}

static long op_tx_register(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_TX_REGISTER, x->ring.gpa, x->ring.bytes,
			0);
}

static void setup_pair(struct fx *x)
{
	setup_attached(x);
	x->b = warm_gvm();
	vmqt_attach(&x->b, "fault-b");
	vmqt_rx_setup(&x->a, 4096);
	vmqt_rx_setup(&x->b, 4096);
	x->ring = vmqt_gmem_alloc(x->a.vm, 4096);
	vmqt_allow(x->a.id, x->b.id);
}

static long op_send(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_SEND, x->b.id, x->ring.gpa, 100);
}

static void teardown_fd(struct fx *x)
{
	if (x->win_fd >= 0)
		close(x->win_fd);
	x->win_fd = -1;
	teardown_vms(x);
}

static long op_window_create(struct fx *x)
{
	struct vmq_window_create wc = { .size = 4 * 4096, .page_size = 4096 };

	int ret;

	x->win_fd = -1;
	ret = ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc) ? -errno : 0;
	disarm();
	if (!ret)
		x->win_fd = wc.fd;
	return ret;
}

static void setup_window(struct fx *x)
{
	setup_attached(x);
	x->wa = vmqt_window_map(x->a.vm, WIN_MEMSLOT, WIN_GPA, 4, 4096);
}

static long op_bind(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_WINDOW_BIND, WIN_GPA, x->wa.size, 0);
}

static void teardown_windows(struct fx *x)
{
	teardown_vms(x);
	if (x->wa.map)
		vmqt_window_unmap(&x->wa);
	if (x->wb.map)
		vmqt_window_unmap(&x->wb);
}

static void setup_page_pair(struct fx *x)
{
	setup_pair(x);
	x->wa = vmqt_window_map(x->a.vm, WIN_MEMSLOT, WIN_GPA, 4, 4096);
	x->wb = vmqt_window_map(x->b.vm, WIN_MEMSLOT, WIN_GPA, 4, 4096);
	TEST_ASSERT(!vmqt_gvm_hc(&x->a, VMQ_HC_WINDOW_BIND, WIN_GPA, x->wa.size,
				 0, 0), "bind a");
	TEST_ASSERT(!vmqt_gvm_hc(&x->b, VMQ_HC_WINDOW_BIND, WIN_GPA, x->wb.size,
				 0, 0), "bind b");
	TEST_ASSERT(!vmqt_gvm_hc(&x->b, VMQ_HC_PAGE_FREE, WIN_GPA, 0, 0, 0),
		    "free");
	memset(x->wa.map, 0x5a, 4096);
}

static long op_page_send(struct fx *x)
{
	return guest_hc(&x->a, VMQ_HC_PAGE_SEND, x->b.id, WIN_GPA, 1);
}

static void setup_nl(struct fx *x)
{
	setup_pair(x);
	TEST_ASSERT(!vmqt_nl_open(&x->v), "netlink");
	x->v.lenient = true;
}

static void teardown_nl(struct fx *x)
{
	vmqt_nl_close(&x->v);
	teardown_vms(x);
}

static long op_nl_set(struct fx *x)
{
	return vmqt_nl_set(&x->v, x->a.id, "fault-renamed", 1000, -1);
}

static long op_nl_allow(struct fx *x)
{
	return vmqt_nl_pair(&x->v, VMQ_CMD_ALLOW, x->b.id, NULL, x->a.id, NULL);
}

static long op_nl_introduce(struct fx *x)
{
	return vmqt_nl_pair(&x->v, VMQ_CMD_INTRODUCE, x->a.id, NULL, x->b.id, NULL);
}

static long op_nl_get(struct fx *x)
{
	static struct vmqt_nl_vms vms;

	return vmqt_nl_dump(&x->v, &vms);
}

/*
 * What each may answer: -ENOMEM is an allocation that failed, -EFAULT a
 * page that could not be pinned.
 */
static const long ok_alloc[] = { 0, -ENOMEM, 1 };
static const long ok_pin[] = { 0, -ENOMEM, -EFAULT, 1 };
static const long ok_send[] = { 0, 1 };

static const struct fop fops[] = {
	{ "VMQ_IOC_ATTACH_VM", setup_vm, op_attach, ok_alloc, teardown_vms },
	{ "adoption at the first hypercall", setup_vm, op_adopt, ok_alloc,
	  teardown_vms },
	{ "VMQ_HC_QUEUE_REGISTER", setup_rx, op_rx_register, ok_pin,
	  teardown_vms },
	{ "VMQ_HC_TX_REGISTER", setup_tx, op_tx_register, ok_pin,
	  teardown_vms },
	{ "VMQ_HC_SEND", setup_pair, op_send, ok_send, teardown_vms },
	{ "VMQ_IOC_WINDOW_CREATE", setup_none, op_window_create, ok_alloc,
	  teardown_fd },
	{ "VMQ_HC_WINDOW_BIND", setup_window, op_bind, ok_alloc,
	  teardown_windows },
	{ "VMQ_HC_PAGE_SEND", setup_page_pair, op_page_send, ok_send,
	  teardown_windows },
	{ "VMQ_CMD_SET_VM", setup_nl, op_nl_set, ok_alloc, teardown_nl, true },
	{ "VMQ_CMD_ALLOW", setup_nl, op_nl_allow, ok_alloc, teardown_nl, true },
	{ "VMQ_CMD_INTRODUCE", setup_nl, op_nl_introduce, ok_alloc,
	  teardown_nl, true },
	{ "VMQ_CMD_GET_VM dump", setup_nl, op_nl_get, ok_alloc, teardown_nl,
	  true },
};

static bool result_ok(const struct fop *f, long r)
{
	const long *ok;

	for (ok = f->ok; *ok != 1; ok++)
		if (r == *ok)
			return true;
	return false;
}

static const struct fop *cur;

/*
 * Fail the 1st, 2nd, ... allocation of one operation in turn. An operation
 * that failed must have left nothing behind (every live count as before
 * it), so the same setup serves the next try; one that succeeded anyway
 * (the failure hit an allocation that is allowed to fail, or KVM's) starts
 * afresh.
 */
static void run_fop(void)
{
	const struct fop *f = cur;
	struct vmqt_stats base = vmqt_stats(), before;
	struct fx x = { .win_fd = -1 };
	int n, injected = 0;
	long r;

	/* thread-self: this process's own thread, not the parent's. */
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	TEST_ASSERT(nth_fd >= 0, "fail-nth: %d", -errno);
	f->setup(&x);
	for (n = 1; n <= MAX_NTH; n++) {
		before = vmqt_stats();
		fail_nth(n);
		r = f->op(&x);
		disarm();
		TEST_ASSERT(result_ok(f, r), "%s, allocation %d failed (%s): %ld",
			    f->name, n, hit ? "injected" : "not reached", r);
		TEST_ASSERT(hit || !r, "%s failed by itself: %ld", f->name, r);
		if (!hit)
			break;
		injected++;
		if (r && !f->reset) {
			TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &before),
				    "%s, allocation %d failed: live objects left",
				    f->name, n);
			continue;
		}
		f->teardown(&x);
		memset(&x, 0, sizeof(x));
		x.win_fd = -1;
		f->setup(&x);
	}
	TEST_ASSERT(n <= MAX_NTH, "%s: more than %d allocations?", f->name,
		    MAX_NTH);
	f->teardown(&x);
	TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &base),
		    "%s: live objects left at the end", f->name);
	ksft_print_msg("%s: %d allocations failed in turn\n", f->name,
		       injected);
}

int main(void)
{
	int i;

	ksft_print_header();
	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access("/sys/kernel/debug/failslab", F_OK))
		ksft_exit_skip("no fault injection (FAILSLAB, fail-nth, debugfs)\n");
	/* Fail GFP_KERNEL allocations too, quietly: no stack per failure. */
	write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/failslab/verbose", "0");
	ksft_set_plan(ARRAY_SIZE(fops));
	for (i = 0; i < ARRAY_SIZE(fops); i++) {
		cur = &fops[i];
		vmqt_run_case(fops[i].name, run_fop);
	}
	write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
	ksft_finished();
}
