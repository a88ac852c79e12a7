// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_demo - three VMs form a media pipeline, read -> decode -> play, set
 * up with vmqctl only, as an administrator would (lib/demo.c tells how).
 *
 *   vmq_demo [--small] [--blocks N] [--quiet]
 *
 * Prints a progress line every second and a summary: messages, bytes, pages
 * moved (and the bytes vmq copied meanwhile), VM exits per message (KVM's
 * "exits" vCPU statistic), errors (must be 0) and the player's verdict;
 * then what vmq's tracepoints (events/vmq/, read through tracefs as perf
 * and trace-cmd would) recorded meanwhile, event by event.
 * Exit status 0 only if everything checked out.
 */
#include <getopt.h>

#include "vmqt.h"
#include "vmqt_demo.h"
#include "vmqt_trace.h"

/* What events/vmq/ saw during the run. */
static void demo_trace_report(void)
{
	static const char * const events[] = {
		"vmq_send", "vmq_deliver", "vmq_page_move", "vmq_lazy_drain",
		"vmq_wait", "vmq_wake", "vmq_drop",
	};
	char *trace;
	size_t i;
	long lost;

	vmqt_trace_stop();
	trace = vmqt_trace_read();
	printf("tracepoints (events/vmq/):\n");
	for (i = 0; i < ARRAY_SIZE(events); i++)
		printf("  %-17s %ld\n", events[i],
		       vmqt_trace_count(trace, events[i], NULL));
	lost = vmqt_trace_lost(trace);
	if (lost > 0)
		printf("  (%ld events did not fit the trace buffer)\n", lost);
	free(trace);
}

static void demo_usage(void)
{
	fprintf(stderr, "usage: vmq_demo [--small] [--blocks N] [--quiet]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "small", no_argument, NULL, 's' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct vmqt_demo_opts o = { .blocks = VMQT_DEMO_BLOCKS_FULL };
	struct vmqt_demo_result res;
	bool tracing;
	int c, rc;

	while ((c = getopt_long(argc, argv, "sb:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.blocks = VMQT_DEMO_BLOCKS_SMALL;
			break;
		case 'b':
			o.blocks = strtoull(optarg, NULL, 0);
			if (!o.blocks || o.blocks > 0xffffff)
				demo_usage();
			break;
		case 'q':
			o.quiet = true;
			break;
		default:
			demo_usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	vmqt_dev();
	tracing = vmqt_trace_start(32768);
	rc = vmqt_demo_run(&o, &res);
	if (tracing)
		demo_trace_report();
	printf("vmq demo: %s\n", rc ? "FAILED" : "ok");
	return rc ? 1 : 0;
}
