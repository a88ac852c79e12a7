// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test - hostile guests issuing random vmq hypercalls never get an
 * undocumented answer, never make the host warn, and leave nothing behind,
 * while the host changes permissions and destroys and recreates VMs under
 * them.
 *
 * Several fuzzing VMs (--vms, default 3), each with several vCPUs (--vcpus,
 * default 2), run at once. Every vCPU issues hypercalls with numbers inside
 * vmq's range (defined and undefined ones) and arguments from its own
 * seeded PRNG: fully random values, and near-valid ones (addresses in its
 * RAM, at its end or just past it, lengths around the limits, prepared
 * ring headers with legal sizes, names in memory, the ids of the other
 * VMs), while it also scribbles random words over the memory that holds
 * its VM's rings and over its page window. Every result must be zero, a
 * positive value where the call has one, or an error <linux/vmq.h>
 * documents for that call. Meanwhile the host allows and revokes random
 * pairs, and every so often stops one fuzzing VM, checks that
 * VMQ_CTR_HYPERCALLS counted every call its vCPUs made, destroys it with
 * whatever rings, pages in flight and pending descriptors it has, and
 * creates a new one in its place. A well-behaved VM B receives: it drains
 * its queue, gives back the pages it gets and keeps the fuzzers supplied
 * with pages. At the end a valid send from every fuzzing VM arrives intact
 * at B, and once all VMs are freed VMQ_CMD_GET_STATS' live objects are back at
 * their baseline.
 *
 * The run is reproducible from its seed in what each vCPU calls (the
 * interleaving is the host's): "fuzz_test --seed S" (or VMQ_FUZZ_SEED=S)
 * replays it; --calls N sets the length (default 30000 calls in all; "make
 * fuzz" runs a million on the debug kernel). Two restrictions keep the
 * guests themselves alive, not vmq: WAIT timeouts that would be valid are
 * at most 100 us, and a registration that names a page of the guest's RAM
 * always has a size that keeps the whole ring inside the scribble arena,
 * so the host never writes outside it.
 */
#include <assert.h>
#include <getopt.h>
#include <pthread.h>
#include <time.h>

#include "vmqt.h"

#define BATCH		100
#define ARENA_PAGES	16
#define FINAL_LEN	100
#define FINAL_TAG	0x5eedULL
#define NAME_B		"fuzzb"
#define WIN_GPA		0x40000000ULL	/* identity mapped in every VM */
#define WIN_MEMSLOT	20
#define WIN_SLOTS	8		/* a fuzzing VM's window */
#define B_SLOTS		128		/* B's: room for a round's pages */
#define B_SOURCE	16		/* B's last slots: pages for fuzzers */
#define MAX_VMS		8
#define MAX_VCPUS	4
#define MAX_IDS		(MAX_VMS + 1)

enum { SYNC_BATCH, SYNC_BAD, SYNC_FUZZED };

/* One page per vCPU: its configuration in, its results out. */
struct fuzz {
	/* in */
	u64 seed, batch, vcpu;
	u64 a_id, b_id, max_msg;
	u64 arena_gva, arena_gpa, ram_end;
	u64 buf_gpa;
	u64 win_gpa, win_size;
	u64 ids[MAX_IDS];	/* VMs to send to; the host updates them */
	u64 stop;		/* the host wants the vCPU to stop */
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
	case 3:
		return f->b_id;
	default:
		return READ_ONCE(f->ids[rnd(g) % MAX_IDS]);
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
		return r == 0 || r == -ENOTCONN || r == -ENOMEM;
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
	case VMQ_HC_WINDOW_BIND:	/* another vCPU may bind it first */
		return r == 0 || r == -EINVAL || r == -EFAULT || r == -EBUSY;
	case VMQ_HC_PAGE_SEND:
		return r == 0 || r == -EACCES ||
		       r == -ENOTCONN || r == -EINVAL || r == -EMSGSIZE ||
		       r == -EAGAIN || r == -ENOSPC || r == -EPIPE ||
		       r == -EBUSY;
	case VMQ_HC_PAGE_FREE:
		return r == 0 || r == -ENOTCONN || r == -EINVAL;
	case VMQ_HC_GRANT:
		return r > 0 || r == -EINVAL || r == -ENOSPC || r == -ENOMEM;
	case VMQ_HC_GRANT_REVOKE:
		return r == 0 || r == -ENOENT;
	case VMQ_HC_COPY:	/* RAX only: a count, or why nothing was */
		return r >= 0 || r == -EACCES || r == -ENOENT ||
		       r == -ERANGE || r == -EFAULT || r == -EPERM ||
		       r == -EMSGSIZE || r == -EINVAL || r == -ENOTCONN ||
		       r == -EAGAIN || r == -EPIPE;
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
	case VMQ_HC_GRANT:
		/* Only the arena: a copy into guest code would crash it. */
		a[0] = f->arena_gva + rnd(g) % ARENA_BYTES;
		a[1] = rnd(g) % 8 ? 1 + rnd(g) % (f->arena_gva + ARENA_BYTES -
						  a[0]) :
				    VMQ_GRANT_MAX + 1 + rnd(g) % 4096;
		a[2] = rnd(g) % 4 ? rnd(g) % 4 : pick_any(f, g);
		a[3] = pick_dest(f, g);
		break;
	case VMQ_HC_GRANT_REVOKE:
		a[0] = rnd(g) % 4 ? 1 + rnd(g) % 32 : pick_any(f, g);
		break;
	case VMQ_HC_COPY:
		a[0] = pick_dest(f, g) << 32 |
		       (rnd(g) % 4 ? 1 + rnd(g) % 32 : (u32)pick_any(f, g));
		a[1] = rnd(g) % 4 ? rnd(g) % 8192 : pick_any(f, g);
		a[2] = rnd(g) % 4 ? f->arena_gva + rnd(g) % ARENA_BYTES :
				    pick_any(f, g);
		a[3] = (rnd(g) % 4 ? rnd(g) % 8192 : (u32)pick_any(f, g)) |
		       (rnd(g) % 8 ? 0 : (rnd(g) % 4) << 32);
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

	r = vmqg_hypercall(nr, a[0], a[1], a[2], a[3]);
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

	if (!f->vcpu) {
		s64 r = vmqg_hypercall(VMQ_HC_WINDOW_BIND, f->win_gpa,
				       f->win_size, 0, 0);

		/* Another vCPU's random call may have bound it already. */
		GUEST_ASSERT_1(!r || r == -EBUSY, r);
		f->calls++;
	}
	for (i = 0; ; i++) {
		if (!fuzz_one(f, &g, i))
			GUEST_SYNC(SYNC_BAD);
		if ((i + 1) % f->batch == 0) {
			GUEST_SYNC(SYNC_BATCH);
			if (READ_ONCE(f->stop))
				break;
		}
	}
	GUEST_SYNC(SYNC_FUZZED);
	/* The VM still works: a valid send arrives. */
	GUEST_SYNC(vmqg_send(f->b_id, f->buf_gpa, FINAL_LEN, FINAL_TAG));
	GUEST_DONE();
}

static const char * const hc_names[] = {
	"INFO", "QUEUE_REGISTER", "QUEUE_UNREGISTER", "SEND",
	"TX_REGISTER", "TX_UNREGISTER", "TX_FLUSH", "WAIT", "LOOKUP",
	"WINDOW_BIND", "PAGE_SEND", "PAGE_FREE", "GRANT", "GRANT_REVOKE",
	"COPY", "undefined",
};

static_assert(ARRAY_SIZE(hc_names) == ARRAY_SIZE(((struct fuzz *)0)->per_nr),
	      "a name for every hypercall number");

/* The run, as the host sees it. */
static struct {
	u64 seed, calls_goal;
	int nr_vms, nr_vcpus;
	u64 calls;		/* made by VMs already destroyed */
	u64 per_nr[ARRAY_SIZE(hc_names)][2];
	bool bad, miscounted;
	pthread_mutex_t lock;	/* the fields above, and printing */
	struct vmqt_gvm b;	/* the well-behaved receiver */
	struct vmqt_gmem b_rx;
	struct vmqt_win b_win;
	u32 b_id;
	u64 b_max_msg;
	struct gstate churn;	/* the host's own PRNG */
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A fuzzing VM and the threads that run its vCPUs. */
struct fvm {
	int slot, gen;
	struct kvm_vm *vm;
	u32 id;
	struct kvm_vcpu *vcpu[MAX_VCPUS];
	struct fuzz *f[MAX_VCPUS];
	pthread_t t[MAX_VCPUS];
	struct vmqt_win w;
	struct vmq_vm_info info0;	/* counters when it started */
};

static struct fvm fvms[MAX_VMS];

static void report_bad(struct fvm *v, int c)
{
	struct fuzz *f = v->f[c];

	pthread_mutex_lock(&run.lock);
	ksft_print_msg("VM %u vCPU %d iteration %lu: nr %#lx (%#lx, %#lx, %#lx, %#lx): %ld\n",
		       v->id, c, (unsigned long)f->bad_iter,
		       (unsigned long)f->bad_nr, (unsigned long)f->bad_a[0],
		       (unsigned long)f->bad_a[1], (unsigned long)f->bad_a[2],
		       (unsigned long)f->bad_a[3], (long)f->bad_ret);
	run.bad = true;
	pthread_mutex_unlock(&run.lock);
}

struct vcpu_thread {
	struct fvm *v;
	int c;
};

/* Run one vCPU until it stops fuzzing (SYNC_FUZZED). */
static void *vcpu_thread(void *arg)
{
	struct vcpu_thread *vt = arg;
	struct fvm *v = vt->v;
	int c = vt->c;
	s64 r;

	free(vt);
	for (;;) {
		r = vmqt_vcpu_sync(v->vcpu[c]);
		if (r == SYNC_FUZZED)
			return NULL;
		if (r == SYNC_BAD)
			report_bad(v, c);
		else
			TEST_ASSERT(r == SYNC_BATCH, "guest sync %ld", (long)r);
	}
}

static u64 fvm_calls(struct fvm *v)
{
	u64 n = 0;
	int c;

	for (c = 0; c < run.nr_vcpus; c++)
		n += READ_ONCE(v->f[c]->calls);
	return n;
}

/* Every id a fuzzer may want to send to, into every vCPU's page. */
static void publish_ids(void)
{
	u64 ids[MAX_IDS] = { run.b_id };
	int i, c;

	for (i = 0; i < run.nr_vms; i++)
		ids[i + 1] = fvms[i].vm ? fvms[i].id : 0;
	for (i = 0; i < run.nr_vms; i++) {
		if (!fvms[i].vm)
			continue;
		for (c = 0; c < run.nr_vcpus; c++)
			memcpy(fvms[i].f[c]->ids, ids, sizeof(ids));
	}
}

static void fvm_start(struct fvm *v)
{
	struct vmqt_gmem arena, buf;
	char name[VMQ_NAME_MAX];
	vm_vaddr_t fgva;
	int c;

	v->vm = vm_create_with_vcpus(run.nr_vcpus, fuzz_guest, v->vcpu);
	snprintf(name, sizeof(name), "fuzz%d.%d", v->slot, v->gen);
	TEST_ASSERT(!__vmqt_attach(v->vm, name, &v->id), "attach %s", name);
	arena = vmqt_gmem_alloc(v->vm, ARENA_BYTES);
	buf = vmqt_gmem_alloc(v->vm, 4096);
	vmqt_fill(buf.hva, FINAL_LEN, v->id, 7);
	v->w = vmqt_window_map(v->vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, 4096);
	for (c = 0; c < run.nr_vcpus; c++) {
		struct fuzz *f;

		fgva = vm_vaddr_alloc_page(v->vm);
		f = addr_gva2hva(v->vm, fgva);
		memset(f, 0, sizeof(*f));
		f->seed = run.seed ^ (0x9e3779b97f4a7c15ULL *
				      ((u64)v->slot << 32 | v->gen << 8 | c));
		f->batch = BATCH;
		f->vcpu = c;
		f->a_id = v->id;
		f->b_id = run.b_id;
		f->max_msg = run.b_max_msg;
		f->arena_gva = arena.gva;
		f->arena_gpa = arena.gpa;
		f->ram_end = vmqt_ram_end(v->vm);
		f->buf_gpa = buf.gpa;
		f->win_gpa = v->w.gpa;
		f->win_size = v->w.size;
		v->f[c] = f;
		vcpu_args_set(v->vcpu[c], 1, fgva);
	}
	/* The fuzzers may reach everyone; the host revokes some later. */
	vmqt_allow(v->id, v->id);
	vmqt_allow(v->id, run.b_id);
	vmqt_allow(run.b_id, v->id);
	for (c = 0; c < run.nr_vms; c++) {
		if (fvms + c == v || !fvms[c].vm)
			continue;
		vmqt_allow(v->id, fvms[c].id);
		vmqt_allow(fvms[c].id, v->id);
	}
	publish_ids();
	v->info0 = vmqt_info_of(v->id);
	for (c = 0; c < run.nr_vcpus; c++) {
		struct vcpu_thread *vt = malloc(sizeof(*vt));

		TEST_ASSERT(vt, "malloc");
		vt->v = v;
		vt->c = c;
		TEST_ASSERT(!pthread_create(&v->t[c], NULL, vcpu_thread, vt),
			    "vCPU thread");
	}
}

/* Stop the vCPUs at their next batch and wait for them. */
static void fvm_stop(struct fvm *v)
{
	int c;

	for (c = 0; c < run.nr_vcpus; c++)
		WRITE_ONCE(v->f[c]->stop, 1);
	for (c = 0; c < run.nr_vcpus; c++)
		TEST_ASSERT(!pthread_join(v->t[c], NULL), "join");
}

/* VMQ_CTR_HYPERCALLS counted every call its vCPUs made; tally them. */
static void fvm_account(struct fvm *v)
{
	struct vmq_vm_info now = vmqt_info_of(v->id);
	u64 counted = now.counters[VMQ_CTR_HYPERCALLS] -
		      v->info0.counters[VMQ_CTR_HYPERCALLS];
	u64 made = fvm_calls(v);
	int c, i;

	pthread_mutex_lock(&run.lock);
	if (counted != made) {
		ksft_print_msg("VM %u: %lu calls counted, %lu made\n", v->id,
			       (unsigned long)counted, (unsigned long)made);
		run.miscounted = true;
	}
	run.calls += made;
	for (c = 0; c < run.nr_vcpus; c++)
		for (i = 0; i < ARRAY_SIZE(hc_names); i++) {
			run.per_nr[i][0] += v->f[c]->per_nr[i][0];
			run.per_nr[i][1] += v->f[c]->per_nr[i][1];
		}
	pthread_mutex_unlock(&run.lock);
}

/* Destroy a stopped VM with whatever it holds. */
static void fvm_free(struct fvm *v)
{
	kvm_vm_free(v->vm);
	vmqt_window_unmap(&v->w);
	v->vm = NULL;
	publish_ids();
}

/*
 * Take everything out of B's ring, as B would, and put the pages it got
 * into its pool. Then B sends pages from the slots it keeps to the
 * fuzzers, which free their own slots at random and would soon have none
 * left to send.
 */
static void drain_b(void)
{
	const struct vmq_msg_hdr *m;
	struct vmq_page_msg pm;
	u64 i;
	s64 r;
	int v;

	while ((m = vmqt_host_peek(&run.b_rx))) {
		bool page = m->type == VMQ_MSG_PAGE && m->len == sizeof(pm);

		if (page)
			memcpy(&pm, m + 1, sizeof(pm));
		vmqt_host_consume(&run.b_rx, m);
		if (!page)
			continue;
		r = vmqt_gvm_hc(&run.b, VMQ_HC_PAGE_FREE, pm.gpa, 0, 0, 0);
		TEST_ASSERT(!r, "B frees the page at %#lx: %ld",
			    (unsigned long)pm.gpa, (long)r);
	}
	for (v = 0; v < run.nr_vms; v++) {
		for (i = B_SLOTS - B_SOURCE; i < B_SLOTS; i++) {
			r = vmqt_gvm_hc(&run.b, VMQ_HC_PAGE_SEND, fvms[v].id,
					WIN_GPA + i * 4096, 0, 0);
			/*
			 * The fuzzer's queue comes and goes, it scribbles over
			 * it, the host revokes pairs, the VM may be gone, its
			 * pages may be in use (a ring's page, -EBUSY).
			 */
			TEST_ASSERT(!r || r == -ENOTCONN || r == -EAGAIN ||
				    r == -ENOSPC || r == -EPIPE ||
				    r == -EACCES || r == -EBUSY || r == -EINVAL,
				    "B sends a page to VM %u: %ld", fvms[v].id,
				    (long)r);
			if (r)
				break;
		}
	}
}

/*
 * The host's part: allow or revoke a random pair among the live VMs, or
 * destroy a fuzzing VM and start a new one in its place.
 */
static void churn(void)
{
	struct fvm *v;
	u32 a, b;
	int ret;

	if (rnd(&run.churn) % 4) {
		a = rnd(&run.churn) % (run.nr_vms + 1);
		b = rnd(&run.churn) % (run.nr_vms + 1);
		a = a == run.nr_vms ? run.b_id : fvms[a].id;
		b = b == run.nr_vms ? run.b_id : fvms[b].id;
		ret = __vmqt_pair(rnd(&run.churn) % 2 ? VMQ_CMD_ALLOW :
				  VMQ_CMD_REVOKE, a, b);
		TEST_ASSERT(!ret || ret == -ENOENT, "pair %u -> %u: %d", a, b,
			    ret);
		return;
	}
	v = &fvms[rnd(&run.churn) % run.nr_vms];
	fvm_stop(v);
	fvm_account(v);
	fvm_free(v);
	v->gen++;
	fvm_start(v);
}

static u64 calls_so_far(void)
{
	u64 n = run.calls;
	int v;

	for (v = 0; v < run.nr_vms; v++)
		n += fvm_calls(&fvms[v]);
	return n;
}

/* The counts of live objects in struct vmqt_stats, which must not leak. */
static const struct {
	const char *name;
	size_t off;
} live[] = {
#define LIVE(field) { #field, offsetof(struct vmqt_stats, field) }
	LIVE(live_vms), LIVE(live_queues), LIVE(pinned_pages),
	LIVE(live_pairs), LIVE(live_tx_rings), LIVE(live_waits),
	LIVE(live_windows), LIVE(window_pages), LIVE(pages_in_flight),
	LIVE(live_grants), LIVE(tracked_tables),
#undef LIVE
};

static u64 live_count(const struct vmqt_stats *st, int i)
{
	return *(const __u64 *)((const char *)st + live[i].off);
}

/* Whether the live counts agree; with @say, which do not and how. */
static bool stats_equal(const struct vmqt_stats *a, const struct vmqt_stats *b,
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

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed S] [--calls N] [--vms N] [--vcpus N] [SEED]\n",
		prog);
	exit(KSFT_FAIL);
}

static void parse_args(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "vms", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ }
	};
	const char *env = getenv("VMQ_FUZZ_SEED");
	int o;

	run.seed = env ? strtoull(env, NULL, 0) :
		   ((u64)getpid() << 32 ^ (u64)time(NULL));
	run.calls_goal = 30000;
	run.nr_vms = 3;
	run.nr_vcpus = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			run.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			run.calls_goal = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			run.nr_vms = atoi(optarg);
			break;
		case 'c':
			run.nr_vcpus = atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind < argc)
		run.seed = strtoull(argv[optind], NULL, 0);
	if (run.nr_vms < 1 || run.nr_vms > MAX_VMS || run.nr_vcpus < 1 ||
	    run.nr_vcpus > MAX_VCPUS)
		usage(argv[0]);
}

int main(int argc, char *argv[])
{
	const struct vmq_msg_hdr *m;
	struct vmqt_stats base, now = { 0 };
	u64 i, next_churn, churns = 0;
	int v, arrived = 0;
	s64 r;

	parse_args(argc, argv);
	run.churn.s = (run.seed ^ 0x5ca1ab1e) | 1;
	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("seed %#lx, %lu calls, %d VMs x %d vCPUs\n",
		       (unsigned long)run.seed, (unsigned long)run.calls_goal,
		       run.nr_vms, run.nr_vcpus);
	ksft_print_msg("replay: fuzz_test --seed %#lx --calls %lu --vms %d --vcpus %d\n",
		       (unsigned long)run.seed, (unsigned long)run.calls_goal,
		       run.nr_vms, run.nr_vcpus);
	base = vmqt_stats();

	run.b = vmqt_gvm_create();
	run.b_id = vmqt_attach(&run.b, NAME_B);
	run.b_rx = vmqt_rx_setup(&run.b, 65536);
	run.b_win = vmqt_window_map(run.b.vm, WIN_MEMSLOT, WIN_GPA, B_SLOTS, 4096);
	r = vmqt_gvm_hc(&run.b, VMQ_HC_WINDOW_BIND, WIN_GPA, run.b_win.size, 0, 0);
	TEST_ASSERT(!r, "B binds its window: %ld", (long)r);
	for (i = 0; i < B_SLOTS - B_SOURCE; i++) {
		r = vmqt_gvm_hc(&run.b, VMQ_HC_PAGE_FREE, WIN_GPA + i * 4096, 0,
				0, 0);
		TEST_ASSERT(!r, "B frees slot %lu: %ld", (unsigned long)i, (long)r);
	}
	run.b_max_msg = vmqt_gvm_info(&run.b).max_msg;

	for (v = 0; v < run.nr_vms; v++) {
		fvms[v].slot = v;
		fvm_start(&fvms[v]);
	}
	/* Progress, not time, paces the host: a change per 1000 calls. */
	next_churn = 1000;
	while ((i = calls_so_far()) < run.calls_goal) {
		drain_b();
		if (i >= next_churn) {
			churn();
			churns++;
			next_churn += 1000;
		}
		usleep(1000);
	}
	for (v = 0; v < run.nr_vms; v++) {
		fvm_stop(&fvms[v]);
		fvm_account(&fvms[v]);
	}
	for (i = 0; i < ARRAY_SIZE(hc_names); i++)
		ksft_print_msg("%-16s %8lu ok %8lu errors\n", hc_names[i],
			       (unsigned long)run.per_nr[i][0],
			       (unsigned long)run.per_nr[i][1]);
	ksft_test_result(!run.bad,
			 "%lu random hypercalls from %d VMs, %lu host changes: only documented results\n",
			 (unsigned long)run.calls, run.nr_vms,
			 (unsigned long)churns);
	ksft_test_result(!run.miscounted,
			 "VMQ_CTR_HYPERCALLS counted every call of every VM\n");

	/*
	 * Every fuzzer sends once more, validly, to B. Descriptors that its
	 * scribbles published in a transmit ring go first (SEND flushes the
	 * ring): the valid one is the last message from that VM.
	 */
	drain_b();
	for (v = 0; v < run.nr_vms; v++) {
		struct fvm *fv = &fvms[v];
		bool ok = false;

		vmqt_allow(fv->id, run.b_id);
		r = vmqt_vcpu_sync(fv->vcpu[0]);
		while ((m = vmqt_host_peek(&run.b_rx))) {
			if (m->sender == fv->id)
				ok = m->type == VMQ_MSG_DATA &&
				     m->tag == FINAL_TAG && m->len == FINAL_LEN &&
				     vmqt_check_fill(m + 1, FINAL_LEN, fv->id, 7);
			vmqt_host_consume(&run.b_rx, m);
		}
		if (!r && ok)
			arrived++;
		else
			ksft_print_msg("VM %u: final send %ld, %s\n", fv->id,
				       (long)r, ok ? "" : "not the last message");
	}
	ksft_test_result(arrived == run.nr_vms,
			 "a valid send from every fuzzing VM arrives intact (%d of %d)\n",
			 arrived, run.nr_vms);

	for (v = 0; v < run.nr_vms; v++)
		fvm_free(&fvms[v]);
	vmqt_gvm_free(&run.b);
	vmqt_window_unmap(&run.b_win);
	/* VM teardown may finish in a worker: look a bounded number of times. */
	vmqt_settle(vmqt_stats_live_at, &base);
	now = vmqt_stats();
	ksft_test_result(stats_equal(&now, &base, true),
			 "live objects back at baseline after the VMs are freed\n");
	ksft_finished();
}
