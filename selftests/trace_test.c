// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test - vmq's tracepoints, read back through tracefs as perf and
 * trace-cmd would: with events/vmq/ enabled, a send, a refused send, a
 * page move, a lazy send and a blocking wait each leave their line, with
 * the ids, lengths, tags and results of what happened.
 */
#include "vmqt.h"
#include "vmqt_trace.h"

#define WIN_GPA		0x40000000UL	/* identity-mapped in every guest */
#define WIN_MEMSLOT	20
#define WIN_SLOTS	4
#define PAGE		4096UL

static void expect_line(const char *trace, const char *event,
			const char *fields)
{
	const char *p = trace;
	char want[256];

	snprintf(want, sizeof(want), "%s: %s", event, fields);
	while ((p = strstr(p, want))) {
		/* A whole field list, not a prefix of a longer number. */
		char end = p[strlen(want)];

		if (end == '\n' || end == ' ')
			return;
		p++;
	}
	TEST_FAIL("no \"%s\" in the trace:\n%s", want, trace);
}

static void test_trace(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct vmqt_gmem rxb, rxa, buf, tx;
	struct vmqt_win wa, wb;
	char fields[200];
	char *trace;
	s64 r;

	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	vmqt_allow(a.id, b.id);
	rxa = vmqt_rx_setup(&a, 16384);
	rxb = vmqt_rx_setup(&b, 16384);
	buf = vmqt_gmem_alloc(a.vm, PAGE);
	tx = vmqt_tx_setup(&a, 1);
	wa = vmqt_window_map(a.vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, PAGE);
	wb = vmqt_window_map(b.vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, PAGE);
	TEST_ASSERT(!vmqt_gvm_hc(&a, VMQ_HC_WINDOW_BIND, WIN_GPA, wa.size, 0, 0) &&
		    !vmqt_gvm_hc(&b, VMQ_HC_WINDOW_BIND, WIN_GPA, wb.size, 0, 0),
		    "VMQ_HC_WINDOW_BIND");
	TEST_ASSERT(!vmqt_gvm_hc(&b, VMQ_HC_PAGE_FREE, WIN_GPA, 0, 0, 0),
		    "VMQ_HC_PAGE_FREE");

	if (!vmqt_trace_start(0))
		ksft_exit_skip("no tracefs: %s\n", strerror(errno));
	r = vmqt_gvm_send(&a, b.id, buf.gpa, 100, 7);
	TEST_ASSERT(!r, "send: %ld", (long)r);
	r = vmqt_gvm_send(&b, a.id, rxb.gpa, 10, 8);
	TEST_ASSERT(r == -EACCES, "send not allowed: %ld", (long)r);
	r = vmqt_gvm_hc(&a, VMQ_HC_PAGE_SEND, b.id, WIN_GPA + PAGE, 9, 0);
	TEST_ASSERT(!r, "page send: %ld", (long)r);
	vmqt_tx_put(a.cmd, tx.hva, b.id, buf.gpa, 200, 10, 0);
	TEST_ASSERT(!vmqt_gvm_natural_exit(&a), "the exit that drains");
	r = vmqt_gvm_hc(&a, VMQ_HC_WAIT, 1000, 0, 0, 0);
	TEST_ASSERT(!r, "wait: %ld", (long)r);
	vmqt_trace_stop();

	trace = vmqt_trace_read();
	snprintf(fields, sizeof(fields), "sender=%u dest=%u len=100 tag=7 ret=0",
		 a.id, b.id);
	expect_line(trace, "vmq_send", fields);
	snprintf(fields, sizeof(fields),
		 "dest=%u sender=%u type=%u len=100 tag=7 notify=0", b.id, a.id,
		 VMQ_MSG_DATA);
	expect_line(trace, "vmq_deliver", fields);
	snprintf(fields, sizeof(fields), "event=%u vm=%u peer=%u err=%d",
		 VMQ_EVENT_DENIED, b.id, a.id, -EACCES);
	expect_line(trace, "vmq_drop", fields);
	snprintf(fields, sizeof(fields), "sender=%u dest=%u len=10 tag=8 ret=%d",
		 b.id, a.id, -EACCES);
	expect_line(trace, "vmq_send", fields);
	snprintf(fields, sizeof(fields),
		 "src=%u dest=%u src_gpa=0x%lx dest_gpa=0x%lx size=%lu tag=9",
		 a.id, b.id, WIN_GPA + PAGE, WIN_GPA, PAGE);
	expect_line(trace, "vmq_page_move", fields);
	snprintf(fields, sizeof(fields),
		 "dest=%u sender=%u type=%u len=%zu tag=9 notify=0", b.id, a.id,
		 VMQ_MSG_PAGE, sizeof(struct vmq_page_msg));
	expect_line(trace, "vmq_deliver", fields);
	snprintf(fields, sizeof(fields), "vm=%u vcpu=0 done=1 at_exit=1", a.id);
	expect_line(trace, "vmq_lazy_drain", fields);
	snprintf(fields, sizeof(fields), "sender=%u dest=%u len=200 tag=10 ret=0",
		 a.id, b.id);
	expect_line(trace, "vmq_send", fields);
	snprintf(fields, sizeof(fields), "vm=%u vcpu=0 timeout_ns=1000 ret=0",
		 a.id);
	expect_line(trace, "vmq_wait", fields);
	snprintf(fields, sizeof(fields), "vm=%u vcpu=0 arrival=0", a.id);
	expect_line(trace, "vmq_wake", fields);
	free(trace);
	(void)rxa;

	vmqt_window_unmap(&wa);
	vmqt_window_unmap(&wb);
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}

int main(void)
{
	ksft_print_header();
	vmqt_dev();
	ksft_set_plan(1);
	vmqt_run_case("tracepoints: send, drop, page move, lazy drain, wait",
		      test_trace);
	ksft_finished();
}
