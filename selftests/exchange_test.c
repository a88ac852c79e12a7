// SPDX-License-Identifier: GPL-2.0
/*
 * exchange_test - messages go from VM to VM intact, stamped and in order.
 *
 * Proves, with command guests and the host reading the receive rings:
 *  - two attached VMs exchange messages both ways; payload bytes, lengths
 *    (1, 31, 32, 4095, 4097 across guest pages, and the host maximum that
 *    VMQ_HC_INFO reports in RSI), the sender id the host stamps, the
 *    64-bit tag and the per-queue seq all arrive as sent, in order; one
 *    byte over the maximum is refused with -EMSGSIZE and never delivered;
 *  - two senders interleaving into one receiver, one at a time in a known
 *    order and then concurrently from two threads: every message from each
 *    sender arrives in that sender's order, with its own id;
 *  - a small (4 KiB) ring consumed as messages arrive wraps many times,
 *    padding records occur, and every message still arrives intact;
 *  - a VM never attached is adopted on its first vmq hypercall (its id in
 *    RCX of VMQ_HC_INFO), and attaching it later returns that same id;
 *  - the per-VM counters of VMQ_CMD_GET_VM match exactly what was sent.
 */
#include <pthread.h>

#include "vmqt.h"

#define SEND_OFF	4089	/* odd offset: payloads cross guest pages */

/* Lengths of the both-ways exchange; the last is the host maximum. */
static const u32 lens[] = { 1, 31, 32, 4095, 4097, 0 };
#define NR_LENS	ARRAY_SIZE(lens)

static u64 xtag(u32 from, u32 n)
{
	return 0xfeed000000000000ull | ((u64)from << 16) | n;
}

/* Send @len bytes of vmqt_fill(@g->id, @n) from @buf + SEND_OFF. */
static s64 send_filled(struct vmqt_gvm *g, struct vmqt_gmem *buf, u32 dest,
		       u32 len, u32 n, u64 tag)
{
	vmqt_fill((u8 *)buf->hva + SEND_OFF, len, g->id, n);
	return vmqt_gvm_send(g, dest, buf->gpa + SEND_OFF, len, tag);
}

static void test_both_ways(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct vmqt_gmem ra, rb, ba, bb;
	struct vmqg_info info;
	u32 max, len, i;
	s64 ret;

	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	TEST_ASSERT(a.id && b.id && a.id != b.id, "ids %u %u", a.id, b.id);
	vmqt_allow(a.id, b.id);
	vmqt_allow(b.id, a.id);

	info = vmqt_gvm_info(&a);
	TEST_ASSERT(info.abi_version == VMQ_ABI_VERSION && info.vm_id == a.id &&
		    (info.features & VMQ_FEAT_SEND),
		    "INFO: abi %u id %u (want %u) features 0x%x",
		    info.abi_version, info.vm_id, a.id, info.features);
	max = info.max_msg;
	TEST_ASSERT(max == 64 * 1024, "host max message %u, expected 64 KiB", max);

	/* A record is at most half the data area: 256 KiB takes 64 KiB. */
	ra = vmqt_rx_setup(&a, 256 * 1024);
	rb = vmqt_rx_setup(&b, 256 * 1024);
	ba = vmqt_gmem_alloc(a.vm, SEND_OFF + max + 1);
	bb = vmqt_gmem_alloc(b.vm, SEND_OFF + max + 1);

	/* Alternate directions: a->b n, b->a n, ... */
	for (i = 0; i < NR_LENS; i++) {
		len = lens[i] ? lens[i] : max;
		ret = send_filled(&a, &ba, b.id, len, i, xtag(a.id, i));
		TEST_ASSERT(!ret, "a->b len %u: %ld", len, (long)ret);
		ret = send_filled(&b, &bb, a.id, len, i + 100, xtag(b.id, i));
		TEST_ASSERT(!ret, "b->a len %u: %ld", len, (long)ret);
	}
	/* One byte too many: refused, nothing delivered. */
	ret = send_filled(&a, &ba, b.id, max + 1, 99, xtag(a.id, 99));
	TEST_ASSERT(ret == -EMSGSIZE, "a->b len max+1: %ld", (long)ret);

	TEST_ASSERT(vmqt_host_pending(&rb) == NR_LENS &&
		    vmqt_host_pending(&ra) == NR_LENS,
		    "pending %u %u", vmqt_host_pending(&rb),
		    vmqt_host_pending(&ra));
	for (i = 0; i < NR_LENS; i++) {
		len = lens[i] ? lens[i] : max;
		TEST_ASSERT(vmqt_host_expect(&rb, a.id, xtag(a.id, i), len, i) == i,
			    "b: seq of message %u", i);
		TEST_ASSERT(vmqt_host_expect(&ra, b.id, xtag(b.id, i), len,
					     i + 100) == i,
			    "a: seq of message %u", i);
	}
	TEST_ASSERT(!vmqt_host_peek(&rb) && !vmqt_host_peek(&ra),
		    "extra messages");
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}

/* Two senders, one at a time in a fixed pseudo-random order. */
static void test_interleave(void)
{
	struct vmqt_gvm s[2] = { vmqt_gvm_create(), vmqt_gvm_create() };
	struct vmqt_gvm c = vmqt_gvm_create();
	struct vmqt_gmem rc, buf[2];
	u32 order[60], n[2] = { 0, 0 }, i, k, x = 12345;
	s64 ret;

	vmqt_attach(&c, NULL);
	rc = vmqt_rx_setup(&c, 64 * 1024);
	for (k = 0; k < 2; k++) {
		vmqt_attach(&s[k], NULL);
		vmqt_allow(s[k].id, c.id);
		buf[k] = vmqt_gmem_alloc(s[k].vm, SEND_OFF + 512);
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		x = x * 1103515245 + 12345;
		k = (x >> 16) & 1;
		order[i] = k;
		ret = send_filled(&s[k], &buf[k], c.id, 1 + (x >> 20) % 300,
				  n[k], xtag(k, n[k]));
		TEST_ASSERT(!ret, "sender %u message %u: %ld", k, n[k], (long)ret);
		n[k]++;
	}
	TEST_ASSERT(n[0] && n[1], "both senders must send");

	/* Exactly the order sent, seq counting up from 0. */
	x = 12345;
	n[0] = 0;
	n[1] = 0;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		x = x * 1103515245 + 12345;
		k = order[i];
		TEST_ASSERT(vmqt_host_expect(&rc, s[k].id, xtag(k, n[k]),
					     1 + (x >> 20) % 300, n[k]) == i,
			    "seq of record %u", i);
		n[k]++;
	}
	TEST_ASSERT(!vmqt_host_peek(&rc), "extra messages");
	vmqt_gvm_free(&s[0]);
	vmqt_gvm_free(&s[1]);
	vmqt_gvm_free(&c);
}

#define CONC_MSGS	60

struct sender {
	struct vmqt_gvm g;
	struct vmqt_gmem buf;
	u32 dest, sent;
	s64 ret;
};

static void *sender_thread(void *arg)
{
	struct sender *s = arg;

	s->ret = vmqt_gvm_send_loop(&s->g, &s->buf, s->dest, xtag(s->g.id, 0),
				    CONC_MSGS, 20, s->g.id, &s->sent);
	return NULL;
}

/* Two senders at once, each vCPU in its own thread. */
static void test_concurrent(void)
{
	struct vmqt_gvm c = vmqt_gvm_create();
	struct sender s[2];
	struct vmqt_gmem rc;
	pthread_t t[2];
	u32 n[2] = { 0, 0 }, i, k;
	const struct vmq_msg_hdr *m;

	vmqt_attach(&c, NULL);
	rc = vmqt_rx_setup(&c, 64 * 1024);
	for (k = 0; k < 2; k++) {
		s[k].g = vmqt_gvm_create();
		vmqt_attach(&s[k].g, NULL);
		vmqt_allow(s[k].g.id, c.id);
		s[k].buf = vmqt_gmem_alloc(s[k].g.vm, 4096);
		s[k].dest = c.id;
	}
	for (k = 0; k < 2; k++)
		TEST_ASSERT(!pthread_create(&t[k], NULL, sender_thread, &s[k]),
			    "pthread_create");
	for (k = 0; k < 2; k++) {
		pthread_join(t[k], NULL);
		TEST_ASSERT(s[k].ret == 0 && s[k].sent == CONC_MSGS,
			    "sender %u: %ld after %u", k, (long)s[k].ret,
			    s[k].sent);
	}

	for (i = 0; i < 2 * CONC_MSGS; i++) {
		m = vmqt_host_peek(&rc);
		TEST_ASSERT(m, "message %u missing", i);
		k = m->sender == s[1].g.id;
		TEST_ASSERT(m->sender == s[k].g.id, "sender %u", m->sender);
		TEST_ASSERT(n[k] < CONC_MSGS, "too many from %u", m->sender);
		TEST_ASSERT(vmqt_host_expect(&rc, s[k].g.id,
					     xtag(s[k].g.id, 0) + n[k],
					     vmqt_send_loop_len(20, n[k]),
					     n[k]) == i, "seq of record %u", i);
		n[k]++;
	}
	TEST_ASSERT(!vmqt_host_peek(&rc), "extra messages");
	vmqt_gvm_free(&s[0].g);
	vmqt_gvm_free(&s[1].g);
	vmqt_gvm_free(&c);
}

static u32 wrap_len(u32 n)
{
	return (n * 277) % (2048 - 32 + 1);
}

/* A 4 KiB ring, consumed as it goes, wraps many times. */
static void test_wrap(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct vmqt_gmem rb, buf;
	struct vmq_ring_hdr *h;
	u32 i, len, consumed = 0;
	u64 rec_bytes = 0;
	s64 ret;

	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	vmqt_allow(a.id, b.id);
	rb = vmqt_rx_setup(&b, 4096);
	h = rb.hva;
	buf = vmqt_gmem_alloc(a.vm, SEND_OFF + 2048);

	for (i = 0; i < 300; i++) {
		/* Records of 32..2048 bytes, the largest a 4 KiB ring takes. */
		len = wrap_len(i);
		/*
		 * Consume only what must go for this one to fit (padding is
		 * shorter than the record), so records land anywhere.
		 */
		while (4096 - (h->prod_head - h->cons_tail) <
		       2 * VMQ_MSG_RECORD_SIZE(len)) {
			TEST_ASSERT(vmqt_host_expect(&rb, a.id, xtag(a.id, consumed),
						     wrap_len(consumed),
						     consumed) == consumed,
				    "seq of %u", consumed);
			consumed++;
		}
		ret = send_filled(&a, &buf, b.id, len, i, xtag(a.id, i));
		TEST_ASSERT(!ret, "message %u len %u: %ld", i, len, (long)ret);
		rec_bytes += VMQ_MSG_RECORD_SIZE(len);
	}
	TEST_ASSERT(consumed < 300 && vmqt_host_pending(&rb) == 300 - consumed,
		    "%u consumed, %u pending", consumed, vmqt_host_pending(&rb));
	while (consumed < 300) {
		TEST_ASSERT(vmqt_host_expect(&rb, a.id, xtag(a.id, consumed),
					     wrap_len(consumed), consumed) == consumed,
			    "seq of %u", consumed);
		consumed++;
	}
	TEST_ASSERT(!vmqt_host_peek(&rb), "extra messages");
	/* prod_head counts padding too: the ring did pad, and wrapped. */
	TEST_ASSERT(h->prod_head > rec_bytes,
		    "no padding record in %u bytes (records %lu)", h->prod_head,
		    (unsigned long)rec_bytes);
	TEST_ASSERT(h->prod_head / 4096 >= 20, "wrapped only %u times",
		    h->prod_head / 4096);
	TEST_ASSERT(h->prod_msgs == 300 && h->cons_tail == h->prod_head,
		    "prod_msgs %u cons_tail %u prod_head %u", h->prod_msgs,
		    h->cons_tail, h->prod_head);
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}

/* A VM nobody attached gets its id from its first hypercall. */
static void test_adopt(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct vmqt_gmem rb, buf;
	struct vmq_vm_info vi;
	struct vmqg_info info;
	u32 adopted;
	s64 ret;

	vmqt_attach(&b, NULL);
	info = vmqt_gvm_info(&a);
	adopted = info.vm_id;
	TEST_ASSERT(adopted && adopted != b.id, "adopted id %u (b %u)", adopted,
		    b.id);
	/* Asking again gives the same id: adopted once. */
	info = vmqt_gvm_info(&a);
	TEST_ASSERT(info.vm_id == adopted, "second INFO id %u", info.vm_id);
	vi = vmqt_info_of(adopted);
	TEST_ASSERT(vi.id == adopted && vi.pid == getpid() &&
		    vi.counters[VMQ_CTR_HYPERCALLS] == 2,
		    "VM_INFO of the adopted VM: id %u pid %d hypercalls %lu",
		    vi.id, vi.pid,
		    (unsigned long)vi.counters[VMQ_CTR_HYPERCALLS]);

	TEST_ASSERT(vmqt_attach(&a, "adoptee") == adopted,
		    "ATTACH_VM returned %u, adopted as %u", a.id, adopted);
	TEST_ASSERT(!strcmp(vmqt_info_of(adopted).name, "adoptee"), "name");

	/* And it works as a sender under that id. */
	vmqt_allow(adopted, b.id);
	rb = vmqt_rx_setup(&b, 4096);
	buf = vmqt_gmem_alloc(a.vm, SEND_OFF + 64);
	ret = send_filled(&a, &buf, b.id, 64, 7, xtag(adopted, 7));
	TEST_ASSERT(!ret, "send: %ld", (long)ret);
	TEST_ASSERT(vmqt_host_expect(&rb, adopted, xtag(adopted, 7), 64, 7) == 0,
		    "seq");
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}

static void *create_vm_thread(void *arg)
{
	*(struct vmqt_gvm *)arg = vmqt_gvm_create();
	return NULL;
}

/*
 * VMQ_CMD_GET_VM's pid is the VMM's process (its thread group), also when
 * a worker thread created the VM, as VMMs do.
 */
static void test_pid_is_tgid(void)
{
	struct vmqt_gvm g;
	pthread_t t;
	u32 id;

	TEST_ASSERT(!pthread_create(&t, NULL, create_vm_thread, &g) &&
		    !pthread_join(t, NULL), "worker thread");
	id = vmqt_attach(&g, NULL);
	TEST_ASSERT(vmqt_info_of(id).pid == getpid(),
		    "VM created by a worker: pid %d, process %d",
		    vmqt_info_of(id).pid, getpid());
	vmqt_gvm_free(&g);
}

static void expect_counters(u32 id, const u64 *want)
{
	struct vmq_vm_info vi = vmqt_info_of(id);
	int i;

	for (i = 0; i < VMQ_CTR_NR; i++)
		TEST_ASSERT(vi.counters[i] == want[i],
			    "VM %u counter %d: %lu, expected %lu", id, i,
			    (unsigned long)vi.counters[i], (unsigned long)want[i]);
}

/* Every counter of both VMs, exactly. */
static void test_counters(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	u64 wa[VMQ_CTR_NR] = {}, wb[VMQ_CTR_NR] = {};
	struct vmqt_gmem ra, rb, ba, bb;
	u32 i, len;
	s64 ret;

	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	expect_counters(a.id, wa);
	vmqt_allow(a.id, b.id);
	vmqt_allow(b.id, a.id);
	ra = vmqt_rx_setup(&a, 16384);
	rb = vmqt_rx_setup(&b, 16384);
	wa[VMQ_CTR_HYPERCALLS]++;
	wb[VMQ_CTR_HYPERCALLS]++;
	ba = vmqt_gmem_alloc(a.vm, SEND_OFF + 8192);
	bb = vmqt_gmem_alloc(b.vm, SEND_OFF + 8192);

	for (i = 0; i < 7; i++) {
		len = i * 1000 + 3;
		ret = send_filled(&a, &ba, b.id, len, i, i);
		TEST_ASSERT(!ret, "a->b %u: %ld", i, (long)ret);
		wa[VMQ_CTR_HYPERCALLS]++;
		wa[VMQ_CTR_TX_MSGS]++;
		wa[VMQ_CTR_TX_BYTES] += len;
		wb[VMQ_CTR_RX_MSGS]++;
		wb[VMQ_CTR_RX_BYTES] += len;
		/* b consumes as it goes, so the 16 KiB ring never fills. */
		vmqt_host_expect(&rb, a.id, i, len, i);
	}
	for (i = 0; i < 3; i++) {
		len = 100 + i;
		ret = send_filled(&b, &bb, a.id, len, i, i);
		TEST_ASSERT(!ret, "b->a %u: %ld", i, (long)ret);
		wb[VMQ_CTR_HYPERCALLS]++;
		wb[VMQ_CTR_TX_MSGS]++;
		wb[VMQ_CTR_TX_BYTES] += len;
		wa[VMQ_CTR_RX_MSGS]++;
		wa[VMQ_CTR_RX_BYTES] += len;
	}
	/* A zero-length message counts a message and no bytes. */
	ret = vmqt_gvm_send(&b, a.id, bb.gpa, 0, 42);
	TEST_ASSERT(!ret, "b->a empty: %ld", (long)ret);
	wb[VMQ_CTR_HYPERCALLS]++;
	wb[VMQ_CTR_TX_MSGS]++;
	wa[VMQ_CTR_RX_MSGS]++;

	/* Ten INFO calls: hypercalls only. */
	a.cmd->op = VMQT_OP_INFO_LOOP;
	a.cmd->loop.n = 10;
	TEST_ASSERT(vmqt_gvm_run(&a) == 0, "INFO loop");
	wa[VMQ_CTR_HYPERCALLS] += 10;

	expect_counters(a.id, wa);
	expect_counters(b.id, wb);
	TEST_ASSERT(vmqt_host_pending(&ra) == 4 && vmqt_info_of(a.id).queue_msgs == 4,
		    "a's queue: %u", vmqt_host_pending(&ra));
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7);
	vmqt_run_case("two VMs exchange messages both ways, every length", test_both_ways);
	vmqt_run_case("two senders interleaved: exact order, sender ids", test_interleave);
	vmqt_run_case("two senders concurrently: per-sender order", test_concurrent);
	vmqt_run_case("4 KiB ring wraps with padding, nothing lost", test_wrap);
	vmqt_run_case("adopted VM keeps its id when attached", test_adopt);
	vmqt_run_case("counters match what was sent", test_counters);
	vmqt_run_case("a VM's pid is its VMM's process", test_pid_is_tgid);
	ksft_finished();
}
