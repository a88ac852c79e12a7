// SPDX-License-Identifier: GPL-2.0
/*
 * full_test - a full receive queue refuses, exactly, and loses nothing.
 *
 * A sender fills a receiver's 4 KiB ring. Proves that:
 *  - VMQ_HC_SEND returns -EAGAIN exactly when the next record (with the
 *    padding it would need) no longer fits, and not before: the number of
 *    accepted messages is what the ring geometry says, a shorter message
 *    that still fits the space left is accepted after a refusal;
 *  - a refused send leaves no trace: prod_head, prod_msgs and every byte of
 *    the data area are unchanged, VMQ_CTR_ERR_FULL counts each refusal and
 *    TX/RX counters only the accepted ones; VMQ_CMD_GET_VM reports the
 *    queue's messages and bytes;
 *  - after draining part of the queue, sending resumes (across the wrap)
 *    until the queue is full again; draining all of it then yields every
 *    accepted message exactly once, in order, with consecutive seq numbers,
 *    and none of the refused ones.
 */
#include "vmqt.h"

#define RING	4096u
#define MAX_SENT	256

struct fill {
	struct vmqt_gvm s, r;
	struct vmqt_gmem ring, buf;
	struct vmq_ring_hdr *h;
	u64 sent_tags[MAX_SENT];
	u32 sent_lens[MAX_SENT];
	u32 nr_sent, nr_refused, nr_got;
	u64 next_tag;
	u32 head;	/* the producer index as the ring geometry predicts */
};

/* Would a record of @len fit now, by the ring contract? */
static bool fits(struct fill *f, u32 len)
{
	u32 rec = VMQ_MSG_RECORD_SIZE(len);
	u32 used = f->head - f->h->cons_tail;
	u32 contig = RING - (f->head & (RING - 1));
	u32 pad = contig < rec ? contig : 0;

	return RING - used >= pad + rec;
}

static void advance(struct fill *f, u32 len)
{
	u32 rec = VMQ_MSG_RECORD_SIZE(len);
	u32 contig = RING - (f->head & (RING - 1));

	f->head += (contig < rec ? contig : 0) + rec;
}

/* Send one message of @len; check the outcome the geometry predicts. */
static bool send_one(struct fill *f, u32 len)
{
	static u8 before[RING];
	bool want = fits(f, len);
	u32 head = f->h->prod_head, msgs = f->h->prod_msgs;
	u64 tag = 0x5eed0000ull + f->next_tag++;
	s64 ret;

	memcpy(before, (u8 *)f->ring.hva + VMQ_RING_HDR_SIZE, RING);
	vmqt_fill(f->buf.hva, len, f->s.id, (u32)tag);
	ret = vmqt_gvm_send(&f->s, f->r.id, f->buf.gpa, len, tag);
	if (want) {
		TEST_ASSERT(ret == 0, "len %u should fit (head %u tail %u): %ld",
			    len, f->head, f->h->cons_tail, (long)ret);
		TEST_ASSERT(f->nr_sent < MAX_SENT, "too many");
		f->sent_tags[f->nr_sent] = tag;
		f->sent_lens[f->nr_sent++] = len;
		advance(f, len);
		TEST_ASSERT(f->h->prod_head == f->head, "prod_head %u, expected %u",
			    f->h->prod_head, f->head);
		return true;
	}
	TEST_ASSERT(ret == -EAGAIN, "len %u must not fit (head %u tail %u): %ld",
		    len, f->head, f->h->cons_tail, (long)ret);
	f->nr_refused++;
	TEST_ASSERT(f->h->prod_head == head && f->h->prod_msgs == msgs,
		    "a refused send moved prod_head %u->%u prod_msgs %u->%u",
		    head, f->h->prod_head, msgs, f->h->prod_msgs);
	TEST_ASSERT(!memcmp(before, (u8 *)f->ring.hva + VMQ_RING_HDR_SIZE, RING),
		    "a refused send wrote into the data area");
	return false;
}

static void expect_queue(struct fill *f)
{
	struct vmq_vm_info vi = vmqt_info_of(f->r.id);
	struct vmq_vm_info si = vmqt_info_of(f->s.id);
	u32 msgs = f->nr_sent - f->nr_got;
	u64 bytes = 0;
	u32 i;

	TEST_ASSERT(vi.queue_size == RING && vi.queue_msgs == msgs &&
		    vi.queue_bytes == f->head - f->h->cons_tail,
		    "VM_INFO queue: size %u msgs %u (want %u) bytes %u (want %u)",
		    vi.queue_size, vi.queue_msgs, msgs, vi.queue_bytes,
		    f->head - f->h->cons_tail);
	TEST_ASSERT(vmqt_host_pending(&f->ring) == msgs, "prod_msgs - cons_msgs");
	for (i = 0; i < f->nr_sent; i++)
		bytes += f->sent_lens[i];
	TEST_ASSERT(si.counters[VMQ_CTR_ERR_FULL] == f->nr_refused &&
		    si.counters[VMQ_CTR_TX_MSGS] == f->nr_sent &&
		    si.counters[VMQ_CTR_TX_BYTES] == bytes &&
		    vi.counters[VMQ_CTR_RX_MSGS] == f->nr_sent &&
		    vi.counters[VMQ_CTR_RX_BYTES] == bytes,
		    "counters: full %lu (want %u) tx %lu/%lu rx %lu/%lu (want %u/%lu)",
		    (unsigned long)si.counters[VMQ_CTR_ERR_FULL], f->nr_refused,
		    (unsigned long)si.counters[VMQ_CTR_TX_MSGS],
		    (unsigned long)si.counters[VMQ_CTR_TX_BYTES],
		    (unsigned long)vi.counters[VMQ_CTR_RX_MSGS],
		    (unsigned long)vi.counters[VMQ_CTR_RX_BYTES], f->nr_sent,
		    (unsigned long)bytes);
}

/* Take @n messages off the queue, checking each is the next accepted one. */
static void drain(struct fill *f, u32 n)
{
	u32 i, k;

	for (i = 0; i < n; i++) {
		k = f->nr_got;
		TEST_ASSERT(k < f->nr_sent, "more messages than accepted");
		TEST_ASSERT(vmqt_host_expect(&f->ring, f->s.id, f->sent_tags[k],
					     f->sent_lens[k],
					     (u32)f->sent_tags[k]) == k,
			    "seq of accepted message %u", k);
		f->nr_got++;
	}
}

static void setup(struct fill *f)
{
	memset(f, 0, sizeof(*f));
	f->s = vmqt_gvm_create();
	f->r = vmqt_gvm_create();
	vmqt_attach(&f->s, NULL);
	vmqt_attach(&f->r, NULL);
	vmqt_allow(f->s.id, f->r.id);
	f->ring = vmqt_rx_setup(&f->r, RING);
	f->h = f->ring.hva;
	f->buf = vmqt_gmem_alloc(f->s.vm, 4096);
}

/* Fill with 100-byte messages: 25 records of 160 bytes fit, not 26. */
static void test_fill_exact(void)
{
	struct fill f;
	u32 i;

	setup(&f);
	for (i = 0; send_one(&f, 100); i++)
		;
	TEST_ASSERT(i == RING / VMQ_MSG_RECORD_SIZE(100) && i == 25,
		    "accepted %u messages", i);
	/* Refused again, still nothing written. */
	TEST_ASSERT(!send_one(&f, 100) && !send_one(&f, 1000), "refused");
	expect_queue(&f);

	/* 96 bytes are left before the end: a 64-byte message fits them. */
	TEST_ASSERT(send_one(&f, 64), "64 bytes fit the 96 left");
	TEST_ASSERT(f.head == RING, "head %u", f.head);
	/* Now not even an empty message fits. */
	TEST_ASSERT(!send_one(&f, 0) && !send_one(&f, 1), "0/1 bytes refused");
	TEST_ASSERT(f.nr_refused == 5, "refused %u", f.nr_refused);
	expect_queue(&f);

	drain(&f, f.nr_sent);
	TEST_ASSERT(!vmqt_host_peek(&f.ring), "refused messages appeared");
	expect_queue(&f);
	vmqt_gvm_free(&f.s);
	vmqt_gvm_free(&f.r);
}

/* Fill, drain part, refill across the wrap, repeatedly; then drain all. */
static void test_drain_resend(void)
{
	struct fill f;
	u32 round, len, i;

	setup(&f);
	for (round = 0; round < 6; round++) {
		/* Varied lengths, so records and padding land anywhere. */
		for (i = 0; ; i++) {
			len = 50 + ((round * 7 + i) * 211) % 900;
			if (!send_one(&f, len))
				break;
		}
		TEST_ASSERT(!fits(&f, len), "refused but it fit");
		expect_queue(&f);
		drain(&f, (f.nr_sent - f.nr_got) / 2 + 1);
		expect_queue(&f);
		/* The refused length fits now, or after the next drain. */
	}
	drain(&f, f.nr_sent - f.nr_got);
	TEST_ASSERT(!vmqt_host_peek(&f.ring), "refused messages appeared");
	TEST_ASSERT(f.h->prod_head > 2 * RING, "never wrapped: head %u",
		    f.h->prod_head);
	TEST_ASSERT(f.nr_refused == 6, "refused %u", f.nr_refused);
	expect_queue(&f);
	TEST_ASSERT(vmqt_info_of(f.r.id).queue_msgs == 0 &&
		    vmqt_info_of(f.r.id).queue_bytes == 0, "queue not empty");
	vmqt_gvm_free(&f.s);
	vmqt_gvm_free(&f.r);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	vmqt_run_case("full queue refuses exactly with -EAGAIN, writes nothing", test_fill_exact);
	vmqt_run_case("drain and resend: every accepted message once, no refused one",
		      test_drain_resend);
	ksft_finished();
}
