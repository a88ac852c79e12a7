/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_linux_guest.h: Linux guests in the host's stock QEMU, wired to vmq
 * the way README's walkthrough wires them (vmq-ivshmem-server names and
 * connects each QEMU's VM), and driven through a control shell on their
 * second serial port; linux_guest_test and vmq_bench's guest_* benchmarks
 * boot them.
 *
 * The guests run the kernel scripts/sandbox.sh names in linux_guest.kernel
 * with its initramfs linux_guest.cpio.gz (scripts/guest-initramfs.sh),
 * both installed next to the program. Each guest's shell runs one command
 * per line and answers with what it printed and "@@rc=STATUS@@".
 */
#ifndef SELFTEST_VMQT_LINUX_GUEST_H
#define SELFTEST_VMQT_LINUX_GUEST_H

#include <stdbool.h>
#include <sys/types.h>

/* Sockets, consoles and traces of the guests. */
#define VMQT_LG_DIR	"/tmp/linux_guest"

struct vmqt_lg {
	const char *name, *peer;	/* the server names and connects them */
	char **qemu_extra;		/* more QEMU options, NULL-terminated */
	struct vmqt_lg *other;		/* asked about, when this one stalls */
	pid_t server, qemu;
	int ctl;			/* the guest's control shell */
	bool stalled;			/* stopped answering: asked no more */
	u32 id;
	char console[64];		/* the guest kernel's console, a file */
};

/* What the last vmqt_lg_sh() printed (any guest's). */
extern char vmqt_lg_out[65536];

/* Whether this host is itself a guest of QEMU's TCG (the sandbox). */
bool vmqt_lg_on_tcg(void);

/*
 * Why Linux guests cannot run reliably on this host, or NULL. Only QEMU's
 * TCG (the sandbox) has reasons: with kvm_amd's nested paging, a nested
 * guest's page walks go through two levels of emulated paging and a boot
 * does not finish in ten minutes (half a minute with shadow paging); with
 * more than one vCPU, QEMU 7.2 now and then delivers an interrupt it had
 * already injected into the nested guest a second time, ignoring the
 * guest's IF, and the guest deadlocks (Documentation/vmq/testing.rst).
 */
const char *vmqt_lg_unfit(void);

/* A fresh VMQT_LG_DIR; a dead guest's socket is no reason to die. */
void vmqt_lg_setup(void);

/*
 * Start @g's server and QEMU and wait at most @secs for its greeting. A
 * boot that hangs is reported and tried once more. With
 * VMQ_LINUX_GUEST_REPORT set, a guest that booted is reported too (its
 * QEMU's threads, KVM's counters and exits, its vCPU's registers and
 * stack), to see what a stall report would show.
 */
bool vmqt_lg_boot(struct vmqt_lg *g, int secs);

/* Kill @g's QEMU and server. */
void vmqt_lg_stop(struct vmqt_lg *g);

/*
 * Run a shell command in @g; its output in vmqt_lg_out, its exit status
 * returned (-1: no answer within @secs, after a report of where @g is).
 */
int vmqt_lg_sh(struct vmqt_lg *g, int secs, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * From @secs seconds on (SIGALRM), a command still waiting for its answer
 * gives up at once with the report of a stalled guest, and every later
 * one fails at once: the report comes before whoever runs the test kills
 * it. VMQ_REPORT_AFTER in the environment, if set, is @secs.
 */
void vmqt_lg_report_after(unsigned int secs);

/* A number a command printed in @g; -1 if it failed. */
long vmqt_lg_num(struct vmqt_lg *g, int secs, const char *cmd);

/* One of KVM's per-VM statistics (debugfs) of QEMU process @pid; -1. */
long vmqt_lg_kvm_stat(pid_t pid, const char *stat);

/* No kernel report in @g's console. */
bool vmqt_lg_console_clean(struct vmqt_lg *g);

#endif /* SELFTEST_VMQT_LINUX_GUEST_H */
