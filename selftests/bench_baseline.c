// SPDX-License-Identifier: GPL-2.0
/*
 * bench_baseline.c - vmq_bench's baselines: the round trip and the 64 KiB
 * stream between two guests done the ways a user would do them without
 * vmq, measured in the same run as vmq's, and vmq's figures over theirs.
 * Linked into vmq_bench; its table entry is "baseline".
 *
 * Both workloads are the same for every way:
 *
 *   round trip: 64-byte ping-pong, 500 round trips after 20 to warm up,
 *	as the round_trip benchmark plays it with vmq. round_trip_us and
 *	exits_per_round_trip (KVM's "exits" of both vCPUs less host
 *	interrupts and the two GUEST_SYNCs that end the run).
 *   stream: the sender moves 400 chunks of 64 KiB (after 50 to warm up)
 *	into the receiver's memory; the receiver learns of each, checks
 *	the sequence number the sender stamped into it and gives its room
 *	back. At most 8 chunks (512 KiB) wait at the receiver, except for
 *	vmq's own ring (1 MiB). throughput in GiB/s, exits_per_64k.
 *
 * relay (relay_round_trip, relay_stream)
 *	Two VMs connected by their VMM, as one without vmq would do it
 *	(virtio-like): the sender has its message in its own memory and
 *	exits with port I/O (OUT of the length to BL_PORT_SEND); the VMM,
 *	the bench's vCPU thread of that VM, copies the bytes into the
 *	receiver's ring, in the receiver's memory, and wakes the receiver
 *	through an irqfd: an eventfd write that KVM turns into an MSI
 *	(vector BL_VECTOR) to the receiver's x2APIC. The receiver waits
 *	halted: it asks for the interrupt (irq_wanted in its ring), then
 *	STI; HLT, handled in KVM (in-kernel LAPIC), and its handler
 *	writes the EOI (an MSR write, one more exit). A full ring makes the
 *	VMM ask the receiver for a kick (kick_wanted) and block on a
 *	condition variable, which the receiver's OUT to BL_PORT_KICK,
 *	after it consumed a message, signals. Interrupts and kicks are
 *	asked for only when needed, as virtio suppresses notifications.
 *	One round trip: per side an OUT, a HLT and an EOI: six exits, the
 *	OUTs to user space. relay_round_trip also reports
 *	io_exits_per_round_trip (the exits to user space),
 *	halt_exits_per_round_trip and interrupts_per_round_trip (irqfd
 *	writes). The relay runs while no VM uses vmq, so vmq's exit probe
 *	is off (as on a host without vmq; exit_overhead measures it on).
 * shm_poll (shm_poll_round_trip, shm_poll_stream)
 *	Two VMs sharing one memory: the same memfd registered as a memslot
 *	in both. Each direction is a ring of 8 slots in it; the sender
 *	copies its message in (REP MOVSQ) and publishes it, the receiver
 *	polls. No exit, no isolation, no host in the path: the floor.
 * stream (stream_send, stream_copy, stream_page_4k, stream_page_2m)
 *	vmq's ways of moving the stream, each between two guests:
 *	  send:    VMQ_HC_SEND of each 64 KiB chunk (retrying -EAGAIN while
 *		   the receiver's ring is full), as copy_send_64k does, the
 *		   receiver a guest waiting in VMQ_HC_WAIT;
 *	  copy:    VMQ_HC_COPY of each chunk into a 512 KiB grant of the
 *		   receiver (VMQ_GRANT_RECORD: each copy leaves a
 *		   VMQ_MSG_COPY record), as gva_copy_64k does, with the flow
 *		   control a stream needs: the receiver gives each chunk's
 *		   room back with a message posted in its transmit ring
 *		   (delivered by its next wait's exit, or flushed once four
 *		   wait), and the sender waits for room when 8 chunks are out;
 *	  page_4k, page_2m: zero-copy page moves (VMQ_HC_PAGE_SEND) of
 *		   window pages the sender filled, 16 pages of 4 KiB per
 *		   chunk or 32 chunks in a 2 MiB page, as page_transfer_4k and
 *		   page_transfer_2m do; the receiver checks each chunk's
 *		   stamp and frees the page (VMQ_HC_PAGE_FREE). 1600 pages
 *		   of 4 KiB (a quarter of the stream: they are slow), 200
 *		   of 2 MiB (16 times the stream).
 *	The stream row's throughput is the best of them, named in its
 *	"way" key: vmq's stream is whichever way moves it fastest. Note
 *	that the page ways copy nothing: the sender writes the data into
 *	the window page (here only a stamp per 64 KiB) and the page moves,
 *	where relay, shm_poll, send and copy each copy every byte once.
 *
 * The comparisons, vmq over the baseline:
 *	{"bench": "round_trip", "metric": "vs_relay" | "vs_shm_poll"}
 *	    the round_trip row's round_trip_us over the baseline's (below 1:
 *	    vmq is faster)
 *	{"bench": "stream", "metric": "vs_relay" | "vs_shm_poll"}
 *	    the stream row's bytes/s over the baseline's (above 1: vmq is
 *	    faster)
 * vmq's round trip is the round_trip benchmark's, run first if it has not
 * run yet.
 */
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "apic.h"
#include "vmqt.h"
#include "vmqt_window.h"
#include "vmq_bench.h"

#define GiB		(1024.0 * 1024 * 1024)
#define BL_CHUNK	65536		/* the stream's unit */
#define BL_SMALL	64		/* a ping or a pong */
#define BL_SLOTS	8		/* chunks waiting at the receiver */
/* Each VM's buffers and rings, identity mapped. */
#define BL_BIG_SLOT	1
#define BL_BIG_GPA	0x40000000ULL
#define BL_BIG_PAGES	1024
/* vmq's page windows, identity mapped. */
#define BL_WIN_SLOT	2
#define BL_WIN_GPA	0x80000000ULL
#define BL_WIN_SLOTS	8
/* shm_poll's shared memory, at the same place in both VMs. */
#define BL_SHM_SLOT	3
#define BL_SHM_GPA	0xc0000000ULL
/* relay: the guest's exits to its VMM, and how the VMM wakes it. */
#define BL_PORT_SEND	0x2000		/* OUT len: relay my message */
#define BL_PORT_KICK	0x2001		/* OUT: there is room in my ring */
#define BL_VECTOR	0x40
#define BL_GSI		24		/* the irqfd's GSI: an MSI route */
/* Bounds on a guest's waits; the host's watchdog usually ends it first. */
#define BL_SPINS	(1ULL << 31)
#define BL_WAITS	1000000

/*
 * relay's receive ring (in the receiver's memory) and shm_poll's two rings
 * (in the shared memory): @prod messages published, by the VMM or the
 * sending guest; @cons consumed, by the receiving guest. Fields each on
 * a cache line of their own.
 */
struct bl_ring {
	u32 prod __aligned(64);
	u32 cons __aligned(64);
	u32 irq_wanted __aligned(64);	/* relay: the receiver halts */
	u32 kick_wanted __aligned(64);	/* relay: the VMM waits for room */
	u32 len[BL_SLOTS] __aligned(64);
	u8 data[BL_SLOTS][BL_CHUNK] __aligned(4096);
};

enum bl_way {
	BL_RELAY,
	BL_SHM,
	BL_VMQ,
};

enum bl_op {
	BL_INIT,	/* relay: x2APIC on; vmq: register the rings */
	BL_PING,	/* n x (send, receive) */
	BL_PONG,	/* n x (receive, send) */
	BL_SEND,	/* n x send */
	BL_SINK,	/* n x receive */
	BL_GRANT,	/* vmq: grant BL_SLOTS chunks at grant_buf to peer */
	BL_COPY_SEND,	/* vmq: n x VMQ_HC_COPY into the peer's grant */
	BL_COPY_SINK,	/* vmq: n x (take a copy record, give the room back) */
	BL_BIND,	/* vmq: bind the page window */
	BL_POOL,	/* vmq: every slot of it into the receive pool */
	BL_PAGE_SEND,	/* vmq: n x (stamp a page, VMQ_HC_PAGE_SEND) */
	BL_PAGE_SINK,	/* vmq: n x (take a page, check, VMQ_HC_PAGE_FREE) */
};

struct bl_param {
	u64 op;
	u64 way;
	u64 n;
	u64 len;		/* bytes per message */
	u64 seq;		/* next sequence number sent */
	u64 expect;		/* next sequence number expected */
	u64 buf;		/* the send buffer (gva == gpa) */
	u64 rx, tx;		/* relay: rx; shm_poll: both, in shared memory */
	u64 vmq_rx, vmq_rx_bytes, vmq_tx, vmq_tx_bytes;
	u64 peer;		/* vmq: the other VM's id */
	u64 grant;		/* vmq copy: the receiver's grant id */
	u64 grant_buf;		/* vmq copy: the receiver's granted buffer */
	u64 credits;		/* vmq copy: chunks the receiver gave back */
	u64 page_size;		/* vmq pages: of the window */
	u64 waits;		/* out: halts, polls that found nothing, waits */
	u64 retries;		/* out: -EAGAIN */
	u64 errors;		/* out */
	s64 last_error;		/* out */
	u64 progress;		/* out: for stall reports */
	u64 shadow_irqs;	/* out: relay interrupts taken before the HLT */
};

/* --- guest side ----------------------------------------------------------- */

static struct vmqg_rx bl_grx;
static struct vmqg_tx bl_gtx;
static struct bl_param *bl_gp;

/*
 * relay's wait: STI; HLT; CLI. On hardware no interrupt is taken in STI's
 * shadow, so none can slip in before the HLT. Nested under TCG one has
 * been seen taken there (notify_test.c says more), and the HLT after it
 * then sleeps with the message already in the ring: bl_isr() steps over
 * an HLT it interrupted before it ran. Out of line, so that bl_hlt is one
 * address.
 */
void bl_sti_hlt(void);
extern const char bl_hlt[];
__asm__(".pushsection .text\n"
	".type bl_sti_hlt, @function\n"
	"bl_sti_hlt:\n\t"
	"sti\n"
	"bl_hlt:\n\t"
	"hlt\n\t"
	"cli\n\t"
	"ret\n"
	".popsection");

static void bl_fail(struct bl_param *p, s64 err)
{
	p->errors++;
	p->last_error = err;
}

static void bl_isr(struct ex_regs *regs)
{
	if (regs->rip == (u64)bl_hlt) {
		regs->rip++;
		bl_gp->shadow_irqs++;
	}
	x2apic_write_reg(APIC_EOI, 0);
}

static inline void bl_pause(u64 *spins)
{
	__asm__ __volatile__("pause" ::: "memory");
	GUEST_ASSERT(++*spins < BL_SPINS);
}

/* @n bytes, a multiple of 8: a guest copies with string instructions. */
static inline void bl_copy(void *dst, const void *src, u64 n)
{
	n /= 8;
	__asm__ __volatile__("rep movsq"
			     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/* relay: halt until the VMM's interrupt says a message is in @r. */
static void relay_wait(struct bl_param *p, struct bl_ring *r)
{
	u64 wakes = 0;

	while (__atomic_load_n(&r->prod, __ATOMIC_ACQUIRE) == r->cons) {
		__atomic_store_n(&r->irq_wanted, 1, __ATOMIC_RELAXED);
		/* Against the VMM's store of prod, then load of irq_wanted. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&r->prod, __ATOMIC_ACQUIRE) == r->cons) {
			bl_sti_hlt();
			p->waits++;
		}
		__atomic_store_n(&r->irq_wanted, 0, __ATOMIC_RELAXED);
		GUEST_ASSERT(++wakes < BL_WAITS);
	}
}

/* relay and shm_poll: take the next message of @r, check it. */
static void ring_recv(struct bl_param *p, struct bl_ring *r)
{
	u32 c = r->cons, slot = c % BL_SLOTS;
	u64 spins = 0;

	if (p->way == BL_RELAY) {
		relay_wait(p, r);
	} else if (__atomic_load_n(&r->prod, __ATOMIC_ACQUIRE) == c) {
		p->waits++;
		while (__atomic_load_n(&r->prod, __ATOMIC_ACQUIRE) == c)
			bl_pause(&spins);
	}
	if (r->len[slot] != p->len ||
	    READ_ONCE(*(u64 *)r->data[slot]) != p->expect)
		bl_fail(p, -EIO);
	p->expect++;
	__atomic_store_n(&r->cons, c + 1, __ATOMIC_RELEASE);
	if (p->way == BL_RELAY) {
		/* Against the VMM's store of kick_wanted, then load of cons. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&r->kick_wanted, __ATOMIC_RELAXED))
			outl(BL_PORT_KICK, 0);
	}
}

/* relay: an exit hands the buffer over; shm_poll: copy it into @r. */
static void ring_send(struct bl_param *p, struct bl_ring *r)
{
	u64 spins = 0;
	u32 pr;

	WRITE_ONCE(*(u64 *)p->buf, p->seq++);
	if (p->way == BL_RELAY) {
		outl(BL_PORT_SEND, p->len);
		return;
	}
	pr = r->prod;
	while (pr - __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE) >= BL_SLOTS)
		bl_pause(&spins);
	bl_copy(r->data[pr % BL_SLOTS], (void *)p->buf, p->len);
	r->len[pr % BL_SLOTS] = p->len;
	__atomic_store_n(&r->prod, pr + 1, __ATOMIC_RELEASE);
}

/* vmq: the oldest message in the queue, waiting for one if need be. */
static const struct vmq_msg_hdr *vmq_take(struct bl_param *p)
{
	const struct vmq_msg_hdr *m;
	u64 waits = 0;

	while (!(m = vmqg_rx_peek(&bl_grx))) {
		s64 r = vmqg_wait(VMQ_WAIT_MAX_NS);

		GUEST_ASSERT_1(r >= 0, r);
		p->waits++;
		GUEST_ASSERT(++waits < BL_WAITS);
	}
	return m;
}

static void vmq_send_one(struct bl_param *p)
{
	u64 tries = 0;
	s64 r;

	WRITE_ONCE(*(u64 *)p->buf, p->seq);
	while ((r = vmqg_send(p->peer, p->buf, p->len, p->seq)) == -EAGAIN &&
	       ++tries < 2000000)
		p->retries++;
	if (r)
		bl_fail(p, r);
	p->seq++;
}

static void vmq_recv_one(struct bl_param *p)
{
	const struct vmq_msg_hdr *m = vmq_take(p);

	if (m->type != VMQ_MSG_DATA || m->len != p->len ||
	    READ_ONCE(*(const u64 *)vmqg_msg_payload(m)) != p->expect)
		bl_fail(p, -EIO);
	p->expect++;
	vmqg_rx_consume(&bl_grx, m);
}

static void bl_send(struct bl_param *p)
{
	if (p->way == BL_VMQ)
		vmq_send_one(p);
	else
		ring_send(p, (struct bl_ring *)p->tx);
}

static void bl_recv(struct bl_param *p)
{
	if (p->way == BL_VMQ)
		vmq_recv_one(p);
	else
		ring_recv(p, (struct bl_ring *)p->rx);
}

/* vmq copy: take one message of the receiver, the room it gives back. */
static void copy_credit(struct bl_param *p)
{
	const struct vmq_msg_hdr *m = vmq_take(p);

	if (m->type == VMQ_MSG_DATA && m->tag > p->credits)
		p->credits = m->tag;
	vmqg_rx_consume(&bl_grx, m);
}

static void copy_send(struct bl_param *p)
{
	u64 off = (p->seq % BL_SLOTS) * BL_CHUNK;
	__s64 err;
	s64 r;

	while (p->seq - p->credits >= BL_SLOTS)
		copy_credit(p);
	WRITE_ONCE(*(u64 *)p->buf, p->seq);
	r = vmqg_copy(p->peer, p->grant, off, p->buf, p->len, 0, &err);
	if (r != (s64)p->len || err)
		bl_fail(p, err ? err : r);
	p->seq++;
}

static void copy_sink(struct bl_param *p)
{
	u64 off = (p->expect % BL_SLOTS) * BL_CHUNK;
	const struct vmq_msg_hdr *m = vmq_take(p);
	/* Read in place: a copy to the stack may be an aligned SSE store. */
	const struct vmq_copy_msg *cm = vmqg_msg_payload(m);
	s64 r;

	if (m->type != VMQ_MSG_COPY || cm->offset != off || cm->len != p->len ||
	    READ_ONCE(*(u64 *)(p->grant_buf + off)) != p->expect)
		bl_fail(p, -EIO);
	vmqg_rx_consume(&bl_grx, m);
	p->expect++;
	/*
	 * The room goes back lazily: the next exit (the wait when the queue
	 * is empty) delivers it, or a flush once half the window waits.
	 */
	GUEST_ASSERT(vmqg_tx_post(&bl_gtx, p->peer, p->buf, 8, p->expect));
	if (vmqg_tx_inflight(&bl_gtx) >= BL_SLOTS / 2) {
		r = vmqg_tx_flush();
		GUEST_ASSERT_1(r >= 0, r);
	}
}

/* A stamp every 64 KiB of a page (at least one per page). */
static u64 page_stamp(struct bl_param *p)
{
	return p->page_size < BL_CHUNK ? p->page_size : BL_CHUNK;
}

static void page_send(struct bl_param *p)
{
	u64 gpa = BL_WIN_GPA + (p->seq % BL_WIN_SLOTS) * p->page_size;
	u64 off, tries = 0;
	s64 r;

	for (off = 0; off < p->page_size; off += page_stamp(p))
		WRITE_ONCE(*(u64 *)(gpa + off), p->seq);
	while ((r = vmqg_hypercall(VMQ_HC_PAGE_SEND, p->peer, gpa, p->seq,
				   0)) == -EAGAIN && ++tries < 2000000)
		p->retries++;
	if (r)
		bl_fail(p, r);
	p->seq++;
}

static void page_sink(struct bl_param *p)
{
	const struct vmq_msg_hdr *m = vmq_take(p);
	const struct vmq_page_msg *pm = vmqg_msg_payload(m);
	u64 off, gpa;
	s64 r;

	GUEST_ASSERT_2(m->type == VMQ_MSG_PAGE && m->len == sizeof(*pm),
		       m->type, m->len);
	gpa = pm->gpa;
	vmqg_rx_consume(&bl_grx, m);
	for (off = 0; off < p->page_size; off += page_stamp(p))
		if (READ_ONCE(*(u64 *)(gpa + off)) != p->expect) {
			bl_fail(p, -EIO);
			break;
		}
	p->expect++;
	r = vmqg_hypercall(VMQ_HC_PAGE_FREE, gpa, 0, 0, 0);
	if (r)
		bl_fail(p, r);
}

static void bl_guest(struct bl_param *p)
{
	bl_gp = p;
	for (;;) {
		s64 r = 0;
		u64 i;

		for (i = 0; i < p->n; i++) {
			switch (p->op) {
			case BL_INIT:
				if (p->way == BL_RELAY)
					x2apic_enable();
				if (p->way == BL_VMQ)
					r = vmqg_rx_register(&bl_grx,
							     (void *)p->vmq_rx,
							     p->vmq_rx,
							     p->vmq_rx_bytes);
				if (p->way == BL_VMQ && !r)
					r = vmqg_tx_register(&bl_gtx,
							     (void *)p->vmq_tx,
							     p->vmq_tx,
							     p->vmq_tx_bytes);
				break;
			case BL_PING:
				bl_send(p);
				bl_recv(p);
				break;
			case BL_PONG:
				bl_recv(p);
				bl_send(p);
				break;
			case BL_SEND:
				bl_send(p);
				break;
			case BL_SINK:
				bl_recv(p);
				break;
			case BL_GRANT:
				r = vmqg_grant(p->grant_buf,
					       BL_SLOTS * BL_CHUNK,
					       VMQ_GRANT_RECORD, p->peer);
				p->grant = r;
				r = r > 0 ? 0 : r;
				break;
			case BL_COPY_SEND:
				copy_send(p);
				break;
			case BL_COPY_SINK:
				copy_sink(p);
				break;
			case BL_BIND:
				r = vmqg_hypercall(VMQ_HC_WINDOW_BIND,
						   BL_WIN_GPA,
						   BL_WIN_SLOTS * p->page_size,
						   0, 0);
				break;
			case BL_POOL:
				r = vmqg_hypercall(VMQ_HC_PAGE_FREE,
						   BL_WIN_GPA + i * p->page_size,
						   0, 0, 0);
				break;
			case BL_PAGE_SEND:
				page_send(p);
				break;
			case BL_PAGE_SINK:
				page_sink(p);
				break;
			default:
				r = -EINVAL;
			}
			WRITE_ONCE(p->progress, i + 1);
			if (r)
				break;
		}
		GUEST_SYNC(r);
	}
}

/* --- host side ------------------------------------------------------------ */

struct bl_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct bl_param *p;
	struct bl_vm *peer;	/* relay: where its messages go */
	u64 big_used;		/* bytes of the big slot handed out */
	void *buf;		/* the VMM's view of the send buffer */
	struct bl_ring *rx;	/* relay: the VMM's view of the receive ring */
	int irq_fd;		/* relay: the eventfd of the VM's irqfd */
	pthread_mutex_t lock;	/* relay: a VMM thread waiting for room in rx */
	pthread_cond_t room;
	u64 irqs;		/* relay: interrupts sent to this VM */
	u32 id;			/* vmq: the VM's id */
	struct vmqt_win win;	/* vmq pages: the window */
};

/* @bytes of the big slot, page-aligned: their gpa (= gva, identity mapped). */
static u64 bl_alloc(struct bl_vm *b, u64 bytes)
{
	u64 gpa = BL_BIG_GPA + b->big_used;

	bytes = (bytes + 4095) & ~4095ULL;
	TEST_ASSERT(b->big_used + bytes <= BL_BIG_PAGES * 4096ULL,
		    "big slot full");
	b->big_used += bytes;
	memset(addr_gpa2hva(b->vm, gpa), 0, bytes);
	return gpa;
}

/* relay: the VMM's side of BL_PORT_SEND: copy, publish, wake. */
static void relay_deliver(struct bl_vm *b, u32 len)
{
	struct bl_vm *d = b->peer;
	struct bl_ring *r = d->rx;
	u32 pr = r->prod;
	struct timespec ts;

	TEST_ASSERT(len <= BL_CHUNK, "relay: message of %u bytes", len);
	while (pr - __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE) >= BL_SLOTS) {
		/* Full: ask the receiver for a kick, then wait for it. */
		pthread_mutex_lock(&d->lock);
		__atomic_store_n(&r->kick_wanted, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (pr - __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE) >= BL_SLOTS) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 60;
			TEST_ASSERT(!pthread_cond_timedwait(&d->room, &d->lock, &ts),
				    "relay: no room in the receiver's ring for 60 s");
		}
		__atomic_store_n(&r->kick_wanted, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&d->lock);
	}
	memcpy(r->data[pr % BL_SLOTS], b->buf, len);
	r->len[pr % BL_SLOTS] = len;
	__atomic_store_n(&r->prod, pr + 1, __ATOMIC_RELEASE);
	/* Against the guest's store of irq_wanted, then load of prod. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->irq_wanted, __ATOMIC_RELAXED)) {
		u64 one = 1;

		TEST_ASSERT(write(d->irq_fd, &one, sizeof(one)) == sizeof(one),
			    "relay: irqfd write: %s", strerror(errno));
		d->irqs++;
	}
}

/*
 * Run @b's command to its GUEST_SYNC, doing the VMM's part of the relay
 * on the way; the command's result.
 */
static s64 bl_run(struct bl_vm *b)
{
	struct kvm_run *run = b->vcpu->run;
	struct kvm_regs regs;
	struct ucall uc;
	u32 val;

	for (;;) {
		vcpu_run(b->vcpu);
		if (run->exit_reason == KVM_EXIT_IO &&
		    (run->io.port == BL_PORT_SEND ||
		     run->io.port == BL_PORT_KICK)) {
			TEST_ASSERT(run->io.direction == KVM_EXIT_IO_OUT &&
				    run->io.size == 4 && run->io.count == 1,
				    "relay: unexpected port I/O");
			val = *(u32 *)((u8 *)run + run->io.data_offset);
			if (run->io.port == BL_PORT_SEND) {
				relay_deliver(b, val);
			} else {
				pthread_mutex_lock(&b->lock);
				pthread_cond_broadcast(&b->room);
				pthread_mutex_unlock(&b->lock);
			}
			continue;
		}
		switch (get_ucall(b->vcpu, &uc)) {
		case UCALL_SYNC:
			return (s64)uc.args[1];
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT_2(uc, "values: %#lx, %#lx");
			break;
		default:
			vcpu_regs_get(b->vcpu, &regs);
			TEST_FAIL("unexpected exit: reason %u, op %lu, rip %#llx",
				  run->exit_reason, b->p->op, regs.rip);
		}
	}
}

static s64 bl_op(struct bl_vm *b, u64 op)
{
	b->p->op = op;
	b->p->n = 1;
	return bl_run(b);
}

static void *bl_thread(void *arg)
{
	bl_run(arg);
	return NULL;
}

/* relay: interrupts by irqfd: GSI BL_GSI, an MSI of BL_VECTOR to vCPU 0. */
static void relay_setup(struct bl_vm *b)
{
	struct kvm_irq_routing *rt = kvm_gsi_routing_create();
	struct kvm_irqfd irqfd = { .gsi = BL_GSI };
	u64 gpa = bl_alloc(b, sizeof(struct bl_ring));

	b->p->rx = gpa;
	b->rx = addr_gpa2hva(b->vm, gpa);
	vm_install_exception_handler(b->vm, BL_VECTOR, bl_isr);

	rt->entries[0].gsi = BL_GSI;
	rt->entries[0].type = KVM_IRQ_ROUTING_MSI;
	rt->entries[0].u.msi.address_lo = 0xfee00000;	/* APIC ID 0 */
	rt->entries[0].u.msi.data = BL_VECTOR;		/* fixed, edge */
	rt->nr = 1;
	kvm_gsi_routing_write(b->vm, rt);
	b->irq_fd = eventfd(0, EFD_CLOEXEC);
	TEST_ASSERT(b->irq_fd >= 0, "eventfd: %s", strerror(errno));
	irqfd.fd = b->irq_fd;
	vm_ioctl(b->vm, KVM_IRQFD, &irqfd);
}

static void vmq_setup(struct bl_vm *b)
{
	u64 bytes;

	TEST_ASSERT(!__vmqt_attach(b->vm, NULL, &b->id), "VMQ_IOC_ATTACH_VM");
	bytes = VMQ_RING_HDR_SIZE + (1 << 20);
	b->p->vmq_rx = bl_alloc(b, bytes);
	b->p->vmq_rx_bytes = bytes;
	bytes = VMQ_RING_HDR_SIZE + 4096;
	b->p->vmq_tx = bl_alloc(b, bytes);
	b->p->vmq_tx_bytes = bytes;
	b->p->grant_buf = bl_alloc(b, BL_SLOTS * BL_CHUNK);
}

static void bl_create(struct bl_vm *b, enum bl_way way)
{
	vm_vaddr_t pv;
	s64 r;

	memset(b, 0, sizeof(*b));
	b->irq_fd = -1;
	b->win.fd = -1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->room, NULL);
	b->vm = __vm_create_with_one_vcpu(&b->vcpu, BL_BIG_PAGES, bl_guest);
	pv = vm_vaddr_alloc_page(b->vm);
	vm_userspace_mem_region_add(b->vm, VM_MEM_SRC_ANONYMOUS, BL_BIG_GPA,
				    BL_BIG_SLOT, BL_BIG_PAGES, 0);
	virt_map(b->vm, BL_BIG_GPA, BL_BIG_GPA, BL_BIG_PAGES);
	b->p = addr_gva2hva(b->vm, pv);
	memset(b->p, 0, sizeof(*b->p));
	vcpu_args_set(b->vcpu, 1, pv);
	/* A guest's fault is reported, not a triple fault. */
	vm_init_descriptor_tables(b->vm);
	vcpu_init_descriptor_tables(b->vcpu);
	b->p->way = way;
	b->p->buf = bl_alloc(b, BL_CHUNK);
	b->buf = addr_gpa2hva(b->vm, b->p->buf);
	memset(b->buf, 0x5a, BL_CHUNK);
	if (way == BL_RELAY)
		relay_setup(b);
	if (way == BL_VMQ)
		vmq_setup(b);
	r = bl_op(b, BL_INIT);
	TEST_ASSERT(!r, "baseline: guest setup: %ld", (long)r);
}

static void bl_free(struct bl_vm *b)
{
	kvm_vm_free(b->vm);
	if (b->irq_fd >= 0)
		close(b->irq_fd);
	if (b->win.fd >= 0)
		vmqt_window_unmap(&b->win);
	pthread_cond_destroy(&b->room);
	pthread_mutex_destroy(&b->lock);
}

static void relay_pair(struct bl_vm *a, struct bl_vm *b)
{
	bl_create(a, BL_RELAY);
	bl_create(b, BL_RELAY);
	a->peer = b;
	b->peer = a;
}

/* Two VMs, one memfd registered as memslot BL_SHM_SLOT in both. */
static void shm_pair(struct bl_vm *a, struct bl_vm *b)
{
	const u64 pages = 2 * sizeof(struct bl_ring) / 4096;
	struct userspace_mem_region *ra, *rb;
	void *m;

	bl_create(a, BL_SHM);
	bl_create(b, BL_SHM);
	vm_userspace_mem_region_add(a->vm, VM_MEM_SRC_SHMEM, BL_SHM_GPA,
				    BL_SHM_SLOT, pages, 0);
	vm_userspace_mem_region_add(b->vm, VM_MEM_SRC_SHMEM, BL_SHM_GPA,
				    BL_SHM_SLOT, pages, 0);
	ra = memslot2region(a->vm, BL_SHM_SLOT);
	rb = memslot2region(b->vm, BL_SHM_SLOT);
	/* b's memslot keeps its address; a's memfd goes under it. */
	m = mmap(rb->host_mem, pages * 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, ra->fd,
		 (u8 *)ra->host_mem - (u8 *)ra->mmap_start);
	TEST_ASSERT(m == rb->host_mem, "mmap of the shared memfd: %s",
		    strerror(errno));
	*(u64 *)ra->host_mem = 0x5a5a5a5a;
	TEST_ASSERT(*(u64 *)addr_gpa2hva(b->vm, BL_SHM_GPA) == 0x5a5a5a5a,
		    "one memory behind both memslots");
	memset(ra->host_mem, 0, pages * 4096);
	virt_map(a->vm, BL_SHM_GPA, BL_SHM_GPA, pages);
	virt_map(b->vm, BL_SHM_GPA, BL_SHM_GPA, pages);
	a->p->tx = b->p->rx = BL_SHM_GPA;
	a->p->rx = b->p->tx = BL_SHM_GPA + sizeof(struct bl_ring);
}

static void vmq_pair(struct bl_vm *a, struct bl_vm *b)
{
	bl_create(a, BL_VMQ);
	bl_create(b, BL_VMQ);
	vmqt_allow(a->id, b->id);
	vmqt_allow(b->id, a->id);
	a->p->peer = b->id;
	b->p->peer = a->id;
}

static void bl_stall(const char *bench, const char *who, struct bl_vm *b)
{
	fprintf(stderr,
		"vmq_bench: %s: %s: op %lu progress %lu/%lu seq %lu expect %lu waits %lu retries %lu errors %lu (last %ld) irqs %lu\n",
		bench, who, b->p->op, READ_ONCE(b->p->progress), b->p->n,
		b->p->seq, b->p->expect, b->p->waits, b->p->retries,
		b->p->errors, (long)b->p->last_error, b->irqs);
	if (b->rx)
		fprintf(stderr,
			"vmq_bench: %s: %s: ring prod %u cons %u irq_wanted %u kick_wanted %u; interrupts before the HLT %lu\n",
			bench, who, READ_ONCE(b->rx->prod),
			READ_ONCE(b->rx->cons), READ_ONCE(b->rx->irq_wanted),
			READ_ONCE(b->rx->kick_wanted), b->p->shadow_irqs);
}

/*
 * Join @t; every 30 s in which neither guest got on, say where both are,
 * and give up after four of them.
 */
static void bl_join(const char *bench, pthread_t t, struct bl_vm *a,
		    struct bl_vm *b)
{
	u64 done = -1ULL, now;
	struct timespec ts;
	int stalls = 0;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		if (!pthread_timedjoin_np(t, NULL, &ts))
			return;
		now = READ_ONCE(a->p->progress) + READ_ONCE(b->p->progress);
		if (now != done) {
			done = now;
			stalls = 0;
			continue;
		}
		bl_stall(bench, "sender", a);
		bl_stall(bench, "receiver", b);
		TEST_ASSERT(++stalls < 4, "%s: stuck for 2 minutes", bench);
	}
}

struct bl_result {
	double secs;
	u64 exits;		/* both vCPUs', host interrupts and GUEST_SYNCs out */
	u64 io_exits;		/* of them port I/O (to user space), GUEST_SYNCs out */
	u64 halt_exits;		/* of them HLT */
	u64 irqs;		/* relay: irqfd writes */
};

/* @a runs @aop @an times and @b @bop @bn times, each on its vCPU thread. */
static struct bl_result bl_pair(const char *bench, struct bl_vm *a, u64 aop,
				u64 an, struct bl_vm *b, u64 bop, u64 bn)
{
	struct vmqt_exits a0, b0, a1, b1;
	struct bl_result res;
	pthread_t ta, tb;
	u64 irqs = a->irqs + b->irqs;

	a->p->op = aop;
	a->p->n = an;
	b->p->op = bop;
	b->p->n = bn;
	a->p->waits = b->p->waits = a->p->retries = b->p->retries = 0;
	a0 = vmqt_exits(a->vcpu);
	b0 = vmqt_exits(b->vcpu);
	res.secs = now_s();
	TEST_ASSERT(!pthread_create(&tb, NULL, bl_thread, b) &&
		    !pthread_create(&ta, NULL, bl_thread, a), "threads");
	bl_join(bench, ta, a, b);
	bl_join(bench, tb, a, b);
	res.secs = now_s() - res.secs;
	a1 = vmqt_exits(a->vcpu);
	b1 = vmqt_exits(b->vcpu);
	res.exits = (a1.exits - a0.exits) - (a1.irq_exits - a0.irq_exits) +
		    (b1.exits - b0.exits) - (b1.irq_exits - b0.irq_exits) - 2;
	res.io_exits = (a1.io_exits - a0.io_exits) +
		       (b1.io_exits - b0.io_exits) - 2;
	res.halt_exits = (a1.halt_exits - a0.halt_exits) +
			 (b1.halt_exits - b0.halt_exits);
	res.irqs = a->irqs + b->irqs - irqs;
	if (a->p->errors || b->p->errors) {
		bl_stall(bench, "sender", a);
		bl_stall(bench, "receiver", b);
	}
	TEST_ASSERT(!a->p->errors && !b->p->errors,
		    "%s: %lu and %lu errors (last %ld, %ld)", bench,
		    a->p->errors, b->p->errors, (long)a->p->last_error,
		    (long)b->p->last_error);
	TEST_ASSERT(a->p->seq == b->p->expect && b->p->seq == a->p->expect,
		    "%s: sent %lu and %lu, received %lu and %lu", bench,
		    a->p->seq, b->p->seq, b->p->expect, a->p->expect);
	return res;
}

/* 64-byte ping-pong between @a and @b: the mean round trip in us. */
static double bl_round_trip(const char *bench, struct bl_vm *a,
			    struct bl_vm *b)
{
	const u64 n = 500 * scale, warm = 20;
	struct bl_result res;

	a->p->len = b->p->len = BL_SMALL;
	bl_pair(bench, a, BL_PING, warm, b, BL_PONG, warm);
	res = bl_pair(bench, a, BL_PING, n, b, BL_PONG, n);
	report(bench, "round_trip_us", res.secs / n * 1e6, "us");
	report(bench, "exits_per_round_trip", (double)res.exits / n, "exits");
	if (a->p->way == BL_RELAY) {
		report(bench, "io_exits_per_round_trip",
		       (double)res.io_exits / n, "exits");
		report(bench, "halt_exits_per_round_trip",
		       (double)res.halt_exits / n, "exits");
		report(bench, "interrupts_per_round_trip",
		       (double)res.irqs / n, "interrupts");
	}
	return res.secs / n * 1e6;
}

/*
 * @s streams to @r: @n operations of @sop and of @rop (after @n / 8 to
 * warm up), each moving @bytes; the throughput in GiB/s.
 */
static double bl_stream(const char *bench, struct bl_vm *s, u64 sop,
			struct bl_vm *r, u64 rop, u64 n, u64 bytes)
{
	struct bl_result res;
	double gibs;

	s->p->len = r->p->len = BL_CHUNK;
	bl_pair(bench, s, sop, n / 8, r, rop, n / 8);
	res = bl_pair(bench, s, sop, n, r, rop, n);
	gibs = (double)bytes * n / res.secs / GiB;
	report(bench, "throughput", gibs, "GiB/s");
	report(bench, "exits_per_64k",
	       (double)res.exits / ((double)bytes * n / BL_CHUNK), "exits");
	return gibs;
}

/* vmq's page moves of @page_size pages: @n of them. */
static double vmq_pages(const char *bench, u64 page_size, u64 n)
{
	struct bl_vm a, b;
	double gibs;
	s64 r;

	vmq_pair(&a, &b);
	a.win = vmqt_window_map(a.vm, BL_WIN_SLOT, BL_WIN_GPA, BL_WIN_SLOTS,
				page_size);
	b.win = vmqt_window_map(b.vm, BL_WIN_SLOT, BL_WIN_GPA, BL_WIN_SLOTS,
				page_size);
	a.p->page_size = b.p->page_size = page_size;
	r = bl_op(&a, BL_BIND);
	TEST_ASSERT(!r, "VMQ_HC_WINDOW_BIND: %ld", (long)r);
	r = bl_op(&b, BL_BIND);
	TEST_ASSERT(!r, "VMQ_HC_WINDOW_BIND: %ld", (long)r);
	b.p->op = BL_POOL;
	b.p->n = BL_WIN_SLOTS;
	r = bl_run(&b);
	TEST_ASSERT(!r, "VMQ_HC_PAGE_FREE into the pool: %ld", (long)r);
	gibs = bl_stream(bench, &a, BL_PAGE_SEND, &b, BL_PAGE_SINK, n,
			 page_size);
	bl_free(&a);
	bl_free(&b);
	return gibs;
}

void bench_baseline(void)
{
	const u64 n = 400 * scale;
	double relay_us, shm_us, relay_gibs, shm_gibs, best = 0, g;
	const char *way = "";
	struct bl_vm a, b;
	s64 r;

	if (!round_trip_us)
		bench_round_trip();

	relay_pair(&a, &b);
	relay_us = bl_round_trip("relay_round_trip", &a, &b);
	relay_gibs = bl_stream("relay_stream", &a, BL_SEND, &b, BL_SINK, n,
			       BL_CHUNK);
	if (a.p->shadow_irqs + b.p->shadow_irqs)
		printf("# relay: %lu interrupts taken in STI's shadow, their HLT skipped\n",
		       a.p->shadow_irqs + b.p->shadow_irqs);
	bl_free(&a);
	bl_free(&b);

	shm_pair(&a, &b);
	shm_us = bl_round_trip("shm_poll_round_trip", &a, &b);
	shm_gibs = bl_stream("shm_poll_stream", &a, BL_SEND, &b, BL_SINK, n,
			     BL_CHUNK);
	bl_free(&a);
	bl_free(&b);

	vmq_pair(&a, &b);
	g = bl_stream("stream_send", &a, BL_SEND, &b, BL_SINK, n, BL_CHUNK);
	if (g > best) {
		best = g;
		way = "send";
	}
	r = bl_op(&b, BL_GRANT);
	TEST_ASSERT(!r, "VMQ_HC_GRANT: %ld", (long)b.p->grant);
	a.p->grant = b.p->grant;
	a.p->credits = a.p->seq;	/* the grant is all room */
	g = bl_stream("stream_copy", &a, BL_COPY_SEND, &b, BL_COPY_SINK, n,
		      BL_CHUNK);
	if (g > best) {
		best = g;
		way = "copy";
	}
	bl_free(&a);
	bl_free(&b);

	g = vmq_pages("stream_page_4k", 4096, n * 4);
	if (g > best) {
		best = g;
		way = "page_4k";
	}
	g = vmq_pages("stream_page_2m", 2 << 20, n / 2);
	if (g > best) {
		best = g;
		way = "page_2m";
	}

	printf("{\"bench\": \"stream\", \"metric\": \"throughput\", \"value\": %.6g, \"unit\": \"GiB/s\", \"way\": \"%s\"}\n",
	       best, way);
	report("stream", "vs_relay", best / relay_gibs, "ratio");
	report("stream", "vs_shm_poll", best / shm_gibs, "ratio");
	report("round_trip", "vs_relay", round_trip_us / relay_us, "ratio");
	report("round_trip", "vs_shm_poll", round_trip_us / shm_us, "ratio");
}
