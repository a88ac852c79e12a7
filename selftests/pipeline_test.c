// SPDX-License-Identifier: GPL-2.0
/*
 * pipeline_test - the demo's read -> decode -> play pipeline (lib/demo.c,
 * which vmq_demo runs too) on its small data set, as a test: three VMs set
 * up with vmqctl only, peers learned from identity records, lazy sends and blocking receive,
 * blocks going from decoder to player by zero-copy page transfer. The
 * player must have received exactly what the reader produced, in order,
 * with no error in any guest and none counted by vmq, and vmq must have
 * copied the messages' payload and nothing of the pages.
 */
#include "vmqt.h"
#include "vmqt_demo.h"

int main(void)
{
	struct vmqt_demo_opts o = {
		.blocks = VMQT_DEMO_BLOCKS_SMALL, .quiet = true, .tap = true,
	};
	/* Full pages, and the last one partly filled. */
	u64 pages = (o.blocks + VMQT_DEMO_PAGE_BLOCKS - 1) / VMQT_DEMO_PAGE_BLOCKS;
	struct vmqt_demo_result res;
	int rc;

	ksft_print_header();
	vmqt_dev();
	ksft_set_plan(6);
	rc = vmqt_demo_run(&o, &res);
	if (rc == -2)
		ksft_exit_skip("vmqctl not found (it is /usr/bin/vmqctl in the sandbox; VMQCTL=path)\n");
	ksft_test_result(res.blocks == o.blocks && res.msgs >= o.blocks,
			 "the player played %lu of %lu blocks (%lu messages)\n",
			 (unsigned long)res.blocks, (unsigned long)o.blocks,
			 (unsigned long)res.msgs);
	ksft_test_result(res.pages == pages && res.copied == res.bytes,
			 "%lu pages moved; %lu bytes copied, the messages' %lu\n",
			 (unsigned long)res.pages, (unsigned long)res.copied,
			 (unsigned long)res.bytes);
	ksft_test_result(res.same_stream,
			 "the player received exactly what the reader produced\n");
	ksft_test_result(!res.errors && !res.kernel_errors,
			 "no errors: %lu in guests, %lu counted by vmq\n",
			 (unsigned long)res.errors,
			 (unsigned long)res.kernel_errors);
	/* Every message and page went through a transmit ring; receivers blocked. */
	ksft_test_result(res.lazy == res.msgs + res.pages && res.waits > 0,
			 "lazy sends %lu of %lu, %lu blocking waits\n",
			 (unsigned long)res.lazy,
			 (unsigned long)(res.msgs + res.pages),
			 (unsigned long)res.waits);
	ksft_test_result(res.verdict && !rc, "player verdict\n");
	ksft_finished();
}
