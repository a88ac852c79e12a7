// SPDX-License-Identifier: GPL-2.0
/*
 * linux_guest.c: Linux guests in the host's stock QEMU, wired to vmq and
 * driven through their control shell (vmqt_linux_guest.h).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <glob.h>
#include <poll.h>
#include <stdarg.h>
#include <time.h>

#include "vmqt.h"
#include "vmqt_linux_guest.h"

char vmqt_lg_out[65536];

bool vmqt_lg_on_tcg(void)
{
	unsigned int a, b, c, d;
	char vendor[13] = "";

	cpuid(0x40000000, &a, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &c, 4);
	memcpy(vendor + 8, &d, 4);
	return !strcmp(vendor, "TCGTCGTCGTCG");
}

const char *vmqt_lg_unfit(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/npt", "r");
	char npt = 'N';

	if (f) {
		npt = fgetc(f);
		fclose(f);
	}
	if (!vmqt_lg_on_tcg())
		return NULL;
	if (npt == 'Y')
		return "nested paging inside TCG: a nested Linux guest takes too long to boot here";
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		return "TCG with more than one vCPU re-delivers interrupts to nested guests (QEMU 7.2): run it in a one-vCPU sandbox, scripts/sandbox.sh --linux-guest";
	return NULL;
}

/* The guests' kernel: Debian's, as the sandbox (or the host) has it. */
static char *lg_kernel(void)
{
	char line[256] = "";
	FILE *f = fopen(vmqt_beside_self("linux_guest.kernel"), "r");

	TEST_ASSERT(f && fgets(line, sizeof(line), f),
		    "linux_guest.kernel (written by scripts/sandbox.sh)");
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return vmqt_host_path(line);
}

static void lg_start_server(struct vmqt_lg *g)
{
	char sock[64];
	char *argv[] = { "vmq-ivshmem-server", "--name", (char *)g->name,
			 "--socket", sock, "--peer", (char *)g->peer,
			 "--once", "--quiet", NULL };

	snprintf(sock, sizeof(sock), VMQT_LG_DIR "/%s.sock", g->name);
	g->server = vmqt_spawn(argv);
}

static void lg_start_qemu(struct vmqt_lg *g, const char *kernel, const char *initrd)
{
	char *argv[VMQT_QEMU_ARGC + 64];
	char *ser, *ctl, *dev, *mon;
	size_t n, i;

	vmqt_qemu_argv(argv);
	snprintf(g->console, sizeof(g->console), VMQT_LG_DIR "/%s.console", g->name);
	TEST_ASSERT(asprintf(&ser, "file:%s", g->console) > 0 &&
		    asprintf(&ctl, "socket,id=ctl,path=" VMQT_LG_DIR "/%s.ctl,server=on,wait=off",
			     g->name) > 0 &&
		    asprintf(&dev, "socket,id=vmq,path=" VMQT_LG_DIR "/%s.sock", g->name) > 0 &&
		    asprintf(&mon, "unix:" VMQT_LG_DIR "/%s.mon,server=on,wait=off",
			     g->name) > 0,
		    "asprintf");
	TEST_ASSERT(!access(kernel, R_OK), "no guest kernel at %s", kernel);
	{
		char *opts[] = {
			"-accel", "kvm", "-cpu", "host", "-m", "320", "-smp", "1",
			"-nodefaults", "-display", "none", "-no-reboot",
			"-serial", ser, "-chardev", ctl, "-serial", "chardev:ctl",
			"-chardev", dev, "-monitor", mon,
			"-device", "ivshmem-doorbell,chardev=vmq,vectors=1",
			"-kernel", (char *)kernel, "-initrd", (char *)initrd,
			"-append", "console=ttyS0 panic=-1 loglevel=5 mitigations=off nokaslr",
			NULL,
		};

		n = VMQT_QEMU_ARGC + ARRAY_SIZE(opts) - 1;
		_Static_assert(sizeof(opts) <= sizeof(argv) - (VMQT_QEMU_ARGC + 16) * sizeof(char *),
			       "argv too short");
		memcpy(argv + VMQT_QEMU_ARGC, opts, sizeof(opts));
	}
	for (i = 0; g->qemu_extra && g->qemu_extra[i]; i++) {
		TEST_ASSERT(n + 1 < ARRAY_SIZE(argv), "too many QEMU options");
		argv[n++] = g->qemu_extra[i];
	}
	argv[n] = NULL;
	g->qemu = vmqt_spawn(argv);
}

/*
 * Connect to the guest's control shell. QEMU listens before its vCPU runs,
 * and drops what the guest writes to the port while nobody is connected:
 * connect to both guests before either could greet.
 */
static bool lg_connect(struct vmqt_lg *g, time_t deadline)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof(a.sun_path), VMQT_LG_DIR "/%s.ctl", g->name);
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
static bool lg_ready(struct vmqt_lg *g, time_t deadline)
{
	size_t len = 0;
	ssize_t n;

	while (g->ctl >= 0 && time(NULL) < deadline) {
		struct pollfd p = { .fd = g->ctl, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(g->ctl, vmqt_lg_out + len, sizeof(vmqt_lg_out) - 1 - len);
		if (n <= 0)
			return false;
		len += n;
		vmqt_lg_out[len] = 0;
		if (strstr(vmqt_lg_out, "VMQ-GUEST: ready\n"))
			return true;
	}
	return false;
}

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

/* Send @cmd to @g's QEMU monitor; its answer (a second's worth) in @buf. */
static void lg_monitor(struct vmqt_lg *g, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	time_t end = time(NULL) + 2;
	size_t len = 0;
	int fd;

	buf[0] = 0;
	snprintf(a.sun_path, sizeof(a.sun_path), VMQT_LG_DIR "/%s.mon", g->name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (len < size - 1 && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 500) <= 0)
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = 0;
	}
	close(fd);
}

/*
 * The stuck vCPU's registers and the words on its stack, kernel text
 * addresses named: an interrupt frame or a return address there says
 * what the guest was doing and with which RFLAGS.
 */
static void lg_show_vcpu(struct vmqt_lg *g)
{
	static char buf[32768];
	unsigned long long rsp, v;
	char cmd[64], sym[160], *p, *line;

	/*
	 * Its local APIC: an interrupt pending in IRR while the vCPU halts
	 * with interrupts on was never delivered; the timer says what the
	 * guest armed.
	 */
	lg_monitor(g, "info lapic\n", buf, sizeof(buf));
	for (line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n"))
		if ((!strncmp(line, "LVTT", 4) && line[4] != 'H') ||
		    !strncmp(line, "Timer", 5) ||
		    !strncmp(line, "ISR", 3) || !strncmp(line, "IRR", 3))
			ksft_print_msg("%s's APIC: %s\n", g->name, line);
	lg_monitor(g, "info registers\n", buf, sizeof(buf));
	p = strstr(buf, "RIP=");
	if (p)
		ksft_print_msg("%s's vCPU: %.*s\n", g->name, (int)strcspn(p, "\r\n"), p);
	p = strstr(buf, "RSP=");
	if (!p || sscanf(p, "RSP=%llx", &rsp) != 1)
		return;
	snprintf(cmd, sizeof(cmd), "x/64gx 0x%llx\n", rsp);
	lg_monitor(g, cmd, buf, sizeof(buf));
	for (line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		if (strncmp(line, "ffff", 4))
			continue;
		ksft_print_msg("%s's stack: %s\n", g->name, line);
		for (p = strstr(line, "0xffffffff8"); p; p = strstr(p + 1, "0xffffffff8")) {
			v = strtoull(p, NULL, 16);
			symbolize(lg_kernel(), v, sym, sizeof(sym));
			if (strcmp(sym, "?"))
				ksft_print_msg("  0x%llx %s\n", v, sym);
		}
	}
}

/*
 * What a stuck vCPU's exits are about: its page faults, what KVM made of
 * them (shadow walks, emulation, exceptions it injected), and its
 * interrupts.
 */
#define LG_EVENTS "kvm/kvm_exit kvm/kvm_page_fault kvm/kvm_inj_exception " \
		  "kvm/kvm_emulate_insn kvm/kvm_inj_virq kvmmmu"

/*
 * Where a QEMU's threads are, for a guest that does not answer: their
 * states and kernel stacks, KVM's counters, and a second of what the
 * vCPUs exit on, with the guest RIPs seen most resolved to functions.
 */
static void lg_show_qemu(struct vmqt_lg *g)
{
	unsigned long long rip[8];
	int hits[8], n = 0, i;
	char cmd[2048], line[512], sym[160];
	FILE *f;

	if (g->qemu <= 0)
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd /proc/%d/task && for t in *; do "
		 "echo \"$t $(cat $t/comm) $(cut -d' ' -f3,14,15 $t/stat) $(cat $t/wchan)\"; "
		 "cat $t/stack; done 2>&1; "
		 "cd /sys/kernel/debug/kvm/%d-* && "
		 "grep . exits halt_exits io_exits pf_taken pf_fixed hypercalls 2>&1; "
		 /*
		  * KVM's timers for the guests' local APIC timers: one long
		  * overdue ("in -...") means the host's timer never fired.
		  */
		 "grep -m1 'now at' /proc/timer_list; "
		 "grep -A1 apic_timer_fn /proc/timer_list; "
		 "cd /sys/kernel/debug/tracing && echo >trace && "
		 "for e in %s; do echo 1 >events/$e/enable; done; sleep 1; "
		 "for e in %s; do echo 0 >events/$e/enable; done; "
		 /* This QEMU's own events only: its threads by tid. */
		 "t=$(ls /proc/%d/task | tr '\\n' '|'); "
		 "grep -E -- \"-(${t%%|}) +\\[\" trace >" VMQT_LG_DIR "/trace; "
		 "tail -40 " VMQT_LG_DIR "/trace",
		 g->qemu, g->qemu, LG_EVENTS, LG_EVENTS, g->qemu);
	ksft_print_msg("%s's QEMU (pid %d):\n", g->name, g->qemu);
	fflush(stdout);
	if (system(cmd))
		ksft_print_msg("(could not read it)\n");
	f = fopen(VMQT_LG_DIR "/trace", "r");
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
		symbolize(lg_kernel(), rip[i], sym, sizeof(sym));
		ksft_print_msg("guest exits at 0x%llx %s: %d\n", rip[i], sym, hits[i]);
	}
	lg_show_vcpu(g);
}

static void lg_show_console(struct vmqt_lg *g)
{
	char line[512];
	FILE *f = fopen(g->console, "r");

	while (f && fgets(line, sizeof(line), f))
		ksft_print_msg("%s: %s", g->name, line);
	if (f)
		fclose(f);
}

void vmqt_lg_stop(struct vmqt_lg *g)
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
 * On TCG a nested guest's boot sometimes hangs, its vCPU spinning before
 * the kernel is up (seen with and without vmq_guest, and more often while
 * the other guest boots too): the callers boot their guests one after the
 * other, and a boot that hangs is tried once more, saying so.
 */
bool vmqt_lg_boot(struct vmqt_lg *g, int secs)
{
	char *kernel = lg_kernel(), *initrd = vmqt_beside_self("linux_guest.cpio.gz");
	int attempt;

	TEST_ASSERT(!access(initrd, R_OK), "%s (made by scripts/sandbox.sh)", initrd);
	g->ctl = -1;
	g->stalled = false;

	for (attempt = 0; attempt < 2; attempt++) {
		time_t t0 = time(NULL);

		lg_start_server(g);
		usleep(500000);
		lg_start_qemu(g, kernel, initrd);
		if (lg_connect(g, t0 + secs) && lg_ready(g, t0 + secs)) {
			ksft_print_msg("%s ready in %lds\n", g->name,
				       (long)(time(NULL) - t0));
			/* To see what a stall report shows, without a stall. */
			if (getenv("VMQ_LINUX_GUEST_REPORT"))
				lg_show_qemu(g);
			/*
			 * A no-op first: anything the port delivered during
			 * boot would prefix the first command (the shell joins
			 * reads until a line's end mark). Said when it happens.
			 */
			if (vmqt_lg_sh(g, 60, "true"))
				ksft_print_msg("%s: the first line after boot did not run cleanly: %s",
					       g->name, vmqt_lg_out);
			return true;
		}
		ksft_print_msg("%s did not boot in %ds (attempt %d)\n",
			       g->name, secs, attempt + 1);
		lg_show_console(g);
		lg_show_qemu(g);
		vmqt_lg_stop(g);
	}
	return false;
}

/* @g does not answer: what the host and the other guest see meanwhile. */
static void lg_stall_report(struct vmqt_lg *g)
{
	struct vmqt_lg *o = g->other;
	static bool busy;
	char cmd[256];

	if (busy)
		return;
	busy = true;
	lg_show_console(g);
	lg_show_qemu(g);
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "vmqctl list; vmqctl status; "
		 "vmqctl stats %s; vmqctl tables %s", g->name, g->name);
	if (system(cmd))
		ksft_print_msg("vmqctl failed\n");
	/* The other guest may be the one stuck, waiting for an interrupt. */
	if (o)
		lg_show_qemu(o);
	if (o && o->qemu > 0 && !vmqt_lg_sh(o, 30, "%s",
		 "cd /sys/class/misc/vmq0; cat mode rx_pending counters; "
		 "grep vmq /proc/interrupts; for p in $(pidof vmq-cat gtool); do "
		 "echo \"$p: $(cut -d' ' -f2,3 /proc/$p/stat) $(cat /proc/$p/wchan)\"; "
		 "cat /proc/$p/stack; done; cd /tmp"))
		ksft_print_msg("%s meanwhile:\n%s", o->name, vmqt_lg_out);
	busy = false;
}

static volatile sig_atomic_t lg_late;
static bool lg_late_reported, lg_reporting;

static void lg_late_handler(int sig)
{
	lg_late = 1;
}

void vmqt_lg_report_after(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = lg_late_handler };

	/* No SA_RESTART: the wait for an answer sees EINTR. */
	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction");
	alarm(secs);
}

int vmqt_lg_sh(struct vmqt_lg *g, int secs, const char *fmt, ...)
{
	time_t deadline = time(NULL) + secs;
	char cmd[1024], *end;
	size_t len = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - sizeof(" #@@\n"), fmt, ap);
	va_end(ap);
	/* The guest runs a line once it has this mark (guest-initramfs.sh). */
	strcat(cmd, " #@@\n");
	vmqt_lg_out[0] = 0;
	/*
	 * One report is enough, and the steps after it end at once: a test
	 * that waited out every step's time on a dead guest would look like
	 * a hung sandbox.
	 */
	if (g->stalled || (lg_late_reported && !lg_reporting))
		return -1;
	if (g->ctl < 0 || write(g->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	while (time(NULL) < deadline && !lg_late) {
		struct pollfd p = { .fd = g->ctl, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(g->ctl, vmqt_lg_out + len, sizeof(vmqt_lg_out) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		vmqt_lg_out[len] = 0;
		end = strstr(vmqt_lg_out, "@@rc=");
		if (end && strstr(end, "@@\n")) {
			*end = 0;
			return atoi(end + 5);
		}
	}
	/* The mark check-run.sh knows, as it knows a hung sandbox's. */
	ksft_print_msg("VMQ-LG: %s stalled, no answer to: %s", g->name, cmd);
	if (lg_late) {
		ksft_print_msg("the run's time is nearly up: reporting now\n");
		/* The report may still ask the other guest, and wait for it. */
		lg_late = 0;
		lg_late_reported = true;
	}
	if (len)
		ksft_print_msg("%s: all that came back: %s\n", g->name,
			       vmqt_lg_out);
	g->stalled = true;
	lg_reporting = true;
	lg_stall_report(g);
	lg_reporting = false;
	/* The report asked the other guest: nothing in vmqt_lg_out[] is @g's. */
	vmqt_lg_out[0] = 0;
	return -1;
}

long vmqt_lg_num(struct vmqt_lg *g, int secs, const char *cmd)
{
	return vmqt_lg_sh(g, secs, "%s", cmd) ? -1 : strtol(vmqt_lg_out, NULL, 0);
}

long vmqt_lg_kvm_stat(pid_t pid, const char *stat)
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

/* The host's reports are the sandbox's to find. */
bool vmqt_lg_console_clean(struct vmqt_lg *g)
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
		if (strstr(line, "fpu/xstate.c") && vmqt_lg_on_tcg())
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

void vmqt_lg_setup(void)
{
	TEST_ASSERT(!system("rm -rf " VMQT_LG_DIR " && mkdir -p " VMQT_LG_DIR),
		    VMQT_LG_DIR);
	signal(SIGPIPE, SIG_IGN);
}
