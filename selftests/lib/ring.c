// SPDX-License-Identifier: GPL-2.0
/*
 * The host's side of the rings in guest memory, and the payload
 * convention. See vmqt_ring.h.
 */
#include <string.h>

#include "test_util.h"

#include "vmqt_ring.h"

void vmqt_fill(void *buf, u32 len, u32 s, u32 n)
{
	u8 *p = buf;
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(s * 131 + n * 31 + i * 7 + (i >> 8));
}

bool vmqt_check_fill(const void *buf, u32 len, u32 s, u32 n)
{
	const u8 *p = buf;
	u32 i;

	for (i = 0; i < len; i++)
		if (p[i] != (u8)(s * 131 + n * 31 + i * 7 + (i >> 8)))
			return false;
	return true;
}

const struct vmq_msg_hdr *vmqt_host_peek(struct vmqt_gmem *r)
{
	struct vmq_ring_hdr *h = r->hva;
	u8 *data = (u8 *)r->hva + VMQ_RING_HDR_SIZE;

	for (;;) {
		u32 tail = h->cons_tail;
		u32 head = __atomic_load_n(&h->prod_head, __ATOMIC_ACQUIRE);
		const struct vmq_msg_hdr *m;

		if (head == tail)
			return NULL;
		TEST_ASSERT(head - tail <= h->data_size, "ring overrun");
		m = (const void *)(data + (tail & (h->data_size - 1)));
		if (m->type != VMQ_MSG_PAD)
			return m;
		__atomic_store_n(&h->cons_tail, tail + VMQ_MSG_RECORD_SIZE(m->len),
				 __ATOMIC_RELEASE);
	}
}

void vmqt_host_consume(struct vmqt_gmem *r, const struct vmq_msg_hdr *m)
{
	struct vmq_ring_hdr *h = r->hva;

	h->cons_msgs++;
	__atomic_store_n(&h->cons_tail, h->cons_tail + VMQ_MSG_RECORD_SIZE(m->len),
			 __ATOMIC_RELEASE);
}

u32 vmqt_host_pending(struct vmqt_gmem *r)
{
	struct vmq_ring_hdr *h = r->hva;

	return __atomic_load_n(&h->prod_msgs, __ATOMIC_ACQUIRE) - h->cons_msgs;
}

u32 vmqt_host_expect(struct vmqt_gmem *r, u32 sender, u64 tag, u32 len,
		     u32 fill_n)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(r);
	u32 seq;

	TEST_ASSERT(m, "queue empty, expected tag 0x%lx from %u",
		    (unsigned long)tag, sender);
	TEST_ASSERT(m->type == VMQ_MSG_DATA && !m->flags && !m->reserved,
		    "type %u flags %u reserved %lu", m->type, m->flags,
		    (unsigned long)m->reserved);
	TEST_ASSERT(m->sender == sender, "sender %u, expected %u", m->sender,
		    sender);
	TEST_ASSERT(m->tag == tag, "tag 0x%lx, expected 0x%lx",
		    (unsigned long)m->tag, (unsigned long)tag);
	TEST_ASSERT(m->len == len, "len %u, expected %u (tag 0x%lx)", m->len,
		    len, (unsigned long)tag);
	TEST_ASSERT(vmqt_check_fill(vmqg_msg_payload(m), len, sender, fill_n),
		    "payload of tag 0x%lx (len %u) corrupt", (unsigned long)tag,
		    len);
	seq = m->seq;
	vmqt_host_consume(r, m);
	return seq;
}

bool vmqt_name_padded(const char *buf, const char *name)
{
	char want[VMQ_NAME_MAX] = { 0 };

	strncpy(want, name, sizeof(want) - 1);
	return !memcmp(buf, want, sizeof(want));
}

void vmqt_host_expect_identity(struct vmqt_gmem *r, u32 id, const char *name)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(r);
	const struct vmq_identity *idn;

	TEST_ASSERT(m, "no identity record");
	TEST_ASSERT(m->type == VMQ_MSG_IDENTITY && m->sender == 0 &&
		    m->len == sizeof(*idn), "record type %u sender %u len %u",
		    m->type, m->sender, m->len);
	idn = vmqg_msg_payload(m);
	TEST_ASSERT(idn->id == id && !strcmp(idn->name, name),
		    "identity %u \"%.32s\", expected %u \"%s\"", idn->id,
		    idn->name, id, name);
	/* Every byte past the name is zero: nothing of an older name. */
	TEST_ASSERT(vmqt_name_padded(idn->name, name),
		    "identity of %u: stale bytes after \"%s\"", id, name);
	TEST_ASSERT(!idn->reserved, "identity reserved %u", idn->reserved);
	vmqt_host_consume(r, m);
}

s32 vmqt_host_tx_status(struct vmqt_gmem *tx, s64 idx)
{
	struct vmq_tx_hdr *h = tx->hva;
	struct vmq_tx_desc *d = tx->hva + VMQ_RING_HDR_SIZE;

	return __atomic_load_n(&d[idx & (h->nr_desc - 1)].status,
			       __ATOMIC_ACQUIRE);
}

bool vmqt_all_bytes(const void *p, u8 v, size_t n)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}
