/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_guest.h: command guests, the VMs most vmq selftests drive.
 *
 * A command guest (vmqt_cmd_guest(), lib/guest.c) loops executing the
 * operation the host wrote into a page of its memory, struct vmqt_cmd, and
 * reports the result with GUEST_SYNC. Each operation has its own argument
 * struct in the command's union, named after it: the host fills in
 * cmd->op and that struct, runs the vCPU, and reads the results back by
 * name. The guest code is linked into every test binary, which the KVM
 * library loads into the guest.
 *
 * The host reads receive rings directly through their host mapping
 * (vmqt_ring.h), which is exactly what the guest would see.
 */
#ifndef SELFTEST_VMQT_GUEST_H
#define SELFTEST_VMQT_GUEST_H

#include "kvm_util.h"
#include "processor.h"

#include <vmq_guest.h>

/* What a command guest executes; the comment names the union member. */
enum vmqt_op {
	VMQT_OP_HC,		/* hc: one raw hypercall */
	VMQT_OP_INFO_LOOP,	/* loop: loop.n VMQ_HC_INFO calls */
	VMQT_OP_READ_LOOP,	/* loop: loop.n rounds reading the queue length, no exits */
	VMQT_OP_TX_POST,	/* tx: tx.n transmit descriptors, no exit */
	VMQT_OP_INFO,		/* info: VMQ_HC_INFO, all result registers */
	VMQT_OP_SEND_LOOP,	/* send_loop: VMQ_HC_SEND of a payload series */
	VMQT_OP_RX_SCAN,	/* rx_scan: read the whole queue, no exits */
	VMQT_OP_RX_DRAIN,	/* rx_drain: consume every message, no exits */
	VMQT_OP_TX_MIX,		/* tx: as VMQT_OP_TX_POST, some by VMQ_HC_SEND */
	VMQT_OP_TX_DESC,	/* desc: one transmit descriptor, any flags */
	VMQT_OP_MEM_FILL,	/* mem: write vmqt_pattern() words */
	VMQT_OP_MEM_CHECK,	/* mem: compare with vmqt_pattern() words */
	VMQT_OP_STORE,		/* store: one 64-bit store-release */
	VMQT_OP_PTE_FLIP,	/* flip: rewrite one PTE in a loop */
	VMQT_OP_COPY_LOOP,	/* copy_loop: VMQ_HC_COPY in a loop, logged */
	VMQT_OP_SEND_WAIT,	/* send_wait: vmqg_tx_send_wait() */
};

/* VMQT_OP_HC: RAX = hypercall(nr, a0, a1, a2, a3); RBX comes back too. */
struct vmqt_op_hc {
	u64 nr, a0, a1, a2, a3;
	u64 rbx;		/* out */
};

/*
 * VMQT_OP_INFO_LOOP: @n VMQ_HC_INFO calls, the result is their results ORed;
 * VMQT_OP_READ_LOOP: @n reads of the queue length, the result their sum.
 */
struct vmqt_op_loop {
	u64 n;
};

/* VMQT_OP_INFO: the result is RAX; the other registers come back here. */
struct vmqt_op_info {
	u64 abi_version;	/* RBX */
	u64 vm_id;		/* RCX */
	u64 features;		/* RDX */
	u64 max_msg;		/* RSI */
};

/*
 * VMQT_OP_TX_POST: @n descriptors to @dest, message i at @gpa + i * @stride,
 * @len bytes, tag @tag0 + i; the result is cmd->tx_prod afterwards.
 * VMQT_OP_TX_MIX: the same, but message i goes by VMQ_HC_SEND when bit i
 * of @mix is set; then VMQ_HC_TX_FLUSH, whose result is the result;
 * @first_err: the first failed VMQ_HC_SEND's result, or 0.
 */
struct vmqt_op_tx {
	u64 dest, gpa, len, tag0, n, stride;
	u64 mix;
	s64 first_err;		/* out */
};

/*
 * VMQT_OP_SEND_LOOP: @n messages to @dest from the buffer at @buf_gva
 * (guest-physical @buf_gpa), message i vmqt_send_loop_len(@base_len, i)
 * bytes of vmqt_fill(@fill, i), tag @tag0 + i. Stops at the first failed
 * send, whose result is the result; @sent: messages sent.
 */
struct vmqt_op_send_loop {
	u64 dest, buf_gva, buf_gpa, tag0, n, base_len, fill;
	u64 sent;		/* out */
};

/*
 * VMQT_OP_RX_SCAN: @rounds times, read the message count, the byte count
 * and every record header of the queue without consuming; the result is
 * the sum of the counts, the rest comes back summed over the rounds.
 */
struct vmqt_op_rx_scan {
	u64 rounds;
	u64 bytes, recs, tags;	/* out */
};

/*
 * VMQT_OP_RX_DRAIN: consume every message, checking each payload against
 * the OP_SEND_LOOP convention; the result is the number of messages.
 */
struct vmqt_op_rx_drain {
	u64 bytes, tags;	/* out: sums */
	u64 bad;		/* out: payloads that did not match */
};

/* VMQT_OP_TX_DESC: one descriptor; the result is its index (tx_prod before). */
struct vmqt_op_desc {
	u64 dest, gpa, len, tag, flags;
};

/*
 * VMQT_OP_MEM_FILL, VMQT_OP_MEM_CHECK: the @bytes at @gva as 64-bit words
 * of vmqt_pattern(@seed, i) (seed 0: zeroes). MEM_CHECK's result is 0, or
 * 1 + the index of the first word that differs.
 */
struct vmqt_op_mem {
	u64 gva, bytes, seed;
};

/* VMQT_OP_STORE: store-release @value at @gva. */
struct vmqt_op_store {
	u64 gva, value;
};

/*
 * VMQT_OP_PTE_FLIP: for k = 1 .. @n, store @pte | (@first_gpa + (k - 1) *
 * @stride) at @pte_gva (the guest's own page-table entry, seen through an
 * alias mapping), then store-release k at @counter_gva (0: none), then
 * spin @spin rounds of PAUSE. Stride 0 rewrites the same value @n times.
 */
struct vmqt_op_flip {
	u64 pte_gva, pte, first_gpa, stride, n, counter_gva, spin;
};

/*
 * VMQT_OP_COPY_LOOP: for i = 0 .. @n - 1, load-acquire the word at
 * @counter_gva, copy @len bytes from @src_gva to byte i * @len of grant
 * @grant of VM @dest, and log the word read (bit 63 set when the copy was
 * not whole) at @log_gva[i]; stop after the copy that read @until or more
 * (0: never); spin @spin rounds of PAUSE after each copy. @done gets the
 * copies made; the result is the number of copies that failed.
 */
struct vmqt_op_copy_loop {
	u64 dest, grant, src_gva, len, n, counter_gva, log_gva, until, spin;
	u64 done;	/* out */
};

#define VMQT_COPY_LOOP_FAILED	(1ULL << 63)

/*
 * VMQT_OP_SEND_WAIT: one message through the transmit ring, then
 * VMQ_HC_WAIT (vmqg_tx_send_wait()); the result is the wait's, @status
 * the descriptor's once the wait returned.
 */
struct vmqt_op_send_wait {
	u64 dest, gpa, len, tag, timeout_ns;
	s64 status;	/* out */
};

struct vmqt_cmd {
	u64 op;			/* enum vmqt_op */
	union {
		struct vmqt_op_hc hc;
		struct vmqt_op_loop loop;
		struct vmqt_op_info info;
		struct vmqt_op_tx tx;
		struct vmqt_op_send_loop send_loop;
		struct vmqt_op_rx_scan rx_scan;
		struct vmqt_op_rx_drain rx_drain;
		struct vmqt_op_desc desc;
		struct vmqt_op_mem mem;
		struct vmqt_op_store store;
		struct vmqt_op_flip flip;
		struct vmqt_op_copy_loop copy_loop;
		struct vmqt_op_send_wait send_wait;
	};
	/* The guest's views, set by vmqt_rx_setup() and vmqt_tx_setup(). */
	u64 rx_gva;		/* receive ring */
	u64 tx_gva;		/* transmit ring */
	u64 tx_prod;		/* next transmit descriptor */
};

/* Payload length of message @n of a VMQT_OP_SEND_LOOP series. */
static inline u32 vmqt_send_loop_len(u64 base, u64 n)
{
	return base + (n % 8) * 17;
}

/* Word @i of VMQT_OP_MEM_FILL's pattern @seed (0: zeroes). */
static inline u64 vmqt_pattern(u64 seed, u64 i)
{
	return seed ? (seed * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL) : 0;
}

/* The command guest's code: pass it, with the command's gva, to a vCPU. */
void vmqt_cmd_guest(struct vmqt_cmd *c);

/*
 * Publish one transmit descriptor at @c->tx_prod into the ring mapped at
 * @ring (the guest's view of it, or the host's), with no check for room.
 */
struct vmq_tx_desc *vmqt_tx_put(struct vmqt_cmd *c, void *ring, u32 dest,
				u64 gpa, u32 len, u64 tag, u32 flags);

/* A command guest: one vCPU running vmqt_cmd_guest(). */
struct vmqt_gvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct vmqt_cmd *cmd;	/* host view of the command page */
	u32 id;			/* vmq's id, once attached */
};

/* Guest memory the test can see from both sides. */
struct vmqt_gmem {
	vm_vaddr_t gva;
	vm_paddr_t gpa;
	void *hva;
	size_t bytes;
};

/* @bytes of zeroed, physically contiguous guest memory. */
struct vmqt_gmem vmqt_gmem_alloc(struct kvm_vm *vm, size_t bytes);

struct vmqt_gvm vmqt_gvm_create(void);
/* The same in a VM without an in-kernel irqchip (no local APIC). */
struct vmqt_gvm vmqt_gvm_create_no_lapic(void);
void vmqt_gvm_free(struct vmqt_gvm *g);
/*
 * Another vCPU of @g's VM, running its own command guest with its own
 * command page; it goes with @g's VM (never vmqt_gvm_free() it). Not
 * after vmqt_gvm_create_no_lapic().
 */
struct vmqt_gvm vmqt_gvm_add_vcpu(struct vmqt_gvm *g);
/*
 * @g's guest stores @value into the entry that maps @gva at @level (1:
 * 4 KiB page table entry) with one plain store, as a kernel does.
 */
void vmqt_gvm_pte_write(struct vmqt_gvm *g, u64 gva, int level, u64 value);

/* Run @vcpu until its next GUEST_SYNC and return the synced value. */
s64 vmqt_vcpu_sync(struct kvm_vcpu *vcpu);
/* Run @g's current command; its result. */
s64 vmqt_gvm_run(struct vmqt_gvm *g);

/* Make @c's command the raw hypercall @nr(@a0, @a1, @a2, @a3). */
void vmqt_cmd_set_hc(struct vmqt_cmd *c, u64 nr, u64 a0, u64 a1, u64 a2,
		     u64 a3);
/* That hypercall from @g's guest; returns RAX. */
s64 vmqt_gvm_hc(struct vmqt_gvm *g, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3);
/* VMQ_HC_SEND from @g's guest; returns RAX. */
s64 vmqt_gvm_send(struct vmqt_gvm *g, u32 dest, u64 gpa, u32 len, u64 tag);
/*
 * VMQT_OP_SEND_LOOP: @n messages from @buf (guest memory of @g) to @dest;
 * returns the last VMQ_HC_SEND result, sets *@sent.
 */
s64 vmqt_gvm_send_loop(struct vmqt_gvm *g, struct vmqt_gmem *buf, u32 dest,
		       u64 tag0, u32 n, u32 base_len, u32 fill_id, u32 *sent);
/* VMQ_HC_INFO from @g's guest, all four result registers. */
struct vmqg_info vmqt_gvm_info(struct vmqt_gvm *g);
/*
 * One natural exit of @g: GUEST_SYNC and nothing else, no hypercall
 * (VMQT_OP_INFO_LOOP of 0 calls). Returns the command's result, 0.
 */
s64 vmqt_gvm_natural_exit(struct vmqt_gvm *g);

/* Register a receive ring of one header page + @data_bytes for @g. */
struct vmqt_gmem vmqt_rx_setup(struct vmqt_gvm *g, u32 data_bytes);
/* Register a transmit ring of @pages descriptor pages for @g's vCPU. */
struct vmqt_gmem vmqt_tx_setup(struct vmqt_gvm *g, u32 pages);

/* A command guest with a payload buffer and, optionally, a receive ring. */
struct vmqt_tvm {
	struct vmqt_gvm g;
	struct vmqt_gmem buf;
	struct vmqt_gmem rx;	/* zeroes when it has none */
};

/*
 * A new one, attached with @name (NULL: unnamed), or, with @adopt, left
 * for vmq to adopt at its first hypercall (VMQ_HC_INFO); a receive ring of
 * @rx_bytes (0: none) and a payload buffer of @buf_bytes.
 */
struct vmqt_tvm vmqt_tvm_new(const char *name, bool adopt, u32 rx_bytes,
			     u32 buf_bytes);
/* VMQ_HC_SEND of @len bytes of vmqt_fill(@t's id, @n), tag @n, to @dest. */
s64 vmqt_tvm_send(struct vmqt_tvm *t, u32 dest, u32 len, u32 n);
void vmqt_tvm_send_ok(struct vmqt_tvm *t, u32 dest, u32 len, u32 n);

/* Two fresh VMs exchange one message, checked byte for byte. */
void vmqt_one_message(void);

#endif /* SELFTEST_VMQT_GUEST_H */
