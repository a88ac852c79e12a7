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
 * gtool (linux_guest/gtool.c) makes the precise probes. Booting, the
 * control shell and the report on a guest that stops answering are
 * lib/linux_guest.c's (vmqt_linux_guest.h), shared with vmq_bench's
 * guest_stream and guest_ping.
 *
 * Checked, in order: both VMs named and connected before the guests talk
 * (vmqctl list, the guests' sysfs); O_NONBLOCK read of an empty queue is
 * EAGAIN; a reader blocked in poll() uses no CPU while its vCPU halts, and
 * wakes on the arrival interrupt; 64 MiB through messages and 64 MiB
 * through page moves arrive with the same SHA-256, and so do 64 MiB in
 * 4 MiB write()s, each a cross-guest copy (counted by both drivers); a
 * full receiver blocks the writer, which completes once the reader
 * drains, nothing lost or reordered; the guest driver unloads and loads again in a running guest;
 * a revoked pair makes the writer's next write() fail with EACCES, and
 * ends a large write waiting for its reader with EACCES; kill -9
 * of one QEMU in the middle of a stream gives the other guest's writer
 * EACCES; and vmq's live-object counts come back to where they were.
 *
 * In the sandbox the host's root is at /host (9p): QEMU and the guest
 * kernel come from there (VMQ_QEMU_ROOT names another root, "/" on a real
 * host). The initramfs and the kernel's path are installed next to the
 * test by scripts/sandbox.sh (linux_guest.cpio.gz, linux_guest.kernel).
 * VMQ_LINUX_GUEST_MIB shrinks the two 64 MiB streams while iterating.
 */
#include <time.h>

#include "vmqt.h"
#include "vmqt_linux_guest.h"
#include "vmqt_nl.h"

#define BOOT_S		240
#define CMD_S		180
#define DATA_MIB	64
static int data_mib = DATA_MIB;
#define DATA_S		300

static struct vmqt_lg gb;
static struct vmqt_lg ga = { .name = "alpha", .peer = "beta", .other = &gb };
static struct vmqt_lg gb = { .name = "beta", .peer = "alpha", .other = &ga };
/* What the guest's last command printed. */
static char *const out = vmqt_lg_out;

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

/* The task's state letter and its CPU ticks, from /proc/PID/stat in @g. */
static bool guest_task(struct vmqt_lg *g, const char *pidfile, char *state,
		       long *ticks)
{
	long ut, st;

	if (vmqt_lg_sh(g, CMD_S, "cut -d' ' -f3,14,15 /proc/$(cat %s)/stat", pidfile))
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

	long id_a, id_b;

	ga.id = vmqt_qemu_vm_id(ga.qemu);
	gb.id = vmqt_qemu_vm_id(gb.qemu);
	id_a = vmqt_lg_num(&ga, CMD_S, "cat /sys/class/misc/vmq0/vm_id");
	if (id_a != ga.id)
		ksft_print_msg("alpha answered: %s", out);
	id_b = vmqt_lg_num(&gb, CMD_S, "cat /sys/class/misc/vmq0/vm_id");
	if (id_b != gb.id)
		ksft_print_msg("beta answered: %s", out);
	ok = ga.id && gb.id && id_a == ga.id && id_b == gb.id;
	ksft_test_result(ok, "each guest's driver sees its QEMU's vmq id (%u, %u; guests: %ld, %ld)\n",
			 ga.id, gb.id, id_a, id_b);

	snprintf(want, sizeof(want), "%u", ga.qemu);
	ok = host_cmd_has("vmqctl list | grep -w alpha", want);
	snprintf(want, sizeof(want), "%u", gb.qemu);
	ok &= host_cmd_has("vmqctl list | grep -w beta", want);
	ksft_test_result(ok, "vmqctl list: alpha and beta, by their QEMUs' pids\n");

	/* The server introduces the pair once both guests have queues. */
	snprintf(want, sizeof(want), "%u beta", gb.id);
	for (i = 0, ok = false; !ok && i < 60; i++) {
		ok = !vmqt_lg_sh(&ga, CMD_S, "cat /sys/class/misc/vmq0/peers") &&
		     strstr(out, want);
		if (!ok)
			sleep(1);
	}
	ksft_test_result(ok, "alpha's sysfs peers: \"%s\"\n", want);
}

static void test_nonblock(void)
{
	int rc = vmqt_lg_sh(&gb, CMD_S, "gtool nbread");

	ksft_test_result(!rc && strstr(out, "EAGAIN"),
			 "O_NONBLOCK read of an empty queue: %s", out);
}

static void test_blocking_read(void)
{
	long irq0, irq1, t0, t1, h0, h1;
	char s0 = '?', s1 = '?';
	char want[64];
	bool ok;

	irq0 = vmqt_lg_num(&gb, CMD_S, "grep vmq-arrival /proc/interrupts | tr -s ' ' | cut -d' ' -f3");
	vmqt_lg_sh(&gb, CMD_S, "gtool pollread >pr.out 2>&1 & echo $! >pr.pid");
	sleep(2);
	ok = guest_task(&gb, "pr.pid", &s0, &t0);
	h0 = vmqt_lg_kvm_stat(gb.qemu, "halt_exits");
	sleep(5);
	ok &= guest_task(&gb, "pr.pid", &s1, &t1);
	h1 = vmqt_lg_kvm_stat(gb.qemu, "halt_exits");
	ksft_print_msg("reader: %c,%ld -> %c,%ld ticks; beta's halt exits %ld -> %ld\n",
		       s0, t0, s1, t1, h0, h1);
	ksft_test_result(ok && s0 == 'S' && s1 == 'S' && t1 == t0 && h0 >= 0 &&
			 h1 > h0,
			 "a reader blocked in poll() sleeps, uses no CPU, its vCPU halts\n");

	ok = !vmqt_lg_sh(&ga, CMD_S, "gtool write beta") && strstr(out, "ok");
	ok &= !vmqt_lg_sh(&gb, CMD_S, "wait $(cat pr.pid); cat pr.out");
	snprintf(want, sizeof(want), "got 8 bytes from %u", ga.id);
	ok &= !!strstr(out, want);
	irq1 = vmqt_lg_num(&gb, CMD_S, "grep vmq-arrival /proc/interrupts | tr -s ' ' | cut -d' ' -f3");
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

	ok = !vmqt_lg_sh(&ga, DATA_S, "sha256sum data | cut -c1-64");
	memcpy(sum, out, 64);
	ksft_print_msg("%lds: sha256sum\n", (long)(time(NULL) - t0));
	ok &= strlen(sum) == 64;
	ok &= !vmqt_lg_sh(&gb, CMD_S,
		   "(vmq-cat -r %s alpha | sha256sum >recv.sum) 2>recv.err & echo $! >recv.pid",
		   opts);
	ok &= !vmqt_lg_sh(&ga, DATA_S, "vmq-cat -s %s beta <data", opts);
	if (!ok)
		ksft_print_msg("alpha: %s", out);
	ok &= !vmqt_lg_sh(&gb, DATA_S, "wait $(cat recv.pid); cat recv.err recv.sum");
	ksft_print_msg("sent %s, received %s", sum, out);
	ksft_test_result(ok && !strncmp(out, sum, 64),
			 "%d MiB through %s: identical SHA-256\n", data_mib, what);
}

/* One of the guest driver's counters (sysfs counters). */
static long guest_counter(struct vmqt_lg *g, const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "grep '^%s ' /sys/class/misc/vmq0/counters | cut -d' ' -f2", name);
	return vmqt_lg_num(g, CMD_S, cmd);
}

/*
 * The same data in 4 MiB write()s, far above max_msg: each goes in one
 * cross-guest copy from alpha's buffer into the buffer of beta's read().
 */
static void test_large_writes(void)
{
	const long bytes = (long)data_mib << 20;
	long tx0, rx0, tx1, rx1;
	char sum[65] = "";
	bool ok;

	tx0 = guest_counter(&ga, "copy_tx_bytes");
	rx0 = guest_counter(&gb, "copy_rx_bytes");
	ok = !vmqt_lg_sh(&ga, DATA_S, "sha256sum data | cut -c1-64");
	memcpy(sum, out, 64);
	ok &= strlen(sum) == 64;
	ok &= !vmqt_lg_sh(&gb, CMD_S,
			  "(gtool bigrecv alpha 4194304 | sha256sum >big.sum) 2>big.err & echo $! >big.pid");
	ok &= !vmqt_lg_sh(&ga, DATA_S, "gtool bigsend beta 4194304 <data");
	ksft_print_msg("alpha: %s", out);
	ok &= !vmqt_lg_sh(&gb, DATA_S, "wait $(cat big.pid); cat big.err big.sum");
	ksft_print_msg("beta: %s", out);
	ok &= !!strstr(out, sum);
	tx1 = guest_counter(&ga, "copy_tx_bytes");
	rx1 = guest_counter(&gb, "copy_rx_bytes");
	ksft_print_msg("copied: alpha sent %ld, beta received %ld (of %ld)\n",
		       tx1 - tx0, rx1 - rx0, bytes);
	ksft_test_result(ok && tx0 >= 0 && rx0 >= 0 && tx1 - tx0 == bytes &&
			 rx1 - rx0 == bytes,
			 "%d MiB in 4 MiB writes, each one cross-guest copy: identical SHA-256\n",
			 data_mib);

	/*
	 * A reader with less room (and not page-aligned) takes each write in
	 * part: short writes, as from a pipe, and nothing lost. O_NONBLOCK
	 * keeps max_msg's limit.
	 */
	ok = !vmqt_lg_sh(&ga, DATA_S, "head -c 8388608 data | sha256sum | cut -c1-64");
	memcpy(sum, out, 64);
	ok &= !vmqt_lg_sh(&gb, CMD_S,
			  "(gtool bigrecv alpha 100003 | sha256sum >big.sum) 2>big.err & echo $! >big.pid");
	ok &= !vmqt_lg_sh(&ga, DATA_S, "head -c 8388608 data | gtool bigsend beta 4194304");
	ksft_print_msg("alpha: %s", out);
	ok &= !!strstr(out, "sent 8388608 in 84 writes");
	ok &= !vmqt_lg_sh(&gb, DATA_S, "wait $(cat big.pid); cat big.err big.sum");
	ksft_print_msg("beta: %s", out);
	ok &= strstr(out, sum) && strstr(out, "received 8388608 in 84 reads");
	vmqt_lg_sh(&ga, CMD_S, "gtool nbwrite beta 1048576");
	ksft_print_msg("alpha: %s", out);
	ksft_test_result(ok && strstr(out, "EMSGSIZE"),
			 "a smaller reader buffer: short writes, same SHA-256; O_NONBLOCK: EMSGSIZE\n");
}

static void test_backpressure(void)
{
	const int n = 600, size = 4096;
	char states[8] = "", state = '?';
	long ticks, full = -1;
	struct vmqt_nl_vms vms;
	int i, sleeping = 0;
	bool ok;

	/* beta's queue holds about 64 of them: the writer must block. */
	ok = !vmqt_lg_sh(&ga, CMD_S, "gtool send beta %d %d >send.out 2>&1 & echo $! >send.pid",
		  n, size);
	sleep(5);
	/*
	 * It sleeps between retries (a back-off up to 10 ms), so a sample
	 * may catch it running a retry: most samples must find it asleep.
	 */
	for (i = 0; i < 5; i++) {
		ok &= guest_task(&ga, "send.pid", &state, &ticks);
		states[i] = state;
		sleeping += state == 'S';
	}
	if (!vmqt_nl_dump(vmqt_ctl_nl(), &vms))
		for (i = 0; i < vms.n; i++)
			if (vms.vm[i].id == ga.id)
				full = vms.vm[i].ctr[VMQ_CTR_ERR_FULL];
	ksft_test_result(ok && sleeping >= 3 && full > 0,
			 "a full receiver blocks the writer (states %s, %ld refusals)\n",
			 states, full);

	ok = !vmqt_lg_sh(&gb, CMD_S, "gtool recv alpha %d %d", n, size);
	ksft_print_msg("beta: %s", out);
	ok &= !!strstr(out, "in order");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "wait $(cat send.pid); cat send.out");
	ksft_print_msg("alpha: %s", out);
	ksft_test_result(ok && strstr(out, "sent 600"),
			 "then it completes: %d messages, none lost, none duplicated, in order\n",
			 n);
}

static void test_reload(void)
{
	char want[64];
	bool ok;

	ok = !vmqt_lg_sh(&gb, CMD_S,
		  "rmmod vmq_guest && insmod /vmq_guest.ko && cat /sys/class/misc/vmq0/vm_id") &&
	     strtoul(out, NULL, 0) == gb.id;
	ok &= !vmqt_lg_sh(&gb, CMD_S, "gtool pollread >pr.out 2>&1 & echo $! >pr.pid");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "gtool write beta");
	ok &= !vmqt_lg_sh(&gb, CMD_S, "wait $(cat pr.pid); cat pr.out");
	snprintf(want, sizeof(want), "got 8 bytes from %u", ga.id);
	ksft_test_result(ok && strstr(out, want),
			 "vmq_guest unloaded and loaded again in a running guest: %s", out);
}

static void test_revoke(void)
{
	bool ok;

	/* The writer's file is connected before the revoke, and stays open. */
	ok = !vmqt_lg_sh(&ga, CMD_S, "rm -f go; gtool write beta go >rv.out 2>&1 & echo $! >rv.pid");
	ok &= !vmqt_lg_sh(&gb, CMD_S, "gtool pollread");
	ok &= !system("vmqctl revoke alpha beta");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "touch go; wait $(cat rv.pid); echo \"status $?\"; cat rv.out");
	ksft_print_msg("alpha: %s", out);
	ok &= strstr(out, "status 1") && strstr(out, "ok\nwrite: EACCES");
	ok &= !system("vmqctl allow alpha beta");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "gtool write beta");
	ok &= !vmqt_lg_sh(&gb, CMD_S, "gtool pollread");
	ksft_test_result(ok, "revoking alpha -> beta: alpha's next write() is EACCES; %s\n",
			 "allowed again, it goes");
}

/*
 * A large write waits for a reader's answer; beta does not read. Revoking
 * the pair ends it with EACCES (the waiting side's probe of its peer), and
 * the request it left in beta's queue is skipped by beta's next read().
 */
static void test_revoke_large(void)
{
	char want[64];
	bool ok;

	ok = !vmqt_lg_sh(&ga, CMD_S,
			 "head -c 4194304 /dev/zero | gtool bigsend beta 4194304 >bs.out 2>&1 & echo $! >bs.pid");
	sleep(3);
	/* Still waiting. */
	ok &= !vmqt_lg_sh(&ga, CMD_S, "kill -0 $(cat bs.pid)");
	ok &= !system("vmqctl revoke alpha beta");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "wait $(cat bs.pid); echo \"status $?\"; cat bs.out");
	ksft_print_msg("alpha: %s", out);
	ok &= strstr(out, "status 1") && strstr(out, "write: EACCES");
	ok &= !system("vmqctl allow alpha beta");
	ok &= !vmqt_lg_sh(&ga, CMD_S, "gtool write beta");
	ok &= !vmqt_lg_sh(&gb, CMD_S, "gtool pollread");
	snprintf(want, sizeof(want), "got 8 bytes from %u", ga.id);
	ksft_test_result(ok && strstr(out, want),
			 "a large write waiting for its reader: EACCES once revoked; the reader skips the request\n");
}

static void test_kill(void)
{
	bool ok;

	/* alpha reads a stream from beta while it dies. */
	ok = !vmqt_lg_sh(&ga, CMD_S, "gtool recv beta 1000000 4096 >/dev/null 2>&1 &");
	ok &= !vmqt_lg_sh(&gb, CMD_S,
		   "gtool send alpha 1000000 4096 >kill.out 2>&1 & echo $! >kill.pid");
	sleep(5);
	kill(ga.qemu, SIGKILL);
	waitpid(ga.qemu, NULL, 0);
	ga.qemu = 0;
	ok &= !vmqt_lg_sh(&gb, CMD_S, "wait $(cat kill.pid); echo \"status $?\"; cat kill.out");
	ksft_print_msg("beta: %s", out);
	ksft_test_result(ok && strstr(out, "status 1") && strstr(out, "EACCES at") &&
			 !strstr(out, "at 0\n"),
			 "kill -9 of alpha's QEMU mid-stream: beta's writer gets EACCES\n");
}

int main(void)
{
	struct vmqt_stats s0;
	const char *why;
	time_t t0;
	bool up;

	/* Progress shows as it happens, through a pipe too. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	why = vmqt_lg_unfit();
	if (why && !getenv("VMQ_LINUX_GUEST_FORCE"))
		ksft_exit_skip("%s (VMQ_LINUX_GUEST_FORCE=1 runs it anyway)\n", why);
	ksft_set_plan(18);
	if (getenv("VMQ_REPORT_AFTER"))
		vmqt_lg_report_after(atoi(getenv("VMQ_REPORT_AFTER")));
	vmqt_dev();
	s0 = vmqt_stats();
	vmqt_lg_setup();

	t0 = time(NULL);
	up = vmqt_lg_boot(&ga, BOOT_S) && vmqt_lg_boot(&gb, BOOT_S);
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
	if (vmqt_lg_sh(&ga, DATA_S, "gtool gen %d >data",
		data_mib))
		ksft_print_msg("alpha: gtool gen: %s", out);
	ksft_print_msg("%lds: %d MiB of random data\n", (long)(time(NULL) - t0), data_mib);
	test_stream("", "messages");
	ksft_print_msg("%lds: messages\n", (long)(time(NULL) - t0));
	test_stream("-P", "page moves");
	ksft_print_msg("%lds: pages\n", (long)(time(NULL) - t0));
	test_large_writes();
	ksft_print_msg("%lds: large writes\n", (long)(time(NULL) - t0));
	vmqt_lg_sh(&ga, CMD_S, "rm data");

	test_backpressure();
	test_reload();
	test_revoke();
	test_revoke_large();
	test_kill();

	ksft_test_result(vmqt_lg_console_clean(&ga) && vmqt_lg_console_clean(&gb),
			 "no kernel report in either guest\n");
	vmqt_lg_stop(&ga);
	vmqt_lg_stop(&gb);
	ksft_test_result(vmqt_settle(vmqt_stats_live_at, &s0),
			 "vmq's live-object counts back at baseline\n");
	ksft_finished();
}
