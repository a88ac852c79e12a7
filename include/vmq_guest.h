/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vmq_guest.h: a header-only vmq library for bare guests (test guests,
 * firmware, unikernels). It needs nothing but a C compiler: hypercalls by
 * inline assembly, ring access by the compiler's __atomic builtins, which
 * give exactly the acquire/release pairs that the ring contract in
 * <linux/vmq.h> asks of the consumer.
 *
 * Everything here is named vmqg_ (the guest world); the types and constants
 * of <linux/vmq.h> keep their vmq_/VMQ_ names.
 *
 * Linux guests use the vmq guest driver instead.
 */
#ifndef _VMQ_GUEST_H
#define _VMQ_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/vmq.h>

/*
 * VMCALL is Intel's instruction, VMMCALL AMD's. KVM can emulate the wrong
 * one by patching guest code, but that costs an extra exit and writes to
 * guest text, so pick the right one once from CPUID's vendor string.
 */
static inline bool vmqg_cpu_is_amd(void)
{
	static int amd = -1;
	__u32 eax = 0, ebx, ecx, edx;

	if (amd < 0) {
		__asm__ __volatile__("cpuid"
				     : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
		/* "AuthenticAMD" or "HygonGenuine" */
		amd = (ebx == 0x68747541 && edx == 0x69746e65) ||
		      (ebx == 0x6f677948 && edx == 0x6e65476e);
	}
	return amd;
}

struct vmqg_hc_regs {
	__u64 rax, rbx, rcx, rdx, rsi;
};

/* Issue one hypercall; @r carries arguments in and results out. */
static inline void vmqg_hypercall_regs(struct vmqg_hc_regs *r)
{
	if (vmqg_cpu_is_amd())
		__asm__ __volatile__("vmmcall"
				     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
				       "+d"(r->rdx), "+S"(r->rsi)
				     : : "memory");
	else
		__asm__ __volatile__("vmcall"
				     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
				       "+d"(r->rdx), "+S"(r->rsi)
				     : : "memory");
}

static inline __s64 vmqg_hypercall(__u64 nr, __u64 a0, __u64 a1, __u64 a2,
				   __u64 a3)
{
	struct vmqg_hc_regs r = { nr, a0, a1, a2, a3 };

	vmqg_hypercall_regs(&r);
	return (__s64)r.rax;
}

struct vmqg_info {
	__u32 abi_version;
	__u32 vm_id;
	__u32 features;
	__u32 max_msg;
};

static inline __s64 vmqg_info(struct vmqg_info *info)
{
	struct vmqg_hc_regs r = { VMQ_HC_INFO, 0, 0, 0, 0 };

	vmqg_hypercall_regs(&r);
	if ((__s64)r.rax < 0)
		return (__s64)r.rax;
	info->abi_version = (__u32)r.rbx;
	info->vm_id = (__u32)r.rcx;
	info->features = (__u32)r.rdx;
	info->max_msg = (__u32)r.rsi;
	return 0;
}

static inline __s64 vmqg_send(__u32 dest, __u64 gpa, __u32 len, __u64 tag)
{
	return vmqg_hypercall(VMQ_HC_SEND, dest, gpa, len, tag);
}

/* The consumer's view of a receive ring. */
struct vmqg_rx {
	struct vmq_ring_hdr *hdr;
	__u8 *data;
	__u32 size;		/* data area bytes, a power of two */
};

/*
 * Prepare the ring at @ring (the guest's mapping of it), @ring_bytes long,
 * and register it at guest-physical @gpa. Returns 0 or the hypercall's
 * negative error.
 */
static inline __s64 vmqg_rx_register(struct vmqg_rx *rx, void *ring,
				     __u64 gpa, __u64 ring_bytes)
{
	struct vmq_ring_hdr *hdr = (struct vmq_ring_hdr *)ring;
	__s64 ret;

	__builtin_memset(hdr, 0, sizeof(*hdr));
	hdr->magic = VMQ_RING_MAGIC;
	rx->hdr = hdr;
	rx->data = (__u8 *)ring + VMQ_RING_HDR_SIZE;
	rx->size = 0;
	ret = vmqg_hypercall(VMQ_HC_QUEUE_REGISTER, gpa, ring_bytes, 0, 0);
	if (ret)
		return ret;
	rx->size = __atomic_load_n(&hdr->data_size, __ATOMIC_RELAXED);
	return 0;
}

/* Messages waiting, read with no VM exit. */
static inline __u32 vmqg_rx_pending(const struct vmqg_rx *rx)
{
	__u32 prod = __atomic_load_n(&rx->hdr->prod_msgs, __ATOMIC_ACQUIRE);

	return prod - __atomic_load_n(&rx->hdr->cons_msgs, __ATOMIC_RELAXED);
}

/* Bytes waiting (records, headers and padding included). */
static inline __u32 vmqg_rx_pending_bytes(const struct vmqg_rx *rx)
{
	__u32 head = __atomic_load_n(&rx->hdr->prod_head, __ATOMIC_ACQUIRE);

	return head - __atomic_load_n(&rx->hdr->cons_tail, __ATOMIC_RELAXED);
}

/*
 * The oldest message, or NULL when the queue is empty. Padding records are
 * consumed on the way. The message stays valid until vmqg_rx_consume().
 */
static inline const struct vmq_msg_hdr *vmqg_rx_peek(struct vmqg_rx *rx)
{
	for (;;) {
		__u32 tail = __atomic_load_n(&rx->hdr->cons_tail,
						__ATOMIC_RELAXED);
		__u32 head = __atomic_load_n(&rx->hdr->prod_head,
						__ATOMIC_ACQUIRE);
		const struct vmq_msg_hdr *m;

		if (head == tail)
			return NULL;
		m = (const struct vmq_msg_hdr *)(rx->data +
						 (tail & (rx->size - 1)));
		if (m->type != VMQ_MSG_PAD)
			return m;
		__atomic_store_n(&rx->hdr->cons_tail,
				 tail + VMQ_MSG_RECORD_SIZE(m->len),
				 __ATOMIC_RELEASE);
	}
}

/* Hand the space of @m, the message vmqg_rx_peek() returned, back. */
static inline void vmqg_rx_consume(struct vmqg_rx *rx,
				   const struct vmq_msg_hdr *m)
{
	__u32 tail = __atomic_load_n(&rx->hdr->cons_tail, __ATOMIC_RELAXED);

	__atomic_store_n(&rx->hdr->cons_msgs,
			 __atomic_load_n(&rx->hdr->cons_msgs, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&rx->hdr->cons_tail, tail + VMQ_MSG_RECORD_SIZE(m->len),
			 __ATOMIC_RELEASE);
}

static inline const void *vmqg_msg_payload(const struct vmq_msg_hdr *m)
{
	return m + 1;
}

/* Ask for (or stop) the arrival notification; see VMQ_IOC_SET_NOTIFY. */
static inline void vmqg_rx_set_notify(struct vmqg_rx *rx, bool on)
{
	__atomic_store_n(&rx->hdr->cons_flags, on ? VMQ_RING_F_NOTIFY : 0,
			 __ATOMIC_RELEASE);
}

/*
 * Blocking receive: returns the number of waiting messages at once, or 0
 * after halting until a message, an interrupt or @timeout_ns.
 */
static inline __s64 vmqg_wait(__u64 timeout_ns)
{
	return vmqg_hypercall(VMQ_HC_WAIT, timeout_ns, 0, 0, 0);
}

/* The producer's view of this vCPU's transmit ring. */
struct vmqg_tx {
	struct vmq_tx_hdr *hdr;
	struct vmq_tx_desc *desc;
	__u32 nr;		/* descriptors, a power of two */
	__u32 prod;		/* next descriptor to fill */
};

static inline __s64 vmqg_tx_register(struct vmqg_tx *tx, void *ring,
				     __u64 gpa, __u64 ring_bytes)
{
	struct vmq_tx_hdr *hdr = (struct vmq_tx_hdr *)ring;
	__s64 ret;

	__builtin_memset(hdr, 0, sizeof(*hdr));
	hdr->magic = VMQ_TX_MAGIC;
	tx->hdr = hdr;
	tx->desc = (struct vmq_tx_desc *)((__u8 *)ring + VMQ_RING_HDR_SIZE);
	tx->nr = 0;
	tx->prod = 0;
	ret = vmqg_hypercall(VMQ_HC_TX_REGISTER, gpa, ring_bytes, 0, 0);
	if (ret)
		return ret;
	tx->nr = __atomic_load_n(&hdr->nr_desc, __ATOMIC_RELAXED);
	return 0;
}

/* Descriptors the host has not completed yet. */
static inline __u32 vmqg_tx_inflight(const struct vmqg_tx *tx)
{
	return tx->prod - __atomic_load_n(&tx->hdr->cons, __ATOMIC_ACQUIRE);
}

/*
 * Fill the next descriptor and publish it, with no check for room: for a
 * caller that knows there is some (or that overfills on purpose, as a test
 * may). Returns the descriptor.
 */
static inline struct vmq_tx_desc *
__vmqg_tx_put(struct vmqg_tx *tx, __u32 dest, __u64 gpa, __u32 len, __u64 tag,
	      __u32 flags)
{
	struct vmq_tx_desc *d = &tx->desc[tx->prod & (tx->nr - 1)];

	d->dest = dest;
	d->len = len;
	d->gpa = gpa;
	d->tag = tag;
	d->flags = flags;
	d->status = VMQ_TX_PENDING;
	tx->prod++;
	__atomic_store_n(&tx->hdr->prod, tx->prod, __ATOMIC_RELEASE);
	return d;
}

/*
 * Queue one lazy send: no hypercall, no exit. Returns the descriptor (its
 * status turns from VMQ_TX_PENDING to the result once the host consumed
 * it), or NULL when the ring is full.
 */
static inline struct vmq_tx_desc *
__vmqg_tx_post(struct vmqg_tx *tx, __u32 dest, __u64 gpa, __u32 len, __u64 tag,
	       __u32 flags)
{
	if (vmqg_tx_inflight(tx) >= tx->nr)
		return NULL;
	return __vmqg_tx_put(tx, dest, gpa, len, tag, flags);
}

static inline struct vmq_tx_desc *
vmqg_tx_post(struct vmqg_tx *tx, __u32 dest, __u64 gpa, __u32 len, __u64 tag)
{
	return __vmqg_tx_post(tx, dest, gpa, len, tag, 0);
}

/*
 * Send one message through the transmit ring, then block until a message
 * is in the receive queue (VMQ_HC_WAIT): the wait's own exit delivers the
 * message, so a request and its answer between two guests cost two VM
 * exits in all, where VMQ_HC_SEND then VMQ_HC_WAIT costs four. Returns as
 * vmqg_wait(), or -EAGAIN when the transmit ring is full (nothing sent, no
 * wait); *@d gets the descriptor, whose status says how the send went.
 */
static inline __s64 vmqg_tx_send_wait(struct vmqg_tx *tx, __u32 dest,
				      __u64 gpa, __u32 len, __u64 tag,
				      __u64 timeout_ns,
				      struct vmq_tx_desc **d)
{
	*d = vmqg_tx_post(tx, dest, gpa, len, tag);
	if (!*d)
		return -EAGAIN;
	return vmqg_wait(timeout_ns);
}

/*
 * Lazy page send of the held window slot at @gpa: the page is still the
 * guest's until the descriptor completes; leave it alone until then.
 */
static inline struct vmq_tx_desc *
vmqg_tx_post_page(struct vmqg_tx *tx, __u32 dest, __u64 gpa, __u64 tag)
{
	return __vmqg_tx_post(tx, dest, gpa, 0, tag, VMQ_TX_F_PAGE);
}

/*
 * The result of a posted descriptor: VMQ_TX_PENDING until the host consumed
 * it, then 0 or a negative errno. Valid until the ring wraps onto it.
 */
static inline __s32 vmqg_tx_status(const struct vmq_tx_desc *d)
{
	return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
}

/* Immediate policy: deliver everything posted now. */
static inline __s64 vmqg_tx_flush(void)
{
	return vmqg_hypercall(VMQ_HC_TX_FLUSH, 0, 0, 0, 0);
}

/*
 * Cross-guest copy. Publish @len bytes at guest-virtual @gva of the current
 * address space as a destination VM @sender may write (VMQ_GRANT_* in
 * @flags): returns the grant's id, or a negative errno.
 */
static inline __s64 vmqg_grant(__u64 gva, __u64 len, __u64 flags,
			       __u32 sender)
{
	return vmqg_hypercall(VMQ_HC_GRANT, gva, len, flags, sender);
}

static inline __s64 vmqg_grant_revoke(__u32 grant)
{
	return vmqg_hypercall(VMQ_HC_GRANT_REVOKE, grant, 0, 0, 0);
}

/*
 * Copy @len bytes at guest-virtual @src (VMQ_COPY_USER in @flags: a user
 * range) to byte @offset of grant @grant of VM @dest. Returns the bytes
 * copied, or a negative errno when none was; *@err gets 0 when the whole
 * copy (and its record) is done, else the errno that stopped it part-way.
 */
static inline __s64 vmqg_copy(__u32 dest, __u32 grant, __u64 offset,
			      __u64 src, __u32 len, __u32 flags, __s64 *err)
{
	struct vmqg_hc_regs r = {
		VMQ_HC_COPY, (__u64)dest << 32 | grant, offset, src,
		(__u64)flags << 32 | len,
	};

	vmqg_hypercall_regs(&r);
	*err = (__s64)r.rax < 0 ? (__s64)r.rax : (__s64)r.rbx;
	return (__s64)r.rax;
}

#endif /* _VMQ_GUEST_H */
