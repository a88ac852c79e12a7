// SPDX-License-Identifier: GPL-2.0
/*
 * errors_test - every bad-argument class of every vmq hypercall returns the
 * error <linux/vmq.h> documents for it and bumps the per-VM counter
 * documented for that error (enum vmq_counter, read with VMQ_CMD_GET_VM),
 * and no other error counter; a refused send writes nothing into the
 * receiver's ring; numbers inside vmq's range that the ABI does not define
 * give -EOPNOTSUPP, and numbers outside it reach KVM untouched (-KVM_ENOSYS,
 * not counted by vmq). The sandbox runner fails the test on any host WARN.
 *
 * Cast: A sends, B has a 4 KiB receive queue, C has no queue; A may send to
 * B and to C, nobody else may send anywhere.
 */
#include "vmqt.h"

#define KVM_ENOSYS_RET	(-1000)		/* -KVM_ENOSYS, <linux/kvm_para.h> */
#define NOT_RAM		(1ULL << 40)
#define RX_DATA		4096U

struct fx {
	struct vmqt_gvm a, b, c;
	struct vmqt_gmem rx;	/* B's receive ring */
	struct vmqt_gmem buf;	/* A's payload buffer */
};

static void fx_init(struct fx *f)
{
	f->a = vmqt_gvm_create();
	f->b = vmqt_gvm_create();
	f->c = vmqt_gvm_create();
	vmqt_attach(&f->a, "aye");
	vmqt_attach(&f->b, "bee");
	vmqt_attach(&f->c, "sea");
	f->rx = vmqt_rx_setup(&f->b, RX_DATA);
	vmqt_allow(f->a.id, f->b.id);
	vmqt_allow(f->a.id, f->c.id);
	f->buf = vmqt_gmem_alloc(f->a.vm, 3 * 4096);
	vmqt_fill(f->buf.hva, f->buf.bytes, f->a.id, 0);
}

static void fx_free(struct fx *f)
{
	vmqt_gvm_free(&f->a);
	vmqt_gvm_free(&f->b);
	vmqt_gvm_free(&f->c);
}

/* One hypercall from @g: it must return @want and count exactly @ctr. */
static void expect(struct vmqt_gvm *g, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3,
		   s64 want, int ctr, const char *what)
{
	struct vmq_vm_info before = vmqt_info_of(g->id);
	s64 r = vmqt_gvm_hc(g, nr, a0, a1, a2, a3);

	TEST_ASSERT(r == want, "%s: returned %ld, expected %ld", what,
		    (long)r, (long)want);
	vmqt_check_err_ctrs(g->id, &before, ctr, 1, 1);
}

static u32 prod_head(struct fx *f)
{
	return ((struct vmq_ring_hdr *)f->rx.hva)->prod_head;
}

static void expect_send(struct fx *f, u64 dest, u64 gpa, u64 len, s64 want,
			int ctr, const char *what)
{
	u32 head = prod_head(f);

	expect(&f->a, VMQ_HC_SEND, dest, gpa, len, 0x7a6, want, ctr, what);
	if (want)
		TEST_ASSERT(prod_head(f) == head,
			    "%s: refused send wrote into the ring", what);
}

/* The next message in B's queue is A's buffer at @off, @len bytes. */
static void expect_msg(struct fx *f, u32 off, u32 len, u32 seq)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&f->rx);

	TEST_ASSERT(m, "no message in B's queue");
	TEST_ASSERT(m->type == VMQ_MSG_DATA && m->len == len &&
		    m->sender == f->a.id && m->seq == seq && m->tag == 0x7a6,
		    "message: type %u len %u sender %u seq %u tag %lx",
		    m->type, m->len, m->sender, m->seq, (unsigned long)m->tag);
	TEST_ASSERT(!memcmp(m + 1, (u8 *)f->buf.hva + off, len),
		    "payload differs");
	vmqt_host_consume(&f->rx, m);
}

/*
 * A destination that does not exist is refused exactly like one that
 * exists and may not be reached: a guest cannot enumerate VM ids.
 */
static void test_unknown_dest(void)
{
	struct fx f;

	fx_init(&f);
	expect_send(&f, 0, f.buf.gpa, 16, -EACCES, VMQ_CTR_ERR_DENIED, "dest 0");
	expect_send(&f, 0xfffffff0, f.buf.gpa, 16, -EACCES, VMQ_CTR_ERR_DENIED,
		    "unknown dest");
	/* RBX is 64 bits: B's id plus a high bit is no VM, not B. */
	expect_send(&f, (1ULL << 32) | f.b.id, f.buf.gpa, 16, -EACCES,
		    VMQ_CTR_ERR_DENIED, "dest above 32 bits");
	TEST_ASSERT(!vmqt_host_pending(&f.rx), "something arrived");
	fx_free(&f);
}

static void test_eacces(void)
{
	struct vmq_vm_info before;
	struct fx f;

	fx_init(&f);
	/* B -> A and C -> B were never allowed (A -> B is one direction). */
	expect(&f.b, VMQ_HC_SEND, f.a.id, f.rx.gpa, 16, 0, -EACCES,
	       VMQ_CTR_ERR_DENIED, "B -> A");
	before = vmqt_info_of(f.b.id);
	expect(&f.c, VMQ_HC_SEND, f.b.id, vmqt_ram_end(f.c.vm) - 4096, 16, 0,
	       -EACCES, VMQ_CTR_ERR_DENIED, "C -> B");
	TEST_ASSERT(!vmqt_host_pending(&f.rx), "something arrived");
	vmqt_check_err_ctrs(f.b.id, &before, -1, 0, 0);
	fx_free(&f);
}

static void test_emsgsize(void)
{
	struct vmqg_info info;
	struct fx f;
	u32 half;

	fx_init(&f);
	info = vmqt_gvm_info(&f.a);
	TEST_ASSERT(info.abi_version == VMQ_ABI_VERSION && info.vm_id == f.a.id,
		    "VMQ_HC_INFO: abi %u id %u", info.abi_version, info.vm_id);
	TEST_ASSERT(info.max_msg > RX_DATA, "max_msg %u", info.max_msg);
	expect_send(&f, f.b.id, f.buf.gpa, info.max_msg + 1ULL, -EMSGSIZE,
		    VMQ_CTR_ERR_TOOBIG, "len max_msg + 1");
	expect_send(&f, f.b.id, f.buf.gpa, 1ULL << 32, -EMSGSIZE,
		    VMQ_CTR_ERR_TOOBIG, "len 2^32");
	expect_send(&f, f.b.id, f.buf.gpa, ~0ULL, -EMSGSIZE,
		    VMQ_CTR_ERR_TOOBIG, "len 2^64 - 1");
	/* The largest record is half of B's data area, header included. */
	half = RX_DATA / 2 - sizeof(struct vmq_msg_hdr);
	expect_send(&f, f.b.id, f.buf.gpa, half + 1, -EMSGSIZE,
		    VMQ_CTR_ERR_TOOBIG, "record over half the ring");
	expect_send(&f, f.b.id, f.buf.gpa, half, 0, -1, "record of half");
	expect_msg(&f, 0, half, 0);
	fx_free(&f);
}

static void test_efault(void)
{
	struct fx f;
	u64 end;

	fx_init(&f);
	end = vmqt_ram_end(f.a.vm);
	expect_send(&f, f.b.id, NOT_RAM, 16, -EFAULT, VMQ_CTR_ERR_FAULT,
		    "gpa not RAM");
	expect_send(&f, f.b.id, ~0ULL - 15, 64, -EFAULT, VMQ_CTR_ERR_FAULT,
		    "gpa + len wraps");
	expect_send(&f, f.b.id, end - 16, 64, -EFAULT, VMQ_CTR_ERR_FAULT,
		    "runs off the end of RAM");
	expect_send(&f, f.b.id, end, 1, -EFAULT, VMQ_CTR_ERR_FAULT,
		    "first byte past RAM");
	/* The last bytes of RAM are fine. */
	expect_send(&f, f.b.id, end - 64, 64, 0, -1, "last bytes of RAM");
	TEST_ASSERT(vmqt_host_pending(&f.rx) == 1, "one message expected");
	fx_free(&f);
}

static void test_enotconn(void)
{
	struct fx f;

	fx_init(&f);
	expect_send(&f, f.c.id, f.buf.gpa, 16, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
		    "dest without queue");
	expect(&f.c, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0, -ENOTCONN,
	       VMQ_CTR_ERR_NOQUEUE, "QUEUE_UNREGISTER without queue");
	fx_free(&f);
}

static void test_eagain(void)
{
	struct fx f;
	int i;

	fx_init(&f);
	/* 1000 bytes: 1056-byte records; three fit in 4096, a fourth does not. */
	for (i = 0; i < 3; i++)
		expect_send(&f, f.b.id, f.buf.gpa + i, 1000, 0, -1, "filling");
	expect_send(&f, f.b.id, f.buf.gpa + 3, 1000, -EAGAIN, VMQ_CTR_ERR_FULL,
		    "full ring");
	expect_send(&f, f.b.id, f.buf.gpa + 3, 1000, -EAGAIN, VMQ_CTR_ERR_FULL,
		    "still full");
	TEST_ASSERT(vmqt_host_pending(&f.rx) == 3, "3 messages expected");
	/* Consuming one makes exactly room for padding plus the fourth. */
	expect_msg(&f, 0, 1000, 0);
	expect_send(&f, f.b.id, f.buf.gpa + 3, 1000, 0, -1, "after consuming");
	expect_msg(&f, 1, 1000, 1);
	expect_msg(&f, 2, 1000, 2);
	expect_msg(&f, 3, 1000, 3);
	TEST_ASSERT(!vmqt_host_pending(&f.rx), "queue not drained");
	fx_free(&f);
}

static void test_epipe(void)
{
	struct fx f;
	struct vmq_ring_hdr *h;
	u32 tail;

	fx_init(&f);
	h = f.rx.hva;
	expect_send(&f, f.b.id, f.buf.gpa, 40, 0, -1, "first");
	tail = h->cons_tail;

	h->cons_tail = h->prod_head + 32;	/* ahead of the producer */
	expect_send(&f, f.b.id, f.buf.gpa, 40, -EPIPE, VMQ_CTR_ERR_BROKEN,
		    "cons_tail ahead of prod_head");
	h->cons_tail = h->prod_head - RX_DATA - 32;	/* more than full */
	expect_send(&f, f.b.id, f.buf.gpa, 40, -EPIPE, VMQ_CTR_ERR_BROKEN,
		    "cons_tail a whole ring behind");
	h->cons_tail = tail + 1;	/* not record aligned */
	expect_send(&f, f.b.id, f.buf.gpa, 40, -EPIPE, VMQ_CTR_ERR_BROKEN,
		    "misaligned cons_tail");
	h->cons_tail = tail;
	h->magic = 0;
	expect_send(&f, f.b.id, f.buf.gpa, 40, -EPIPE, VMQ_CTR_ERR_BROKEN,
		    "magic overwritten");
	/* Fixing the header makes the ring usable again. */
	h->magic = VMQ_RING_MAGIC;
	expect_send(&f, f.b.id, f.buf.gpa, 40, 0, -1, "repaired");
	expect_msg(&f, 0, 40, 0);
	expect_msg(&f, 0, 40, 1);
	fx_free(&f);
}

static void test_queue_register(void)
{
	struct vmqt_stats s0, s1;
	struct vmqt_gmem r;
	struct vmq_ring_hdr *h;
	struct fx f;
	u64 end;

	fx_init(&f);
	s0 = vmqt_stats();
	r = vmqt_gmem_alloc(f.c.vm, VMQ_RING_HDR_SIZE + 8192);
	h = r.hva;
	h->magic = VMQ_RING_MAGIC;
	end = vmqt_ram_end(f.c.vm);

#define REG(gpa, size, flags, want, ctr, what) \
	expect(&f.c, VMQ_HC_QUEUE_REGISTER, gpa, size, flags, 0, want, ctr, what)
	REG(r.gpa + 64, r.bytes, 0, -EINVAL, VMQ_CTR_ERR_INVAL, "unaligned gpa");
	REG(r.gpa, VMQ_RING_HDR_SIZE + 3 * 4096, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	    "data area not a power of two");
	REG(r.gpa, VMQ_RING_HDR_SIZE + 8192 + 32, 0, -EINVAL,
	    VMQ_CTR_ERR_INVAL, "size not header + power of two");
	REG(r.gpa, VMQ_RING_HDR_SIZE + VMQ_RING_DATA_MIN / 2, 0, -EINVAL,
	    VMQ_CTR_ERR_INVAL, "data area too small");
	REG(r.gpa, VMQ_RING_HDR_SIZE, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	    "header only");
	REG(r.gpa, 0, 0, -EINVAL, VMQ_CTR_ERR_INVAL, "size 0");
	REG(r.gpa, VMQ_RING_HDR_SIZE + 2ULL * VMQ_RING_DATA_MAX, 0, -EINVAL,
	    VMQ_CTR_ERR_INVAL, "data area too large");
	REG(r.gpa, ~0ULL, 0, -EINVAL, VMQ_CTR_ERR_INVAL, "size 2^64 - 1");
	REG(r.gpa, r.bytes, 1, -EINVAL, VMQ_CTR_ERR_INVAL, "flags");
	h->magic = VMQ_RING_MAGIC + 1;
	REG(r.gpa, r.bytes, 0, -EINVAL, VMQ_CTR_ERR_INVAL, "bad magic");
	h->magic = VMQ_RING_MAGIC;
	h->cons_tail = 32;
	REG(r.gpa, r.bytes, 0, -EINVAL, VMQ_CTR_ERR_INVAL, "cons_tail not 0");
	h->cons_tail = 0;
	REG(NOT_RAM, r.bytes, 0, -EFAULT, VMQ_CTR_ERR_FAULT, "gpa not RAM");
	REG(end - 4096, VMQ_RING_HDR_SIZE + 4096, 0, -EFAULT,
	    VMQ_CTR_ERR_FAULT, "ring runs off the end of RAM");
	REG(~0ULL & ~4095ULL, VMQ_RING_HDR_SIZE + 4096, 0, -EFAULT,
	    VMQ_CTR_ERR_FAULT, "ring wraps past 2^64");

	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_queues == s0.live_queues &&
		    s1.pinned_pages == s0.pinned_pages,
		    "failed registrations left queues %lu->%lu pages %lu->%lu",
		    (unsigned long)s0.live_queues, (unsigned long)s1.live_queues,
		    (unsigned long)s0.pinned_pages,
		    (unsigned long)s1.pinned_pages);

	REG(r.gpa, r.bytes, 0, 0, -1, "valid registration");
	TEST_ASSERT(h->data_size == 8192, "data_size %u", h->data_size);
	REG(r.gpa, r.bytes, 0, -EBUSY, VMQ_CTR_ERR_BUSY, "second registration");
	expect(&f.b, VMQ_HC_QUEUE_REGISTER, r.gpa, r.bytes, 0, 0, -EBUSY,
	       VMQ_CTR_ERR_BUSY, "B registers again");
#undef REG
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_queues == s0.live_queues + 1 &&
		    s1.pinned_pages == s0.pinned_pages + 3,
		    "one queue of 3 pages expected");
	expect(&f.c, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0, 0, -1, "unregister");
	expect(&f.c, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0, -ENOTCONN,
	       VMQ_CTR_ERR_NOQUEUE, "unregister twice");
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_queues == s0.live_queues &&
		    s1.pinned_pages == s0.pinned_pages, "queue not released");
	fx_free(&f);
}

static void test_numbers(void)
{
	static const u64 foreign[] = {
		VMQ_HC_BASE - 1, VMQ_HC_BASE + VMQ_HC_RANGE,
		(1ULL << 32) | VMQ_HC_INFO,	/* 64-bit RAX is not truncated */
		0x4d2,				/* no KVM_HC_* either */
	};
	struct fx f;
	unsigned int i;

	fx_init(&f);
	expect(&f.a, VMQ_HC_NR, 0, 0, 0, 0, -EOPNOTSUPP, VMQ_CTR_ERR_INVAL,
	       "VMQ_HC_NR");
	expect(&f.a, VMQ_HC_BASE + VMQ_HC_RANGE - 1, 1, 2, 3, 4, -EOPNOTSUPP,
	       VMQ_CTR_ERR_INVAL, "last number of the range");
	for (i = 0; i < ARRAY_SIZE(foreign); i++) {
		struct vmq_vm_info before = vmqt_info_of(f.a.id);
		s64 r = vmqt_gvm_hc(&f.a, foreign[i], 0, 0, 0, 0);

		TEST_ASSERT(r == KVM_ENOSYS_RET,
			    "number %#lx: %ld, expected KVM's -KVM_ENOSYS",
			    (unsigned long)foreign[i], (long)r);
		vmqt_check_err_ctrs(f.a.id, &before, -1, 0, 0);
	}
	fx_free(&f);
}

static void test_tx(void)
{
	struct vmqt_stats s0, s1;
	struct vmqt_gmem t;
	struct fx f;

	fx_init(&f);
	s0 = vmqt_stats();
	t = vmqt_gmem_alloc(f.a.vm, VMQ_RING_HDR_SIZE + 4096);
	((struct vmq_tx_hdr *)t.hva)->magic = VMQ_TX_MAGIC;

#define TX(nr, gpa, size, flags, want, ctr, what) \
	expect(&f.a, nr, gpa, size, flags, 0, want, ctr, what)
	TX(VMQ_HC_TX_FLUSH, 0, 0, 0, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
	   "TX_FLUSH without ring");
	TX(VMQ_HC_TX_UNREGISTER, 0, 0, 0, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
	   "TX_UNREGISTER without ring");
	TX(VMQ_HC_TX_REGISTER, t.gpa + 64, t.bytes, 0, -EINVAL,
	   VMQ_CTR_ERR_INVAL, "unaligned gpa");
	TX(VMQ_HC_TX_REGISTER, t.gpa, t.bytes, 1, -EINVAL, VMQ_CTR_ERR_INVAL,
	   "flags");
	TX(VMQ_HC_TX_REGISTER, t.gpa, VMQ_RING_HDR_SIZE, 0, -EINVAL,
	   VMQ_CTR_ERR_INVAL, "header only");
	TX(VMQ_HC_TX_REGISTER, t.gpa, t.bytes + 32, 0, -EINVAL,
	   VMQ_CTR_ERR_INVAL, "not whole pages");
	TX(VMQ_HC_TX_REGISTER, t.gpa, VMQ_RING_HDR_SIZE + 3 * 4096, 0, -EINVAL,
	   VMQ_CTR_ERR_INVAL, "descriptor count not a power of two");
	TX(VMQ_HC_TX_REGISTER, t.gpa, VMQ_RING_HDR_SIZE + (1ULL << 30), 0,
	   -EINVAL, VMQ_CTR_ERR_INVAL, "too large");
	TX(VMQ_HC_TX_REGISTER, t.gpa, ~0ULL, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	   "size 2^64 - 1");
	((struct vmq_tx_hdr *)t.hva)->magic = VMQ_RING_MAGIC;
	TX(VMQ_HC_TX_REGISTER, t.gpa, t.bytes, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	   "bad magic");
	((struct vmq_tx_hdr *)t.hva)->magic = VMQ_TX_MAGIC;
	TX(VMQ_HC_TX_REGISTER, NOT_RAM, t.bytes, 0, -EFAULT, VMQ_CTR_ERR_FAULT,
	   "gpa not RAM");
	TX(VMQ_HC_TX_REGISTER, vmqt_ram_end(f.a.vm) - 4096, t.bytes, 0, -EFAULT,
	   VMQ_CTR_ERR_FAULT, "ring runs off the end of RAM");
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_tx_rings == s0.live_tx_rings &&
		    s1.pinned_pages == s0.pinned_pages,
		    "failed registrations left something behind");

	TX(VMQ_HC_TX_REGISTER, t.gpa, t.bytes, 0, 0, -1, "valid");
	TEST_ASSERT(((struct vmq_tx_hdr *)t.hva)->nr_desc ==
		    4096 / sizeof(struct vmq_tx_desc), "nr_desc");
	TX(VMQ_HC_TX_REGISTER, t.gpa, t.bytes, 0, -EBUSY, VMQ_CTR_ERR_BUSY,
	   "second registration");
	TX(VMQ_HC_TX_FLUSH, 0, 0, 0, 0, -1, "empty flush");
	TX(VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0, -1, "unregister");
	TX(VMQ_HC_TX_UNREGISTER, 0, 0, 0, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
	   "unregister twice");
	TX(VMQ_HC_TX_FLUSH, 0, 0, 0, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
	   "TX_FLUSH after unregister");
#undef TX
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_tx_rings == s0.live_tx_rings &&
		    s1.pinned_pages == s0.pinned_pages, "ring not released");
	fx_free(&f);
}

static void test_wait(void)
{
	struct fx f;

	fx_init(&f);
	expect(&f.c, VMQ_HC_WAIT, 0, 0, 0, 0, -ENOTCONN, VMQ_CTR_ERR_NOQUEUE,
	       "WAIT(0) without queue");
	expect(&f.c, VMQ_HC_WAIT, 1000, 0, 0, 0, -ENOTCONN,
	       VMQ_CTR_ERR_NOQUEUE, "WAIT(1us) without queue");
	expect(&f.b, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS + 1, 0, 0, 0, -EINVAL,
	       VMQ_CTR_ERR_INVAL, "timeout too long");
	expect(&f.b, VMQ_HC_WAIT, ~0ULL, 0, 0, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	       "timeout 2^64 - 1");
	/* A message waiting: WAIT returns the count at once. */
	expect_send(&f, f.b.id, f.buf.gpa, 8, 0, -1, "send");
	expect(&f.b, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS, 0, 0, 0, 1, -1,
	       "WAIT with a message waiting");
	fx_free(&f);
}

static void test_wait_no_lapic(void)
{
	struct vmqt_gvm g = vmqt_gvm_create_no_lapic();

	vmqt_attach(&g, NULL);
	vmqt_rx_setup(&g, 4096);
	expect(&g, VMQ_HC_WAIT, 0, 0, 0, 0, -EOPNOTSUPP, VMQ_CTR_ERR_INVAL,
	       "WAIT(0) without a local APIC");
	expect(&g, VMQ_HC_WAIT, 1000, 0, 0, 0, -EOPNOTSUPP, VMQ_CTR_ERR_INVAL,
	       "WAIT(1us) without a local APIC");
	/* Everything else works without one. */
	expect(&g, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0, 0, -1, "unregister");
	vmqt_gvm_free(&g);
}

static void test_lookup(void)
{
	struct fx f;
	char *name;
	u64 gpa;

	fx_init(&f);
	name = f.buf.hva;
	gpa = f.buf.gpa;
	strcpy(name, "bee");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 3, 0, 0, f.b.id, -1, "A finds B");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 0, 0, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	       "length 0");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, VMQ_NAME_MAX, 0, 0, -EINVAL,
	       VMQ_CTR_ERR_INVAL, "length VMQ_NAME_MAX");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 1ULL << 32 | 3, 0, 0, -EINVAL,
	       VMQ_CTR_ERR_INVAL, "length above 32 bits");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 4, 0, 0, -EINVAL, VMQ_CTR_ERR_INVAL,
	       "NUL inside the length");
	expect(&f.a, VMQ_HC_LOOKUP, NOT_RAM, 3, 0, 0, -EFAULT,
	       VMQ_CTR_ERR_FAULT, "gpa not RAM");
	expect(&f.a, VMQ_HC_LOOKUP, vmqt_ram_end(f.a.vm) - 2, 3, 0, 0, -EFAULT,
	       VMQ_CTR_ERR_FAULT, "name runs off the end of RAM");
	strcpy(name, "nobody");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 6, 0, 0, -ESRCH, VMQ_CTR_ERR_NODEST,
	       "unknown name");
	strcpy(name, "be");
	expect(&f.a, VMQ_HC_LOOKUP, gpa, 2, 0, 0, -ESRCH, VMQ_CTR_ERR_NODEST,
	       "prefix of a name");
	/* A exists, but B may not send to it: B cannot find it either. */
	strcpy((char *)f.rx.hva + VMQ_RING_HDR_SIZE + RX_DATA / 2, "aye");
	expect(&f.b, VMQ_HC_LOOKUP, f.rx.gpa + VMQ_RING_HDR_SIZE + RX_DATA / 2,
	       3, 0, 0, -ESRCH,
	       VMQ_CTR_ERR_NODEST, "B looks up A (pair not allowed)");
	fx_free(&f);
}

static const struct vmqt_case cases[] = {
	{ "SEND: unknown destination gives -EACCES, as a forbidden one",
	  test_unknown_dest },
	{ "SEND: pair not allowed gives -EACCES", test_eacces },
	{ "SEND: too long gives -EMSGSIZE", test_emsgsize },
	{ "SEND: payload not in guest RAM gives -EFAULT", test_efault },
	{ "SEND/QUEUE_UNREGISTER: no queue gives -ENOTCONN", test_enotconn },
	{ "SEND: full ring gives -EAGAIN", test_eagain },
	{ "SEND: corrupt ring header gives -EPIPE", test_epipe },
	{ "QUEUE_REGISTER: -EINVAL, -EFAULT, -EBUSY", test_queue_register },
	{ "numbers: -EOPNOTSUPP inside the range, KVM's outside", test_numbers },
	{ "TX_REGISTER/UNREGISTER/FLUSH errors", test_tx },
	{ "WAIT errors", test_wait },
	{ "WAIT without an in-kernel local APIC: -EOPNOTSUPP", test_wait_no_lapic },
	{ "LOOKUP errors", test_lookup },
};

int main(void)
{
	ksft_print_header();
	vmqt_dev();
	vmqt_run_cases(cases, ARRAY_SIZE(cases));
	ksft_finished();
}
