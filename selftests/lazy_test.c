// SPDX-License-Identifier: GPL-2.0
/*
 * lazy_test - lazy sends through a vCPU's transmit ring.
 *
 * A sender VM publishes descriptors in its transmit ring with no exit; vmq
 * delivers them at the vCPU's next VM exit, whatever it is. Checked here:
 * a burst of 64 needs no hypercall and no exit of its own, lazy and
 * immediate sends of one vCPU keep program order, VMQ_HC_TX_FLUSH counts
 * what it completed, failed descriptors report their error and do not stop
 * the ring, a corrupt producer index stops it until re-registration,
 * unregistering delivers what was published, and a VM freed with a ring
 * leaks nothing.
 *
 * Some descriptors are written by the host through its mapping of the
 * guest's ring while the guest is stopped: to vmq that is exactly what a
 * guest write is, and it lets a test publish descriptors that no exit has
 * seen yet, with arbitrary (hostile) contents.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#include "vmqt.h"

#define MSG_LEN		48
#define MSG_STRIDE	64
#define NR_MSGS		64
#define TX_PAGES	1	/* 128 descriptors */

struct lz {
	struct vmqt_gvm s, r;
	struct vmqt_gmem rx, tx, buf;
	u32 seq;		/* next sequence number expected in r's queue */
};

static void lz_setup(struct lz *p)
{
	u32 i;

	p->s = vmqt_gvm_create();
	p->r = vmqt_gvm_create();
	vmqt_attach(&p->s, NULL);
	vmqt_attach(&p->r, NULL);
	vmqt_allow(p->s.id, p->r.id);
	p->rx = vmqt_rx_setup(&p->r, 16384);
	p->tx = vmqt_tx_setup(&p->s, TX_PAGES);
	p->buf = vmqt_gmem_alloc(p->s.vm, NR_MSGS * MSG_STRIDE);
	for (i = 0; i < NR_MSGS; i++)
		vmqt_fill((u8 *)p->buf.hva + i * MSG_STRIDE, MSG_LEN, p->s.id, i);
	p->seq = 0;
}

static u64 msg_gpa(struct lz *p, u32 i)
{
	return p->buf.gpa + (u64)i * MSG_STRIDE;
}

/* The next message in r's queue is payload @i of s with @tag; consume it. */
static void expect_msg(struct lz *p, u32 i, u64 tag)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&p->rx);

	TEST_ASSERT(m, "message %u (tag %lu) missing", i, (unsigned long)tag);
	TEST_ASSERT(m->type == VMQ_MSG_DATA && m->sender == p->s.id &&
		    m->len == MSG_LEN && m->tag == tag && m->seq == p->seq,
		    "message %u: type %u sender %u (want %u) len %u tag %lu (want %lu) seq %u (want %u)",
		    i, m->type, m->sender, p->s.id, m->len,
		    (unsigned long)m->tag, (unsigned long)tag, m->seq, p->seq);
	TEST_ASSERT(vmqt_check_fill(vmqg_msg_payload(m), MSG_LEN, p->s.id, i),
		    "message %u: payload differs", i);
	vmqt_host_consume(&p->rx, m);
	p->seq++;
}

static void expect_empty(struct lz *p)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&p->rx);

	TEST_ASSERT(!m, "unexpected message: sender %u tag %lu",
		    m ? m->sender : 0, m ? (unsigned long)m->tag : 0);
}

/* Host writes one descriptor into s's ring and publishes it, as a guest would. */
static struct vmq_tx_desc *host_post(struct lz *p, u32 dest, u64 gpa, u32 len,
				     u64 tag, u32 flags)
{
	return vmqt_tx_put(p->s.cmd, p->tx.hva, dest, gpa, len, tag, flags);
}

/* One natural exit of s: GUEST_SYNC and nothing else (no hypercall). */
static void natural_exit(struct vmqt_gvm *g)
{
	TEST_ASSERT(vmqt_gvm_natural_exit(g) == 0, "natural exit (INFO_LOOP(0))");
}

static u32 tx_cons(struct lz *p)
{
	return __atomic_load_n(&((struct vmq_tx_hdr *)p->tx.hva)->cons,
			       __ATOMIC_ACQUIRE);
}

/* The host completed @n descriptors (a worker may still be at it). */
#define POLL_CONS(p, n)							\
	do {								\
		int __i;						\
		for (__i = 0; __i < 60000 && tx_cons(p) != (n); __i++)	\
			usleep(1000);					\
		TEST_ASSERT(tx_cons(p) == (n), "cons %u, want %u",	\
			    tx_cons(p), (n));				\
	} while (0)

/* s's next VMQT_OP_TX_POST or _MIX: @n of the messages to r, tags from @tag0. */
static void tx_op(struct lz *p, u64 tag0, u32 n)
{
	struct vmqt_op_tx *t = &p->s.cmd->tx;

	t->dest = p->r.id;
	t->gpa = p->buf.gpa;
	t->stride = MSG_STRIDE;
	t->len = MSG_LEN;
	t->tag0 = tag0;
	t->n = n;
}

static void post_burst(struct lz *p, u64 tag0)
{
	s64 r;

	p->s.cmd->op = VMQT_OP_TX_POST;
	tx_op(p, tag0, NR_MSGS);
	r = vmqt_gvm_run(&p->s);
	TEST_ASSERT(r == (s64)p->s.cmd->tx_prod, "VMQT_OP_TX_POST: %ld", (long)r);
}

/*
 * 64 lazy sends, then the GUEST_SYNC port access as the only exit: every
 * message arrives, in order, without a hypercall or an exit of their own.
 */
static void test_burst_one_exit(void)
{
	struct vmq_tx_desc *d;
	struct vmqt_exits e0, e1;
	u64 hc0, lazy0, lazyx0, rx0;
	struct lz p;
	u32 i;

	lz_setup(&p);
	d = (void *)((u8 *)p.tx.hva + VMQ_RING_HDR_SIZE);

	/* Warm up: the guest touches every page it will touch below. */
	post_burst(&p, 1000);
	TEST_ASSERT(tx_cons(&p) == NR_MSGS, "cons %u after warm-up", tx_cons(&p));
	for (i = 0; i < NR_MSGS; i++)
		expect_msg(&p, i, 1000 + i);
	expect_empty(&p);

	hc0 = vmqt_ctr(p.s.id, VMQ_CTR_HYPERCALLS);
	lazy0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS);
	lazyx0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_EXITS);
	rx0 = vmqt_ctr(p.r.id, VMQ_CTR_RX_MSGS);
	e0 = vmqt_exits(p.s.vcpu);

	post_burst(&p, 5000);

	e1 = vmqt_exits(p.s.vcpu);
	ksft_print_msg("burst: exits %lu irq %lu io %lu hypercalls %lu pf %lu halt %lu, lazy exits %lu\n",
		       (unsigned long)(e1.exits - e0.exits),
		       (unsigned long)(e1.irq_exits - e0.irq_exits),
		       (unsigned long)(e1.io_exits - e0.io_exits),
		       (unsigned long)(e1.hypercalls - e0.hypercalls),
		       (unsigned long)(e1.pf_taken - e0.pf_taken),
		       (unsigned long)(e1.halt_exits - e0.halt_exits),
		       (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_EXITS) - lazyx0));

	TEST_ASSERT(tx_cons(&p) == 2 * NR_MSGS, "cons %u", tx_cons(&p));
	for (i = 0; i < NR_MSGS; i++)
		TEST_ASSERT(d[(NR_MSGS + i) % 128].status == 0,
			    "descriptor %u status %d", i, d[(NR_MSGS + i) % 128].status);
	for (i = 0; i < NR_MSGS; i++)
		expect_msg(&p, i, 5000 + i);
	expect_empty(&p);

	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_HYPERCALLS) == hc0,
		    "VMQ_CTR_HYPERCALLS moved: %lu -> %lu", (unsigned long)hc0,
		    (unsigned long)vmqt_ctr(p.s.id, VMQ_CTR_HYPERCALLS));
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) == lazy0 + NR_MSGS,
		    "VMQ_CTR_LAZY_MSGS rose by %lu",
		    (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) - lazy0));
	TEST_ASSERT(vmqt_ctr(p.r.id, VMQ_CTR_RX_MSGS) == rx0 + NR_MSGS,
		    "receiver VMQ_CTR_RX_MSGS");
	/* The guest caused exactly one exit: the GUEST_SYNC port access. */
	TEST_ASSERT(e1.hypercalls == e0.hypercalls, "KVM hypercalls stat moved");
	TEST_ASSERT(e1.io_exits - e0.io_exits == 1, "io_exits rose by %lu",
		    (unsigned long)(e1.io_exits - e0.io_exits));
	TEST_ASSERT(e1.exits - e0.exits <= 1 + (e1.irq_exits - e0.irq_exits) +
						(e1.pf_taken - e0.pf_taken),
		    "exits rose by %lu: more than 1 + %lu host interrupts + %lu page faults",
		    (unsigned long)(e1.exits - e0.exits),
		    (unsigned long)(e1.irq_exits - e0.irq_exits),
		    (unsigned long)(e1.pf_taken - e0.pf_taken));
}

/* Sends by VMQ_HC_SEND (bits set) and lazy ones, mixed; the last 3 lazy. */
#define MIX_N		16
#define MIX_PATTERN	0x1a65ULL
#define MIX_TRAILING	3

static s64 run_mix(struct lz *p, u64 mix, u32 n, u64 tag0)
{
	s64 r;

	p->s.cmd->op = VMQT_OP_TX_MIX;
	tx_op(p, tag0, n);
	p->s.cmd->tx.mix = mix;
	p->s.cmd->tx.first_err = 0xdead;
	r = vmqt_gvm_run(&p->s);
	TEST_ASSERT(p->s.cmd->tx.first_err == 0, "a VMQ_HC_SEND failed: %ld",
		    (long)p->s.cmd->tx.first_err);
	return r;
}

static void test_interleave_and_flush(void)
{
	u64 lazy0, tx0, hc0;
	struct lz p;
	int try, clean = 0;
	u32 i, nlazy = 0;
	s64 r;

	lz_setup(&p);
	for (i = 0; i < MIX_N; i++)
		nlazy += !(MIX_PATTERN & (1ULL << i));
	TEST_ASSERT(!(MIX_PATTERN >> (MIX_N - MIX_TRAILING)), "pattern");

	lazy0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS);
	tx0 = vmqt_ctr(p.s.id, VMQ_CTR_TX_MSGS);
	r = run_mix(&p, MIX_PATTERN, MIX_N, 100);
	TEST_ASSERT(r >= 0 && r <= MIX_TRAILING, "VMQ_HC_TX_FLUSH returned %ld",
		    (long)r);
	/* Program order, whichever way each message went. */
	for (i = 0; i < MIX_N; i++)
		expect_msg(&p, i, 100 + i);
	expect_empty(&p);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) - lazy0 == nlazy,
		    "VMQ_CTR_LAZY_MSGS rose by %lu, want %u",
		    (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) - lazy0),
		    nlazy);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_TX_MSGS) - tx0 == MIX_N,
		    "VMQ_CTR_TX_MSGS");
	TEST_ASSERT(tx_cons(&p) == p.s.cmd->tx_prod, "cons %u prod %lu",
		    tx_cons(&p), (unsigned long)p.s.cmd->tx_prod);

	/*
	 * VMQ_HC_TX_FLUSH returns how many descriptors it completed: all 8
	 * just published, unless a host interrupt's exit came between the
	 * posting and the flush and delivered some first. Such a run counts
	 * as unclean (exits beyond the flush's VMMCALL and the GUEST_SYNC):
	 * then only r <= 8 holds; a few tries give a clean one.
	 */
	for (try = 0; try < 8 && !clean; try++) {
		struct vmqt_exits e0 = vmqt_exits(p.s.vcpu), e1;

		hc0 = vmqt_ctr(p.s.id, VMQ_CTR_HYPERCALLS);
		r = run_mix(&p, 0, 8, 200 + try * 8);
		e1 = vmqt_exits(p.s.vcpu);
		TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_HYPERCALLS) == hc0 + 1,
			    "one hypercall");
		for (i = 0; i < 8; i++)
			expect_msg(&p, i, 200 + try * 8 + i);
		expect_empty(&p);
		clean = e1.exits - e0.exits == 2;
		if (clean)
			TEST_ASSERT(r == 8, "VMQ_HC_TX_FLUSH returned %ld, want 8",
				    (long)r);
		else
			TEST_ASSERT(r >= 0 && r <= 8,
				    "VMQ_HC_TX_FLUSH returned %ld", (long)r);
	}
	TEST_ASSERT(clean, "no run without extra exits");

	/* Nothing published: 0. */
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "empty VMQ_HC_TX_FLUSH: %ld", (long)r);
}

/*
 * Failed descriptors carry their error in status, later good ones still
 * go through, cons passes them all; a corrupt prod stops the ring.
 */
static void test_errors_and_broken(void)
{
	struct vmq_tx_desc *dd[8];
	u64 c0[VMQ_CTR_NR], c1[VMQ_CTR_NR];
	struct vmq_vm_info info;
	struct vmqt_gvm other;
	struct vmq_tx_hdr *h;
	static const int want[8] = {
		0, -EACCES, 0, -EACCES, -EMSGSIZE, -EFAULT, -EINVAL, 0
	};
	struct vmq_tx_desc *e;
	struct lz p;
	u32 cons;
	s64 r;
	int i;

	lz_setup(&p);
	h = p.tx.hva;
	/* A VM with a queue that s may not send to. */
	other = vmqt_gvm_create();
	vmqt_attach(&other, NULL);
	vmqt_rx_setup(&other, 4096);

	info = vmqt_info_of(p.s.id);
	memcpy(c0, info.counters, sizeof(c0));

	dd[0] = host_post(&p, p.r.id, msg_gpa(&p, 0), MSG_LEN, 10, 0);
	dd[1] = host_post(&p, other.id, msg_gpa(&p, 1), MSG_LEN, 11, 0);
	dd[2] = host_post(&p, p.r.id, msg_gpa(&p, 2), MSG_LEN, 12, 0);
	dd[3] = host_post(&p, 0x7ffffff0, msg_gpa(&p, 3), MSG_LEN, 13, 0);
	dd[4] = host_post(&p, p.r.id, msg_gpa(&p, 4), 0x7fffffff, 14, 0);
	dd[5] = host_post(&p, p.r.id, 1ULL << 45, MSG_LEN, 15, 0);
	dd[6] = host_post(&p, p.r.id, msg_gpa(&p, 6), MSG_LEN, 16, 1);
	dd[7] = host_post(&p, p.r.id, msg_gpa(&p, 7), MSG_LEN, 17, 0);
	natural_exit(&p.s);

	for (i = 0; i < 8; i++)
		TEST_ASSERT(dd[i]->status == want[i], "descriptor %d: status %d, want %d",
			    i, dd[i]->status, want[i]);
	TEST_ASSERT(tx_cons(&p) == 8, "cons %u, want 8", tx_cons(&p));
	expect_msg(&p, 0, 10);
	expect_msg(&p, 2, 12);
	expect_msg(&p, 7, 17);
	expect_empty(&p);
	TEST_ASSERT(vmqt_info_of(other.id).counters[VMQ_CTR_RX_MSGS] == 0,
		    "denied message delivered");

	info = vmqt_info_of(p.s.id);
	memcpy(c1, info.counters, sizeof(c1));
	TEST_ASSERT(c1[VMQ_CTR_LAZY_MSGS] - c0[VMQ_CTR_LAZY_MSGS] == 3, "lazy msgs");
	TEST_ASSERT(c1[VMQ_CTR_TX_MSGS] - c0[VMQ_CTR_TX_MSGS] == 3, "tx msgs");
	/* No VM at all is refused as a forbidden one: a guest cannot tell. */
	TEST_ASSERT(c1[VMQ_CTR_ERR_DENIED] - c0[VMQ_CTR_ERR_DENIED] == 2, "denied");
	TEST_ASSERT(c1[VMQ_CTR_ERR_NODEST] == c0[VMQ_CTR_ERR_NODEST], "nodest");
	TEST_ASSERT(c1[VMQ_CTR_ERR_TOOBIG] - c0[VMQ_CTR_ERR_TOOBIG] == 1, "toobig");
	TEST_ASSERT(c1[VMQ_CTR_ERR_FAULT] - c0[VMQ_CTR_ERR_FAULT] == 1, "fault");
	TEST_ASSERT(c1[VMQ_CTR_ERR_INVAL] - c0[VMQ_CTR_ERR_INVAL] == 1, "inval");
	TEST_ASSERT(c1[VMQ_CTR_HYPERCALLS] == c0[VMQ_CTR_HYPERCALLS], "hypercalls");
	TEST_ASSERT(c1[VMQ_CTR_ERR_BROKEN] == c0[VMQ_CTR_ERR_BROKEN], "broken");

	/* A full ring, prod exactly nr_desc ahead, is not corrupt. */
	cons = tx_cons(&p);
	for (i = 0; i < (int)h->nr_desc; i++)
		host_post(&p, p.r.id, msg_gpa(&p, i % NR_MSGS), MSG_LEN,
			  2000 + i, 0);
	TEST_ASSERT(h->prod - cons == h->nr_desc, "full ring");
	natural_exit(&p.s);
	/* More than one exit's budget: a worker delivers the rest. */
	POLL_CONS(&p, cons + h->nr_desc);
	for (i = 0; i < (int)h->nr_desc; i++)
		expect_msg(&p, i % NR_MSGS, 2000 + i);
	expect_empty(&p);
	c1[VMQ_CTR_LAZY_MSGS] += h->nr_desc;

	/* A prod more than nr_desc ahead: the ring is corrupt. */
	cons = tx_cons(&p);
	e = host_post(&p, p.r.id, msg_gpa(&p, 20), MSG_LEN, 20, 0);
	__atomic_store_n(&h->prod, cons + h->nr_desc + 1, __ATOMIC_RELEASE);
	/*
	 * The worker that delivered the full ring published its last cons
	 * before it let go of the ring: an exit that still finds it held
	 * leaves the ring to the next exit. So: exits until one looked.
	 */
	for (i = 0; i < 100 && vmqt_ctr(p.s.id, VMQ_CTR_ERR_BROKEN) ==
			      c0[VMQ_CTR_ERR_BROKEN]; i++) {
		if (i)
			usleep(10000);
		natural_exit(&p.s);
	}
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_ERR_BROKEN) ==
		    c0[VMQ_CTR_ERR_BROKEN] + 1, "VMQ_CTR_ERR_BROKEN not counted");
	TEST_ASSERT(tx_cons(&p) == cons, "cons moved on a corrupt ring");
	TEST_ASSERT(e->status == VMQ_TX_PENDING, "status %d", e->status);
	expect_empty(&p);

	/* Fixing prod is not enough: nothing until re-registration. */
	__atomic_store_n(&h->prod, cons + 1, __ATOMIC_RELEASE);
	natural_exit(&p.s);
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_FLUSH on a stopped ring: %ld", (long)r);
	r = vmqt_gvm_hc(&p.s, VMQ_HC_SEND, p.r.id, msg_gpa(&p, 21), MSG_LEN, 21);
	TEST_ASSERT(r == 0, "VMQ_HC_SEND: %ld", (long)r);
	expect_msg(&p, 21, 21);	/* the immediate one only */
	expect_empty(&p);
	TEST_ASSERT(tx_cons(&p) == cons && e->status == VMQ_TX_PENDING,
		    "stopped ring consumed");
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) == c1[VMQ_CTR_LAZY_MSGS],
		    "lazy message from a stopped ring");

	/* Re-register: the ring works again. */
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_UNREGISTER: %ld", (long)r);
	expect_empty(&p);
	memset(p.tx.hva, 0, VMQ_RING_HDR_SIZE);
	h->magic = VMQ_TX_MAGIC;
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_REGISTER, p.tx.gpa, p.tx.bytes, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_REGISTER again: %ld", (long)r);
	p.s.cmd->tx_prod = 0;
	e = host_post(&p, p.r.id, msg_gpa(&p, 22), MSG_LEN, 22, 0);
	natural_exit(&p.s);
	TEST_ASSERT(e->status == 0 && tx_cons(&p) == 1, "status %d cons %u",
		    e->status, tx_cons(&p));
	expect_msg(&p, 22, 22);
	expect_empty(&p);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_ERR_BROKEN) ==
		    c0[VMQ_CTR_ERR_BROKEN] + 1, "VMQ_CTR_ERR_BROKEN counted again");

	/* A prod behind cons is as corrupt as one too far ahead. */
	__atomic_store_n(&h->prod, tx_cons(&p) - 1, __ATOMIC_RELEASE);
	natural_exit(&p.s);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_ERR_BROKEN) ==
		    c0[VMQ_CTR_ERR_BROKEN] + 2, "backwards prod not counted");
	TEST_ASSERT(tx_cons(&p) == 1, "cons moved: %u", tx_cons(&p));
	expect_empty(&p);
}

static void wait_stats(const struct vmqt_stats *base, u64 rings)
{
	struct vmqt_stats s;
	int i;

	/* VM teardown may finish in a worker: give it time, then judge. */
	for (i = 0; i < 3000; i++) {
		s = vmqt_stats();
		if (s.live_vms == base->live_vms &&
		    s.live_queues == base->live_queues &&
		    s.pinned_pages == base->pinned_pages &&
		    s.live_tx_rings == rings)
			return;
		usleep(10000);
	}
	TEST_FAIL("stats: vms %lu/%lu queues %lu/%lu pinned %lu/%lu tx rings %lu/%lu",
		  (unsigned long)s.live_vms, (unsigned long)base->live_vms,
		  (unsigned long)s.live_queues, (unsigned long)base->live_queues,
		  (unsigned long)s.pinned_pages, (unsigned long)base->pinned_pages,
		  (unsigned long)s.live_tx_rings, (unsigned long)rings);
}

#define UFFD_GPA	0x60000000UL
#define UFFD_MEMSLOT	30


/*
 * A VMM whose payload page userfaultfd keeps missing: the transmit worker
 * sleeps in that fault holding the ring, and a VMQ_HC_TX_FLUSH waits for
 * the ring behind it. SIGKILL must still end the VMM (the vCPU's wait is
 * killable); its death releases the page and the worker. Nothing is left.
 */
static void test_killable_behind_worker(void)
{
	struct vmqt_stats s0 = vmqt_stats();
	int sync[2], status = 0, i;
	char c;
	pid_t pid;

	vmqt_require_uffd();
	TEST_ASSERT(!pipe(sync), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct vmqt_uffd u;
		struct lz p;

		close(sync[0]);
		lz_setup(&p);
		u = vmqt_uffd_slot(p.s.vm, UFFD_MEMSLOT, UFFD_GPA, 4096);
		host_post(&p, p.r.id, UFFD_GPA, MSG_LEN, 1, 0);
		/* The exit hands the ring to the worker, which faults. */
		natural_exit(&p.s);
		vmqt_uffd_wait_fault(&u);
		TEST_ASSERT(write(sync[1], "f", 1) == 1, "sync");
		/* Were it unkillable, it must not hold the runner's output. */
		dup2(open("/dev/null", O_WRONLY), 1);
		dup2(1, 2);
		vmqt_gvm_hc(&p.s, VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
		exit(KSFT_FAIL);	/* not reached: killed in the flush */
	}
	close(sync[1]);
	TEST_ASSERT(read(sync[0], &c, 1) == 1, "child set up");
	/* The child's vCPU thread sleeps in the flush. */
	for (i = 0; i < 5000 && vmqt_task_state(pid, pid) != 'D'; i++)
		usleep(1000);
	TEST_ASSERT(vmqt_task_state(pid, pid) == 'D', "VMM state %c", vmqt_task_state(pid, pid));
	kill(pid, SIGKILL);
	for (i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) != pid; i++)
		usleep(10000);
	TEST_ASSERT(i < 1000, "the VMM cannot be killed");
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "VMM status %#x", status);
	TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &s0),
		    "live objects left behind");
}

/*
 * One exit delivers at most 64 descriptors (and 256 KiB of payload) with
 * preemption off; a full ring of 128 is finished by a worker in process
 * context, in ring order, and the exit counts as VMQ_CTR_LAZY_DEFERRED.
 */
static void test_exit_budget(void)
{
	struct vmq_tx_hdr *h;
	u64 lazy0, def0;
	struct lz p;
	u32 i, n;

	lz_setup(&p);
	h = p.tx.hva;
	n = h->nr_desc;
	TEST_ASSERT(n > 64, "ring of %u descriptors", n);
	/* Warm up: every payload page resident, so nothing else defers. */
	for (i = 0; i < NR_MSGS; i++)
		host_post(&p, p.r.id, msg_gpa(&p, i), MSG_LEN, 100 + i, 0);
	natural_exit(&p.s);
	POLL_CONS(&p, NR_MSGS);
	for (i = 0; i < NR_MSGS; i++)
		expect_msg(&p, i, 100 + i);

	lazy0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS);
	def0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_DEFERRED);
	for (i = 0; i < n; i++)
		host_post(&p, p.r.id, msg_gpa(&p, i % NR_MSGS), MSG_LEN,
			  1000 + i, 0);
	natural_exit(&p.s);
	POLL_CONS(&p, NR_MSGS + n);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_DEFERRED) == def0 + 1,
		    "deferred exits +%lu, want +1",
		    (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_DEFERRED) - def0));
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) == lazy0 + n,
		    "lazy msgs +%lu, want +%u",
		    (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) - lazy0), n);
	for (i = 0; i < n; i++)
		expect_msg(&p, i % NR_MSGS, 1000 + i);
	expect_empty(&p);
}

/* Unregistering delivers what was published; a freed VM leaks no ring. */
/*
 * vmq looks at exits only while some vCPU on the host has a transmit ring
 * or waits: once the last ring goes the exit probe goes too (a second
 * later), and the next ring must bring it back before its first exit.
 */
static void test_probe_comes_back(void)
{
	struct vmq_tx_desc *d;
	struct lz p;
	s64 r;
	int i;

	lz_setup(&p);
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_UNREGISTER: %ld", (long)r);
	TEST_ASSERT(vmqt_stats().live_tx_rings == 0 &&
		    vmqt_stats().live_waits == 0,
		    "another transmit ring or wait on the host");
	/* Long enough for the probe to go (HZ after the last ring). */
	usleep(1500 * 1000);

	memset(p.tx.hva, 0, VMQ_RING_HDR_SIZE);
	((struct vmq_tx_hdr *)p.tx.hva)->magic = VMQ_TX_MAGIC;
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_REGISTER, p.tx.gpa, p.tx.bytes, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_REGISTER again: %ld", (long)r);
	p.s.cmd->tx_prod = 0;
	for (i = 0; i < 3; i++) {
		d = host_post(&p, p.r.id, msg_gpa(&p, i), MSG_LEN, 500 + i, 0);
		/* The exit alone delivers it: the probe is back. */
		natural_exit(&p.s);
		TEST_ASSERT(tx_cons(&p) == (u32)i + 1 && d->status == 0,
			    "descriptor %d: cons %u status %d", i, tx_cons(&p),
			    d->status);
		expect_msg(&p, i, 500 + i);
	}
	vmqt_gvm_free(&p.s);
	vmqt_gvm_free(&p.r);
}

static void test_unregister_and_free(void)
{
	struct vmqt_stats base = vmqt_stats(), s;
	struct vmq_tx_desc *e[5];
	struct lz p;
	s64 r;
	int i;

	lz_setup(&p);
	s = vmqt_stats();
	TEST_ASSERT(s.live_tx_rings == base.live_tx_rings + 1,
		    "live_tx_rings %lu, base %lu", (unsigned long)s.live_tx_rings,
		    (unsigned long)base.live_tx_rings);

	for (i = 0; i < 5; i++)
		e[i] = host_post(&p, p.r.id, msg_gpa(&p, i), MSG_LEN, 300 + i, 0);
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_UNREGISTER: %ld", (long)r);
	for (i = 0; i < 5; i++) {
		TEST_ASSERT(e[i]->status == 0, "descriptor %d status %d", i,
			    e[i]->status);
		expect_msg(&p, i, 300 + i);
	}
	expect_empty(&p);
	TEST_ASSERT(tx_cons(&p) == 5, "cons %u", tx_cons(&p));
	TEST_ASSERT(vmqt_stats().live_tx_rings == base.live_tx_rings,
		    "live_tx_rings after unregister");
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	TEST_ASSERT(r == -ENOTCONN, "second VMQ_HC_TX_UNREGISTER: %ld", (long)r);
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
	TEST_ASSERT(r == -ENOTCONN, "VMQ_HC_TX_FLUSH without a ring: %ld", (long)r);

	/* Register again, leave descriptors published, free the VM. */
	memset(p.tx.hva, 0, VMQ_RING_HDR_SIZE);
	((struct vmq_tx_hdr *)p.tx.hva)->magic = VMQ_TX_MAGIC;
	r = vmqt_gvm_hc(&p.s, VMQ_HC_TX_REGISTER, p.tx.gpa, p.tx.bytes, 0, 0);
	TEST_ASSERT(r == 0, "VMQ_HC_TX_REGISTER again: %ld", (long)r);
	p.s.cmd->tx_prod = 0;
	TEST_ASSERT(vmqt_stats().live_tx_rings == base.live_tx_rings + 1,
		    "live_tx_rings after register");
	for (i = 0; i < 3; i++)
		host_post(&p, p.r.id, msg_gpa(&p, i), MSG_LEN, 400 + i, 0);
	vmqt_gvm_free(&p.s);
	vmqt_gvm_free(&p.r);
	wait_stats(&base, base.live_tx_rings);
}

/*
 * A payload page that is not resident cannot be read at the exit itself:
 * vmq hands the ring to its worker, which faults it in. Ring order holds
 * across the hand-over: the descriptor after it waits for it.
 */
static void test_not_resident(void)
{
	struct vmq_tx_desc *e[3];
	const struct vmq_msg_hdr *m;
	u64 lazy0, lazyx0;
	vm_vaddr_t gva;
	u8 *hva;
	struct lz p;
	u32 i;

	lz_setup(&p);
	gva = vm_vaddr_alloc(p.s.vm, 4096, 0x100000);
	hva = addr_gva2hva(p.s.vm, gva);
	memset(hva, 0x5a, 4096);
	/* Drop the page: the next read finds nothing mapped. */
	TEST_ASSERT(!madvise(hva, 4096, MADV_DONTNEED), "madvise");

	lazy0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS);
	lazyx0 = vmqt_ctr(p.s.id, VMQ_CTR_LAZY_EXITS);
	e[0] = host_post(&p, p.r.id, msg_gpa(&p, 0), MSG_LEN, 60, 0);
	e[1] = host_post(&p, p.r.id, addr_gva2gpa(p.s.vm, gva), MSG_LEN, 61, 0);
	e[2] = host_post(&p, p.r.id, msg_gpa(&p, 2), MSG_LEN, 62, 0);
	natural_exit(&p.s);

	POLL_CONS(&p, 3);
	ksft_print_msg("not resident: lazy exits +%lu\n",
		       (unsigned long)(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_EXITS) - lazyx0));
	for (i = 0; i < 3; i++)
		TEST_ASSERT(e[i]->status == 0, "descriptor %u status %d", i,
			    e[i]->status);
	expect_msg(&p, 0, 60);
	m = vmqt_host_peek(&p.rx);
	TEST_ASSERT(m && m->tag == 61 && m->sender == p.s.id && m->len == MSG_LEN,
		    "the not-resident message is not next");
	for (i = 0; i < MSG_LEN; i++)
		TEST_ASSERT(((const u8 *)vmqg_msg_payload(m))[i] == 0,
			    "payload byte %u of a dropped page: %#x", i,
			    ((const u8 *)vmqg_msg_payload(m))[i]);
	vmqt_host_consume(&p.rx, m);
	p.seq++;
	expect_msg(&p, 2, 62);
	expect_empty(&p);
	TEST_ASSERT(vmqt_ctr(p.s.id, VMQ_CTR_LAZY_MSGS) == lazy0 + 3,
		    "VMQ_CTR_LAZY_MSGS");
}

/* One ring per vCPU: only the vCPU's own exits drain its ring. */
static void test_per_vcpu(void)
{
	struct kvm_vcpu *vcpus[2];
	struct vmqt_gvm v[2] = {};
	struct vmqt_gmem t[2], rx, buf;
	struct vmq_tx_desc *d[2];
	struct vmqt_gvm r;
	u64 rings0 = vmqt_stats().live_tx_rings;
	const struct vmq_msg_hdr *m;
	vm_vaddr_t cmd;
	u32 id;
	s64 ret;
	int i, j;

	v[0].vm = vm_create_with_vcpus(2, vmqt_cmd_guest, vcpus);
	v[1].vm = v[0].vm;
	for (i = 0; i < 2; i++) {
		v[i].vcpu = vcpus[i];
		cmd = vm_vaddr_alloc_page(v[i].vm);
		v[i].cmd = addr_gva2hva(v[i].vm, cmd);
		memset(v[i].cmd, 0, sizeof(*v[i].cmd));
		vcpu_args_set(v[i].vcpu, 1, cmd);
	}
	id = vmqt_attach(&v[0], NULL);
	v[1].id = id;
	r = vmqt_gvm_create();
	vmqt_attach(&r, NULL);
	vmqt_allow(id, r.id);
	rx = vmqt_rx_setup(&r, 16384);
	buf = vmqt_gmem_alloc(v[0].vm, 4096);
	for (i = 0; i < 4; i++)
		vmqt_fill((u8 *)buf.hva + i * MSG_STRIDE, MSG_LEN, id, i);

	/* Only vCPU 0 has a ring so far. */
	t[0] = vmqt_tx_setup(&v[0], 1);
	ret = vmqt_gvm_hc(&v[1], VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
	TEST_ASSERT(ret == -ENOTCONN, "vCPU 1 flush without a ring: %ld", (long)ret);
	t[1] = vmqt_tx_setup(&v[1], 2);
	TEST_ASSERT(vmqt_stats().live_tx_rings == rings0 + 2, "live_tx_rings");

	/* Descriptor j of vCPU i sends payload 2 * i + j with tag 10 * i + j. */
	for (i = 0; i < 2; i++) {
		struct vmq_tx_hdr *h = t[i].hva;

		d[i] = (void *)((u8 *)t[i].hva + VMQ_RING_HDR_SIZE);
		for (j = 0; j < 2; j++)
			vmqt_tx_put(v[i].cmd, h, r.id,
				    buf.gpa + (2 * i + j) * MSG_STRIDE, MSG_LEN,
				    10 * i + j, 0);
	}

	/* vCPU 1 exits: its ring only. */
	natural_exit(&v[1]);
	TEST_ASSERT(((struct vmq_tx_hdr *)t[1].hva)->cons == 2 &&
		    ((struct vmq_tx_hdr *)t[0].hva)->cons == 0 &&
		    d[0][0].status == VMQ_TX_PENDING &&
		    d[0][1].status == VMQ_TX_PENDING,
		    "vCPU 1's exit touched vCPU 0's ring");
	/* Then vCPU 0. */
	natural_exit(&v[0]);
	TEST_ASSERT(((struct vmq_tx_hdr *)t[0].hva)->cons == 2 &&
		    !d[0][0].status && !d[0][1].status, "vCPU 0's ring");

	for (i = 0; i < 4; i++) {
		u32 k = (i + 2) % 4;	/* vCPU 1's first */

		m = vmqt_host_peek(&rx);
		TEST_ASSERT(m && m->sender == id && m->len == MSG_LEN &&
			    m->tag == 10 * (k / 2) + k % 2 &&
			    vmqt_check_fill(vmqg_msg_payload(m), MSG_LEN, id, k),
			    "message %d", i);
		vmqt_host_consume(&rx, m);
	}
	TEST_ASSERT(!vmqt_host_peek(&rx), "extra message");

	/* Unregistering vCPU 1's ring leaves vCPU 0's. */
	ret = vmqt_gvm_hc(&v[1], VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	TEST_ASSERT(ret == 0, "VMQ_HC_TX_UNREGISTER: %ld", (long)ret);
	TEST_ASSERT(vmqt_stats().live_tx_rings == rings0 + 1, "live_tx_rings");
	ret = vmqt_gvm_hc(&v[0], VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
	TEST_ASSERT(ret == 0, "vCPU 0 flush: %ld", (long)ret);
	kvm_vm_free(v[0].vm);
	vmqt_gvm_free(&r);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(9);
	vmqt_run_case("lazy: 64 sends, one natural exit, no hypercall",
		      test_burst_one_exit);
	vmqt_run_case("lazy: interleaved with VMQ_HC_SEND in program order; flush count",
		      test_interleave_and_flush);
	vmqt_run_case("lazy: failed descriptors report status; corrupt prod stops the ring",
		      test_errors_and_broken);
	vmqt_run_case("lazy: unregister delivers; freed VM leaves no tx ring",
		      test_unregister_and_free);
	vmqt_run_case("lazy: a payload not resident goes through the worker, in order",
		      test_not_resident);
	vmqt_run_case("lazy: rings are per vCPU", test_per_vcpu);
	vmqt_run_case("lazy: the exit probe comes back with the next ring",
		      test_probe_comes_back);
	vmqt_run_case("lazy: an exit's budget, the rest in a worker, in order",
		      test_exit_budget);
	vmqt_run_case("lazy: a VMM waiting behind a stuck worker can be killed",
		      test_killable_behind_worker);
	ksft_finished();
}
