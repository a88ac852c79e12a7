// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench - vmq's benchmarks. Not a test: it judges no number, it only
 * reports them, one JSON object per line on stdout:
 *
 *	{"bench": NAME, "metric": NAME, "value": NUMBER, "unit": UNIT}
 *
 * The first line, bench "env", says what the numbers were taken on (kvm_amd's
 * npt, or kvm_intel's ept, and the kernel release, as extra keys).
 *
 *   copy_send_4k, copy_send_64k
 *	A guest sends through VMQ_HC_SEND in a loop (retrying -EAGAIN); a host
 *	thread drains the receiver's ring as it fills. GiB/s of payload and
 *	messages/s, plus how many sends found the ring full.
 *   immediate_send, lazy_send_1, lazy_send_8, lazy_send_64
 *	Sends through the vCPU's transmit ring: immediate posts one descriptor
 *	and calls VMQ_HC_TX_FLUSH; lazy_send_N posts N descriptors and lets the
 *	next VM exit (a CPUID, standing in for any exit the guest would take
 *	anyway) deliver them. exits_per_message comes from KVM's per-vCPU
 *	"exits" statistic, so it counts every exit the sending vCPU took.
 *   round_trip, round_trip_send_wait, round_trip_tx_wait
 *	Two VMs, each on its own vCPU thread, play ping-pong by themselves:
 *	each blocks in VMQ_HC_WAIT until the other's message arrives and
 *	answers it, with VMQ_HC_SEND (send_wait) or through its transmit
 *	ring, delivered by the next wait's own exit (tx_wait,
 *	vmqg_tx_send_wait()). round_trip_us is the mean over the run,
 *	exits_per_round_trip KVM's "exits" of both vCPUs less those for host
 *	interrupts ("irq_exits") and the two GUEST_SYNCs that end the run;
 *	round_trip reports the better way.
 *   gva_copy_64k
 *	Cross-guest copy: the receiver grants a 64 KiB buffer (VMQ_HC_GRANT),
 *	the sender copies 64 KiB into it in a loop (VMQ_HC_COPY), guest-virtual
 *	on both sides. GiB/s, bytes_copied_per_payload_byte from the copy
 *	counters (1: one copy end to end), and vs_send_and_copy_out: its
 *	bytes/s over those of the same 64 KiB going through VMQ_HC_SEND and
 *	then out of the receiver's ring into its buffer by the receiving guest
 *	(two copies), measured in the same run.
 *   page_transfer_4k, page_transfer_2m, page_transfer_2m_own
 *	Zero-copy page transfer between two page windows, each VM on its own
 *	vCPU thread: the sender writes a word into a page of its window and
 *	sends it (VMQ_HC_PAGE_SEND, retrying while the receiver's window is
 *	full); the receiver waits for the page message, checks the word and
 *	gives the slot back (VMQ_HC_PAGE_FREE). Pages/s and GiB/s moved, and
 *	bytes_copied_per_transfer from vmq's bytes_copied statistic (zero:
 *	nothing is copied, whatever the page size). In page_transfer_4k and
 *	_2m the sender gets zeroed pages back, so the cycle includes clearing
 *	every page once (in the background); in page_transfer_2m_own it binds
 *	its window with VMQ_WINDOW_OWN_BYTES, so the pages it sent come back
 *	to it uncleared (the receiver only reads them): own_returns_per_page
 *	counts those (VMQ_STAT_OWN_RETURNS). vs_copy_send_64k: bytes/s over
 *	copy_send_64k's, measured in the same run, for the zeroed way
 *	(page_transfer_2m_zeroed), the own way (page_transfer_2m_own) and
 *	the better of the two (page_transfer_2m, with the way in its "way"
 *	key). move_us of each: the time of one VMQ_HC_PAGE_SEND into
 *	a receive pool that the background clear has made ready (32 sends in
 *	a row, timed from the host, best of 3); page_transfer_2m's time_vs_4k
 *	is the ratio of the two (1.0: a move costs the same whatever the page
 *	size); send_clears_per_page says how many moves of the cycle had to
 *	clear a page themselves (VMQ_STAT_SEND_CLEARS).
 *   page_batch_1, page_batch_8, page_batch_64
 *	64 page sends of 4 KiB pages through the sender's transmit ring, in
 *	batches of 1, 8 or 64 descriptors published at once and delivered by
 *	one VMQ_HC_TX_FLUSH, into a clean receive pool; each VM has a second
 *	vCPU spinning in the guest, so that flushes need IPIs.
 *	remote_tlb_flush_per_page: KVM's remote_tlb_flush of both VMs over
 *	the pages moved (flushes that interrupted a running vCPU);
 *	remote_tlb_flush_requests_per_page: every flush KVM was asked for.
 *
 *   send_scale
 *	copy_send of 64-byte messages between two VMs, first with nothing
 *	else attached, then with 256 VMs attached and 65,536 pairs allowed
 *	among them (every ordered pair, self-pairs included): messages/s of
 *	both and their ratio (1.0: a send's permission check does not grow
 *	with the host).
 *   send_fan_in, send_payload
 *	Messages per second into one receiver from 1, 4 and 16 sender VMs at
 *	once, each on its own vCPU thread, 64-byte messages (the receive
 *	queue's lock is what they share); and from one sender with payloads
 *	of 64 B, 1 KiB and 64 KiB. The host drains the receiver's ring.
 *   exit_overhead, hypercall_overhead
 *	vmq's exit probe and hypercall hook run for every VM on the
 *	host. A VM that never uses vmq takes CPUID exits, then KVM's own
 *	KVM_HC_VAPIC_POLL_IRQ hypercalls, timed with vmq loaded and unloaded
 *	(rmmod and insmod of $VMQ_KO in between), in 8 pairs; ns per exit
 *	of each (medians) and overhead, the median of the pairs' loaded over
 *	unloaded less 1 (0.01 is 1 %), with overhead_min and overhead_max,
 *	the pairs furthest apart (on TCG a reload alone moves every time by
 *	several percent). No other VM uses vmq meanwhile, so vmq's exit
 *	probe is off (it runs only while a transmit ring or a wait exists on
 *	the host); the hypercall hook is always on. ns_per_exit_probe_on,
 *	overhead_probe_on: the same exits while another VM holds a transmit
 *	ring, so that the probe runs at every exit of every VM (and finds
 *	nothing to do for this one); probe_on_vs_off: those over the loaded
 *	time of the same pair (same module, probe off), the probe's own
 *	cost without the reload's noise.
 *   baseline (bench_baseline.c, which describes each in full)
 *	The round trip (64-byte ping-pong) and a 64 KiB stream between two
 *	guests without vmq, in the same run: relay_round_trip and
 *	relay_stream, relayed by the VMM (port I/O exit, the vCPU thread
 *	copies into the other guest's memory and wakes it through an
 *	irqfd: HLT, an MSI, EOI); shm_poll_round_trip and shm_poll_stream,
 *	two guests polling rings in one memory shared by both memslots
 *	(no exit, no isolation: the floor). vmq's stream: stream_send,
 *	stream_copy, stream_page_4k, stream_page_2m, and stream, the best
 *	of them. Then vmq over each baseline: round_trip vs_relay and
 *	vs_shm_poll (time ratio: below 1 is faster), stream vs_relay and
 *	vs_shm_poll (bytes/s ratio: above 1 is faster). Runs round_trip
 *	first if it has not run.
 *   tracepoints
 *	copy_send's 64-byte stream with vmq's tracepoints (events/vmq/)
 *	recording, counted from tracefs: vmq_send events that succeeded and
 *	that met a full ring, and vmq_deliver events, per message sent (1,
 *	ring_full_per_message, 1: what the bench did, seen from the trace),
 *	and speed_traced_vs_untraced, the run's speed with the events on over
 *	the same run without.
 *   guest_stream, guest_ping (bench_linux_guest.c, which describes them)
 *	Two Linux guests in two stock QEMUs, through vmq and through
 *	virtio-net with TCP: MB/s of a stream and the mean round trip of
 *	64-byte pings, and vmq over virtio-net (vs_virtio_net).
 *   translation_cache
 *	The gva_copy_64k stream, warmed up: hit_rate of the translation
 *	caches of both sides (hits over hits and misses) and
 *	table_reads_per_hit (guest page-table entries read per hit, counted
 *	as four per walk; under TDP, where vmq caches nothing, per
 *	translation).
 *   tracked_pte_write, untracked_pte_write
 *	The sender's guest rewrites a page-table entry (the value it holds)
 *	in a loop: one its cached translations depend on, with a 64-byte copy
 *	after each write so that every patch is consumed, and one in a table
 *	nothing depends on. exits_per_write from KVM's per-vCPU statistics
 *	(the copies' own hypercall exits taken out) and
 *	remote_tlb_flush_per_patch, KVM's VM-wide "remote_tlb_flush" over
 *	the patches the writes produced: whatever KVM itself flushes for an
 *	emulated write counts too; vmq never asks for a flush.
 *	These three report "paging": "shadow" or "tdp" as an extra key:
 *	vmq caches only under shadow paging (Documentation/vmq/copy.rst).
 *
 * Under shadow paging (kvm_amd npt=0, kvm_intel ept=0) and without names,
 * only those three run: the others measure nothing vmq does differently
 * there. make bench runs once with npt=1 and once with npt=0.
 *
 * Run sizes are small enough for the QEMU/TCG sandbox (make bench); pass
 * bench names (or prefixes) as arguments to run only those, and
 * VMQ_BENCH_SCALE=N to multiply every run size by N on real hardware.
 *
 * Adding a benchmark: write a function that prints its lines with
 * report(), and add it to benches[] at the end of this file (the page
 * transfer benchmark has its place reserved there).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <linux/kvm_para.h>

#include "vmqt.h"
#include "vmqt_trace.h"
#include "vmq_bench.h"

#define MiB		(1024 * 1024)
#define RX_DATA		(1 * MiB)	/* receive ring data area */
#define TX_PAGES	1		/* descriptor pages: 128 descriptors */
#define SMALL_MSG	64		/* bytes, lazy/immediate and ping-pong */
#define MAX_MSG		65536
/* Rings and buffers live in a memslot of their own, identity mapped. */
#define BIG_SLOT	1
#define BIG_GPA		0x40000000ULL
#define BIG_PAGES	512
/* Page windows for page_transfer, identity mapped too. */
#define WIN_SLOT	2
#define WIN_GPA		0x80000000ULL
#define WIN_SLOTS	8

unsigned long scale = 1;
double round_trip_us;

/* --- guest side ------------------------------------------------------------ */

enum bench_op {
	B_RX_REGISTER,	/* register the receive ring */
	B_TX_REGISTER,	/* register this vCPU's transmit ring */
	B_SEND,		/* n x VMQ_HC_SEND of len bytes, retrying -EAGAIN */
	B_IMMEDIATE,	/* n x (post one descriptor, VMQ_HC_TX_FLUSH) */
	B_LAZY,		/* n descriptors, batch at a time, a CPUID after each */
	B_PING,		/* n x (send, wait for the answer) */
	B_PONG,		/* n x (wait for a message, answer it) */
	B_PING_TX,	/* n x vmqg_tx_send_wait(): the ping goes with the wait */
	B_PONG_TX,	/* n x (wait for a message, answer it in the tx ring) */
	B_BIND,		/* bind the page window at WIN_GPA */
	B_POOL,		/* give every slot of the window to the receive pool */
	B_PAGE_SEND,	/* n x (write a word into a slot, send the page) */
	B_PAGE_SINK,	/* n x (wait for a page, check the word, free it) */
	B_PAGE_TOUCH,	/* write a word into each of the first n slots */
	B_PAGE_BURST,	/* VMQ_HC_PAGE_SEND of the first n slots */
	B_PAGE_TX,	/* the first n slots as page descriptors, batch at a time */
	B_GRANT,	/* grant the send buffer to peer: grant out */
	B_COPY,		/* n x VMQ_HC_COPY of len bytes into peer's grant */
	B_COPY_OUT,	/* n x (wait for a message, copy it to the buffer) */
	B_PTE_STORE,	/* n x (store pte_val at pte_gva[, copy 64 bytes]) */
};

struct bparam {
	u64 op;
	u64 peer;
	u64 n;
	u64 len;
	u64 batch;
	u64 buf_gpa;
	u64 rx_gva, rx_gpa, rx_bytes;
	u64 tx_gva, tx_gpa, tx_bytes;
	u64 page_size;		/* of the page window at WIN_GPA */
	u64 slots;		/* of that window (0: WIN_SLOTS) */
	u64 bind_flags;		/* VMQ_HC_WINDOW_BIND's */
	u64 grant;		/* B_GRANT's result, B_COPY's target */
	u64 pte_gva, pte_val;	/* B_PTE_STORE: a PTE seen through an alias */
	u64 sync;		/* B_PTE_STORE: a 64-byte copy after each */
	u64 retries;		/* out: -EAGAIN answers, WAIT calls, ... */
	u64 errors;		/* out: failed sends */
	u64 progress;		/* out: iterations done, for stall reports */
	s64 last_error;		/* out */
};

static struct vmqg_rx grx;
static struct vmqg_tx gtx;

static inline void guest_cpuid_exit(void)
{
	u32 eax = 0, ebx, ecx = 0, edx;

	__asm__ __volatile__("cpuid"
			     : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx)
			     : : "memory");
}

static s64 guest_send_retry(struct bparam *p, u64 tag)
{
	s64 r;

	u64 tries = 0;

	/* Bounded, so that a ring that never drains ends the run. */
	while ((r = vmqg_send(p->peer, p->buf_gpa, p->len, tag)) == -EAGAIN &&
	       ++tries < 200000)
		p->retries++;
	if (r) {
		p->errors++;
		p->last_error = r;
	}
	return r;
}

/* The oldest message in the guest's queue, waiting for one if need be. */
static void guest_take_one(struct bparam *p)
{
	const struct vmq_msg_hdr *m;

	while (!(m = vmqg_rx_peek(&grx))) {
		s64 r = vmqg_wait(VMQ_WAIT_MAX_NS);

		p->retries++;
		GUEST_ASSERT(r >= 0);
	}
	vmqg_rx_consume(&grx, m);
}

static s64 guest_page_send(struct bparam *p, u64 gpa, u64 tag)
{
	u64 tries = 0;
	s64 r;

	while ((r = vmqg_hypercall(VMQ_HC_PAGE_SEND, p->peer, gpa, tag, 0)) ==
	       -EAGAIN && ++tries < 2000000)
		p->retries++;
	if (r) {
		p->errors++;
		p->last_error = r;
	}
	return r;
}

/* Wait for a page message; check the word its sender wrote; free the slot. */
static void guest_page_sink_one(struct bparam *p, u64 i)
{
	const struct vmq_msg_hdr *m;
	struct vmq_page_msg pm;
	s64 r;

	while (!(m = vmqg_rx_peek(&grx))) {
		r = vmqg_wait(VMQ_WAIT_MAX_NS);
		p->retries++;
		GUEST_ASSERT(r >= 0);
	}
	GUEST_ASSERT_2(m->type == VMQ_MSG_PAGE && m->len == sizeof(pm),
		       m->type, m->len);
	memcpy(&pm, vmqg_msg_payload(m), sizeof(pm));
	vmqg_rx_consume(&grx, m);
	if (READ_ONCE(*(u64 *)pm.gpa) != i + 1) {
		p->errors++;
		p->last_error = -EIO;
	}
	r = vmqg_hypercall(VMQ_HC_PAGE_FREE, pm.gpa, 0, 0, 0);
	if (r) {
		p->errors++;
		p->last_error = r;
	}
}

static u64 bench_slots(struct bparam *p)
{
	return p->slots ? p->slots : WIN_SLOTS;
}

/*
 * Page descriptors for slots @first.. (@n of them) published at once, so
 * that the host drains them together, then VMQ_HC_TX_FLUSH; the first
 * failure, or 0.
 */
static s64 guest_tx_pages(struct bparam *p, u64 first, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		struct vmq_tx_desc *d = &gtx.desc[(gtx.prod + i) & (gtx.nr - 1)];

		d->dest = p->peer;
		d->len = 0;
		d->gpa = WIN_GPA + (first + i) * p->page_size;
		d->tag = first + i;
		d->flags = VMQ_TX_F_PAGE;
		d->status = VMQ_TX_PENDING;
	}
	gtx.prod += n;
	__atomic_store_n(&gtx.hdr->prod, gtx.prod, __ATOMIC_RELEASE);
	if (vmqg_tx_flush() < 0)
		return -EIO;
	for (i = 0; i < n; i++) {
		s32 st = vmqg_tx_status(&gtx.desc[(gtx.prod - n + i) &
						  (gtx.nr - 1)]);

		if (st)
			return st;
	}
	return 0;
}

static void guest_tx_check(struct bparam *p, struct vmq_tx_desc *d)
{
	s32 st = vmqg_tx_status(d);

	if (st) {
		p->errors++;
		p->last_error = st;
	}
}

static void bench_guest(struct bparam *p)
{
	for (;;) {
		struct vmq_tx_desc *d;
		s64 r = 0;
		u64 i, j;

		switch (p->op) {
		case B_RX_REGISTER:
			r = vmqg_rx_register(&grx, (void *)p->rx_gva, p->rx_gpa,
					     p->rx_bytes);
			break;
		case B_TX_REGISTER:
			r = vmqg_tx_register(&gtx, (void *)p->tx_gva, p->tx_gpa,
					     p->tx_bytes);
			break;
		case B_SEND:
			for (i = 0; i < p->n; i++)
				guest_send_retry(p, i);
			break;
		case B_IMMEDIATE:
			for (i = 0; i < p->n; i++) {
				d = vmqg_tx_post(&gtx, p->peer, p->buf_gpa,
						 p->len, i);
				GUEST_ASSERT(d);
				/* 0 when an exit in between delivered it already. */
				r = vmqg_tx_flush();
				GUEST_ASSERT(r >= 0);
				guest_tx_check(p, d);
			}
			r = 0;
			break;
		case B_LAZY:
			for (i = 0; i < p->n; i += p->batch) {
				for (j = i; j < i + p->batch && j < p->n; j++)
					GUEST_ASSERT(vmqg_tx_post(&gtx, p->peer,
								  p->buf_gpa,
								  p->len, j));
				/* Any exit delivers them; CPUID is a cheap one. */
				do {
					guest_cpuid_exit();
				} while (vmqg_tx_inflight(&gtx) &&
					 ++p->retries);
				for (j = i; j < i + p->batch && j < p->n; j++)
					guest_tx_check(p, &gtx.desc[j & (gtx.nr - 1)]);
			}
			break;
		case B_PING:
			for (i = 0; i < p->n; i++) {
				if (guest_send_retry(p, i))
					break;
				guest_take_one(p);
				WRITE_ONCE(p->progress, i + 1);
			}
			break;
		case B_PONG:
			for (i = 0; i < p->n; i++) {
				guest_take_one(p);
				if (guest_send_retry(p, i))
					break;
				WRITE_ONCE(p->progress, i + 1);
			}
			break;
		case B_PING_TX:
			for (i = 0; i < p->n; i++) {
				r = vmqg_tx_send_wait(&gtx, p->peer, p->buf_gpa,
						      p->len, i,
						      VMQ_WAIT_MAX_NS, &d);
				GUEST_ASSERT(r >= 0);
				guest_tx_check(p, d);
				guest_take_one(p);
				WRITE_ONCE(p->progress, i + 1);
			}
			r = 0;
			break;
		case B_PONG_TX:
			/*
			 * The answer waits in the ring for the next wait's
			 * exit (the last one for GUEST_SYNC's).
			 */
			for (i = 0; i < p->n; i++) {
				guest_take_one(p);
				GUEST_ASSERT(vmqg_tx_post(&gtx, p->peer,
							  p->buf_gpa, p->len,
							  i));
				WRITE_ONCE(p->progress, i + 1);
			}
			break;
		case B_BIND:
			r = vmqg_hypercall(VMQ_HC_WINDOW_BIND, WIN_GPA,
					   bench_slots(p) * p->page_size,
					   p->bind_flags, 0);
			break;
		case B_POOL:
			for (i = 0; i < bench_slots(p) && !r; i++)
				r = vmqg_hypercall(VMQ_HC_PAGE_FREE,
						   WIN_GPA + i * p->page_size,
						   0, 0, 0);
			break;
		case B_PAGE_SEND:
			for (i = 0; i < p->n; i++) {
				u64 gpa = WIN_GPA + (i % WIN_SLOTS) * p->page_size;

				/* Fault in the slot's fresh page, as a user would. */
				WRITE_ONCE(*(u64 *)gpa, p->progress + i + 1);
				if (guest_page_send(p, gpa, i))
					break;
			}
			WRITE_ONCE(p->progress, p->progress + i);
			break;
		case B_PAGE_SINK:
			for (i = 0; i < p->n; i++) {
				guest_page_sink_one(p, p->progress);
				WRITE_ONCE(p->progress, p->progress + 1);
			}
			break;
		case B_PAGE_TOUCH:
			for (i = 0; i < p->n; i++)
				WRITE_ONCE(*(u64 *)(WIN_GPA + i * p->page_size),
					   i + 1);
			break;
		case B_PAGE_BURST:
			for (i = 0; i < p->n && !r; i++)
				r = vmqg_hypercall(VMQ_HC_PAGE_SEND, p->peer,
						   WIN_GPA + i * p->page_size,
						   i, 0);
			break;
		case B_PAGE_TX:
			for (i = 0; i < p->n && !r; i += p->batch) {
				j = p->batch < p->n - i ? p->batch : p->n - i;
				r = guest_tx_pages(p, i, j);
			}
			break;
		case B_GRANT:
			r = vmqg_grant(p->buf_gpa, p->len, 0, p->peer);
			p->grant = r;
			r = r > 0 ? 0 : r;
			break;
		case B_COPY:
			for (i = 0; i < p->n; i++) {
				__s64 err;

				r = vmqg_copy(p->peer, p->grant, 0, p->buf_gpa,
					      p->len, 0, &err);
				if (r != (s64)p->len) {
					p->errors++;
					p->last_error = err;
				}
				WRITE_ONCE(p->progress, i + 1);
			}
			r = 0;
			break;
		case B_PTE_STORE:
			for (i = 0; i < p->n; i++) {
				__s64 err;

				WRITE_ONCE(*(u64 *)p->pte_gva, p->pte_val);
				if (p->sync &&
				    vmqg_copy(p->peer, p->grant, 0, p->buf_gpa,
					      64, 0, &err) != 64)
					p->errors++;
			}
			break;
		case B_COPY_OUT:
			for (i = 0; i < p->n; i++) {
				const struct vmq_msg_hdr *m;

				while (!(m = vmqg_rx_peek(&grx))) {
					r = vmqg_wait(VMQ_WAIT_MAX_NS);
					p->retries++;
					GUEST_ASSERT(r >= 0);
				}
				memcpy((void *)p->buf_gpa, vmqg_msg_payload(m),
				       m->len);
				vmqg_rx_consume(&grx, m);
				WRITE_ONCE(p->progress, i + 1);
			}
			r = 0;
			break;
		default:
			r = -1;
		}
		GUEST_SYNC(r);
	}
}

/* --- host side -------------------------------------------------------------- */

struct bvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct bparam *p;
	struct vmqt_gmem rx, tx, buf;
	u64 big_used;		/* bytes of the big slot handed out */
	u32 id;
};

/* Page-aligned guest memory, physically contiguous, from the big slot. */
static struct vmqt_gmem bvm_alloc(struct bvm *b, size_t bytes)
{
	struct vmqt_gmem m;

	bytes = (bytes + 4095) & ~4095UL;
	TEST_ASSERT(b->big_used + bytes <= BIG_PAGES * 4096UL, "big slot full");
	m.gpa = BIG_GPA + b->big_used;
	m.gva = m.gpa;
	m.hva = addr_gpa2hva(b->vm, m.gpa);
	m.bytes = bytes;
	memset(m.hva, 0, bytes);
	b->big_used += bytes;
	return m;
}

void report(const char *bench, const char *metric, double value,
	    const char *unit)
{
	printf("{\"bench\": \"%s\", \"metric\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"}\n",
	       bench, metric, value, unit);
	fflush(stdout);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static s64 bvm_run(struct bvm *b)
{
	return vmqt_vcpu_sync(b->vcpu);
}

static s64 bvm_op(struct bvm *b, u64 op)
{
	b->p->op = op;
	return bvm_run(b);
}

/* A VM with a receive ring, a transmit ring and a send buffer. */
static void bvm_create(struct bvm *b)
{
	vm_vaddr_t p;
	s64 r;

	b->vm = __vm_create_with_one_vcpu(&b->vcpu, BIG_PAGES, bench_guest);
	p = vm_vaddr_alloc_page(b->vm);
	vm_userspace_mem_region_add(b->vm, VM_MEM_SRC_ANONYMOUS, BIG_GPA,
				    BIG_SLOT, BIG_PAGES, 0);
	virt_map(b->vm, BIG_GPA, BIG_GPA, BIG_PAGES);
	b->big_used = 0;
	b->p = addr_gva2hva(b->vm, p);
	memset(b->p, 0, sizeof(*b->p));
	vcpu_args_set(b->vcpu, 1, p);
	TEST_ASSERT(!__vmqt_attach(b->vm, NULL, &b->id), "VMQ_IOC_ATTACH_VM");

	b->rx = bvm_alloc(b, VMQ_RING_HDR_SIZE + RX_DATA);
	b->p->rx_gva = b->rx.gva;
	b->p->rx_gpa = b->rx.gpa;
	b->p->rx_bytes = b->rx.bytes;
	r = bvm_op(b, B_RX_REGISTER);
	TEST_ASSERT(!r, "VMQ_HC_QUEUE_REGISTER: %ld", (long)r);

	b->tx = bvm_alloc(b, VMQ_RING_HDR_SIZE + TX_PAGES * 4096);
	b->p->tx_gva = b->tx.gva;
	b->p->tx_gpa = b->tx.gpa;
	b->p->tx_bytes = b->tx.bytes;
	r = bvm_op(b, B_TX_REGISTER);
	TEST_ASSERT(!r, "VMQ_HC_TX_REGISTER: %ld", (long)r);

	b->buf = bvm_alloc(b, MAX_MSG);
	vmqt_fill(b->buf.hva, MAX_MSG, b->id, 0);
	b->p->buf_gpa = b->buf.gpa;
}

static void bvm_free(struct bvm *b)
{
	kvm_vm_free(b->vm);
}

/* Two VMs, each allowed to send to the other. */
static void pair_create(struct bvm *a, struct bvm *b)
{
	bvm_create(a);
	bvm_create(b);
	vmqt_allow(a->id, b->id);
	vmqt_allow(b->id, a->id);
	a->p->peer = b->id;
	b->p->peer = a->id;
}

static void stall_report(const char *who, struct bvm *b)
{
	struct vmq_vm_info i = vmqt_info_of(b->id);
	struct vmq_ring_hdr *h = b->rx.hva;

	fprintf(stderr,
		"vmq_bench: %s: vm %u progress %lu/%lu waits %lu (counted %llu) queue %u msgs; ring prod %u/%u cons %u/%u; sent %llu got %llu; live_waits %llu\n",
		who, b->id, READ_ONCE(b->p->progress), b->p->n, b->p->retries,
		i.counters[VMQ_CTR_WAITS], i.queue_msgs, h->prod_head, h->prod_msgs,
		h->cons_tail, h->cons_msgs, i.counters[VMQ_CTR_TX_MSGS],
		i.counters[VMQ_CTR_RX_MSGS], (unsigned long long)vmqt_stats().live_waits);
}

/* The sender's guest reported no failure and the receiver got everything. */
static void check_sent(const char *bench, struct bvm *s, struct bvm *r, u64 n)
{
	u64 got = vmqt_ctr(r->id, VMQ_CTR_RX_MSGS);

	if (s->p->errors || got < n) {
		stall_report("sender", s);
		stall_report("receiver", r);
	}
	TEST_ASSERT(!s->p->errors, "%s: %lu sends failed, last %ld", bench,
		    s->p->errors, (long)s->p->last_error);
	TEST_ASSERT(got >= n, "%s: receiver got %lu of %lu", bench, got, n);
}

/* Host thread that consumes a receive ring as it fills. */
struct drainer {
	pthread_t thread;
	struct vmqt_gmem *ring;
	u64 want;
	bool done;		/* the sender finished: stop once empty */
	u64 got;
	u64 bytes;
};

static void *drain_fn(void *arg)
{
	struct drainer *d = arg;

	while (d->got < d->want) {
		const struct vmq_msg_hdr *m = vmqt_host_peek(d->ring);

		if (!m) {
			if (__atomic_load_n(&d->done, __ATOMIC_ACQUIRE))
				break;
			sched_yield();
			continue;
		}
		d->got++;
		d->bytes += m->len;
		vmqt_host_consume(d->ring, m);
	}
	return NULL;
}

static void drain_start(struct drainer *d, struct vmqt_gmem *ring, u64 want)
{
	d->ring = ring;
	d->want = want;
	d->got = 0;
	d->bytes = 0;
	d->done = false;
	TEST_ASSERT(!pthread_create(&d->thread, NULL, drain_fn, d), "thread");
}

static void drain_join(struct drainer *d)
{
	__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
	pthread_join(d->thread, NULL);
}

/* --- copy_send ------------------------------------------------------------- */

/* copy_send_64k's GiB/s in this run, once measured (page_transfer_2m). */
static double copy_64k_gibs;

/* Report (unless @quiet) and return the GiB/s of payload. */
static double copy_send(const char *bench, u32 len, u64 n, bool quiet)
{
	struct bvm s, r;
	struct drainer d;
	double t;

	pair_create(&s, &r);
	s.p->len = len;
	s.p->n = n;
	/* Warm up: fault in both sides' pages, fill the caches. */
	drain_start(&d, &r.rx, n / 8);
	s.p->n = n / 8;
	bvm_op(&s, B_SEND);
	drain_join(&d);

	s.p->n = n;
	s.p->retries = 0;
	drain_start(&d, &r.rx, n);
	t = now_s();
	bvm_op(&s, B_SEND);
	drain_join(&d);
	t = now_s() - t;
	check_sent(bench, &s, &r, n + n / 8);
	TEST_ASSERT(d.bytes == (u64)len * n, "%s: drained %lu bytes", bench,
		    d.bytes);

	if (!quiet) {
		report(bench, "throughput", (double)len * n / t / (1024.0 * MiB),
		       "GiB/s");
		report(bench, "messages_per_second", n / t, "msg/s");
		report(bench, "ring_full_per_message", (double)s.p->retries / n,
		       "retries/msg");
	}
	bvm_free(&s);
	bvm_free(&r);
	return (double)len * n / t / (1024.0 * MiB);
}

/*
 * copy_send's 64-byte run again with events/vmq/ recording: what the
 * tracepoints saw per message sent, and the run's speed with them on over
 * without.
 */
static void bench_tracepoints(void)
{
	const u64 n = 8000 * scale, sent = n + n / 8;
	double off, on;
	char *trace;

	off = copy_send("tracepoints", 64, n, true);
	if (!vmqt_trace_start(16384)) {
		printf("# tracepoints: no tracefs: skipped\n");
		return;
	}
	on = copy_send("tracepoints", 64, n, true);
	vmqt_trace_stop();
	trace = vmqt_trace_read();
	report("tracepoints", "vmq_send_ok_per_message",
	       (double)vmqt_trace_count(trace, "vmq_send", " ret=0") / sent,
	       "events/msg");
	report("tracepoints", "vmq_send_full_per_message",
	       (double)vmqt_trace_count(trace, "vmq_send", " ret=-11") / sent,
	       "events/msg");
	report("tracepoints", "vmq_deliver_per_message",
	       (double)vmqt_trace_count(trace, "vmq_deliver", NULL) / sent,
	       "events/msg");
	report("tracepoints", "speed_traced_vs_untraced", on / off, "ratio");
	free(trace);
}

static void bench_copy_send(void)
{
	copy_send("copy_send_4k", 4096, 2000 * scale, false);
	copy_64k_gibs = copy_send("copy_send_64k", 65536, 400 * scale, false);
}

/* --- send_scale -------------------------------------------------------------- */

#define SCALE_VMS	256
#define SCALE_PAIRS	65536

/* Messages per second of SMALL_MSG bytes from @s to @r, host draining. */
static double send_rate(struct bvm *s, struct bvm *r, u64 n)
{
	struct drainer d;
	double t;

	s->p->len = SMALL_MSG;
	s->p->n = n;
	s->p->retries = 0;
	drain_start(&d, &r->rx, n);
	t = now_s();
	bvm_op(s, B_SEND);
	drain_join(&d);
	t = now_s() - t;
	TEST_ASSERT(!s->p->errors && d.got == n, "send_scale: %lu of %lu sent",
		    (unsigned long)d.got, (unsigned long)n);
	return n / t;
}

/*
 * The same stream between two VMs with nothing else attached, and with
 * SCALE_VMS VMs attached and SCALE_PAIRS pairs allowed among them: a
 * send's permission lookup must not grow with either.
 */
static void bench_send_scale(void)
{
	const u64 n = 2000 * scale;
	struct kvm_vm *more[SCALE_VMS - 2];
	u32 ids[SCALE_VMS], pairs = 0;
	double small, big;
	struct bvm s, r;
	int i, j;

	pair_create(&s, &r);
	send_rate(&s, &r, n / 8);	/* warm up */
	small = send_rate(&s, &r, n);

	ids[0] = s.id;
	ids[1] = r.id;
	for (i = 0; i < SCALE_VMS - 2; i++) {
		more[i] = vm_create_barebones();
		TEST_ASSERT(!__vmqt_attach(more[i], NULL, &ids[i + 2]),
			    "attach VM %d", i + 2);
	}
	/* Every ordered pair, each VM to itself included: 256 x 256. */
	for (i = 0; i < SCALE_VMS && pairs < SCALE_PAIRS; i++)
		for (j = 0; j < SCALE_VMS && pairs < SCALE_PAIRS; j++, pairs++)
			vmqt_allow(ids[i], ids[j]);
	send_rate(&s, &r, n / 8);
	big = send_rate(&s, &r, n);

	report("send_scale", "messages_per_second_2_vms", small, "msg/s");
	report("send_scale", "messages_per_second_256_vms", big, "msg/s");
	report("send_scale", "ratio", big / small, "ratio");
	for (i = 0; i < SCALE_VMS - 2; i++)
		kvm_vm_free(more[i]);
	bvm_free(&s);
	bvm_free(&r);
}

/* --- senders and payloads ---------------------------------------------------- */

#define MAX_SENDERS	16

static void *run_fn(void *arg);

/*
 * Messages per second into one receiver from @senders VMs at once, each on
 * its own vCPU thread sending @n messages of @len bytes (the receive
 * queue's lock is what they share); the host drains.
 */
static double fan_in(struct bvm *r, struct bvm *s, int senders, u32 len, u64 n)
{
	pthread_t t[MAX_SENDERS];
	struct drainer d;
	double secs;
	int i;

	drain_start(&d, &r->rx, n * senders);
	for (i = 0; i < senders; i++) {
		s[i].p->len = len;
		s[i].p->n = n;
		s[i].p->errors = 0;
	}
	secs = now_s();
	for (i = 0; i < senders; i++) {
		s[i].p->op = B_SEND;
		TEST_ASSERT(!pthread_create(&t[i], NULL, run_fn, &s[i]),
			    "sender thread");
	}
	for (i = 0; i < senders; i++)
		pthread_join(t[i], NULL);
	drain_join(&d);
	secs = now_s() - secs;
	for (i = 0; i < senders; i++)
		TEST_ASSERT(!s[i].p->errors, "sender %d: %lu failed, last %ld",
			    i, (unsigned long)s[i].p->errors,
			    (long)s[i].p->last_error);
	TEST_ASSERT(d.got == n * senders, "drained %lu of %lu",
		    (unsigned long)d.got, (unsigned long)(n * senders));
	return n * senders / secs;
}

static void bench_fan_in(void)
{
	static const int senders[] = { 1, 4, 16 };
	static const u32 lens[] = { 64, 1024, 65536 };
	const u64 n = 400 * scale;
	struct bvm r, s[MAX_SENDERS];
	char metric[64];
	unsigned int i;

	bvm_create(&r);
	for (i = 0; i < MAX_SENDERS; i++) {
		bvm_create(&s[i]);
		vmqt_allow(s[i].id, r.id);
		s[i].p->peer = r.id;
	}
	fan_in(&r, s, 1, SMALL_MSG, n / 8);	/* warm up */
	for (i = 0; i < ARRAY_SIZE(senders); i++) {
		snprintf(metric, sizeof(metric), "messages_per_second_%d_senders",
			 senders[i]);
		report("send_fan_in", metric,
		       fan_in(&r, s, senders[i], SMALL_MSG, n / senders[i]),
		       "msg/s");
	}
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		snprintf(metric, sizeof(metric), "messages_per_second_%uB",
			 lens[i]);
		report("send_payload", metric,
		       fan_in(&r, s, 1, lens[i], lens[i] > 4096 ? n / 4 : n),
		       "msg/s");
	}
	for (i = 0; i < MAX_SENDERS; i++)
		bvm_free(&s[i]);
	bvm_free(&r);
}

/* --- immediate and lazy sends ----------------------------------------------- */

static void tx_send(const char *bench, u64 op, u64 batch, u64 n)
{
	struct bvm s, r;
	struct drainer d;
	u64 exits;
	double t;

	pair_create(&s, &r);
	s.p->len = SMALL_MSG;
	s.p->batch = batch;
	/* Warm up. */
	s.p->n = 64;
	drain_start(&d, &r.rx, 64);
	bvm_op(&s, op);
	drain_join(&d);

	s.p->n = n;
	s.p->retries = 0;
	drain_start(&d, &r.rx, n);
	exits = vmqt_vcpu_stat(s.vcpu, "exits");
	t = now_s();
	bvm_op(&s, op);
	t = now_s() - t;
	exits = vmqt_vcpu_stat(s.vcpu, "exits") - exits;
	drain_join(&d);
	check_sent(bench, &s, &r, n + 64);

	report(bench, "exits_per_message", (double)exits / n, "exits/msg");
	report(bench, "messages_per_second", n / t, "msg/s");
	bvm_free(&s);
	bvm_free(&r);
}

static void bench_tx(void)
{
	tx_send("immediate_send", B_IMMEDIATE, 1, 1000 * scale);
	tx_send("lazy_send_1", B_LAZY, 1, 1000 * scale);
	tx_send("lazy_send_8", B_LAZY, 8, 4096 * scale);
	tx_send("lazy_send_64", B_LAZY, 64, 8192 * scale);
}

/* --- round trip -------------------------------------------------------------- */

static void *run_fn(void *arg)
{
	bvm_run(arg);
	return NULL;
}

/* Join @t; every 30 s without an end, say where the two guests are. */
static void join_watch(pthread_t t, struct bvm *a, struct bvm *b)
{
	struct timespec ts;
	int stalls = 0;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		if (!pthread_timedjoin_np(t, NULL, &ts))
			return;
		stall_report("ping", a);
		stall_report("pong", b);
		TEST_ASSERT(++stalls < 4, "no end after 2 minutes");
	}
}

/*
 * One way of playing ping-pong: warm up, then @n round trips; the mean
 * round trip in us and the exits of both vCPUs per round trip.
 */
static void ping_pong(struct bvm *a, struct bvm *b, u64 ping, u64 pong,
		      u64 n, double *us, double *exits)
{
	const u64 warm = 20;
	pthread_t ta, tb;
	double t = 0;
	struct vmqt_exits a0, b0, a1, b1;
	u64 e = 0;
	int round;

	a->p->progress = b->p->progress = 0;
	/* Round 0 warms up; round 1 is measured. */
	for (round = 0; round < 2; round++) {
		a->p->n = b->p->n = round ? n : warm;
		a->p->op = ping;
		b->p->op = pong;
		a->p->retries = 0;
		a0 = vmqt_exits(a->vcpu);
		b0 = vmqt_exits(b->vcpu);
		t = now_s();
		TEST_ASSERT(!pthread_create(&tb, NULL, run_fn, b) &&
			    !pthread_create(&ta, NULL, run_fn, a), "threads");
		join_watch(ta, a, b);
		join_watch(tb, a, b);
		t = now_s() - t;
		a1 = vmqt_exits(a->vcpu);
		b1 = vmqt_exits(b->vcpu);
		/* The host's own interrupts are no part of the protocol. */
		e = (a1.exits - a0.exits) - (a1.irq_exits - a0.irq_exits) +
		    (b1.exits - b0.exits) - (b1.irq_exits - b0.irq_exits);
	}
	TEST_ASSERT(!a->p->errors && !b->p->errors,
		    "ping-pong: %lu and %lu failed sends",
		    (unsigned long)a->p->errors, (unsigned long)b->p->errors);
	*us = t / n * 1e6;
	/* Less each side's GUEST_SYNC, which ends the command. */
	*exits = (double)(e - 2) / n;
}

void bench_round_trip(void)
{
	const u64 n = 500 * scale;
	double us_send, ex_send, us_tx, ex_tx;
	struct bvm a, b;

	pair_create(&a, &b);
	a.p->len = b.p->len = SMALL_MSG;
	ping_pong(&a, &b, B_PING, B_PONG, n, &us_send, &ex_send);
	report("round_trip", "waits_per_round_trip",
	       (double)a.p->retries / n, "waits");
	check_sent("round_trip", &a, &b, n + 20);
	check_sent("round_trip", &b, &a, n + 20);
	ping_pong(&a, &b, B_PING_TX, B_PONG_TX, n, &us_tx, &ex_tx);

	report("round_trip_send_wait", "round_trip_us", us_send, "us");
	report("round_trip_send_wait", "exits_per_round_trip", ex_send,
	       "exits");
	report("round_trip_tx_wait", "round_trip_us", us_tx, "us");
	report("round_trip_tx_wait", "exits_per_round_trip", ex_tx, "exits");
	/* The headline: the better way. */
	round_trip_us = us_tx < us_send ? us_tx : us_send;
	report("round_trip", "round_trip_us", round_trip_us, "us");
	report("round_trip", "exits_per_round_trip",
	       us_tx < us_send ? ex_tx : ex_send, "exits");
	bvm_free(&a);
	bvm_free(&b);
}

/* --- page transfer ------------------------------------------------------------ */

/* Give @b a page window of @slots pages of @page_size at WIN_GPA. */
static struct vmqt_win bvm_window_n(struct bvm *b, u64 page_size, u64 slots)
{
	struct vmqt_win w = vmqt_window_map(b->vm, WIN_SLOT, WIN_GPA, slots,
					    page_size);
	s64 r;

	b->p->page_size = page_size;
	b->p->slots = slots;
	r = bvm_op(b, B_BIND);
	TEST_ASSERT(!r, "VMQ_HC_WINDOW_BIND: %ld", (long)r);
	return w;
}

static struct vmqt_win bvm_window(struct bvm *b, u64 page_size)
{
	return bvm_window_n(b, page_size, WIN_SLOTS);
}

/*
 * Returns the GiB/s moved. @bind_flags: the sender's VMQ_HC_WINDOW_BIND
 * flags (VMQ_WINDOW_OWN_BYTES: it takes its own pages back uncleared).
 */
static double page_transfer(const char *bench, u64 page_size, u64 n,
			    u64 bind_flags)
{
	const u64 warm = 2 * WIN_SLOTS;
	struct vmqt_win ws, wr;
	struct bvm s, r;
	pthread_t ts, tr;
	u64 copied, clears = 0, own = 0;
	double t = 0;
	int round;

	pair_create(&s, &r);
	s.p->bind_flags = bind_flags;
	ws = bvm_window(&s, page_size);
	wr = bvm_window(&r, page_size);
	TEST_ASSERT(!bvm_op(&r, B_POOL), "PAGE_FREE into the pool");

	/* Round 0 warms up (faults in both windows); round 1 is measured. */
	for (round = 0; round < 2; round++) {
		s.p->n = r.p->n = round ? n : warm;
		s.p->op = B_PAGE_SEND;
		r.p->op = B_PAGE_SINK;
		s.p->retries = 0;
		copied = vmqt_stats().bytes_copied;
		clears = vmqt_stats().send_clears;
		own = vmqt_stats().own_returns;
		t = now_s();
		TEST_ASSERT(!pthread_create(&tr, NULL, run_fn, &r) &&
			    !pthread_create(&ts, NULL, run_fn, &s), "threads");
		join_watch(ts, &s, &r);
		join_watch(tr, &s, &r);
		t = now_s() - t;
		copied = vmqt_stats().bytes_copied - copied;
		clears = vmqt_stats().send_clears - clears;
		own = vmqt_stats().own_returns - own;
		TEST_ASSERT(!s.p->errors && !r.p->errors,
			    "%s: sender errors %lu (last %ld), receiver errors %lu (last %ld)",
			    bench, s.p->errors, (long)s.p->last_error,
			    r.p->errors, (long)r.p->last_error);
	}
	TEST_ASSERT(vmqt_ctr(r.id, VMQ_CTR_PAGES_RX) == n + warm,
		    "%s: receiver got %lu pages of %lu", bench,
		    (unsigned long)vmqt_ctr(r.id, VMQ_CTR_PAGES_RX), n + warm);

	report(bench, "pages_per_second", n / t, "pages/s");
	report(bench, "throughput", (double)page_size * n / t / (1024.0 * MiB),
	       "GiB/s");
	report(bench, "bytes_copied_per_transfer", (double)copied / n, "bytes");
	report(bench, "window_full_per_page", (double)s.p->retries / n,
	       "retries/page");
	report(bench, "send_clears_per_page", (double)clears / n, "clears/page");
	if (bind_flags & VMQ_WINDOW_OWN_BYTES)
		report(bench, "own_returns_per_page", (double)own / n,
		       "returns/page");
	bvm_free(&s);
	bvm_free(&r);
	vmqt_window_unmap(&ws);
	vmqt_window_unmap(&wr);
	return (double)page_size * n / t / (1024.0 * MiB);
}

/* Wait until the receive pools hold @pages clean 4 KiB pages, bounded. */
static void wait_pool_clean(u64 pages)
{
	int i;

	for (i = 0; i < 600000 && vmqt_stats().pool_clean_pages < pages; i++)
		usleep(100);
	TEST_ASSERT(vmqt_stats().pool_clean_pages >= pages,
		    "pool_clean_pages %lu, want %lu",
		    (unsigned long)vmqt_stats().pool_clean_pages,
		    (unsigned long)pages);
}

#define BURST		32

/*
 * The time of one VMQ_HC_PAGE_SEND, in us: BURST sends in a row from
 * faulted-in slots into a receive pool the background clear has readied,
 * timed from the host (one vCPU entry and exit in all), best of 3.
 */
static double page_move_us(u64 page_size)
{
	u64 clean0 = vmqt_stats().pool_clean_pages;
	struct vmqt_win ws, wr;
	double t, best = 0;
	struct bvm s, r;
	int round;

	pair_create(&s, &r);
	ws = bvm_window_n(&s, page_size, BURST);
	wr = bvm_window_n(&r, page_size, BURST);
	s.p->n = BURST;
	for (round = 0; round < 3; round++) {
		TEST_ASSERT(!bvm_op(&r, B_POOL), "PAGE_FREE into the pool");
		wait_pool_clean(clean0 + BURST * page_size / 4096);
		TEST_ASSERT(!bvm_op(&s, B_PAGE_TOUCH), "touch");
		t = now_s();
		TEST_ASSERT(!bvm_op(&s, B_PAGE_BURST), "page burst");
		t = (now_s() - t) / BURST * 1e6;
		if (!round || t < best)
			best = t;
	}
	bvm_free(&s);
	bvm_free(&r);
	vmqt_window_unmap(&ws);
	vmqt_window_unmap(&wr);
	return best;
}

static void bench_page_transfer(void)
{
	double zeroed, own, us4k, us2m;

	page_transfer("page_transfer_4k", 4096, 2000 * scale, 0);
	zeroed = page_transfer("page_transfer_2m", 2 * MiB, 200 * scale, 0);
	own = page_transfer("page_transfer_2m_own", 2 * MiB, 200 * scale,
			    VMQ_WINDOW_OWN_BYTES);
	if (!copy_64k_gibs)
		copy_64k_gibs = copy_send("copy_send_64k", 65536, 400 * scale,
					  true);
	report("page_transfer_2m_zeroed", "vs_copy_send_64k",
	       zeroed / copy_64k_gibs, "ratio");
	report("page_transfer_2m_own", "vs_copy_send_64k", own / copy_64k_gibs,
	       "ratio");
	/* The headline: the better way, named. */
	printf("{\"bench\": \"page_transfer_2m\", \"metric\": \"vs_copy_send_64k\", \"value\": %.6g, \"unit\": \"ratio\", \"way\": \"%s\"}\n",
	       (own > zeroed ? own : zeroed) / copy_64k_gibs,
	       own > zeroed ? "own_bytes" : "zeroed");
	fflush(stdout);
	us4k = page_move_us(4096);
	us2m = page_move_us(2 * MiB);
	report("page_transfer_4k", "move_us", us4k, "us");
	report("page_transfer_2m", "move_us", us2m, "us");
	report("page_transfer_2m", "time_vs_4k", us2m / us4k, "ratio");
}

/* --- page batches ------------------------------------------------------------ */

#define BATCH_PAGES	64

/* A second vCPU that runs in the guest until *@stop. */
static void spin_guest(u64 *stop)
{
	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
		;
	GUEST_DONE();
}

struct spinner {
	struct kvm_vcpu *vcpu;
	u64 *stop;
	pthread_t t;
};

static void *spin_fn(void *arg)
{
	vcpu_run(((struct spinner *)arg)->vcpu);
	return NULL;
}

static void spinner_start(struct spinner *sp, struct bvm *b)
{
	struct vmqt_gmem m = bvm_alloc(b, 4096);

	sp->stop = m.hva;
	sp->vcpu = vm_vcpu_add(b->vm, 1, spin_guest);
	vcpu_args_set(sp->vcpu, 1, m.gva);
	TEST_ASSERT(!pthread_create(&sp->t, NULL, spin_fn, sp), "thread");
}

static void spinner_stop(struct spinner *sp)
{
	__atomic_store_n(sp->stop, 1, __ATOMIC_RELEASE);
	pthread_join(sp->t, NULL);
}

static u64 flushes(struct bvm *a, struct bvm *b, const char *stat)
{
	return vm_get_stat(a->vm, stat) + vm_get_stat(b->vm, stat);
}

/* KVM's remote TLB flushes of both VMs per page, in batches of @batch. */
static void page_batch(const char *bench, u64 batch)
{
	u64 clean0 = vmqt_stats().pool_clean_pages, f = 0, fr = 0, f0, fr0;
	struct spinner sps, spr;
	struct vmqt_win ws, wr;
	struct bvm s, r;
	int round;
	s64 ret;

	pair_create(&s, &r);
	ws = bvm_window_n(&s, 4096, BATCH_PAGES);
	wr = bvm_window_n(&r, 4096, BATCH_PAGES);
	spinner_start(&sps, &s);
	spinner_start(&spr, &r);
	s.p->n = BATCH_PAGES;
	s.p->batch = batch;
	/* Round 0 warms up. */
	for (round = 0; round < 3; round++) {
		TEST_ASSERT(!bvm_op(&r, B_POOL), "PAGE_FREE into the pool");
		wait_pool_clean(clean0 + BATCH_PAGES);
		TEST_ASSERT(!bvm_op(&s, B_PAGE_TOUCH), "touch");
		f0 = flushes(&s, &r, "remote_tlb_flush");
		fr0 = flushes(&s, &r, "remote_tlb_flush_requests");
		ret = bvm_op(&s, B_PAGE_TX);
		TEST_ASSERT(!ret, "%s: page descriptors: %ld", bench, (long)ret);
		if (round) {
			f += flushes(&s, &r, "remote_tlb_flush") - f0;
			fr += flushes(&s, &r, "remote_tlb_flush_requests") - fr0;
		}
	}
	report(bench, "remote_tlb_flush_per_page",
	       (double)f / (2 * BATCH_PAGES), "flushes/page");
	report(bench, "remote_tlb_flush_requests_per_page",
	       (double)fr / (2 * BATCH_PAGES), "flushes/page");
	spinner_stop(&sps);
	spinner_stop(&spr);
	bvm_free(&s);
	bvm_free(&r);
	vmqt_window_unmap(&ws);
	vmqt_window_unmap(&wr);
}

static void bench_page_batch(void)
{
	page_batch("page_batch_1", 1);
	page_batch("page_batch_8", 8);
	page_batch("page_batch_64", 64);
}

/* --- cross-guest copy ---------------------------------------------------------- */

/* Run @s's op and @r's op on their own vCPU threads; the time both took. */
static double run_pair(struct bvm *s, u64 sop, struct bvm *r, u64 rop)
{
	pthread_t ts, tr;
	double t;

	s->p->op = sop;
	r->p->op = rop;
	t = now_s();
	TEST_ASSERT(!pthread_create(&tr, NULL, run_fn, r) &&
		    !pthread_create(&ts, NULL, run_fn, s), "threads");
	join_watch(ts, s, r);
	join_watch(tr, s, r);
	return now_s() - t;
}

static void bench_gva_copy(void)
{
	const u64 len = 65536, n = 400 * scale, warm = n / 8;
	struct bvm s, r;
	double t_copy = 0, t_send = 0;
	u64 rx_bytes;
	int round;

	pair_create(&s, &r);
	s.p->len = r.p->len = len;
	r.p->buf_gpa = r.buf.gpa;	/* identity mapped: gva == gpa */
	TEST_ASSERT(!bvm_op(&r, B_GRANT), "VMQ_HC_GRANT: %ld",
		    (long)r.p->grant);
	s.p->grant = r.p->grant;
	rx_bytes = vmqt_ctr(r.id, VMQ_CTR_COPY_RX_BYTES);

	/* Round 0 warms up; round 1 is measured. */
	for (round = 0; round < 2; round++) {
		s.p->n = round ? n : warm;
		t_copy = now_s();
		bvm_op(&s, B_COPY);
		t_copy = now_s() - t_copy;
		TEST_ASSERT(!s.p->errors, "gva_copy_64k: %lu copies failed, last %ld",
			    s.p->errors, (long)s.p->last_error);
	}
	rx_bytes = vmqt_ctr(r.id, VMQ_CTR_COPY_RX_BYTES) - rx_bytes;

	/* The same bytes as messages, and out of the ring by the receiver. */
	for (round = 0; round < 2; round++) {
		s.p->n = r.p->n = round ? n : warm;
		s.p->retries = r.p->retries = 0;
		t_send = run_pair(&s, B_SEND, &r, B_COPY_OUT);
		TEST_ASSERT(!s.p->errors, "send and copy out: %lu sends failed",
			    s.p->errors);
	}

	report("gva_copy_64k", "throughput",
	       (double)len * n / t_copy / (1024.0 * MiB), "GiB/s");
	report("gva_copy_64k", "bytes_copied_per_payload_byte",
	       (double)rx_bytes / (len * (n + warm)), "bytes/byte");
	report("gva_copy_64k", "vs_send_and_copy_out", t_send / t_copy, "ratio");
	bvm_free(&s);
	bvm_free(&r);
}

/* Like report(), with the paging mode that decides whether vmq caches. */
static void report_paging(const char *bench, const char *metric, double value,
			  const char *unit)
{
	printf("{\"bench\": \"%s\", \"metric\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"paging\": \"%s\"}\n",
	       bench, metric, value, unit,
	       vmqt_tables_shadowed() ? "shadow" : "tdp");
	fflush(stdout);
}

/* Counter @c of both VMs of a pair, summed. */
static u64 pair_ctr(struct bvm *a, struct bvm *b, enum vmq_counter c)
{
	return vmqt_ctr(a->id, c) + vmqt_ctr(b->id, c);
}

/* A sender @s with a grant of @r's 64 KiB buffer, copies warmed up. */
static void copy_pair(struct bvm *s, struct bvm *r)
{
	pair_create(s, r);
	s->p->len = r->p->len = 65536;
	r->p->buf_gpa = r->buf.gpa;	/* identity mapped: gva == gpa */
	TEST_ASSERT(!bvm_op(r, B_GRANT), "VMQ_HC_GRANT: %ld",
		    (long)r->p->grant);
	s->p->grant = r->p->grant;
	s->p->n = 4;
	bvm_op(s, B_COPY);
	TEST_ASSERT(!s->p->errors, "warm-up copies failed: %ld",
		    (long)s->p->last_error);
}

static void bench_translation_cache(void)
{
	const u64 n = 200 * scale;
	u64 hits, misses, walks;
	struct bvm s, r;

	copy_pair(&s, &r);
	hits = pair_ctr(&s, &r, VMQ_CTR_TC_HITS);
	misses = pair_ctr(&s, &r, VMQ_CTR_TC_MISSES);
	walks = pair_ctr(&s, &r, VMQ_CTR_GPT_WALKS);
	s.p->n = n;
	bvm_op(&s, B_COPY);
	TEST_ASSERT(!s.p->errors, "translation_cache: copies failed");
	hits = pair_ctr(&s, &r, VMQ_CTR_TC_HITS) - hits;
	misses = pair_ctr(&s, &r, VMQ_CTR_TC_MISSES) - misses;
	walks = pair_ctr(&s, &r, VMQ_CTR_GPT_WALKS) - walks;
	report_paging("translation_cache", "hit_rate",
		      hits + misses ? (double)hits / (hits + misses) : 0,
		      "fraction");
	/*
	 * A walk reads at most four entries; with no hit at all (TDP), per
	 * translation instead: every translation is a walk there.
	 */
	report_paging("translation_cache", "table_reads_per_hit",
		      hits ? 4.0 * walks / hits :
		      walks ? 4.0 : 0, "reads");
	bvm_free(&s);
	bvm_free(&r);
}

/*
 * @n guest stores to the PTE of @gva in @s's VM (the value it holds), a
 * 64-byte copy after each when @sync: the exits each store costs beyond
 * the copies' hypercalls, the command's GUEST_SYNC and host interrupts.
 */
static double pte_store_exits(struct bvm *s, u64 gva, u64 n, bool sync,
			      u64 *flushes, u64 *patches)
{
	struct vmqt_exits a, b;
	u64 f, pt;

	s->p->pte_gva = vmqt_pte_alias(s->vm, gva, 1);
	s->p->pte_val = *vmqt_pte_of(s->vm, gva, 1);
	s->p->sync = sync;
	s->p->n = 1;		/* maps the alias */
	bvm_op(s, B_PTE_STORE);
	s->p->n = n;
	f = vm_get_stat(s->vm, "remote_tlb_flush");
	pt = vmqt_ctr(s->id, VMQ_CTR_PATCHES);
	a = vmqt_exits(s->vcpu);
	bvm_op(s, B_PTE_STORE);
	b = vmqt_exits(s->vcpu);
	TEST_ASSERT(!s->p->errors, "PTE stores: copies failed");
	*flushes = vm_get_stat(s->vm, "remote_tlb_flush") - f;
	*patches = vmqt_ctr(s->id, VMQ_CTR_PATCHES) - pt;
	return (double)((b.exits - a.exits) - (b.hypercalls - a.hypercalls) -
			1 - (b.irq_exits - a.irq_exits)) / n;
}

static void bench_pte_write(void)
{
	const u64 n = 200 * scale;
	u64 flushes, patches;
	struct vmqt_gmem other;
	struct bvm s, r;
	double x;

	/* The sender's buffer: its tables back the sender's cached entries. */
	copy_pair(&s, &r);
	x = pte_store_exits(&s, s.buf.gpa, n, true, &flushes, &patches);
	report_paging("tracked_pte_write", "exits_per_write", x, "exits");
	report_paging("tracked_pte_write", "remote_tlb_flush_per_patch",
		      patches ? (double)flushes / patches : 0, "flushes");
	/* A page of memslot 0: a page table no cached entry depends on. */
	other = vmqt_gmem_alloc(s.vm, 4096);
	x = pte_store_exits(&s, other.gva, n, false, &flushes, &patches);
	report_paging("untracked_pte_write", "exits_per_write", x, "exits");
	bvm_free(&s);
	bvm_free(&r);
}

/* --- costs for VMs that do not use vmq --------------------------------------- */

struct ovparam {
	u64 n;
	u64 hypercall;		/* KVM_HC_VAPIC_POLL_IRQ instead of CPUID */
};

/* A guest that never uses vmq: @n exits of one kind, then GUEST_SYNC. */
static void overhead_guest(struct ovparam *p)
{
	u64 i;

	for (;;) {
		for (i = 0; i < p->n; i++) {
			if (p->hypercall)
				kvm_hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0);
			else
				guest_cpuid_exit();
		}
		GUEST_SYNC(0);
	}
}

/* ns per exit of @n exits of the kind @hypercall says. */
static double exit_ns(struct kvm_vcpu *vcpu, struct ovparam *p, bool hypercall,
		      u64 n)
{
	double t;

	p->hypercall = hypercall;
	p->n = n;
	t = now_s();
	vmqt_vcpu_sync(vcpu);
	return (now_s() - t) / n * 1e9;
}

/* Loaded/unloaded pairs of exit_overhead; fastest of this many runs each. */
#define OV_PAIRS	8
#define OV_RUNS		2

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @v[0..@n), which it sorts. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), double_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ns per exit of the kind @hypercall says: the fastest of OV_RUNS runs. */
static double exit_ns_best(struct kvm_vcpu *vcpu, struct ovparam *p,
			   bool hypercall, u64 n)
{
	double best = 1e30, ns;
	int i;

	for (i = 0; i < OV_RUNS; i++) {
		ns = exit_ns(vcpu, p, hypercall, n);
		if (ns < best)
			best = ns;
	}
	return best;
}

/*
 * Report @name's @metric: the median of the ratios @a[i] / @b[i] less 1,
 * and as _min and _max the smallest and largest of them, which show how
 * far apart the pairs of this run lie.
 */
static void report_ratio(const char *name, const char *metric,
			 const double *a, const double *b, int n)
{
	double r[OV_PAIRS];
	char m[64];
	int i;

	for (i = 0; i < n; i++)
		r[i] = a[i] / b[i] - 1;
	report(name, metric, median(r, n), "fraction");
	snprintf(m, sizeof(m), "%s_min", metric);
	report(name, m, r[0], "fraction");
	snprintf(m, sizeof(m), "%s_max", metric);
	report(name, m, r[n - 1], "fraction");
}

/*
 * The exit probe and the hypercall hook run for every VM on the host:
 * a VM that never uses vmq, its exits (CPUID) and a hypercall of KVM's
 * own (KVM_HC_VAPIC_POLL_IRQ), timed with vmq loaded, then unloaded, in
 * OV_PAIRS pairs (each time the fastest of OV_RUNS runs). Reloading
 * moves every time by several percent on TCG, whatever vmq does, so each
 * pair gives one ratio and overhead is their median, less 1. While
 * loaded, its exits are timed a second time with another VM holding a
 * transmit ring, which turns the exit probe on for every VM: against the
 * unloaded time of the pair (overhead_probe_on), and against the loaded
 * time just before, same module, probe off (probe_on_vs_off: what the
 * probe itself costs, without the reload's noise). Needs VMQ_KO to load
 * vmq again.
 */
static void bench_overhead(void)
{
	const u64 n = 20000 * scale;
	double t[2][2][OV_PAIRS], on[OV_PAIRS], ns;
	struct kvm_vcpu *vcpu;
	struct bvm busy;
	struct kvm_vm *vm;
	struct ovparam *p;
	vm_vaddr_t pv;
	int pair, loaded, kind, i;

	if (!getenv("VMQ_KO")) {
		printf("# exit_overhead: VMQ_KO not set, cannot reload vmq: skipped\n");
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, overhead_guest);
	pv = vm_vaddr_alloc_page(vm);
	p = addr_gva2hva(vm, pv);
	vcpu_args_set(vcpu, 1, pv);
	exit_ns(vcpu, p, false, n / 10);	/* warm up */
	for (pair = 0; pair < OV_PAIRS; pair++) {
		for (loaded = 1; loaded >= 0; loaded--) {
			for (kind = 0; kind < 2; kind++)
				t[loaded][kind][pair] = exit_ns_best(vcpu, p, kind, n);
			if (!loaded) {
				vmqt_load_module();
				continue;
			}
			/*
			 * As many runs as each other time, but each after a
			 * pause: a new VM's set-up work can linger.
			 */
			bvm_create(&busy);
			on[pair] = 1e30;
			for (i = 0; i < OV_RUNS; i++) {
				usleep(500000);
				ns = exit_ns(vcpu, p, false, n);
				if (ns < on[pair])
					on[pair] = ns;
			}
			bvm_free(&busy);
			vmqt_dev_close();
			TEST_ASSERT(vmqt_settle(vmqt_unload_module, NULL),
				    "rmmod vmq: %s", strerror(errno));
		}
	}
	kvm_vm_free(vm);
	vmqt_dev();
	for (pair = 0; pair < OV_PAIRS; pair++)
		printf("# exit_overhead pair %d: exit %.0f ns loaded, %.0f probe on, %.0f unloaded; hypercall %.0f loaded, %.0f unloaded\n",
		       pair, t[1][0][pair], on[pair], t[0][0][pair],
		       t[1][1][pair], t[0][1][pair]);
	report_ratio("exit_overhead", "overhead", t[1][0], t[0][0], OV_PAIRS);
	report_ratio("exit_overhead", "overhead_probe_on", on, t[0][0],
		     OV_PAIRS);
	report_ratio("exit_overhead", "probe_on_vs_off", on, t[1][0], OV_PAIRS);
	report_ratio("hypercall_overhead", "overhead", t[1][1], t[0][1],
		     OV_PAIRS);
	report("exit_overhead", "ns_per_exit_loaded", median(t[1][0], OV_PAIRS),
	       "ns");
	report("exit_overhead", "ns_per_exit_unloaded",
	       median(t[0][0], OV_PAIRS), "ns");
	report("exit_overhead", "ns_per_exit_probe_on", median(on, OV_PAIRS),
	       "ns");
	report("hypercall_overhead", "ns_per_hypercall_loaded",
	       median(t[1][1], OV_PAIRS), "ns");
	report("hypercall_overhead", "ns_per_hypercall_unloaded",
	       median(t[0][1], OV_PAIRS), "ns");
}

/* --- environment and driver -------------------------------------------------- */

static void report_env(void)
{
	int npt = vmqt_module_param("/sys/module/kvm_amd/parameters/npt");
	int ept = vmqt_module_param("/sys/module/kvm_intel/parameters/ept");
	struct utsname u;

	uname(&u);
	if (npt >= 0)
		printf("{\"bench\": \"env\", \"metric\": \"kvm_amd_npt\", \"value\": %d, \"unit\": \"bool\", \"kernel\": \"%s\", \"machine\": \"%s\"}\n",
		       npt, u.release, u.machine);
	else
		printf("{\"bench\": \"env\", \"metric\": \"kvm_intel_ept\", \"value\": %d, \"unit\": \"bool\", \"kernel\": \"%s\", \"machine\": \"%s\"}\n",
		       ept, u.release, u.machine);
	fflush(stdout);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool shadow;		/* runs under shadow paging by default */
} benches[] = {
	{ "copy_send", bench_copy_send },
	{ "lazy_send", bench_tx },	/* immediate_send and lazy_send_N */
	{ "round_trip", bench_round_trip },
	{ "page_transfer", bench_page_transfer },
	{ "page_batch", bench_page_batch },	/* page_batch_1, _8, _64 */
	{ "gva_copy", bench_gva_copy },
	{ "send_scale", bench_send_scale },
	{ "send_fan_in", bench_fan_in },	/* and send_payload */
	{ "exit_overhead", bench_overhead },	/* and hypercall_overhead */
	{ "tracepoints", bench_tracepoints },
	{ "baseline", bench_baseline },	/* bench_baseline.c */
	{ "translation_cache", bench_translation_cache, true },
	{ "tracked_pte_write", bench_pte_write, true },	/* and untracked_ */
	/* Nested Linux guests: TCG boots them under shadow paging only. */
	{ "guest_stream", bench_linux_guests, true },	/* and guest_ping */
};

static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strncmp(name, argv[i], strlen(argv[i])) ||
		    (!strcmp(name, "lazy_send") && !strcmp(argv[i], "immediate_send")) ||
		    (!strcmp(name, "tracked_pte_write") &&
		     !strcmp(argv[i], "untracked_pte_write")) ||
		    (!strcmp(name, "exit_overhead") &&
		     !strcmp(argv[i], "hypercall_overhead")) ||
		    (!strcmp(name, "send_fan_in") &&
		     !strcmp(argv[i], "send_payload")) ||
		    (!strcmp(name, "guest_stream") &&
		     !strcmp(argv[i], "guest_ping")))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *sc = getenv("VMQ_BENCH_SCALE");
	size_t i;

	if (sc && strtoul(sc, NULL, 0) > 0)
		scale = strtoul(sc, NULL, 0);
	vmqt_dev();
	report_env();
	for (i = 0; i < ARRAY_SIZE(benches); i++)
		if (argc < 2 && vmqt_tables_shadowed() ? benches[i].shadow :
		    selected(benches[i].name, argc, argv))
			benches[i].fn();
	return 0;
}
