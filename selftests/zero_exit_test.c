// SPDX-License-Identifier: GPL-2.0
/*
 * zero_exit_test - a receiver reads its queue with no VM exit at all.
 *
 * Messages are queued for a receiver, then its guest reads the queue for
 * many rounds and reports once with GUEST_SYNC. KVM's own per-vCPU
 * counters (binary stats fd) must show that the only exit in the whole run
 * was the harness's: the GUEST_SYNC port I/O, plus any exit that a host
 * interrupt forced (irq_exits). Proved for reading the message count
 * (VMQT_OP_READ_LOOP), for reading the count, the byte length and every
 * record header (VMQT_OP_RX_SCAN), and for consuming every message and
 * checking its payload (VMQT_OP_RX_DRAIN); each also returns the right
 * answer, so the guest really saw the queue. A control shows the counter works: N VMQ_HC_INFO
 * hypercalls raise "hypercalls" by exactly N and "exits" by at least N.
 * Each measurement follows a warm-up run of the same code, so first-touch
 * faults (shadow paging with npt=0) are not counted.
 */
#include "vmqt.h"

#define NR_MSGS		5
#define ROUNDS		20000

/*
 * Run @g's current command once and check that it caused no exit but the
 * GUEST_SYNC's own; returns the guest's result.
 */
static s64 run_no_exits(struct vmqt_gvm *g, const char *what)
{
	struct vmqt_exits a, b;
	u64 extra;
	s64 r;

	a = vmqt_exits(g->vcpu);
	r = vmqt_gvm_run(g);
	b = vmqt_exits(g->vcpu);
	TEST_ASSERT(b.io_exits - a.io_exits == 1,
		    "%s: %lu I/O exits, expected the GUEST_SYNC only", what,
		    (unsigned long)(b.io_exits - a.io_exits));
	extra = (b.exits - a.exits) - 1 - (b.irq_exits - a.irq_exits);
	TEST_ASSERT(extra == 0,
		    "%s: %lu exits beyond GUEST_SYNC and host interrupts (exits %lu, irq_exits %lu, hypercalls %lu, pf_taken %lu)",
		    what, (unsigned long)extra, (unsigned long)(b.exits - a.exits),
		    (unsigned long)(b.irq_exits - a.irq_exits),
		    (unsigned long)(b.hypercalls - a.hypercalls),
		    (unsigned long)(b.pf_taken - a.pf_taken));
	ksft_print_msg("%s: exits %lu (irq %lu)\n", what,
		       (unsigned long)(b.exits - a.exits),
		       (unsigned long)(b.irq_exits - a.irq_exits));
	return r;
}

struct pair {
	struct vmqt_gvm s, r;
	struct vmqt_gmem ring, buf;
	u64 tags;
	u32 bytes;
};

/* Receiver r with a 64 KiB ring, sender s allowed to send to it. */
static void pair_setup(struct pair *p)
{
	p->s = vmqt_gvm_create();
	p->r = vmqt_gvm_create();
	vmqt_attach(&p->s, NULL);
	vmqt_attach(&p->r, NULL);
	vmqt_allow(p->s.id, p->r.id);
	p->ring = vmqt_rx_setup(&p->r, 64 * 1024);
	p->buf = vmqt_gmem_alloc(p->s.vm, 4096);
	p->tags = 0;
	p->bytes = 0;
}

/* Message @n: 10 + 97 n bytes of vmqt_fill(sender, n), tag n. */
static void pair_send(struct pair *p, u32 n)
{
	u32 len = 10 + 97 * n;
	s64 ret;

	vmqt_fill(p->buf.hva, len, p->s.id, n);
	ret = vmqt_gvm_send(&p->s, p->r.id, p->buf.gpa, len, n);
	TEST_ASSERT(!ret, "send %u: %ld", n, (long)ret);
	p->tags += n;
	p->bytes += VMQ_MSG_RECORD_SIZE(len);
}

static void pair_free(struct pair *p)
{
	vmqt_gvm_free(&p->s);
	vmqt_gvm_free(&p->r);
}

/* VMQT_OP_READ_LOOP: the message count, read with no exit. */
static void test_read_count(void)
{
	struct pair p;
	s64 r;
	u32 i;

	pair_setup(&p);
	for (i = 0; i < NR_MSGS; i++)
		pair_send(&p, i);

	p.r.cmd->op = VMQT_OP_READ_LOOP;
	p.r.cmd->loop.n = 100;
	TEST_ASSERT(vmqt_gvm_run(&p.r) == 100 * NR_MSGS, "warm-up");

	p.r.cmd->loop.n = ROUNDS;
	r = run_no_exits(&p.r, "read count");
	TEST_ASSERT(r == (s64)ROUNDS * NR_MSGS, "guest saw %ld, expected %ld",
		    (long)r, (long)ROUNDS * NR_MSGS);

	/* One more arrives while the receiver is out: it sees it, no exit. */
	pair_send(&p, NR_MSGS);
	r = run_no_exits(&p.r, "read count after an arrival");
	TEST_ASSERT(r == (s64)ROUNDS * (NR_MSGS + 1),
		    "guest saw %ld, expected %ld", (long)r,
		    (long)ROUNDS * (NR_MSGS + 1));
	pair_free(&p);
}

/* VMQT_OP_RX_SCAN: count, byte length and every record, with no exit. */
static void test_scan(void)
{
	struct vmqt_op_rx_scan *c;
	struct pair p;
	s64 r;
	u32 i;

	pair_setup(&p);
	c = &p.r.cmd->rx_scan;
	for (i = 0; i < NR_MSGS; i++)
		pair_send(&p, i);

	p.r.cmd->op = VMQT_OP_RX_SCAN;
	c->rounds = 10;
	TEST_ASSERT(vmqt_gvm_run(&p.r) == 10 * NR_MSGS, "warm-up");

	c->rounds = ROUNDS / 10;
	r = run_no_exits(&p.r, "scan queue");
	TEST_ASSERT(r == (s64)c->rounds * NR_MSGS, "count %ld", (long)r);
	TEST_ASSERT(c->bytes == c->rounds * p.bytes, "bytes %lu, expected %lu",
		    (unsigned long)c->bytes, (unsigned long)(c->rounds * p.bytes));
	TEST_ASSERT(c->recs == c->rounds * NR_MSGS, "records %lu",
		    (unsigned long)c->recs);
	TEST_ASSERT(c->tags == c->rounds * p.tags, "tags %lu",
		    (unsigned long)c->tags);
	pair_free(&p);
}

/* VMQT_OP_RX_DRAIN: consume and check every message, with no exit. */
static void test_drain(void)
{
	struct vmqt_op_rx_drain *c;
	struct pair p;
	u64 bytes = 0;
	s64 r;
	u32 i;

	pair_setup(&p);
	c = &p.r.cmd->rx_drain;
	/* Warm-up: one message drained, touching the code and the pages. */
	pair_send(&p, 0);
	p.r.cmd->op = VMQT_OP_RX_DRAIN;
	TEST_ASSERT(vmqt_gvm_run(&p.r) == 1 && !c->bad, "warm-up");

	p.tags = 0;
	for (i = 1; i <= NR_MSGS; i++) {
		pair_send(&p, i);
		bytes += 10 + 97 * i;
	}
	r = run_no_exits(&p.r, "drain queue");
	TEST_ASSERT(r == NR_MSGS, "drained %ld", (long)r);
	TEST_ASSERT(c->bytes == bytes && c->tags == p.tags && !c->bad,
		    "bytes %lu (want %lu), tags %lu (want %lu), %lu corrupt",
		    (unsigned long)c->bytes, (unsigned long)bytes,
		    (unsigned long)c->tags, (unsigned long)p.tags,
		    (unsigned long)c->bad);
	/* The host sees the queue empty now. */
	TEST_ASSERT(vmqt_info_of(p.r.id).queue_msgs == 0 &&
		    vmqt_info_of(p.r.id).queue_bytes == 0, "queue not empty");
	pair_free(&p);
}

/* Control: the counter does count exits, one per hypercall at least. */
static void test_control(void)
{
	struct vmqt_gvm g = vmqt_gvm_create();
	struct vmqt_exits a, b;
	const u64 n = 50;

	vmqt_attach(&g, NULL);
	g.cmd->op = VMQT_OP_INFO_LOOP;
	g.cmd->loop.n = 2;
	TEST_ASSERT(vmqt_gvm_run(&g) == 0, "warm-up");

	g.cmd->loop.n = n;
	a = vmqt_exits(g.vcpu);
	TEST_ASSERT(vmqt_gvm_run(&g) == 0, "INFO loop");
	b = vmqt_exits(g.vcpu);
	TEST_ASSERT(b.hypercalls - a.hypercalls == n, "hypercalls +%lu, expected %lu",
		    (unsigned long)(b.hypercalls - a.hypercalls), (unsigned long)n);
	TEST_ASSERT(b.exits - a.exits >= n + 1, "exits +%lu, expected >= %lu",
		    (unsigned long)(b.exits - a.exits), (unsigned long)n + 1);
	TEST_ASSERT(vmqt_ctr(g.id, VMQ_CTR_HYPERCALLS) == n + 2,
		    "vmq counted %lu hypercalls",
		    (unsigned long)vmqt_ctr(g.id, VMQ_CTR_HYPERCALLS));
	vmqt_gvm_free(&g);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	vmqt_run_case("control: N hypercalls raise the exit counter by >= N", test_control);
	vmqt_run_case("queue length read with zero exits", test_read_count);
	vmqt_run_case("queue scanned (bytes, records) with zero exits", test_scan);
	vmqt_run_case("queue drained and checked with zero exits", test_drain);
	ksft_finished();
}
