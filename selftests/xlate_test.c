// SPDX-License-Identifier: GPL-2.0
/*
 * xlate_test - vmq's translation caches stay coherent with guest page
 * tables that the guests themselves rewrite.
 *
 * Every page-table write here is the guest's own plain store (through an
 * alias mapping of the table, vmqt_gvm_pte_write() and VMQT_OP_PTE_FLIP),
 * as a guest kernel's set_pte() is; the host never edits a table that a
 * cached translation may depend on. Checked, under shadow paging (where
 * vmq caches, write-tracks the tables and patches) and under TDP (where
 * every copy walks, and nothing may be tracked):
 *  - the receiver remaps its granted page, the sender its source page: the
 *    next copy uses the new page, and the patch (not a new walk) did it;
 *  - two writes before the consumer's next coherency point, from one vCPU
 *    (patched twice) and from two (the token no longer matches: dropped);
 *  - a channel forced to overflow drops the whole cache;
 *  - four vCPUs: one rewrites a PTE in a loop, three copy through it; no
 *    copy reads a page older than the one mapped when it started;
 *  - exits: a write to a table nothing depends on costs no VM exit, one to
 *    a tracked table exactly one;
 *  - a table written more often than it has entries with no copy in
 *    between is let go (no more exits), and the next copy walks afresh;
 *  - the tracked tables on netlink (VMQ_CMD_GET_TABLES);
 *  - VMs torn down with caches, grants and pending patches leave every
 *    live-object count, tracked tables included, at its baseline.
 */
#include <pthread.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define PAGE		4096UL
#define ADDR		PHYSICAL_PAGE_MASK

static bool shadowed;

struct fx {
	struct vmqt_gvm a, b;
};

static void fx_init(struct fx *f)
{
	f->a = vmqt_gvm_create();
	f->b = vmqt_gvm_create();
	vmqt_attach(&f->a, NULL);
	vmqt_attach(&f->b, NULL);
	vmqt_allow(f->a.id, f->b.id);
}

static void fx_free(struct fx *f)
{
	vmqt_gvm_free(&f->a);
	vmqt_gvm_free(&f->b);
}

static u64 rose(u32 id, const struct vmq_vm_info *before, enum vmq_counter c)
{
	return vmqt_ctr(id, c) - before->counters[c];
}

static s64 grant(struct vmqt_gvm *b, u64 gva, u64 len, u32 sender)
{
	s64 g = vmqt_gvm_hc(b, VMQ_HC_GRANT, gva, len, 0, sender);

	TEST_ASSERT(g > 0, "VMQ_HC_GRANT: %ld", (long)g);
	return g;
}

/* The whole copy from @a's guest, or the test fails. */
static void copy_ok(struct vmqt_gvm *a, u32 dest, s64 g, u64 offset, u64 src,
		    u64 len)
{
	s64 r = vmqt_gvm_hc(a, VMQ_HC_COPY, (u64)dest << 32 | (u32)g, offset,
			    src, len);

	TEST_ASSERT(r == (s64)len && !a->cmd->hc.rbx, "copy of %lu: %ld, err %ld",
		    (unsigned long)len, (long)r, (long)a->cmd->hc.rbx);
}

/* The guest of @g points the 4 KiB page at @gva to guest-physical @gpa. */
static void remap(struct vmqt_gvm *g, u64 gva, u64 gpa)
{
	u64 e = *vmqt_pte_of(g->vm, gva, 1);

	vmqt_gvm_pte_write(g, gva, 1, (e & ~ADDR) | gpa);
}

/* The receiver remaps its granted page: the grant's cache is patched. */
static void test_remap_dest(void)
{
	struct vmqt_gmem src, dst, spare;
	struct vmq_vm_info ib;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	spare = vmqt_gmem_alloc(f.b.vm, PAGE);
	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	memset(src.hva, 1, PAGE);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, PAGE);
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 1, PAGE), "first copy");

	ib = vmqt_info_of(f.b.id);
	remap(&f.b, dst.gva, spare.gpa);
	memset(src.hva, 2, PAGE);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, PAGE);
	TEST_ASSERT(vmqt_all_bytes(spare.hva, 2, PAGE), "the new page lacks the copy");
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 1, PAGE),
		    "the old page was written after the remap");
	if (shadowed)
		TEST_ASSERT(rose(f.b.id, &ib, VMQ_CTR_PT_WRITES) == 1 &&
			    rose(f.b.id, &ib, VMQ_CTR_PATCHES) == 1 &&
			    rose(f.b.id, &ib, VMQ_CTR_PATCHES_APPLIED) == 1 &&
			    rose(f.b.id, &ib, VMQ_CTR_TC_HITS) == 1 &&
			    rose(f.b.id, &ib, VMQ_CTR_TC_MISSES) == 0,
			    "B: pt_writes %lu patches %lu applied %lu hits %lu misses %lu",
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_PT_WRITES),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_PATCHES),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_PATCHES_APPLIED),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_TC_HITS),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_TC_MISSES));
	else
		TEST_ASSERT(rose(f.b.id, &ib, VMQ_CTR_PT_WRITES) == 0 &&
			    rose(f.b.id, &ib, VMQ_CTR_TC_HITS) == 0 &&
			    rose(f.b.id, &ib, VMQ_CTR_GPT_WALKS) == 1,
			    "TDP: B counted a trap, a hit or other than one walk");
	fx_free(&f);
}

/* The sender remaps its source page: its vCPU's cache is patched. */
static void test_remap_src(void)
{
	struct vmqt_gmem src, spare, dst;
	struct vmq_vm_info ia;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	spare = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, 2 * PAGE);
	g = grant(&f.b, dst.gva, 2 * PAGE, f.a.id);
	memset(src.hva, 3, PAGE);
	memset(spare.hva, 4, PAGE);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, PAGE);

	ia = vmqt_info_of(f.a.id);
	remap(&f.a, src.gva, spare.gpa);
	copy_ok(&f.a, f.b.id, g, PAGE, src.gva, PAGE);
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 3, PAGE) &&
		    vmqt_all_bytes((u8 *)dst.hva + PAGE, 4, PAGE),
		    "the copy after the remap read the old page");
	if (shadowed)
		TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == 1 &&
			    rose(f.a.id, &ia, VMQ_CTR_PATCHES_APPLIED) == 1 &&
			    rose(f.a.id, &ia, VMQ_CTR_TC_HITS) == 1 &&
			    rose(f.a.id, &ia, VMQ_CTR_TC_MISSES) == 0,
			    "A: pt_writes %lu applied %lu hits %lu misses %lu",
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PATCHES_APPLIED),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_HITS),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_MISSES));
	fx_free(&f);
}

#define HUGE_GPA	0x80000000ULL	/* a 2 MiB page of its own */
#define HUGE_GVA	0x80000000ULL
#define HUGE_SLOT	2

/*
 * A patch is held to what a walk would accept: the sender's 2 MiB source
 * page, cached, gets a reserved bit in its PDE (the guest's own store);
 * the next copy must fail as a walk would (-EFAULT), not use the entry.
 */
static void test_patch_reserved_bit(void)
{
	struct vmqt_gmem dst;
	u64 pde, *big;
	struct fx f;
	s64 g, r;

	fx_init(&f);
	vm_userspace_mem_region_add(f.a.vm, VM_MEM_SRC_ANONYMOUS, HUGE_GPA,
				    HUGE_SLOT, PG_SIZE_2M / PAGE, 0);
	__virt_pg_map(f.a.vm, HUGE_GVA, HUGE_GPA, PG_LEVEL_2M);
	big = addr_gpa2hva(f.a.vm, HUGE_GPA);
	memset(big, 0x77, 2 * PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, HUGE_GVA + PAGE, 64);
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 0x77, 64), "copy from a 2 MiB page");

	/* Bit 13 lies below the 2 MiB frame: reserved in a PDE with PS. */
	pde = *vmqt_pte_of(f.a.vm, HUGE_GVA, 2);
	vmqt_gvm_pte_write(&f.a, HUGE_GVA, 2, pde | BIT_ULL(13));
	r = vmqt_gvm_hc(&f.a, VMQ_HC_COPY, (u64)f.b.id << 32 | (u32)g, 0,
			HUGE_GVA + PAGE, 64);
	TEST_ASSERT(r == -EFAULT, "copy through a PDE with a reserved bit: %ld",
		    (long)r);
	fx_free(&f);
}

/*
 * @n pages of @g's guest memory, page k (from 0) filled with the byte
 * @base + k.
 */
static struct vmqt_gmem numbered_pages(struct vmqt_gvm *g, int n, u8 base)
{
	struct vmqt_gmem m = vmqt_gmem_alloc(g->vm, n * PAGE);
	int k;

	for (k = 0; k < n; k++)
		memset((u8 *)m.hva + k * PAGE, (u8)(base + k), PAGE);
	return m;
}

/* @g's guest rewrites the PTE of @gva @n times, to page k of @pages. */
static void flip(struct vmqt_gvm *g, u64 gva, struct vmqt_gmem *pages, u64 n)
{
	g->cmd->op = VMQT_OP_PTE_FLIP;
	g->cmd->flip = (struct vmqt_op_flip){
		.pte_gva = vmqt_pte_alias(g->vm, gva, 1),
		.pte = *vmqt_pte_of(g->vm, gva, 1) & ~ADDR,
		.first_gpa = pages->gpa,
		.stride = PAGE,
		.n = n,
	};
	TEST_ASSERT(!vmqt_gvm_run(g), "VMQT_OP_PTE_FLIP");
}

/*
 * A's page S (the byte @base) and @n pages to remap it to (@base + 1 ...),
 * B's one-page grant to A, and a first copy from S: S's translation is
 * cached (where vmq caches). @ia: A's counters after that copy.
 */
struct remaps {
	struct fx f;
	struct vmqt_gmem src, pages, dst;
	struct vmq_vm_info ia;
	s64 g;
	u8 base;
};

static void remaps_init(struct remaps *r, int n, u8 base)
{
	fx_init(&r->f);
	r->base = base;
	r->src = numbered_pages(&r->f.a, 1, base);
	r->pages = numbered_pages(&r->f.a, n, base + 1);
	r->dst = vmqt_gmem_alloc(r->f.b.vm, PAGE);
	r->g = grant(&r->f.b, r->dst.gva, PAGE, r->f.a.id);
	copy_ok(&r->f.a, r->f.b.id, r->g, 0, r->src.gva, 64);
	r->ia = vmqt_info_of(r->f.a.id);
}

/* The next copy from S reads page @k of r->pages. */
static void remaps_expect(struct remaps *r, int k)
{
	copy_ok(&r->f.a, r->f.b.id, r->g, 0, r->src.gva, 64);
	TEST_ASSERT(vmqt_all_bytes(r->dst.hva, r->base + 1 + k, 64),
		    "read %u, not page %d (%u)", *(u8 *)r->dst.hva, k,
		    r->base + 1 + k);
}

static u64 remaps_rose(struct remaps *r, enum vmq_counter c)
{
	return rose(r->f.a.id, &r->ia, c);
}

/* Two writes by one vCPU before its cache's next use: patched twice. */
static void test_two_writes(void)
{
	struct remaps r;

	remaps_init(&r, 2, 10);
	flip(&r.f.a, r.src.gva, &r.pages, 2);
	remaps_expect(&r, 1);
	if (shadowed)
		TEST_ASSERT(remaps_rose(&r, VMQ_CTR_PATCHES_APPLIED) == 2 &&
			    remaps_rose(&r, VMQ_CTR_PATCHES_INVALID) == 0 &&
			    remaps_rose(&r, VMQ_CTR_TC_MISSES) == 0,
			    "applied %lu invalid %lu misses %lu",
			    (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES_APPLIED),
			    (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES_INVALID),
			    (unsigned long)remaps_rose(&r, VMQ_CTR_TC_MISSES));
	fx_free(&r.f);
}

/*
 * Two writes by two vCPUs: the consumer applies its channels in producer
 * order, so it meets the second write first; its token does not match the
 * cached entry, which is dropped and walked afresh.
 */
static void test_token(void)
{
	struct vmqt_gvm a1;
	struct remaps r;

	remaps_init(&r, 2, 30);
	a1 = vmqt_gvm_add_vcpu(&r.f.a);
	remap(&a1, r.src.gva, r.pages.gpa);		/* producer 1 */
	remap(&r.f.a, r.src.gva, r.pages.gpa + PAGE);	/* producer 0 */
	remaps_expect(&r, 1);
	if (shadowed)
		TEST_ASSERT(remaps_rose(&r, VMQ_CTR_PATCHES_INVALID) == 1 &&
			    remaps_rose(&r, VMQ_CTR_PATCHES_APPLIED) == 0 &&
			    remaps_rose(&r, VMQ_CTR_TC_MISSES) == 1,
			    "invalid %lu applied %lu misses %lu",
			    (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES_INVALID),
			    (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES_APPLIED),
			    (unsigned long)remaps_rose(&r, VMQ_CTR_TC_MISSES));
	fx_free(&r.f);
}

/* More writes than a channel holds before the next use: the cache drops. */
static void test_overflow(void)
{
	const int n = 40;
	struct remaps r;

	remaps_init(&r, n, 100);
	flip(&r.f.a, r.src.gva, &r.pages, n);
	remaps_expect(&r, n - 1);
	if (!shadowed)
		goto out;
	TEST_ASSERT(remaps_rose(&r, VMQ_CTR_PT_WRITES) == n &&
		    remaps_rose(&r, VMQ_CTR_TC_OVERFLOWS) == 1 &&
		    remaps_rose(&r, VMQ_CTR_PATCHES) < (u64)n,
		    "pt_writes %lu overflows %lu patches %lu",
		    (unsigned long)remaps_rose(&r, VMQ_CTR_PT_WRITES),
		    (unsigned long)remaps_rose(&r, VMQ_CTR_TC_OVERFLOWS),
		    (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES));
	ksft_print_msg("overflow: %lu of %d patches fit\n",
		       (unsigned long)remaps_rose(&r, VMQ_CTR_PATCHES), n);
out:
	fx_free(&r.f);
}

#define COPIERS		3
#define FLIPS		250	/* page k holds the byte k */
#define COPIES		2000
#define CHUNK		64

#define MORE_GPA	(1ULL << 30)
#define MORE_GVA	(1ULL << 30)
#define MORE_SLOT	1

/* @n pages of guest memory in a memslot of their own, mapped 1:1 at 1 GiB. */
static struct vmqt_gmem more_memory(struct kvm_vm *vm, u64 n)
{
	struct vmqt_gmem m = {
		.gva = MORE_GVA,
		.gpa = MORE_GPA,
		.bytes = n * PAGE,
	};

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, MORE_GPA,
				    MORE_SLOT, n, 0);
	virt_map(vm, MORE_GVA, MORE_GPA, n);
	m.hva = addr_gpa2hva(vm, MORE_GPA);
	return m;
}

static void *run_vcpu(void *arg)
{
	struct vmqt_gvm *g = arg;

	return (void *)(long)vmqt_gvm_run(g);
}

/*
 * One vCPU of A points A's page S at page 1, 2, ... FLIPS in turn (page k
 * holds the byte k, the original page zeroes), publishing k after
 * each write; three others copy CHUNK bytes from S into grants of B in a
 * loop, logging the k they read before each copy. A copy that started
 * after flip k completed must read page k or a later one.
 */
static void test_four_vcpus(void)
{
	struct vmqt_gvm v[1 + COPIERS];
	struct vmqt_gmem src, pages, ctl, dst[COPIERS];
	pthread_t t[1 + COPIERS];
	struct vmq_vm_info ia;
	u64 *counter, *log;
	u64 stale = 0, later = 0, moved = 0, done = 0, last;
	struct fx f;
	int c, i, k;

	fx_init(&f);
	v[0] = f.a;
	for (c = 1; c <= COPIERS; c++)
		v[c] = vmqt_gvm_add_vcpu(&f.a);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	ctl = more_memory(f.a.vm, FLIPS + 1 + DIV_ROUND_UP(COPIERS * COPIES * 8, PAGE));
	pages = ctl;
	for (k = 1; k <= FLIPS; k++)
		memset((u8 *)pages.hva + (k - 1) * PAGE, k, PAGE);
	ctl.gva += FLIPS * PAGE;
	ctl.gpa += FLIPS * PAGE;
	ctl.hva = (u8 *)ctl.hva + FLIPS * PAGE;
	counter = ctl.hva;
	log = (u64 *)((u8 *)ctl.hva + PAGE);

	for (c = 0; c < COPIERS; c++) {
		s64 g;

		dst[c] = vmqt_gmem_alloc(f.b.vm, COPIES * CHUNK);
		g = grant(&f.b, dst[c].gva, COPIES * CHUNK, f.a.id);
		v[1 + c].cmd->op = VMQT_OP_COPY_LOOP;
		v[1 + c].cmd->copy_loop = (struct vmqt_op_copy_loop){
			.dest = f.b.id,
			.grant = g,
			.src_gva = src.gva,
			.len = CHUNK,
			.n = COPIES,
			.counter_gva = ctl.gva,
			.log_gva = ctl.gva + PAGE + c * COPIES * 8,
			.until = FLIPS,
			.spin = 2000,
		};
	}
	v[0].cmd->op = VMQT_OP_PTE_FLIP;
	v[0].cmd->flip = (struct vmqt_op_flip){
		.pte_gva = vmqt_pte_alias(f.a.vm, src.gva, 1),
		.pte = *vmqt_pte_of(f.a.vm, src.gva, 1) & ~ADDR,
		.first_gpa = pages.gpa,
		.stride = PAGE,
		.n = FLIPS,
		.counter_gva = ctl.gva,
		/* Let the copies keep up. */
		.spin = 20000,
	};

	/* Each copier caches the translation first: the flips then trap. */
	for (c = 1; c <= COPIERS; c++) {
		v[c].cmd->copy_loop.n = 1;
		TEST_ASSERT(!vmqt_gvm_run(&v[c]), "copier %d: first copy", c);
		v[c].cmd->copy_loop.n = COPIES;
	}
	ia = vmqt_info_of(f.a.id);
	for (c = 0; c <= COPIERS; c++)
		TEST_ASSERT(!pthread_create(&t[c], NULL, run_vcpu, &v[c]),
			    "vCPU thread");
	for (c = 0; c <= COPIERS; c++) {
		void *r;

		TEST_ASSERT(!pthread_join(t[c], &r), "join");
		TEST_ASSERT(!r, "vCPU %d: %ld copies failed", c, (long)r);
	}
	TEST_ASSERT(*counter == FLIPS, "flips: %lu", (unsigned long)*counter);

	for (c = 0; c < COPIERS; c++) {
		last = 0;
		done += v[1 + c].cmd->copy_loop.done;
		for (i = 0; i < (int)v[1 + c].cmd->copy_loop.done; i++) {
			u8 *got = (u8 *)dst[c].hva + i * CHUNK;
			u64 seen = log[c * COPIES + i];
			int page;

			TEST_ASSERT(!(seen & VMQT_COPY_LOOP_FAILED),
				    "copier %d, copy %d failed", c, i);
			TEST_ASSERT(vmqt_all_bytes(got, got[0], CHUNK),
				    "copier %d, copy %d: torn", c, i);
			/* Which page it read: 0 the original, else the flip. */
			page = got[0];
			if ((u64)page < seen) {
				stale++;
				ksft_print_msg("copier %d copy %d: read byte %u after flip %lu\n",
					       c, i, got[0], (unsigned long)seen);
			} else if ((u64)page > seen) {
				later++;
			}
			moved += (u64)page != last;
			last = page;
		}
	}
	ksft_print_msg("%lu copies, %lu read a page other than the previous copy's, %lu one newer than the flip published when they started; pt_writes %lu patches %lu applied %lu invalid %lu overflows %lu hits %lu misses %lu\n",
		       (unsigned long)done, (unsigned long)moved, (unsigned long)later,
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PATCHES),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PATCHES_APPLIED),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PATCHES_INVALID),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_OVERFLOWS),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_HITS),
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_MISSES));
	TEST_ASSERT(!stale, "%lu copies used a stale translation",
		    (unsigned long)stale);
	if (shadowed)
		TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == FLIPS,
			    "%lu trapped writes, not %d",
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
			    FLIPS);
	fx_free(&f);
}

/*
 * Exits of @n guest rewrites of the PTE of @gva (the same value, through
 * @alias) beyond the command's own GUEST_SYNC and host interrupts.
 */
static u64 write_exits(struct vmqt_gvm *g, u64 gva, u64 alias, u64 n)
{
	struct vmqt_exits a, b;

	g->cmd->op = VMQT_OP_PTE_FLIP;
	g->cmd->flip = (struct vmqt_op_flip){
		.pte_gva = alias,
		.pte = *vmqt_pte_of(g->vm, gva, 1),
		.n = n,
	};
	a = vmqt_exits(g->vcpu);
	TEST_ASSERT(!vmqt_gvm_run(g), "VMQT_OP_PTE_FLIP");
	b = vmqt_exits(g->vcpu);
	return (b.exits - a.exits) - 1 - (b.irq_exits - a.irq_exits);
}

/*
 * A page-table write nothing depends on costs no exit; one to a table a
 * cached translation depends on costs exactly one (where vmq tracks).
 */
static void test_exits(void)
{
	const u64 n = 100;
	struct vmqt_gmem src, dst;
	struct vmq_vm_info ia;
	struct vmqt_stats base;
	struct fx f;
	u64 x, alias;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	alias = vmqt_pte_alias(f.a.vm, src.gva, 1);
	base = vmqt_stats();

	/*
	 * The first write may exit: the alias is mapped, and KVM lets go of
	 * a table it shadows.
	 */
	write_exits(&f.a, src.gva, alias, 1);
	x = write_exits(&f.a, src.gva, alias, n);
	ksft_print_msg("untracked: %lu exits for %lu writes\n",
		       (unsigned long)x, (unsigned long)n);
	TEST_ASSERT(x == 0, "%lu exits for %lu writes to an untracked table",
		    (unsigned long)x, (unsigned long)n);

	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 64);
	ia = vmqt_info_of(f.a.id);
	x = write_exits(&f.a, src.gva, alias, n);
	ksft_print_msg("after a copy: %lu exits for %lu writes\n",
		       (unsigned long)x, (unsigned long)n);
	if (shadowed) {
		TEST_ASSERT(x == n && rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == n,
			    "%lu exits, %lu trapped writes for %lu writes to a tracked table",
			    (unsigned long)x,
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
			    (unsigned long)n);
	} else {
		TEST_ASSERT(x == 0 && vmqt_stats().tracked_tables ==
				      base.tracked_tables,
			    "TDP: %lu exits, tables tracked", (unsigned long)x);
	}
	fx_free(&f);
}

#define FLOOD_WRITES	512	/* vmq's VMQ_PT_FLOOD_WRITES: a table's entries */

/*
 * A table written more times than it has entries with no copy in between
 * is let go at once: a guest that frees a page table and reuses the page
 * must not trap every write to it because an idle cache still holds a
 * translation through it. The writes after that are not trapped, and the
 * next copy does not trust the old translation: it walks afresh, and sees
 * a remap that no trap saw.
 */
static void test_flood(void)
{
	const u64 n = FLOOD_WRITES + 100;
	struct vmqt_gmem src, spare, dst;
	struct vmq_vm_info ia;
	struct fx f;
	u64 x, alias;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	spare = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	memset(src.hva, 5, PAGE);
	memset(spare.hva, 6, PAGE);
	alias = vmqt_pte_alias(f.a.vm, src.gva, 1);
	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 64);
	ia = vmqt_info_of(f.a.id);

	x = write_exits(&f.a, src.gva, alias, n);
	ksft_print_msg("flood: %lu exits for %lu writes, %lu trapped\n",
		       (unsigned long)x, (unsigned long)n,
		       (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES));
	if (shadowed) {
		TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == FLOOD_WRITES &&
			    rose(f.a.id, &ia, VMQ_CTR_PT_RELEASED) == 1,
			    "%lu trapped writes, %lu tables released",
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_RELEASED));
		/* KVM may trap a few more while it lets go of its shadow. */
		TEST_ASSERT(x >= FLOOD_WRITES && x < FLOOD_WRITES + 8,
			    "%lu exits for %lu writes", (unsigned long)x,
			    (unsigned long)n);
		x = write_exits(&f.a, src.gva, alias, 100);
		TEST_ASSERT(x == 0, "%lu exits for 100 writes after the release",
			    (unsigned long)x);
	} else {
		TEST_ASSERT(x == 0, "TDP: %lu exits", (unsigned long)x);
	}

	/* Untrapped: only a fresh walk can see it. */
	remap(&f.a, src.gva, spare.gpa);
	ia = vmqt_info_of(f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 64);
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 6, 64),
		    "the copy after the release read %u, not the remapped page",
		    *(u8 *)dst.hva);
	if (shadowed) {
		TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == 0 &&
			    rose(f.a.id, &ia, VMQ_CTR_TC_MISSES) == 1,
			    "pt_writes %lu misses %lu",
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_MISSES));
		/* The walk tracked it again. */
		x = write_exits(&f.a, src.gva, alias, 1);
		TEST_ASSERT(x == 1 && rose(f.a.id, &ia, VMQ_CTR_PT_WRITES) == 1,
			    "tracked again: %lu exits, %lu trapped", (unsigned long)x,
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_PT_WRITES));
	}
	fx_free(&f);
}

/* VMQ_CMD_GET_TABLES: A's four tables behind one cached translation. */
static void test_netlink(void)
{
	static struct vmqt_nl_tables l;
	struct vmqt_nl *nl = vmqt_ctl_nl();
	struct vmqt_gmem src, dst;
	bool level_seen[5] = { false };
	unsigned int i;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	TEST_ASSERT(!vmqt_nl_tables(nl, f.a.id, &l) && !l.nr,
		    "tables before any copy: %u", l.nr);
	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 64);
	vmqt_gvm_pte_write(&f.a, src.gva, 1, *vmqt_pte_of(f.a.vm, src.gva, 1));
	TEST_ASSERT(!vmqt_nl_tables(nl, f.a.id, &l), "GET_TABLES: %s", nl->msg);
	if (!shadowed) {
		TEST_ASSERT(!l.nr, "TDP: %u tables tracked", l.nr);
		goto out;
	}
	TEST_ASSERT(l.nr == 4, "%u tables behind one translation", l.nr);
	for (i = 0; i < l.nr; i++) {
		struct vmqt_nl_table *t = &l.t[i];
		u64 want = t->level == 4 ? f.a.vm->pgd :
			   *vmqt_pte_of(f.a.vm, src.gva, t->level + 1) & ADDR;

		TEST_ASSERT(t->vm == f.a.id && t->level >= 1 && t->level <= 4 &&
			    !level_seen[t->level], "table %u: vm %u level %u",
			    i, t->vm, t->level);
		level_seen[t->level] = true;
		TEST_ASSERT(t->gpa == want, "level %u at %#lx, not %#lx",
			    t->level, (unsigned long)t->gpa, (unsigned long)want);
		TEST_ASSERT(src.gva - t->va < t->span &&
			    t->span == 1ULL << (12 + 9 * t->level),
			    "level %u maps %#lx+%#lx", t->level,
			    (unsigned long)t->va, (unsigned long)t->span);
		TEST_ASSERT(t->users == 1, "level %u: %u users", t->level,
			    t->users);
		TEST_ASSERT(t->writes == (t->level == 1), "level %u: %u writes",
			    t->level, t->writes);
	}
out:
	/* Errors explain themselves. */
	TEST_ASSERT(vmqt_nl_tables(nl, 0, &l) == -EINVAL &&
		    vmqt_nl_msg_is(nl, "vmq: no VM given (VMQ_A_VM_ID or VMQ_A_VM_NAME)"),
		    "GET_TABLES without a VM: %s", nl->msg);
	TEST_ASSERT(vmqt_nl_tables(nl, 0xfffffff0U, &l) == -ESRCH &&
		    vmqt_nl_msg_is(nl, "vmq: VM not found"),
		    "GET_TABLES of no VM: %s", nl->msg);
	fx_free(&f);
}

/* Caches, grants, tracked tables and pending patches die with their VMs. */
static void test_teardown(void)
{
	struct vmqt_stats base = vmqt_stats();
	struct vmqt_gmem src, spare, dst;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = vmqt_gmem_alloc(f.a.vm, PAGE);
	spare = vmqt_gmem_alloc(f.a.vm, PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, PAGE);
	g = grant(&f.b, dst.gva, PAGE, f.a.id);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 64);
	/* Patches nobody applies: no copy follows. */
	remap(&f.a, src.gva, spare.gpa);
	remap(&f.b, dst.gva, addr_gva2gpa(f.b.vm, dst.gva));
	if (shadowed)
		TEST_ASSERT(vmqt_stats().tracked_tables >= base.tracked_tables + 8,
			    "tracked tables: %lu",
			    (unsigned long)vmqt_stats().tracked_tables);
	fx_free(&f);
	TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &base),
		    "live objects not back at their baseline (tables %lu, grants %lu)",
		    (unsigned long)vmqt_stats().tracked_tables,
		    (unsigned long)vmqt_stats().live_grants);
}

static const struct vmqt_case cases[] = {
	{ "the receiver remaps its granted page", test_remap_dest },
	{ "the sender remaps its source page", test_remap_src },
	{ "two writes by one vCPU before the next copy", test_two_writes },
	{ "two writes by two vCPUs: the token invalidates", test_token },
	{ "a channel overflows: the cache drops", test_overflow },
	{ "a patched entry passes the checks a walk makes",
	  test_patch_reserved_bit },
	{ "four vCPUs: one rewrites a PTE, three copy through it",
	  test_four_vcpus },
	{ "exits per page-table write, tracked and not", test_exits },
	{ "a flooded table is let go, and the next copy walks", test_flood },
	{ "tracked tables on netlink", test_netlink },
	{ "teardown with caches and pending patches", test_teardown },
};

int main(void)
{
	ksft_print_header();
	vmqt_dev();
	shadowed = vmqt_tables_shadowed();
	ksft_print_msg("%s\n", shadowed ?
		       "shadow paging: vmq caches translations and tracks tables" :
		       "TDP: vmq tracks no table, every copy walks");
	vmqt_run_cases(cases, ARRAY_SIZE(cases));
	ksft_finished();
}
