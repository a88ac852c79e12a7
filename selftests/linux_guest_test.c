// SPDX-License-Identifier: GPL-2.0
/*
 * linux_guest_test - two Linux guests in two stock QEMUs talk through vmq,
 * end to end, the way README's walkthrough wires them.
 *
 * Each guest is Debian's own 6.1 kernel in the distribution's unmodified
 * qemu-system-x86_64 (-accel kvm), with an ivshmem-doorbell device served
 * by vmq-ivshmem-server (which names and connects the QEMU's VM), and an
 * initramfs (scripts/guest-initramfs.sh) that loads vmq_guest.ko and
 * serves a command loop on the second serial port (one shell command per
 * line, answered with its output and exit status); the test drives each
 * guest through it. In the guests, vmq-cat moves the bulk data and
 * gtool (linux_guest/gtool.c) makes the precise probes.
 *
 * Checked, in order: both VMs named and connected before the guests talk
 * (vmqctl list, the guests' sysfs); O_NONBLOCK read of an empty queue is
 * EAGAIN; a reader blocked in poll() uses no CPU while its vCPU halts, and
 * wakes on the arrival interrupt; 64 MiB through messages and 64 MiB
 * through page moves arrive with the same SHA-256; a full receiver blocks
 * the writer, which completes once the reader drains, nothing lost or
 * reordered; the guest driver unloads and loads again in a running guest;
 * a revoked pair makes the writer's next write() fail with EACCES; kill -9
 * of one QEMU in the middle of a stream gives the other guest's writer
 * EACCES; and vmq's live-object counts come back to where they were.
 *
 * In the sandbox the host's root is at /host (9p): QEMU and the guest
 * kernel come from there (VMQ_QEMU_ROOT names another root, "/" on a real
 * host). The initramfs and the kernel's path are installed next to the
 * test by scripts/sandbox.sh (linux_guest.cpio.gz, linux_guest.kernel).
 * VMQ_LINUX_GUEST_MIB shrinks the two 64 MiB streams while iterating.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <glob.h>
#include <poll.h>
#include <time.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define DIR		"/tmp/linux_guest"
/* Nested KVM inside TCG: a guest boots in half a minute there. */
#define BOOT_S		240
#define CMD_S		180
#define DATA_MIB	64
static int data_mib = DATA_MIB;
#define DATA_S		300

struct guest {
	const char *name, *peer;
	pid_t server, qemu;
	int ctl;		/* the guest's control shell */
	u32 id;
	char console[64];
};

static struct guest ga = { .name = "alpha", .peer = "beta" };
static struct guest gb = { .name = "beta", .peer = "alpha" };
static char out[65536];

/* Whether this "host" is itself a guest of QEMU's TCG (the sandbox). */
static bool on_tcg(void)
{
	unsigned int a, b, c, d;
	char vendor[13] = "";

	cpuid(0x40000000, &a, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &c, 4);
	memcpy(vendor + 8, &d, 4);
	return !strcmp(vendor, "TCGTCGTCGTCG");
}

/*
 * Whether this host is TCG with kvm_amd's nested paging on: there a nested
 * Linux guest runs its page walks through two levels of emulated paging
 * and did not finish booting in ten minutes, against half a minute with
 * shadow paging (npt=0). A real host runs it either way.
 */
static bool tcg_with_npt(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/npt", "r");
	char npt = 'N';

	if (f) {
		npt = fgetc(f);
		fclose(f);
	}
	return npt == 'Y' && on_tcg();
}

static char *guest_kernel(void)
{
	char line[256] = "";
	FILE *f = fopen(vmqt_beside_self("linux_guest.kernel"), "r");

	TEST_ASSERT(f && fgets(line, sizeof(line), f),
		    "linux_guest.kernel (written by scripts/sandbox.sh)");
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return vmqt_host_path(line);
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static void start_server(struct guest *g)
{
	char sock[64];
	char *argv[] = { "vmq-ivshmem-server", "--name", (char *)g->name,
			 "--socket", sock, "--peer", (char *)g->peer,
			 "--once", "--quiet", NULL };

	snprintf(sock, sizeof(sock), DIR "/%s.sock", g->name);
	g->server = spawn(argv);
}

static void start_qemu(struct guest *g, const char *kernel, const char *initrd)
{
	char *argv[VMQT_QEMU_ARGC + 40];
	char *ser, *ctl, *dev;

	vmqt_qemu_argv(argv);
	snprintf(g->console, sizeof(g->console), DIR "/%s.console", g->name);
	TEST_ASSERT(asprintf(&ser, "file:%s", g->console) > 0 &&
		    asprintf(&ctl, "socket,id=ctl,path=" DIR "/%s.ctl,server=on,wait=off",
			     g->name) > 0 &&
		    asprintf(&dev, "socket,id=vmq,path=" DIR "/%s.sock", g->name) > 0,
		    "asprintf");
	TEST_ASSERT(!access(kernel, R_OK), "no guest kernel at %s", kernel);
	{
		char *opts[] = {
			"-accel", "kvm", "-cpu", "host", "-m", "320", "-smp", "1",
			"-nodefaults", "-display", "none", "-no-reboot",
			"-serial", ser, "-chardev", ctl, "-serial", "chardev:ctl",
			"-chardev", dev,
			"-device", "ivshmem-doorbell,chardev=vmq,vectors=1",
			"-kernel", (char *)kernel, "-initrd", (char *)initrd,
			"-append", "console=ttyS0 panic=-1 loglevel=5 mitigations=off nokaslr",
			NULL,
		};

		_Static_assert(sizeof(opts) <= sizeof(argv) - VMQT_QEMU_ARGC * sizeof(char *),
			       "argv too short");
		memcpy(argv + VMQT_QEMU_ARGC, opts, sizeof(opts));
	}
	g->qemu = spawn(argv);
}

/*
 * Connect to the guest's control shell. QEMU listens before its vCPU runs,
 * and drops what the guest writes to the port while nobody is connected:
 * connect to both guests before either could greet.
 */
static bool guest_connect(struct guest *g, time_t deadline)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof(a.sun_path), DIR "/%s.ctl", g->name);
	while (time(NULL) < deadline) {
		g->ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		TEST_ASSERT(g->ctl >= 0, "socket");
		if (!connect(g->ctl, (void *)&a, sizeof(a)))
			return true;
		close(g->ctl);
		g->ctl = -1;
		if (waitpid(g->qemu, NULL, WNOHANG) == g->qemu)
			return false;
		usleep(100000);
	}
	return false;
}

/* The guest's greeting: its driver is loaded and its shell listens. */
static bool guest_ready(struct guest *g, time_t deadline)
{
	size_t len = 0;
	ssize_t n;

	while (g->ctl >= 0 && time(NULL) < deadline) {
		struct pollfd p = { .fd = g->ctl, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(g->ctl, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			return false;
		len += n;
		out[len] = 0;
		if (strstr(out, "VMQ-GUEST: ready\n"))
			return true;
	}
	return false;
}

/* Where a QEMU's threads are, for a guest that does not answer. */
/*
 * The guest kernel's function at @rip. The guests boot with nokaslr, and
 * when they run the kernel this host runs, its /proc/kallsyms less its
 * own KASLR offset names their functions (Debian ships no System.map).
 */
static void symbolize(const char *kernel, unsigned long long rip, char *sym,
		      size_t size)
{
	unsigned long long a, best = 0, offset = 0;
	char line[256], name[128], type;
	bool have_text = false;
	struct utsname u;
	FILE *f;

	snprintf(sym, size, "?");
	uname(&u);
	if (!strstr(kernel, u.release))
		return;
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &a, &type, name) != 3)
			continue;
		if (!strcmp(name, "_text")) {
			offset = a - 0xffffffff81000000ull;
			have_text = true;
		}
		if (strchr(line, '[') || (type != 'T' && type != 't'))
			continue;
		a -= offset;
		if (have_text && a <= rip && a > best) {
			best = a;
			snprintf(sym, size, "%s+0x%llx", name, rip - a);
		}
	}
	if (f)
		fclose(f);
}

/*
 * Where a QEMU's threads are, for a guest that does not answer: their
 * states and kernel stacks, KVM's counters, and a second of what the
 * vCPUs exit on, with the guest RIPs seen most resolved to functions.
 */
static void show_qemu(struct guest *g)
{
	unsigned long long rip[8];
	int hits[8], n = 0, i;
	char cmd[1024], line[512], sym[160];
	FILE *f;

	if (g->qemu <= 0)
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd /proc/%d/task && for t in *; do "
		 "echo \"$t $(cat $t/comm) $(cut -d' ' -f3,14,15 $t/stat) $(cat $t/wchan)\"; "
		 "cat $t/stack; done 2>&1; "
		 "cd /sys/kernel/debug/kvm/%d-* && "
		 "grep . exits halt_exits io_exits pf_taken pf_fixed hypercalls 2>&1; "
		 "cd /sys/kernel/debug/tracing && echo >trace && "
		 "echo 1 >events/kvm/kvm_exit/enable && echo 1 >events/kvmmmu/enable && sleep 1 && "
		 "echo 0 >events/kvm/kvm_exit/enable && echo 0 >events/kvmmmu/enable && "
		 "cp trace " DIR "/trace && tail -20 trace",
		 g->qemu, g->qemu);
	ksft_print_msg("%s's QEMU (pid %d):\n", g->name, g->qemu);
	fflush(stdout);
	if (system(cmd))
		ksft_print_msg("(could not read it)\n");
	f = fopen(DIR "/trace", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *r = strstr(line, " rip 0x");
		unsigned long long v;

		if (!strstr(line, "kvm_exit:") || !r)
			continue;
		v = strtoull(r + 5, NULL, 16);
		for (i = 0; i < n && rip[i] != v; i++)
			;
		if (i == n && n < 8) {
			rip[n] = v;
			hits[n++] = 0;
		}
		if (i < n)
			hits[i]++;
	}
	if (f)
		fclose(f);
	for (i = 0; i < n; i++) {
		symbolize(guest_kernel(), rip[i], sym, sizeof(sym));
		ksft_print_msg("guest exits at 0x%llx %s: %d\n", rip[i], sym, hits[i]);
	}
}

static void show_console(struct guest *g)
{
	char line[512];
	FILE *f = fopen(g->console, "r");

	while (f && fgets(line, sizeof(line), f))
		ksft_print_msg("%s: %s", g->name, line);
	if (f)
		fclose(f);
}

static void stop(struct guest *g)
{
	if (g->qemu > 0) {
		kill(g->qemu, SIGKILL);
		waitpid(g->qemu, NULL, 0);
		g->qemu = 0;
	}
	if (g->server > 0) {
		kill(g->server, SIGTERM);
		waitpid(g->server, NULL, 0);
		g->server = 0;
	}
	if (g->ctl >= 0)
		close(g->ctl);
	g->ctl = -1;
}

/*
 * Start @g's server and QEMU and wait for its greeting. On TCG a nested
 * guest's boot sometimes hangs, its vCPU spinning before the kernel is up
 * (seen with and without vmq_guest, and more often while the other guest
 * boots too): the guests boot one after the other, and a boot that hangs
 * is tried once more, saying so.
 */
static bool boot(struct guest *g, const char *kernel, const char *initrd,
		 int secs)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		time_t t0 = time(NULL);

		start_server(g);
		usleep(500000);
		start_qemu(g, kernel, initrd);
		if (guest_connect(g, t0 + secs) && guest_ready(g, t0 + secs)) {
			ksft_print_msg("%s ready in %lds\n", g->name,
				       (long)(time(NULL) - t0));
			return true;
		}
		ksft_print_msg("%s did not boot in %ds (attempt %d)\n",
			       g->name, secs, attempt + 1);
		show_console(g);
		show_qemu(g);
		stop(g);
	}
	return false;
}

static int __attribute__((format(printf, 3, 4)))
gsh(struct guest *g, int secs, const char *fmt, ...);

/* @g does not answer: what the host and the other guest see meanwhile. */
static void stall_report(struct guest *g)
{
	struct guest *o = g == &ga ? &gb : &ga;
	static bool busy;

	if (busy)
		return;
	busy = true;
	show_console(g);
	show_qemu(g);
	fflush(stdout);
	if (system("vmqctl list; vmqctl status"))
		ksft_print_msg("vmqctl failed\n");
	if (!gsh(o, 30, "%s",
		 "cd /sys/class/misc/vmq0; cat mode rx_pending counters; "
		 "grep vmq /proc/interrupts; for p in $(pidof vmq-cat gtool); do "
		 "echo \"$p: $(cut -d' ' -f2,3 /proc/$p/stat) $(cat /proc/$p/wchan)\"; "
		 "cat /proc/$p/stack; done; cd /tmp"))
		ksft_print_msg("%s meanwhile:\n%s", o->name, out);
	busy = false;
}

/*
 * Run @cmd in the guest's shell; its output in out[], its exit status
 * returned (-1: no answer within @secs).
 */
static int gsh(struct guest *g, int secs, const char *fmt, ...)
{
	time_t deadline = time(NULL) + secs;
	char cmd[1024], *end;
	size_t len = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	strcat(cmd, "\n");
	out[0] = 0;
	if (g->ctl < 0 || write(g->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = g->ctl, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(g->ctl, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		out[len] = 0;
		end = strstr(out, "@@rc=");
		if (end && strstr(end, "@@\n")) {
			*end = 0;
			return atoi(end + 5);
		}
	}
	ksft_print_msg("%s: no answer to: %s", g->name, cmd);
	stall_report(g);
	/* The report asked the other guest: nothing in out[] is @g's. */
	out[0] = 0;
	return -1;
}

/* A number the guest printed. */
static long gsh_num(struct guest *g, const char *cmd)
{
	return gsh(g, CMD_S, "%s", cmd) ? -1 : strtol(out, NULL, 0);
}

/* One of KVM's per-VM statistics (debugfs) of QEMU process @pid. */
static long kvm_stat(pid_t pid, const char *stat)
{
	char pat[128];
	long v = -1;
	glob_t gl;
	FILE *f;

	snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*/%s", pid, stat);
	if (glob(pat, 0, NULL, &gl) || gl.gl_pathc != 1)
		return -1;
	f = fopen(gl.gl_pathv[0], "r");
	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	globfree(&gl);
	return v;
}

static bool host_cmd_has(const char *cmd, const char *what)
{
	char line[512];
	bool found = false;
	FILE *p = popen(cmd, "r");

	while (p && fgets(line, sizeof(line), p)) {
		ksft_print_msg("%s: %s", cmd, line);
		found |= !!strstr(line, what);
	}
	if (p)
		pclose(p);
	return found;
}

/* Kernel reports in a guest's console (the host's are the sandbox's). */
static bool console_clean(struct guest *g)
{
	static const char * const bad[] = { "BUG:", "Oops", "WARNING: CPU",
					    "general protection" };
	char line[512];
	bool clean = true;
	unsigned int i;
	FILE *f = fopen(g->console, "r");

	while (f && fgets(line, sizeof(line), f)) {
		/*
		 * TCG's CPUID reports XSAVE sizes that do not add up; the
		 * guest kernel warns once at boot and uses FXSAVE. Not ours.
		 */
		if (strstr(line, "fpu/xstate.c") && on_tcg())
			continue;
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(line, bad[i])) {
				ksft_print_msg("%s console: %s", g->name, line);
				clean = false;
			}
		}
	}
	if (f)
		fclose(f);
	return clean;
}

/* The task's state letter and its CPU ticks, from /proc/PID/stat in @g. */
static bool guest_task(struct guest *g, const char *pidfile, char *state,
		       long *ticks)
{
	long ut, st;

	if (gsh(g, CMD_S, "cut -d' ' -f3,14,15 /proc/$(cat %s)/stat", pidfile))
		return false;
	if (sscanf(out, " %c %ld %ld", state, &ut, &st) != 3)
		return false;
	*ticks = ut + st;
	return true;
}

static void test_named(void)
{
	char want[64];
	bool ok;
	int i;

	ga.id = vmqt_qemu_vm_id(ga.qemu);
	gb.id = vmqt_qemu_vm_id(gb.qemu);
	ok = ga.id && gb.id &&
	     gsh_num(&ga, "cat /sys/class/misc/vmq0/vm_id") == ga.id &&
	     gsh_num(&gb, "cat /sys/class/misc/vmq0/vm_id") == gb.id;
	ksft_test_result(ok, "each guest's driver sees its QEMU's vmq id (%u, %u)\n",
			 ga.id, gb.id);

	snprintf(want, sizeof(want), "%u", ga.qemu);
	ok = host_cmd_has("vmqctl list | grep -w alpha", want);
	snprintf(want, sizeof(want), "%u", gb.qemu);
	ok &= host_cmd_has("vmqctl list | grep -w beta", want);
	ksft_test_result(ok, "vmqctl list: alpha and beta, by their QEMUs' pids\n");

	/* The server introduces the pair once both guests have queues. */
	snprintf(want, sizeof(want), "%u beta", gb.id);
	for (i = 0, ok = false; !ok && i < 60; i++) {
		ok = !gsh(&ga, CMD_S, "cat /sys/class/misc/vmq0/peers") &&
		     strstr(out, want);
		if (!ok)
			sleep(1);
	}
	ksft_test_result(ok, "alpha's sysfs peers: \"%s\"\n", want);
}

static void test_nonblock(void)
{
	int rc = gsh(&gb, CMD_S, "gtool nbread");

	ksft_test_result(!rc && strstr(out, "EAGAIN"),
			 "O_NONBLOCK read of an empty queue: %s", out);
}

static void test_blocking_read(void)
{
	long irq0, irq1, t0, t1, h0, h1;
	char s0 = '?', s1 = '?';
	char want[64];
	bool ok;

	irq0 = gsh_num(&gb, "grep vmq-arrival /proc/interrupts | tr -s ' ' | cut -d' ' -f3");
	gsh(&gb, CMD_S, "gtool pollread >pr.out 2>&1 & echo $! >pr.pid");
	sleep(2);
	ok = guest_task(&gb, "pr.pid", &s0, &t0);
	h0 = kvm_stat(gb.qemu, "halt_exits");
	sleep(5);
	ok &= guest_task(&gb, "pr.pid", &s1, &t1);
	h1 = kvm_stat(gb.qemu, "halt_exits");
	ksft_print_msg("reader: %c,%ld -> %c,%ld ticks; beta's halt exits %ld -> %ld\n",
		       s0, t0, s1, t1, h0, h1);
	ksft_test_result(ok && s0 == 'S' && s1 == 'S' && t1 == t0 && h0 >= 0 &&
			 h1 > h0,
			 "a reader blocked in poll() sleeps, uses no CPU, its vCPU halts\n");

	ok = !gsh(&ga, CMD_S, "gtool write beta") && strstr(out, "ok");
	ok &= !gsh(&gb, CMD_S, "wait $(cat pr.pid); cat pr.out");
	snprintf(want, sizeof(want), "got 8 bytes from %u", ga.id);
	ok &= !!strstr(out, want);
	irq1 = gsh_num(&gb, "grep vmq-arrival /proc/interrupts | tr -s ' ' | cut -d' ' -f3");
	ksft_test_result(ok && irq1 > irq0,
			 "it wakes with the message, by the arrival interrupt (%ld -> %ld)\n",
			 irq0, irq1);
}

/* 64 MiB from alpha to beta through vmq-cat @opts; same SHA-256 at both ends. */
static void test_stream(const char *opts, const char *what)
{
	char sum[65] = "";
	bool ok;

	time_t t0 = time(NULL);

	ok = !gsh(&ga, DATA_S, "sha256sum data | cut -c1-64");
	memcpy(sum, out, 64);
	ksft_print_msg("%lds: sha256sum\n", (long)(time(NULL) - t0));
	ok &= strlen(sum) == 64;
	ok &= !gsh(&gb, CMD_S,
		   "(vmq-cat -r %s alpha | sha256sum >recv.sum) 2>recv.err & echo $! >recv.pid",
		   opts);
	ok &= !gsh(&ga, DATA_S, "vmq-cat -s %s beta <data", opts);
	if (!ok)
		ksft_print_msg("alpha: %s", out);
	ok &= !gsh(&gb, DATA_S, "wait $(cat recv.pid); cat recv.err recv.sum");
	ksft_print_msg("sent %s, received %s", sum, out);
	ksft_test_result(ok && !strncmp(out, sum, 64),
			 "%d MiB through %s: identical SHA-256\n", data_mib, what);
}

static void test_backpressure(void)
{
	const int n = 600, size = 4096;
	char state = '?';
	long ticks, full = -1;
	struct vmqt_nl_vms vms;
	bool ok;
	int i;

	/* beta's queue holds about 64 of them: the writer must block. */
	ok = !gsh(&ga, CMD_S, "gtool send beta %d %d >send.out 2>&1 & echo $! >send.pid",
		  n, size);
	sleep(5);
	ok &= guest_task(&ga, "send.pid", &state, &ticks);
	if (!vmqt_nl_dump(vmqt_ctl_nl(), &vms))
		for (i = 0; i < vms.n; i++)
			if (vms.vm[i].id == ga.id)
				full = vms.vm[i].ctr[VMQ_CTR_ERR_FULL];
	ksft_test_result(ok && state == 'S' && full > 0,
			 "a full receiver blocks the writer (state %c, %ld refusals)\n",
			 state, full);

	ok = !gsh(&gb, CMD_S, "gtool recv alpha %d %d", n, size);
	ksft_print_msg("beta: %s", out);
	ok &= !!strstr(out, "in order");
	ok &= !gsh(&ga, CMD_S, "wait $(cat send.pid); cat send.out");
	ksft_print_msg("alpha: %s", out);
	ksft_test_result(ok && strstr(out, "sent 600"),
			 "then it completes: %d messages, none lost, none duplicated, in order\n",
			 n);
}

static void test_reload(void)
{
	char want[64];
	bool ok;

	ok = !gsh(&gb, CMD_S,
		  "rmmod vmq_guest && insmod /vmq_guest.ko && cat /sys/class/misc/vmq0/vm_id") &&
	     strtoul(out, NULL, 0) == gb.id;
	ok &= !gsh(&gb, CMD_S, "gtool pollread >pr.out 2>&1 & echo $! >pr.pid");
	ok &= !gsh(&ga, CMD_S, "gtool write beta");
	ok &= !gsh(&gb, CMD_S, "wait $(cat pr.pid); cat pr.out");
	snprintf(want, sizeof(want), "got 8 bytes from %u", ga.id);
	ksft_test_result(ok && strstr(out, want),
			 "vmq_guest unloaded and loaded again in a running guest: %s", out);
}

static void test_revoke(void)
{
	bool ok;

	/* The writer's file is connected before the revoke, and stays open. */
	ok = !gsh(&ga, CMD_S, "rm -f go; gtool write beta go >rv.out 2>&1 & echo $! >rv.pid");
	ok &= !gsh(&gb, CMD_S, "gtool pollread");
	ok &= !system("vmqctl revoke alpha beta");
	ok &= !gsh(&ga, CMD_S, "touch go; wait $(cat rv.pid); echo \"status $?\"; cat rv.out");
	ksft_print_msg("alpha: %s", out);
	ok &= strstr(out, "status 1") && strstr(out, "ok\nwrite: EACCES");
	ok &= !system("vmqctl allow alpha beta");
	ok &= !gsh(&ga, CMD_S, "gtool write beta");
	ok &= !gsh(&gb, CMD_S, "gtool pollread");
	ksft_test_result(ok, "revoking alpha -> beta: alpha's next write() is EACCES; %s\n",
			 "allowed again, it goes");
}

static void test_kill(void)
{
	bool ok;

	/* alpha reads a stream from beta while it dies. */
	ok = !gsh(&ga, CMD_S, "gtool recv beta 1000000 4096 >/dev/null 2>&1 &");
	ok &= !gsh(&gb, CMD_S,
		   "gtool send alpha 1000000 4096 >kill.out 2>&1 & echo $! >kill.pid");
	sleep(5);
	kill(ga.qemu, SIGKILL);
	waitpid(ga.qemu, NULL, 0);
	ga.qemu = 0;
	ok &= !gsh(&gb, CMD_S, "wait $(cat kill.pid); echo \"status $?\"; cat kill.out");
	ksft_print_msg("beta: %s", out);
	ksft_test_result(ok && strstr(out, "status 1") && strstr(out, "EACCES at") &&
			 !strstr(out, "at 0\n"),
			 "kill -9 of alpha's QEMU mid-stream: beta's writer gets EACCES\n");
}

int main(void)
{
	char *kernel, *initrd;
	struct vmqt_stats s0;
	time_t t0;
	bool up;

	/* Progress shows as it happens, through a pipe too. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (tcg_with_npt() && !getenv("VMQ_LINUX_GUEST_NPT"))
		ksft_exit_skip("%s (VMQ_LINUX_GUEST_NPT=1 runs it anyway)\n",
			       "nested paging inside TCG: a nested Linux guest takes too long to boot here");
	ksft_set_plan(15);
	/* A guest that died is a failed test, not a dead test program. */
	signal(SIGPIPE, SIG_IGN);
	vmqt_dev();
	s0 = vmqt_stats();
	kernel = guest_kernel();
	initrd = vmqt_beside_self("linux_guest.cpio.gz");
	TEST_ASSERT(!access(initrd, R_OK), "%s (made by scripts/sandbox.sh)", initrd);
	TEST_ASSERT(!system("rm -rf " DIR " && mkdir -p " DIR), DIR);
	ga.ctl = gb.ctl = -1;

	t0 = time(NULL);
	up = boot(&ga, kernel, initrd, BOOT_S) && boot(&gb, kernel, initrd, BOOT_S);
	ksft_print_msg("%lds: guests %s\n", (long)(time(NULL) - t0),
		       up ? "ready" : "not ready");
	if (!up) {
		if (system("vmqctl list; vmqctl status"))
			ksft_print_msg("vmqctl failed\n");
		ksft_exit_fail_msg("the guests did not boot\n");
	}
	test_named();
	test_nonblock();
	test_blocking_read();

	if (getenv("VMQ_LINUX_GUEST_MIB"))
		data_mib = atoi(getenv("VMQ_LINUX_GUEST_MIB"));
	t0 = time(NULL);
	if (gsh(&ga, DATA_S, "gtool gen %d >data",
		data_mib))
		ksft_print_msg("alpha: gtool gen: %s", out);
	ksft_print_msg("%lds: %d MiB of random data\n", (long)(time(NULL) - t0), data_mib);
	test_stream("", "messages");
	ksft_print_msg("%lds: messages\n", (long)(time(NULL) - t0));
	test_stream("-P", "page moves");
	ksft_print_msg("%lds: pages\n", (long)(time(NULL) - t0));
	gsh(&ga, CMD_S, "rm data");

	test_backpressure();
	test_reload();
	test_revoke();
	test_kill();

	ksft_test_result(console_clean(&ga) && console_clean(&gb),
			 "no kernel report in either guest\n");
	stop(&ga);
	stop(&gb);
	ksft_test_result(vmqt_settle(vmqt_stats_live_at, &s0),
			 "vmq's live-object counts back at baseline\n");
	ksft_finished();
}
