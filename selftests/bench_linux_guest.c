// SPDX-License-Identifier: GPL-2.0
/*
 * bench_linux_guest.c: vmq_bench's guest_stream and guest_ping, between two
 * Linux guests in two stock QEMUs (vmqt_linux_guest.h, the guests that
 * linux_guest_test boots), through vmq and, in the same run and between
 * the same two guests, through the way two stock QEMU guests talk without
 * vmq: virtio-net over QEMU's socket netdev (alpha's QEMU listens on a
 * loopback port, beta's connects), with TCP in the guests.
 *
 *   guest_stream: DATA MiB (pseudo-random, in alpha's tmpfs beforehand)
 *	from alpha to beta; the receiver times from its first byte to the
 *	end of the stream, in the guest (gtool sink). Through vmq two ways:
 *	vmq-cat's messages through /dev/vmq0 (throughput_messages), and
 *	4 MiB write()s that each go in one cross-guest copy into the
 *	reader's buffer (gtool bigsend/bigrecv, throughput_copy); then
 *	gtool tcp-send to gtool sink over TCP (throughput_tcp). throughput
 *	is vmq's better way, in MB/s (10^6 bytes), and vs_virtio_net its
 *	bytes/s over virtio-net's.
 *   guest_ping: PINGS round trips of 64 bytes, each side blocking between
 *	messages: vmq-cat --ping against a reading vmq-cat, then gtool
 *	tcp-ping against gtool tcp-echo (TCP_NODELAY). round_trip_us
 *	(the mean) through vmq, round_trip_us_tcp, and vs_virtio_net: vmq's
 *	time over virtio-net's (below 1 is faster).
 *
 * Skipped (saying so on stderr) where the guests cannot run reliably
 * (vmqt_lg_unfit(): in the TCG sandbox they run in one of their own, one
 * vCPU and npt=0, "make bench" starts it), or without the guest kernel and
 * initramfs beside the program (scripts/sandbox.sh installs them).
 */
#include <time.h>

#include "vmqt.h"
#include "vmqt_linux_guest.h"
#include "vmq_bench.h"

#define BOOT_S		240
#define CMD_S		180
#define DATA_MIB	64
#define DATA_S		600
#define PINGS		200
#define PORT		"47361"

/* The "X bytes in Y s" that gtool sink printed, in MB/s; 0 if not there. */
static double sink_mbs(const char *out, unsigned long long want)
{
	unsigned long long bytes;
	const char *line;
	double secs;

	/* Its line, among what else the receiving side printed. */
	for (line = out; line; line = strchr(line + 1, '\n')) {
		if (sscanf(line, " %llu bytes in %lf s", &bytes, &secs) == 2 &&
		    bytes == want && secs > 0)
			return bytes / secs / 1e6;
	}
	fprintf(stderr, "guest_stream: the receiver said: %s", out);
	return 0;
}

/* The mean of "rtt min/avg/max = A/B/C ms" in µs; 0 if not there. */
static double ping_avg_us(const char *out)
{
	const char *s = strstr(out, "rtt min/avg/max = ");
	double min, avg, max;

	if (!s || sscanf(s, "rtt min/avg/max = %lf/%lf/%lf", &min, &avg, &max) != 3) {
		fprintf(stderr, "guest_ping: the pinger said: %s", out);
		return 0;
	}
	return avg * 1e3;
}

/* Start @cmd in the background in @g, its pid in @pidfile. */
static bool lg_spawn_cmd(struct vmqt_lg *g, const char *cmd, const char *pidfile)
{
	return !vmqt_lg_sh(g, CMD_S, "%s >%s.out 2>&1 & echo $! >%s", cmd,
			   pidfile, pidfile);
}

/* Wait for what lg_spawn_cmd() started; what it printed in vmqt_lg_out. */
static bool lg_reap(struct vmqt_lg *g, const char *pidfile, int secs)
{
	/* Not "exit": the guest's shell is its init. */
	return !vmqt_lg_sh(g, secs, "wait $(cat %s); s=$?; cat %s.out; [ $s = 0 ]",
			   pidfile, pidfile);
}

/*
 * @recv in beta, in the background, then @send in alpha: the MB/s that the
 * receiving side's gtool sink timed.
 */
static double stream(struct vmqt_lg *a, struct vmqt_lg *b, const char *recv,
		     const char *send, unsigned long long bytes)
{
	if (!lg_spawn_cmd(b, recv, "st") || vmqt_lg_sh(a, DATA_S, "%s", send) ||
	    !lg_reap(b, "st", DATA_S))
		return 0;
	return sink_mbs(vmqt_lg_out, bytes);
}

static double ping_vmq(struct vmqt_lg *a, struct vmqt_lg *b, int n)
{
	double us = 0;

	if (!lg_spawn_cmd(b, "vmq-cat -r alpha", "vp"))
		return 0;
	if (!vmqt_lg_sh(a, CMD_S + n / 10, "vmq-cat --ping -c %d -i 0 beta | tail -1", n))
		us = ping_avg_us(vmqt_lg_out);
	vmqt_lg_sh(b, CMD_S, "kill $(cat vp); wait $(cat vp)");
	return us;
}

static double ping_tcp(struct vmqt_lg *a, struct vmqt_lg *b, int n)
{
	double us = 0;

	if (!lg_spawn_cmd(b, "gtool tcp-echo " PORT, "tp"))
		return 0;
	if (!vmqt_lg_sh(a, CMD_S + n / 10, "gtool tcp-ping 10.47.0.2 " PORT " %d 64", n))
		us = ping_avg_us(vmqt_lg_out);
	lg_reap(b, "tp", CMD_S);
	return us;
}

/* Both guests up, their virtio-net link configured, alpha's data made. */
static bool guests_up(struct vmqt_lg *a, struct vmqt_lg *b, int mib)
{
	if (!vmqt_lg_boot(a, BOOT_S) || !vmqt_lg_boot(b, BOOT_S))
		return false;
	if (vmqt_lg_sh(a, CMD_S, "ip link set eth0 up && ip addr add 10.47.0.1/24 dev eth0") ||
	    vmqt_lg_sh(b, CMD_S, "ip link set eth0 up && ip addr add 10.47.0.2/24 dev eth0")) {
		fprintf(stderr, "guest benchmarks: no virtio-net in the guests: %s",
			vmqt_lg_out);
		return false;
	}
	return !vmqt_lg_sh(a, DATA_S, "gtool gen %d >data", mib);
}

void bench_linux_guests(void)
{
	static char *net_a[] = { "-netdev", "socket,id=n0,listen=127.0.0.1:" PORT,
				 "-device", "virtio-net-pci,netdev=n0,romfile=", NULL };
	static char *net_b[] = { "-netdev", "socket,id=n0,connect=127.0.0.1:" PORT,
				 "-device", "virtio-net-pci,netdev=n0,romfile=", NULL };
	struct vmqt_lg a = { .name = "alpha", .peer = "beta", .qemu_extra = net_a };
	struct vmqt_lg b = { .name = "beta", .peer = "alpha", .qemu_extra = net_b };
	int mib = DATA_MIB * scale, pings = PINGS * scale, out;
	unsigned long long bytes = (unsigned long long)mib << 20;
	double s_msg = 0, s_copy = 0, s_vmq, s_tcp = 0, p_vmq = 0, p_tcp = 0;
	const char *why = vmqt_lg_unfit();
	bool up;

	if (why && !getenv("VMQ_LINUX_GUEST_FORCE")) {
		fprintf(stderr, "guest_stream, guest_ping: skipped: %s\n", why);
		return;
	}
	if (access(vmqt_beside_self("linux_guest.kernel"), R_OK) ||
	    access(vmqt_beside_self("linux_guest.cpio.gz"), R_OK)) {
		fprintf(stderr, "guest_stream, guest_ping: skipped: no linux_guest.kernel and linux_guest.cpio.gz beside vmq_bench (scripts/sandbox.sh installs them)\n");
		return;
	}
	a.other = &b;
	b.other = &a;
	/* The guests' consoles and shells talk on stdout: keep it for JSON. */
	fflush(stdout);
	out = dup(STDOUT_FILENO);
	TEST_ASSERT(out >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) >= 0, "dup");
	vmqt_lg_setup();
	up = guests_up(&a, &b, mib);
	if (up) {
		/* A first round of each, not timed: ARP, caches, pages. */
		ping_vmq(&a, &b, 5);
		ping_tcp(&a, &b, 5);
		s_msg = stream(&a, &b, "vmq-cat -r alpha | gtool sink",
			       "vmq-cat -s beta <data", bytes);
		s_copy = stream(&a, &b, "gtool bigrecv alpha 4194304 | gtool sink",
				"gtool bigsend beta 4194304 <data", bytes);
		s_tcp = stream(&a, &b, "gtool sink " PORT,
			       "gtool tcp-send 10.47.0.2 " PORT " <data", bytes);
		p_vmq = ping_vmq(&a, &b, pings);
		p_tcp = ping_tcp(&a, &b, pings);
	}
	vmqt_lg_stop(&a);
	vmqt_lg_stop(&b);
	fflush(stdout);
	TEST_ASSERT(dup2(out, STDOUT_FILENO) >= 0, "dup2");
	close(out);
	if (!up) {
		fprintf(stderr, "guest_stream, guest_ping: the guests did not come up\n");
		return;
	}
	s_vmq = max(s_msg, s_copy);
	if (s_msg > 0)
		report("guest_stream", "throughput_messages", s_msg, "MB/s");
	if (s_copy > 0)
		report("guest_stream", "throughput_copy", s_copy, "MB/s");
	if (s_vmq > 0)
		report("guest_stream", "throughput", s_vmq, "MB/s");
	if (s_tcp > 0)
		report("guest_stream", "throughput_tcp", s_tcp, "MB/s");
	if (s_vmq > 0 && s_tcp > 0)
		report("guest_stream", "vs_virtio_net", s_vmq / s_tcp, "ratio");
	if (p_vmq > 0)
		report("guest_ping", "round_trip_us", p_vmq, "us");
	if (p_tcp > 0)
		report("guest_ping", "round_trip_us_tcp", p_tcp, "us");
	if (p_vmq > 0 && p_tcp > 0)
		report("guest_ping", "vs_virtio_net", p_vmq / p_tcp, "ratio");
}
