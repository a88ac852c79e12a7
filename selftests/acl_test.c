// SPDX-License-Identifier: GPL-2.0
/*
 * acl_test - the host decides who may send to whom, and only root may ask.
 *
 * Default deny: a send between attached VMs is refused with -EACCES (and
 * counted as ERR_DENIED) until VMQ_CMD_ALLOW allows that pair, in that
 * direction only; it arrives, stamped with the sender's id, while allowed,
 * and is refused again after VMQ_CMD_REVOKE. REVOKE of a pair that was
 * never allowed gives -ENOENT, a pair naming an unknown VM -ESRCH, a
 * missing id -EINVAL. VMQ_STAT_LIVE_PAIRS follows every change, and a VM
 * that goes away takes every pair naming it along. /dev/vmq cannot be
 * opened by an unprivileged user, and root without CAP_SYS_ADMIN only gets
 * VM handles through it, each reaching its own VM only; the window nodes
 * need CAP_SYS_ADMIN; the fd root already holds keeps working, for what
 * hands over a file descriptor only: the ioctls retired in favour of
 * netlink (pairs, statistics, VM_INFO on /dev/vmq) answer -ENOTTY.
 */
#include <linux/capability.h>

#include <sys/eventfd.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define UNKNOWN_ID	0xfffffff0U

/*
 * The ioctls /dev/vmq had in early drafts, retired in favour of netlink
 * (_IOW(0xB8, 1 and 2, 8 bytes), _IOR(0xB8, 4, 256 bytes)): never reused.
 */
#define RETIRED_IOC_ALLOW	0x4008b801UL
#define RETIRED_IOC_REVOKE	0x4008b802UL
#define RETIRED_IOC_STATS	0x8100b804UL

struct retired_pair {
	__u32 sender, receiver;
};

struct fx {
	struct vmqt_gvm a, b;
	struct vmqt_gmem rxa, rxb;	/* receive rings */
	struct vmqt_gmem bufa, bufb;	/* payload buffers */
};

static void fx_init(struct fx *f)
{
	f->a = vmqt_gvm_create();
	f->b = vmqt_gvm_create();
	vmqt_attach(&f->a, NULL);
	vmqt_attach(&f->b, NULL);
	f->rxa = vmqt_rx_setup(&f->a, 4096);
	f->rxb = vmqt_rx_setup(&f->b, 4096);
	f->bufa = vmqt_gmem_alloc(f->a.vm, 4096);
	f->bufb = vmqt_gmem_alloc(f->b.vm, 4096);
	vmqt_fill(f->bufa.hva, 4096, f->a.id, 1);
	vmqt_fill(f->bufb.hva, 4096, f->b.id, 1);
}

static void fx_free(struct fx *f)
{
	vmqt_gvm_free(&f->a);
	vmqt_gvm_free(&f->b);
}

/* @from sends 100 bytes to @to: returns RAX, checks what arrived. */
static s64 try_send(struct vmqt_gvm *from, struct vmqt_gmem *buf,
		    struct vmqt_gvm *to, struct vmqt_gmem *rx, u64 tag)
{
	struct vmq_vm_info before = vmqt_info_of(from->id);
	u32 pending = vmqt_host_pending(rx);
	s64 r = vmqt_gvm_hc(from, VMQ_HC_SEND, to->id, buf->gpa, 100, tag);
	const struct vmq_msg_hdr *m;

	if (r) {
		TEST_ASSERT(vmqt_host_pending(rx) == pending,
			    "refused send %u -> %u arrived", from->id, to->id);
		vmqt_check_err_ctrs(from->id, &before,
				    r == -EACCES ? VMQ_CTR_ERR_DENIED : -1,
				    1, 1);
		return r;
	}
	TEST_ASSERT(pending == 0 && vmqt_host_pending(rx) == 1, "nothing arrived");
	vmqt_check_err_ctrs(from->id, &before, -1, 0, 1);
	m = vmqt_host_peek(rx);
	TEST_ASSERT(m && m->type == VMQ_MSG_DATA && m->sender == from->id &&
		    m->tag == tag && m->len == 100 &&
		    vmqt_check_fill(m + 1, 100, from->id, 1),
		    "message %u -> %u: wrong header or payload", from->id, to->id);
	vmqt_host_consume(rx, m);
	return 0;
}

static u64 live_pairs(void)
{
	return vmqt_stats().live_pairs;
}

static void test_default_deny(void)
{
	u64 p0 = live_pairs();
	struct fx f;
	s64 r;

	fx_init(&f);
	TEST_ASSERT(live_pairs() == p0, "attaching made pairs");
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 1);
	TEST_ASSERT(r == -EACCES, "A -> B before ALLOW: %ld", (long)r);
	r = try_send(&f.b, &f.bufb, &f.a, &f.rxa, 2);
	TEST_ASSERT(r == -EACCES, "B -> A before ALLOW: %ld", (long)r);
	fx_free(&f);
}

static void test_allow_revoke(void)
{
	u64 p0 = live_pairs();
	struct fx f;
	s64 r;

	fx_init(&f);
	vmqt_allow(f.a.id, f.b.id);
	TEST_ASSERT(live_pairs() == p0 + 1, "live_pairs after ALLOW");
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 3);
	TEST_ASSERT(!r, "A -> B allowed: %ld", (long)r);
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 4);
	TEST_ASSERT(!r, "A -> B allowed, again: %ld", (long)r);

	vmqt_revoke(f.a.id, f.b.id);
	TEST_ASSERT(live_pairs() == p0, "live_pairs after REVOKE");
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 5);
	TEST_ASSERT(r == -EACCES, "A -> B revoked: %ld", (long)r);

	/* Allowing again works again. */
	vmqt_allow(f.a.id, f.b.id);
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 6);
	TEST_ASSERT(!r, "A -> B allowed again: %ld", (long)r);
	fx_free(&f);
	TEST_ASSERT(live_pairs() == p0, "pairs left after the VMs went away");
}

static void test_one_direction(void)
{
	struct fx f;
	s64 r;

	fx_init(&f);
	vmqt_allow(f.a.id, f.b.id);
	r = try_send(&f.b, &f.bufb, &f.a, &f.rxa, 7);
	TEST_ASSERT(r == -EACCES, "B -> A with only A -> B allowed: %ld",
		    (long)r);
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 8);
	TEST_ASSERT(!r, "A -> B: %ld", (long)r);
	/* Self-sends need their own pair too. */
	r = try_send(&f.a, &f.bufa, &f.a, &f.rxa, 9);
	TEST_ASSERT(r == -EACCES, "A -> A: %ld", (long)r);

	vmqt_allow(f.b.id, f.a.id);
	r = try_send(&f.b, &f.bufb, &f.a, &f.rxa, 10);
	TEST_ASSERT(!r, "B -> A allowed: %ld", (long)r);
	/* Revoking one direction leaves the other. */
	vmqt_revoke(f.a.id, f.b.id);
	r = try_send(&f.a, &f.bufa, &f.b, &f.rxb, 11);
	TEST_ASSERT(r == -EACCES, "A -> B revoked: %ld", (long)r);
	r = try_send(&f.b, &f.bufb, &f.a, &f.rxa, 12);
	TEST_ASSERT(!r, "B -> A still allowed: %ld", (long)r);
	fx_free(&f);
}

static void test_pair_errors(void)
{
	u64 p0 = live_pairs();
	struct fx f;
	int r;

	fx_init(&f);
	r = __vmqt_pair(VMQ_CMD_REVOKE, f.a.id, f.b.id);
	TEST_ASSERT(r == -ENOENT, "REVOKE never allowed: %d", r);
	vmqt_allow(f.a.id, f.b.id);
	vmqt_allow(f.a.id, f.b.id);
	TEST_ASSERT(live_pairs() == p0 + 1, "ALLOW twice made two pairs");
	vmqt_revoke(f.a.id, f.b.id);
	r = __vmqt_pair(VMQ_CMD_REVOKE, f.a.id, f.b.id);
	TEST_ASSERT(r == -ENOENT, "REVOKE twice: %d", r);
	r = __vmqt_pair(VMQ_CMD_REVOKE, f.b.id, f.a.id);
	TEST_ASSERT(r == -ENOENT, "REVOKE of the other direction: %d", r);

	r = __vmqt_pair(VMQ_CMD_ALLOW, f.a.id, UNKNOWN_ID);
	TEST_ASSERT(r == -ESRCH, "ALLOW to an unknown id: %d", r);
	r = __vmqt_pair(VMQ_CMD_ALLOW, UNKNOWN_ID, f.a.id);
	TEST_ASSERT(r == -ESRCH, "ALLOW from an unknown id: %d", r);
	r = __vmqt_pair(VMQ_CMD_REVOKE, f.a.id, UNKNOWN_ID);
	TEST_ASSERT(r == -ESRCH, "REVOKE to an unknown id: %d", r);
	r = __vmqt_pair(VMQ_CMD_REVOKE, UNKNOWN_ID, f.a.id);
	TEST_ASSERT(r == -ESRCH, "REVOKE from an unknown id: %d", r);
	r = __vmqt_pair(VMQ_CMD_ALLOW, 0, f.a.id);
	TEST_ASSERT(r == -EINVAL, "ALLOW from id 0: %d", r);
	r = __vmqt_pair(VMQ_CMD_REVOKE, f.a.id, 0);
	TEST_ASSERT(r == -EINVAL, "REVOKE to id 0: %d", r);
	TEST_ASSERT(live_pairs() == p0, "failed commands changed live_pairs");
	fx_free(&f);
}

/* A VM that goes away takes every pair naming it, in either role. */
static void test_vm_gone(void)
{
	struct vmqt_gvm c;
	u64 p0 = live_pairs();
	u32 aid, cid;
	struct fx f;
	s64 r;
	int e;

	fx_init(&f);
	c = vmqt_gvm_create();
	cid = vmqt_attach(&c, NULL);
	aid = f.a.id;
	vmqt_allow(aid, f.b.id);
	vmqt_allow(f.b.id, aid);
	vmqt_allow(aid, cid);
	vmqt_allow(cid, aid);
	vmqt_allow(f.b.id, cid);
	vmqt_allow(aid, aid);	/* on both of A's lists */
	TEST_ASSERT(live_pairs() == p0 + 6, "six pairs expected");
	TEST_ASSERT(vmqt_nl_get_ok(vmqt_ctl_nl(), aid).nr_peers == 3,
		    "A's peers: %d", vmqt_nl_get_ok(vmqt_ctl_nl(), aid).nr_peers);

	vmqt_gvm_free(&f.a);
	TEST_ASSERT(live_pairs() == p0 + 1, "A's five pairs not removed: %lu",
		    (unsigned long)(live_pairs() - p0));
	e = __vmqt_pair(VMQ_CMD_REVOKE, f.b.id, aid);
	TEST_ASSERT(e == -ESRCH, "REVOKE naming the freed VM: %d", e);
	e = __vmqt_pair(VMQ_CMD_ALLOW, f.b.id, aid);
	TEST_ASSERT(e == -ESRCH, "ALLOW naming the freed VM: %d", e);
	r = vmqt_gvm_hc(&f.b, VMQ_HC_SEND, aid, f.bufb.gpa, 8, 0);
	TEST_ASSERT(r == -EACCES, "send to the freed VM: %ld", (long)r);
	/* B -> C survived. */
	vmqt_rx_setup(&c, 4096);
	r = vmqt_gvm_hc(&f.b, VMQ_HC_SEND, cid, f.bufb.gpa, 8, 0);
	TEST_ASSERT(!r, "B -> C: %ld", (long)r);
	vmqt_gvm_free(&c);
	vmqt_gvm_free(&f.b);
	TEST_ASSERT(live_pairs() == p0, "pairs left after every VM went away");
}

/* In a child: open @path as the current credentials allow. */
static int try_open(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -errno;
}

static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	TEST_ASSERT(!syscall(SYS_capget, &h, d), "capget");
	d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
	TEST_ASSERT(!syscall(SYS_capset, &h, d), "capset");
}

/* Open @path in a child as @uid, without CAP_SYS_ADMIN if @drop_cap. */
static int try_open_as(const char *path, uid_t uid, bool drop_cap)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		if (drop_cap)
			drop_cap_sys_admin();
		if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			exit(200);
		exit(-try_open(path));
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
		    "child did not exit");
	return -WEXITSTATUS(status);
}

/*
 * /dev/vmq and the window nodes (/dev/vmq-window, /dev/vmq-window-2m) are
 * root's (mode 0600). The window nodes also want CAP_SYS_ADMIN: they hand
 * out host memory that the pages of any VM may pass through. /dev/vmq
 * opens without it, but then serves VM handles only.
 */
static void test_unprivileged(void)
{
	static const char *const nodes[] = {
		"/dev/vmq", "/dev/vmq-window", "/dev/vmq-window-2m",
	};
	struct vmq_window_create wc = { .size = 4096, .page_size = 4096 };
	struct vmq_vm_info info = { .id = 1 };
	struct retired_pair pair = { 1, 2 };
	u64 st[32];
	int fd = vmqt_dev();
	int i, r;

	TEST_REQUIRE(!geteuid());
	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		/* Root as such may open it: the fixture does it all the time. */
		TEST_ASSERT(!try_open(nodes[i]), "root cannot open %s", nodes[i]);

		/* Nobody: the node is 0600 root. */
		r = try_open_as(nodes[i], 65534, false);
		TEST_ASSERT(r == -EACCES || r == -EPERM,
			    "uid 65534 opened %s: %d", nodes[i], r);
		/*
		 * Root without CAP_SYS_ADMIN: a window node refuses; /dev/vmq
		 * opens, for VM handles only (test_vm_handle).
		 */
		r = try_open_as(nodes[i], 0, true);
		TEST_ASSERT(i ? r == -EPERM : !r,
			    "root without CAP_SYS_ADMIN, %s: %d", nodes[i], r);
	}

	/* The fd root holds still works... */
	TEST_ASSERT(!ioctl(fd, VMQ_IOC_WINDOW_CREATE, &wc) && wc.fd >= 0,
		    "VMQ_IOC_WINDOW_CREATE: %d", -errno);
	close(wc.fd);
	/* ...for what hands over a descriptor: the rest is netlink's. */
	TEST_ASSERT(ioctl(fd, RETIRED_IOC_ALLOW, &pair) && errno == ENOTTY,
		    "retired ALLOW on /dev/vmq: %d", -errno);
	TEST_ASSERT(ioctl(fd, RETIRED_IOC_REVOKE, &pair) && errno == ENOTTY,
		    "retired REVOKE on /dev/vmq: %d", -errno);
	TEST_ASSERT(ioctl(fd, RETIRED_IOC_STATS, st) && errno == ENOTTY,
		    "retired STATS on /dev/vmq: %d", -errno);
	TEST_ASSERT(ioctl(fd, VMQ_IOC_VM_INFO, &info) && errno == ENOTTY,
		    "VM_INFO on /dev/vmq: %d", -errno);
}

static int handle_ioctl(int fd, unsigned long cmd, void *arg);

static bool handle_vm_gone(void *arg)
{
	struct vmq_vm_info info = { 0 };

	return handle_ioctl(*(int *)arg, VMQ_IOC_VM_INFO, &info) == -ESRCH;
}

static int handle_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * A VMM without CAP_SYS_ADMIN (a sandboxed QEMU) gets a handle for its own
 * VM by handing in the VM's KVM fd: the handle sets that VM's arrival
 * eventfd, reads that VM's info and creates windows, and reaches no other
 * VM; /dev/vmq itself does nothing else for it. Once the VM is gone the
 * handle answers -ESRCH.
 */
static void test_vm_handle(void)
{
	struct vmqt_gvm other = vmqt_gvm_create();
	u32 other_id = vmqt_attach(&other, "acl-other");
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct vmq_window_create wc = { .size = 4096, .page_size = 4096 };
		struct vmq_notify n = { .eventfd = -1 };
		struct retired_pair pair = { 1, 2 };
		struct vmq_attach a = { 0 };
		struct vmq_vm_info info;
		u64 st[32];
		struct vmqt_gvm own;
		int dev, h, efd;

		drop_cap_sys_admin();
		dev = open("/dev/vmq", O_RDWR);
		TEST_ASSERT(dev >= 0, "open /dev/vmq: %d", -errno);
		own = vmqt_gvm_create();
		efd = eventfd(0, EFD_CLOEXEC);

		/* /dev/vmq: nothing but a handle for one's own VM. */
		a.vm_fd = own.vm->fd;
		TEST_ASSERT(handle_ioctl(dev, VMQ_IOC_ATTACH_VM, &a) == -EPERM,
			    "attach without a handle");
		a.flags = VMQ_ATTACH_HANDLE;
		strcpy(a.name, "mine");
		TEST_ASSERT(handle_ioctl(dev, VMQ_IOC_ATTACH_VM, &a) == -EPERM,
			    "attach with a name");
		a.name[0] = '\0';
		TEST_ASSERT(!handle_ioctl(dev, VMQ_IOC_ATTACH_VM, &a) &&
			    a.handle >= 0 && a.id && a.id != other_id,
			    "attach for a handle: handle %d id %u", a.handle,
			    a.id);
		h = a.handle;
		TEST_ASSERT(fcntl(h, F_GETFD) & FD_CLOEXEC, "handle not CLOEXEC");
		pair.sender = a.id;
		pair.receiver = other_id;
		TEST_ASSERT(handle_ioctl(dev, RETIRED_IOC_ALLOW, &pair) == -EPERM,
			    "ALLOW");
		memset(&info, 0, sizeof(info));
		info.id = other_id;
		TEST_ASSERT(handle_ioctl(dev, VMQ_IOC_VM_INFO, &info) == -EPERM,
			    "VM_INFO on /dev/vmq");
		TEST_ASSERT(handle_ioctl(dev, RETIRED_IOC_STATS, st) == -EPERM,
			    "STATS");
		n.id = other_id;
		n.eventfd = efd;
		TEST_ASSERT(handle_ioctl(dev, VMQ_IOC_SET_NOTIFY, &n) == -EPERM,
			    "SET_NOTIFY on /dev/vmq");
		TEST_ASSERT(handle_ioctl(dev, VMQ_IOC_WINDOW_CREATE, &wc) == -EPERM,
			    "WINDOW_CREATE on /dev/vmq");

		/* The handle: its own VM, and only that. */
		TEST_ASSERT(handle_ioctl(h, VMQ_IOC_SET_NOTIFY, &n) == -EPERM,
			    "SET_NOTIFY for another VM");
		n.id = 0;
		TEST_ASSERT(!handle_ioctl(h, VMQ_IOC_SET_NOTIFY, &n),
			    "SET_NOTIFY for its own VM");
		n.id = a.id;
		n.eventfd = -1;
		TEST_ASSERT(!handle_ioctl(h, VMQ_IOC_SET_NOTIFY, &n),
			    "SET_NOTIFY off, by id");
		TEST_ASSERT(handle_ioctl(h, VMQ_IOC_VM_INFO, &info) == -EPERM,
			    "VM_INFO of another VM");
		info.id = 0;
		TEST_ASSERT(!handle_ioctl(h, VMQ_IOC_VM_INFO, &info) &&
			    info.id == a.id && info.pid == getpid(),
			    "VM_INFO of its own VM: id %u pid %d", info.id,
			    info.pid);
		info.flags = 1;
		TEST_ASSERT(handle_ioctl(h, VMQ_IOC_VM_INFO, &info) == -EINVAL,
			    "VM_INFO with a flag (there is none)");
		TEST_ASSERT(!handle_ioctl(h, VMQ_IOC_WINDOW_CREATE, &wc) &&
			    wc.fd >= 0, "WINDOW_CREATE");
		close(wc.fd);
		TEST_ASSERT(handle_ioctl(h, RETIRED_IOC_ALLOW, &pair) == -ENOTTY,
			    "ALLOW on a handle");

		/* The VM goes; the handle stays, and says so. */
		vmqt_gvm_free(&own);
		memset(&info, 0, sizeof(info));
		TEST_ASSERT(vmqt_settle(handle_vm_gone, &h), "VM_INFO after the VM");
		close(h);
		exit(KSFT_PASS);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == KSFT_PASS,
		    "unprivileged VMM (status %#x)", status);
	vmqt_gvm_free(&other);
}

static const struct vmqt_case cases[] = {
	{ "default deny: unallowed sends get -EACCES", test_default_deny },
	{ "ALLOW lets a send through, REVOKE stops it", test_allow_revoke },
	{ "pairs are one direction", test_one_direction },
	{ "REVOKE -ENOENT, unknown id -ESRCH, id 0 -EINVAL", test_pair_errors },
	{ "a VM that goes away takes its pairs", test_vm_gone },
	{ "only root with CAP_SYS_ADMIN opens /dev/vmq and the window nodes",
	  test_unprivileged },
	{ "a VMM's handle reaches its own VM only", test_vm_handle },
};

int main(void)
{
	ksft_print_header();
	vmqt_dev();
	vmqt_run_cases(cases, ARRAY_SIZE(cases));
	ksft_finished();
}
