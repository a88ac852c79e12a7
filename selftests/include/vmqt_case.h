/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_case.h: running a test's cases, each as one TAP test point in a
 * process of its own, and what a case needs around that: skipping,
 * reporting where it is, waiting for asynchronous teardown.
 */
#ifndef SELFTEST_VMQT_CASE_H
#define SELFTEST_VMQT_CASE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "kselftest.h"

/* __vmqt_run_case()'s result for a case the watchdog killed. */
#define VMQT_CASE_HUNG	(-1)

/*
 * Run @fn in a child process and return how it ended: KSFT_PASS, KSFT_FAIL
 * (a TEST_ASSERT failure), KSFT_SKIP (vmqt_case_skip()), or, with a
 * watchdog set (vmqt_set_watchdog()), VMQT_CASE_HUNG for a case that had
 * not ended in time: it is killed after a report of where it was (its
 * stage, its threads' kernel stacks).
 */
int __vmqt_run_case(const char *name, void (*fn)(void));

/*
 * Run @fn as one TAP test point (see __vmqt_run_case()). Inline because
 * kselftest.h keeps its result counters per compilation unit: the test's
 * own ksft_finished() must see them.
 */
static inline void vmqt_run_case(const char *name, void (*fn)(void))
{
	switch (__vmqt_run_case(name, fn)) {
	case KSFT_PASS:
		ksft_test_result_pass("%s\n", name);
		break;
	case KSFT_SKIP:
		ksft_test_result_skip("%s\n", name);
		break;
	case VMQT_CASE_HUNG:
		ksft_test_result_fail("%s (hung)\n", name);
		break;
	default:
		ksft_test_result_fail("%s\n", name);
	}
}

/* A test's cases, in a table. */
struct vmqt_case {
	const char *name;
	void (*fn)(void);
};

/* The TAP plan for @n cases, then each of them with vmqt_run_case(). */
static inline void vmqt_run_cases(const struct vmqt_case *cases, unsigned int n)
{
	unsigned int i;

	ksft_set_plan(n);
	for (i = 0; i < n; i++)
		vmqt_run_case(cases[i].name, cases[i].fn);
}

/* The watchdog of vmqt_run_case(), in seconds; 0 (the default): none. */
void vmqt_set_watchdog(unsigned int seconds);

/* In a case of vmqt_run_case(): skip it, saying why. */
#define vmqt_case_skip(fmt, ...) do {					\
	ksft_print_msg("SKIP: " fmt "\n", ##__VA_ARGS__);		\
	exit(KSFT_SKIP);						\
} while (0)

/*
 * Where the current case is, for the watchdog's report: memory the
 * runner can read (shared with the case's process), NULL without a
 * watchdog.
 */
#define VMQT_STAGE_MAX	128
extern char *vmqt_stage;

#define vmqt_set_stage(fmt, ...) do {					\
	if (vmqt_stage)							\
		snprintf(vmqt_stage, VMQT_STAGE_MAX, fmt, ##__VA_ARGS__); \
} while (0)

/* Print what every thread of @pid is blocked in, as TAP diagnostics. */
void vmqt_dump_tasks(pid_t pid);

/*
 * Wait for asynchronous teardown (VM destruction after the last fd is
 * closed may finish in a worker) until @done(@arg) holds; false if it
 * never does. Bounded by a count of tries, not by a deadline.
 */
bool vmqt_settle(bool (*done)(void *arg), void *arg);

/*
 * The scheduler state of thread @tid of process @pid ('R', 'S', 'D', ...,
 * from /proc), or '?' when it cannot be read.
 */
char vmqt_task_state(pid_t pid, pid_t tid);

/*
 * Whether thread @tid of process @pid sleeps in a kernel function whose
 * name contains @fn (/proc's wchan).
 */
bool vmqt_task_waits_in(pid_t pid, pid_t tid, const char *fn);

#endif /* SELFTEST_VMQT_CASE_H */
