/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_ring.h: the host's side of the rings in guest memory, and the
 * payload convention the tests check byte for byte.
 *
 * The host consumes a receive ring through its own mapping exactly as the
 * guest would, so a test sees every byte, sender id, tag and sequence
 * number that the guest would.
 */
#ifndef SELFTEST_VMQT_RING_H
#define SELFTEST_VMQT_RING_H

#include <stdbool.h>

#include "vmqt_guest.h"

/* Deterministic payload bytes for message @n of sender @s (guest code too). */
void vmqt_fill(void *buf, u32 len, u32 s, u32 n);
bool vmqt_check_fill(const void *buf, u32 len, u32 s, u32 n);
/* Whether each of the @n bytes at @p is @v. */
bool vmqt_all_bytes(const void *p, u8 v, size_t n);

/* The oldest message of @r, padding consumed on the way; NULL: empty. */
const struct vmq_msg_hdr *vmqt_host_peek(struct vmqt_gmem *r);
void vmqt_host_consume(struct vmqt_gmem *r, const struct vmq_msg_hdr *m);
/* Messages waiting. */
u32 vmqt_host_pending(struct vmqt_gmem *r);
/*
 * Take the oldest message off @r and check it: a DATA record from @sender
 * with @tag, @len bytes of vmqt_fill(@sender, @fill_n). Returns its seq.
 */
u32 vmqt_host_expect(struct vmqt_gmem *r, u32 sender, u64 tag, u32 len,
		     u32 fill_n);
/*
 * Take the oldest message off @r and check it: the identity record of VM
 * @id named @name, from the host, with nothing of an older name after it.
 */
void vmqt_host_expect_identity(struct vmqt_gmem *r, u32 id, const char *name);

/* @buf (VMQ_NAME_MAX bytes) holds @name and zeroes after it. */
bool vmqt_name_padded(const char *buf, const char *name);

/* The status of descriptor @idx of the transmit ring @tx, read by the host. */
s32 vmqt_host_tx_status(struct vmqt_gmem *tx, s64 idx);

#endif /* SELFTEST_VMQT_RING_H */
