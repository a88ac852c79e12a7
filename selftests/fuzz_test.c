// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test - random vmq hypercalls never get an undocumented answer, never
 * make the host warn, and leave nothing behind.
 *
 * A guest issues a few thousand hypercalls with numbers inside vmq's range
 * (defined and undefined ones) and arguments from a seeded PRNG: fully
 * random values, and near-valid ones (addresses in its RAM, at its end or
 * just past it, lengths around the limits, prepared ring headers with legal
 * sizes, names in memory), while it also scribbles random words over the
 * memory that holds its rings. Every result must be zero, a positive value
 * where the call has one, or an error <linux/vmq.h> documents for that
 * call; VMQ_CTR_HYPERCALLS must count every call. Afterwards a valid send
 * still arrives intact, and once the VMs are freed VMQ_IOC_STATS' live
 * objects are back at their baseline.
 *
 * The seed is printed; "fuzz_test SEED" (or VMQ_FUZZ_SEED=SEED) replays a
 * run. Two restrictions keep the guest itself alive, not vmq: WAIT
 * timeouts that would be valid are at most 100 us (a valid long one only
 * costs wall time), and a registration that names a page of the guest's
 * RAM always has a size that keeps the whole ring inside the scribble
 * arena (a header, or a copy of one in a ring's data, may lie on any arena
 * page), so the host never writes outside it.
 *
 * Both VMs have a page window: the fuzzing guest binds its own, sends and
 * frees random (mostly valid) slots, to itself or to B, and scribbles over
 * its window pages too; B gives every page it receives back to its pool.
 * Windows, pages in flight and the pages windows own must be back at their
 * baseline at the end as well.
 */
#include <assert.h>
#include <time.h>

#include "vmq_util.h"

#define ITERS		4000
#define BATCH		100
#define ARENA_PAGES	16
#define FINAL_LEN	100
#define FINAL_TAG	0x5eedULL
#define NAME_B		"fuzzb"
#define WIN_GPA		0x40000000ULL	/* identity mapped in both VMs */
#define WIN_MEMSLOT	20
#define WIN_SLOTS	8		/* A's window */
#define B_SLOTS		64		/* B's: room for a batch's pages */
#define B_SOURCE	16		/* B's last slots: pages for A */

enum { SYNC_BATCH, SYNC_BAD, SYNC_FUZZED };

struct fuzz {
	/* in */
	u64 seed, iters, batch;
	u64 a_id, b_id, max_msg;
	u64 arena_gva, arena_gpa, ram_end;
	u64 buf_gpa;
	u64 win_gpa, win_size;
	/* out */
	u64 calls, errors;
	u64 per_nr[VMQ_HC_NR - VMQ_HC_BASE + 1][2];	/* [nr][ok, error] */
	u64 bad_iter, bad_nr, bad_a[4];
	s64 bad_ret;
};

#define ARENA_BYTES	(ARENA_PAGES * 4096ULL)

/* Guest state: which of its rings are registered, and where. */
struct gstate {
	u64 s;			/* xorshift64* state */
	bool rx_reg, tx_reg;
	u64 rx_gva, rx_bytes, tx_gva, tx_bytes;
};

static u64 rnd(struct gstate *g)
{
	u64 x = g->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static u64 pick_any(struct fuzz *f, struct gstate *g)
{
	switch (rnd(g) % 6) {
	case 0:
		return rnd(g);
	case 1:
		return rnd(g) % 64;
	case 2:
		return ~0ULL - rnd(g) % 64;
	case 3:
		return 1ULL << (rnd(g) % 64);
	case 4:
		return f->arena_gpa + rnd(g) % ARENA_BYTES;
	default:
		return (u32)rnd(g);
	}
}

/* Addresses to read from: anywhere, RAM included. */
static u64 pick_gpa(struct fuzz *f, struct gstate *g)
{
	switch (rnd(g) % 8) {
	case 0:
		return rnd(g);
	case 1:
		return rnd(g) % f->ram_end;	/* anywhere in RAM */
	case 2:
		return f->ram_end - rnd(g) % 8192;
	case 3:
		return f->ram_end + rnd(g) % 8192;
	case 4:
		return ~0ULL - rnd(g) % 8192;
	case 5:
		return f->arena_gpa + (rnd(g) % ARENA_PAGES) * 4096;
	default:
		return f->arena_gpa + rnd(g) % ARENA_BYTES;
	}
}

/* Window slots: mostly held or free slots, sometimes not quite. */
static u64 pick_slot(struct fuzz *f, struct gstate *g)
{
	u64 slot = f->win_gpa + rnd(g) % WIN_SLOTS * 4096;

	switch (rnd(g) % 8) {
	case 0:
		return pick_gpa(f, g);
	case 1:
		return slot + 1 + rnd(g) % 4095;	/* unaligned */
	case 2:
		return f->win_gpa + f->win_size + rnd(g) % 3 * 4096;
	default:
		return slot;
	}
}

static u64 pick_len(struct fuzz *f, struct gstate *g)
{
	switch (rnd(g) % 6) {
	case 0:
		return rnd(g);
	case 1:
		return f->max_msg + 1 - rnd(g) % 3;
	case 2:
		return 2048 - 32 + 1 - rnd(g) % 3;	/* half a 4 KiB ring */
	case 3:
		return rnd(g) % 64;
	default:
		return rnd(g) % 5000;
	}
}

static u64 pick_dest(struct fuzz *f, struct gstate *g)
{
	switch (rnd(g) % 6) {
	case 0:
		return pick_any(f, g);
	case 1:
		return f->a_id;
	case 2:
		return f->a_id + 1 + rnd(g) % 4;	/* maybe another VM */
	default:
		return f->b_id;
	}
}

/*
 * Ring sizes: header plus a power of two, or nearly; for addresses in the
 * arena only sizes that keep the ring inside it (see the file comment).
 */
static u64 pick_ring(struct fuzz *f, struct gstate *g, u64 *size)
{
	u64 pages = 1 + rnd(g) % (ARENA_PAGES - 1);
	u64 gpa;

	switch (rnd(g) % 6) {
	case 0:
		*size = pick_any(f, g);
		return rnd(g) & ~0xfffULL;	/* not RAM (RAM is a few MiB) */
	case 1:
		*size = 4096 + (4096ULL << (rnd(g) % 14));
		return f->ram_end - 4096 * (1 + rnd(g) % 4);
	case 2:
		*size = 4096 + (4096ULL << (rnd(g) % 14));
		return rnd(g);
	default:
		gpa = f->arena_gpa + 4096 * (rnd(g) % (ARENA_PAGES - pages + 1));
		*size = pages * 4096 + (rnd(g) % 4 ? 0 : rnd(g) % 4096);
		return gpa + (rnd(g) % 4 ? 0 : rnd(g) % 4096);
	}
}

static u64 arena_gva_of(struct fuzz *f, u64 gpa)
{
	return f->arena_gva + (gpa - f->arena_gpa);
}

/* Prepare a header for a ring of @size bytes inside the arena. */
static u64 prepare_ring(struct fuzz *f, struct gstate *g, u32 magic, u64 size)
{
	u64 gpa = f->arena_gpa +
		  4096 * (rnd(g) % (ARENA_PAGES - size / 4096 + 1));
	u32 *hdr = (u32 *)arena_gva_of(f, gpa);

	memset(hdr, 0, 4096);
	hdr[0] = magic;
	return gpa;
}

static void unprepare_ring(struct fuzz *f, u64 gpa, u64 size)
{
	/* Copies of a header may lie in a ring's data: clear it all. */
	memset((void *)arena_gva_of(f, gpa), 0, size);
}

static bool result_ok(u64 nr, s64 r)
{
	switch (nr) {
	case VMQ_HC_INFO:
		return r == 0;
	case VMQ_HC_QUEUE_REGISTER:
	case VMQ_HC_TX_REGISTER:
		return r == 0 || r == -EINVAL || r == -EFAULT || r == -EBUSY ||
		       r == -ENOSPC || r == -ENOMEM;
	case VMQ_HC_QUEUE_UNREGISTER:
	case VMQ_HC_TX_UNREGISTER:
		return r == 0 || r == -ENOTCONN || r == -ENOMEM;
	case VMQ_HC_SEND:
		return r == 0 || r == -EACCES ||
		       r == -EMSGSIZE || r == -EFAULT || r == -ENOTCONN ||
		       r == -EAGAIN || r == -EPIPE;
	case VMQ_HC_TX_FLUSH:
		return r >= 0 || r == -ENOTCONN || r == -ENOMEM;
	case VMQ_HC_WAIT:
		return r >= 0 || r == -ENOTCONN || r == -EINVAL ||
		       r == -EOPNOTSUPP || r == -ENOMEM;
	case VMQ_HC_LOOKUP:
		return r > 0 || r == -EINVAL || r == -EFAULT || r == -ESRCH;
	case VMQ_HC_WINDOW_BIND:	/* bound before the fuzzing */
		return r == -EINVAL || r == -EFAULT || r == -EBUSY;
	case VMQ_HC_PAGE_SEND:
		return r == 0 || r == -EACCES ||
		       r == -ENOTCONN || r == -EINVAL || r == -EMSGSIZE ||
		       r == -EAGAIN || r == -ENOSPC || r == -EPIPE ||
		       r == -EBUSY;
	case VMQ_HC_PAGE_FREE:
		return r == 0 || r == -ENOTCONN || r == -EINVAL;
	default:
		return r == -EOPNOTSUPP;
	}
}

static u64 pick_nr(struct gstate *g)
{
	if (rnd(g) % 8)
		return VMQ_HC_BASE + rnd(g) % (VMQ_HC_NR - VMQ_HC_BASE + 1);
	return VMQ_HC_BASE + rnd(g) % VMQ_HC_RANGE;
}

/* One step: a hypercall, or a scribble over the arena. False: bad result. */
static bool fuzz_one(struct fuzz *f, struct gstate *g, u64 iter)
{
	u64 nr, a[4], size = 0, prepared = 0;
	s64 r;
	int i;

	if (rnd(g) % 10 == 0) {
		u32 *w = (u32 *)(f->arena_gva + (rnd(g) % ARENA_BYTES & ~3ULL));

		/* A window page: whichever page backs the slot just now. */
		if (rnd(g) % 3 == 0)
			w = (u32 *)(f->win_gpa + (rnd(g) % f->win_size & ~3ULL));

		*w = rnd(g) % 2 ? (u32)rnd(g) : (u32)rnd(g) % 64;
		return true;
	}

	nr = pick_nr(g);
	for (i = 0; i < 4; i++)
		a[i] = rnd(g) % 2 ? pick_any(f, g) : 0;
	switch (nr) {
	case VMQ_HC_SEND:
		a[0] = pick_dest(f, g);
		a[1] = pick_gpa(f, g);
		a[2] = pick_len(f, g);
		break;
	case VMQ_HC_QUEUE_REGISTER:
	case VMQ_HC_TX_REGISTER: {
		bool rx = nr == VMQ_HC_QUEUE_REGISTER;

		if (rnd(g) % 2 && !(rx ? g->rx_reg : g->tx_reg)) {
			/* RX: 4 to 16 KiB of data; TX: 1 or 2 descriptor pages. */
			size = 4096 + (4096ULL << (rnd(g) % (rx ? 3 : 2)));
			a[0] = prepare_ring(f, g, rx ? VMQ_RING_MAGIC :
					    VMQ_TX_MAGIC, size);
			a[1] = size;
			prepared = a[0];
		} else {
			a[0] = pick_ring(f, g, &a[1]);
		}
		a[2] = rnd(g) % 8 ? 0 : pick_any(f, g);
		break;
	}
	case VMQ_HC_WAIT:
		switch (rnd(g) % 3) {
		case 0:
			a[0] = 0;
			break;
		case 1:
			a[0] = rnd(g) % 100000;
			break;
		default:
			a[0] = VMQ_WAIT_MAX_NS + 1 + rnd(g) % (~0ULL -
							      VMQ_WAIT_MAX_NS);
		}
		break;
	case VMQ_HC_PAGE_SEND:
		a[0] = pick_dest(f, g);
		a[1] = pick_slot(f, g);
		break;
	case VMQ_HC_PAGE_FREE:
		a[0] = pick_slot(f, g);
		break;
	case VMQ_HC_WINDOW_BIND:
		if (rnd(g) % 2) {
			a[0] = f->win_gpa;
			a[1] = f->win_size;
		}
		break;
	case VMQ_HC_LOOKUP:
		a[0] = pick_gpa(f, g);
		a[1] = rnd(g) % 4 ? rnd(g) % 40 : pick_any(f, g);
		if (rnd(g) % 4 == 0) {
			a[0] = f->arena_gpa + ARENA_BYTES - 4096;
			memcpy((void *)arena_gva_of(f, a[0]), NAME_B,
			       sizeof(NAME_B));
			a[1] = rnd(g) % 2 ? sizeof(NAME_B) - 1 : a[1];
		}
		break;
	}

	r = vmq_hypercall(nr, a[0], a[1], a[2], a[3]);
	f->calls++;
	if (r < 0)
		f->errors++;
	f->per_nr[nr < VMQ_HC_NR ? nr - VMQ_HC_BASE :
		  VMQ_HC_NR - VMQ_HC_BASE][r < 0]++;

	/* Track the rings; a header stays prepared only while registered. */
	if (nr == VMQ_HC_QUEUE_REGISTER && !r) {
		g->rx_reg = true;
		g->rx_gva = arena_gva_of(f, a[0]);
		g->rx_bytes = a[1];
	} else if (nr == VMQ_HC_TX_REGISTER && !r) {
		g->tx_reg = true;
		g->tx_gva = arena_gva_of(f, a[0]);
		g->tx_bytes = a[1];
	} else if (prepared) {
		unprepare_ring(f, prepared, size);
	}
	if (nr == VMQ_HC_QUEUE_UNREGISTER && !r) {
		g->rx_reg = false;
		memset((void *)g->rx_gva, 0, g->rx_bytes);
	}
	if (nr == VMQ_HC_TX_UNREGISTER && !r) {
		g->tx_reg = false;
		memset((void *)g->tx_gva, 0, g->tx_bytes);
	}

	if (result_ok(nr, r))
		return true;
	f->bad_iter = iter;
	f->bad_nr = nr;
	for (i = 0; i < 4; i++)
		f->bad_a[i] = a[i];
	f->bad_ret = r;
	return false;
}

static void fuzz_guest(struct fuzz *f)
{
	struct gstate g = { .s = f->seed | 1 };
	u64 i;

	GUEST_ASSERT(!vmq_hypercall(VMQ_HC_WINDOW_BIND, f->win_gpa, f->win_size,
				    0, 0));
	f->calls++;
	for (i = 0; i < f->iters; i++) {
		if (!fuzz_one(f, &g, i))
			GUEST_SYNC(SYNC_BAD);
		if ((i + 1) % f->batch == 0)
			GUEST_SYNC(SYNC_BATCH);
	}
	GUEST_SYNC(SYNC_FUZZED);
	/* The VM still works: a valid send arrives. */
	GUEST_SYNC(vmq_send(f->b_id, f->buf_gpa, FINAL_LEN, FINAL_TAG));
	GUEST_DONE();
}

static s64 run(struct kvm_vcpu *vcpu)
{
	return vmq_vcpu_sync(vcpu);
}

/*
 * Take everything out of B's ring, as B would, and put the pages it got
 * into its pool. Then B sends pages from the slots it keeps to A until A
 * takes no more: A frees its own slots at random and would soon have
 * none left to send.
 */
static void drain(struct vmq_gvm *b, struct vmq_gmem *rx, u32 aid)
{
	const struct vmq_msg_hdr *m;
	struct vmq_page_msg pm;
	u64 i;
	s64 r;

	while ((m = vmq_host_peek(rx))) {
		bool page = m->type == VMQ_MSG_PAGE && m->len == sizeof(pm);

		if (page)
			memcpy(&pm, m + 1, sizeof(pm));
		vmq_host_consume(rx, m);
		if (!page)
			continue;
		r = vmq_gvm_hc(b, VMQ_HC_PAGE_FREE, pm.gpa, 0, 0, 0);
		TEST_ASSERT(!r, "B frees the page at %#lx: %ld",
			    (unsigned long)pm.gpa, (long)r);
	}
	for (i = B_SLOTS - B_SOURCE; i < B_SLOTS; i++) {
		r = vmq_gvm_hc(b, VMQ_HC_PAGE_SEND, aid, WIN_GPA + i * 4096, 0, 0);
		/* A's queue comes and goes, and A scribbles over it. */
		TEST_ASSERT(!r || r == -ENOTCONN || r == -EAGAIN ||
			    r == -ENOSPC || r == -EPIPE,
			    "B sends a page to A: %ld", (long)r);
		if (r)
			break;
	}
}

/* The counts of live objects in struct vmq_stats, which must not leak. */
static const struct {
	const char *name;
	size_t off;
} live[] = {
#define LIVE(field) { #field, offsetof(struct vmq_stats, field) }
	LIVE(live_vms), LIVE(live_queues), LIVE(pinned_pages),
	LIVE(live_pairs), LIVE(live_tx_rings), LIVE(live_waits),
	LIVE(live_windows), LIVE(window_pages), LIVE(pages_in_flight),
#undef LIVE
};

static u64 live_count(const struct vmq_stats *st, int i)
{
	return *(const u64 *)((const char *)st + live[i].off);
}

/* Whether the live counts agree; with @say, which do not and how. */
static bool stats_equal(const struct vmq_stats *a, const struct vmq_stats *b,
			bool say)
{
	bool same = true;
	int i;

	for (i = 0; i < ARRAY_SIZE(live); i++) {
		if (live_count(a, i) == live_count(b, i))
			continue;
		same = false;
		if (say)
			ksft_print_msg("%s: %lu, baseline %lu\n", live[i].name,
				       (unsigned long)live_count(a, i),
				       (unsigned long)live_count(b, i));
	}
	return same;
}

int main(int argc, char *argv[])
{
	static const char * const names[] = {
		"INFO", "QUEUE_REGISTER", "QUEUE_UNREGISTER", "SEND",
		"TX_REGISTER", "TX_UNREGISTER", "TX_FLUSH", "WAIT", "LOOKUP",
		"WINDOW_BIND", "PAGE_SEND", "PAGE_FREE", "undefined",
	};
	struct vmq_stats base, now;
	const struct vmq_msg_hdr *m;
	struct vmq_gmem rx, arena, buf;
	struct vmq_win wa, wb;
	struct vmq_vm_info a0, a1;
	struct kvm_vcpu *vcpu;
	struct vmq_gvm b;
	struct kvm_vm *vm;
	struct fuzz *f;
	vm_vaddr_t fgva;
	const char *env = getenv("VMQ_FUZZ_SEED");
	u64 seed, i;
	bool bad = false;
	s64 r;
	u32 aid;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
	       env ? strtoull(env, NULL, 0) :
	       ((u64)getpid() << 32 ^ (u64)time(NULL));

	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("seed %#lx (replay: fuzz_test %#lx)\n",
		       (unsigned long)seed, (unsigned long)seed);
	base = vmq_stats();

	b = vmq_gvm_create();
	vmq_attach(&b, NAME_B);
	rx = vmq_rx_setup(&b, 4096);
	wb = vmq_window_map(b.vm, WIN_MEMSLOT, WIN_GPA, B_SLOTS, 4096);
	r = vmq_gvm_hc(&b, VMQ_HC_WINDOW_BIND, WIN_GPA, wb.size, 0, 0);
	TEST_ASSERT(!r, "B binds its window: %ld", (long)r);
	for (i = 0; i < B_SLOTS - B_SOURCE; i++) {
		r = vmq_gvm_hc(&b, VMQ_HC_PAGE_FREE, WIN_GPA + i * 4096, 0, 0, 0);
		TEST_ASSERT(!r, "B frees slot %lu: %ld", (unsigned long)i, (long)r);
	}

	vm = vm_create_with_one_vcpu(&vcpu, fuzz_guest);
	TEST_ASSERT(!__vmq_attach(vm, "fuzza", &aid), "attach A");
	vmq_allow(aid, b.id);
	vmq_allow(aid, aid);
	vmq_allow(b.id, aid);

	fgva = vm_vaddr_alloc_page(vm);
	f = addr_gva2hva(vm, fgva);
	memset(f, 0, sizeof(*f));
	TEST_ASSERT(sizeof(*f) <= 4096, "struct fuzz too big");
	arena = vmq_gmem_alloc(vm, ARENA_BYTES);
	buf = vmq_gmem_alloc(vm, 4096);
	vmq_fill(buf.hva, FINAL_LEN, aid, 7);
	f->seed = seed;
	f->iters = ITERS;
	f->batch = BATCH;
	f->a_id = aid;
	f->b_id = b.id;
	f->max_msg = vmq_gvm_info(&b).max_msg;
	f->arena_gva = arena.gva;
	f->arena_gpa = arena.gpa;
	f->ram_end = vmq_ram_end(vm);
	f->buf_gpa = buf.gpa;
	wa = vmq_window_map(vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, 4096);
	f->win_gpa = wa.gpa;
	f->win_size = wa.size;
	vcpu_args_set(vcpu, 1, fgva);

	a0 = vmq_info_of(aid);
	for (;;) {
		r = run(vcpu);
		if (r == SYNC_BATCH) {
			drain(&b, &rx, aid);
			continue;
		}
		if (r == SYNC_BAD) {
			ksft_print_msg("iteration %lu: nr %#lx (%#lx, %#lx, %#lx, %#lx): %ld\n",
				       (unsigned long)f->bad_iter,
				       (unsigned long)f->bad_nr,
				       (unsigned long)f->bad_a[0],
				       (unsigned long)f->bad_a[1],
				       (unsigned long)f->bad_a[2],
				       (unsigned long)f->bad_a[3],
				       (long)f->bad_ret);
			bad = true;
			continue;
		}
		TEST_ASSERT(r == SYNC_FUZZED, "guest sync %ld", (long)r);
		break;
	}
	static_assert(ARRAY_SIZE(names) == ARRAY_SIZE(f->per_nr),
		       "a name for every hypercall number");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ksft_print_msg("%-16s %5lu ok %5lu errors\n", names[i],
			       (unsigned long)f->per_nr[i][0],
			       (unsigned long)f->per_nr[i][1]);
	ksft_test_result(!bad, "%lu random hypercalls: only documented results\n",
			 (unsigned long)f->calls);

	a1 = vmq_info_of(aid);
	{
		u64 calls = a1.counters[VMQ_CTR_HYPERCALLS] -
			    a0.counters[VMQ_CTR_HYPERCALLS];
		u64 errs = 0;
		int c;

		for (c = 0; c < VMQ_CTR_NR; c++)
			if (vmq_ctr_is_error(c))
				errs += a1.counters[c] - a0.counters[c];
		if (calls != f->calls || errs < f->errors)
			ksft_print_msg("%lu calls counted (%lu made), %lu errors (%lu)\n",
				       (unsigned long)calls,
				       (unsigned long)f->calls,
				       (unsigned long)errs,
				       (unsigned long)f->errors);
		ksft_test_result(calls == f->calls && errs >= f->errors,
				 "counters: every call and every error counted\n");
	}

	drain(&b, &rx, aid);
	r = run(vcpu);
	/*
	 * Descriptors the guest's scribbles published in its transmit ring
	 * go first (SEND flushes the ring): the final send is the last one.
	 */
	while ((m = vmq_host_peek(&rx)) && vmq_host_pending(&rx) > 1)
		vmq_host_consume(&rx, m);
	ksft_test_result(!r && m && m->sender == aid && m->tag == FINAL_TAG &&
			 m->len == FINAL_LEN &&
			 vmq_check_fill(m + 1, FINAL_LEN, aid, 7),
			 "a valid send after the fuzzing arrives intact (%ld)\n",
			 (long)r);

	kvm_vm_free(vm);
	vmq_gvm_free(&b);
	vmq_window_unmap(&wa);
	vmq_window_unmap(&wb);
	/* VM teardown may finish in a worker: look a bounded number of times. */
	for (i = 0; i < 100; i++) {
		now = vmq_stats();
		if (stats_equal(&now, &base, false))
			break;
		usleep(10000);
	}
	ksft_test_result(stats_equal(&now, &base, true),
			 "live objects back at baseline after the VMs are freed\n");
	ksft_finished();
}
