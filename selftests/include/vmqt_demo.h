/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_demo.h: the vmq demo (lib/demo.c), a read -> decode -> play
 * pipeline of three VMs; the vmq_demo program and pipeline_test run it.
 */
#ifndef SELFTEST_VMQT_DEMO_H
#define SELFTEST_VMQT_DEMO_H

#include <stdbool.h>

#include "kvm_util.h"

#define VMQT_DEMO_BLOCK_SIZE	1024	/* payload bytes per block */
/* Blocks per page. */
#define VMQT_DEMO_PAGE_BLOCKS	(4096 / VMQT_DEMO_BLOCK_SIZE)
#define VMQT_DEMO_BLOCKS_FULL	16384
#define VMQT_DEMO_BLOCKS_SMALL	66	/* not a multiple of PAGE_BLOCKS */

struct vmqt_demo_opts {
	u64 blocks;		/* the data set */
	bool quiet;		/* no progress lines */
	bool tap;		/* print as TAP diagnostics ("# "), for a test */
};

struct vmqt_demo_result {
	u64 blocks, msgs, bytes, exits, errors, kernel_errors;
	u64 lazy, waits;		/* lazy sends; VMQ_HC_WAITs that halted */
	u64 pages, copied;		/* pages moved; bytes vmq copied */
	bool verdict, same_stream;
	double secs;
};

/*
 * Run the demo with @o, filling in @res; prints to stdout. Returns 0 when
 * everything checked out, -2 when the vmqctl tool cannot be run ($VMQCTL,
 * else "vmqctl" from $PATH), another non-zero value on any failure.
 */
int vmqt_demo_run(const struct vmqt_demo_opts *o, struct vmqt_demo_result *res);

#endif /* SELFTEST_VMQT_DEMO_H */
