// SPDX-License-Identifier: GPL-2.0
/*
 * copy_test - cross-guest copies between guest-virtual addresses.
 *
 * Receiver B grants a guest-virtual range to sender A (VMQ_HC_GRANT); A
 * copies from a guest-virtual range of its own into (B, grant, offset)
 * (VMQ_HC_COPY). Checked byte for byte through the host's view of B's
 * guest-physical pages:
 *  - both ranges cross pages whose guest-physical layout is scattered
 *    (virtual pages mapped in reverse), at unrelated offsets; and across
 *    2 MiB and 1 GiB guest pages;
 *  - every documented error, with the exact byte count where a copy did
 *    part of its work (a read-only page, a page not present, on either
 *    side), user and supervisor ranges, revoked grants, grants for another
 *    sender, the ACL, the grant quota, and the counters of each;
 *  - a remapped page (a PTE rewritten, nothing else) is used by the very
 *    next copy, and the old page gets not one byte more; on both sides;
 *  - a grant that asks for it yields a VMQ_MSG_COPY record from the copier;
 *  - grants die with their VM (VMQ_STAT_LIVE_GRANTS back at its baseline).
 */
#include <pthread.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define PAGE		4096UL
#define BIG_GPA		(1ULL << 32)		/* a 1 GiB-aligned memslot */
#define BIG_SLOT	10
#define BIG_GVA		0x8000000000ULL		/* a PML4 entry of its own */

struct fx {
	struct vmqt_gvm a, b;
	struct vmqt_gmem rxb;
};

static void fx_init(struct fx *f)
{
	f->a = vmqt_gvm_create();
	f->b = vmqt_gvm_create();
	vmqt_attach(&f->a, NULL);
	vmqt_attach(&f->b, NULL);
	vmqt_allow(f->a.id, f->b.id);
	f->rxb = vmqt_rx_setup(&f->b, 4096);
}

static void fx_free(struct fx *f)
{
	vmqt_gvm_free(&f->a);
	vmqt_gvm_free(&f->b);
}

/*
 * The guest of @g sets or clears @bits in the entry of @gva at @level, as
 * its kernel would: KVM traps the write where vmq tracks the table.
 */
static void guest_bits(struct vmqt_gvm *g, u64 gva, int level, u64 bits,
		       bool on)
{
	u64 e = *vmqt_pte_of(g->vm, gva, level);

	vmqt_gvm_pte_write(g, gva, level, on ? e | bits : e & ~bits);
}

/* Set or clear @bits in the 4 KiB page table entry of @gva. */
static void leaf_bits(struct vmqt_gvm *g, u64 gva, u64 bits, bool on)
{
	guest_bits(g, gva, 1, bits, on);
}

/* Set or clear @bits in every level that maps @gva, down to @level. */
static void pte_bits(struct vmqt_gvm *g, u64 gva, int level, u64 bits,
		     bool on)
{
	int l;

	for (l = 4; l >= level; l--)
		guest_bits(g, gva, l, bits, on);
}

/*
 * @n pages of guest-virtual memory whose guest-physical pages are in
 * reverse order: contiguous virtually, scattered physically.
 */
static struct vmqt_gmem scattered(struct vmqt_gvm *g, int n)
{
	struct vmqt_gmem m = vmqt_gmem_alloc(g->vm, n * PAGE);
	int i;

	for (i = 0; i < n; i++) {
		u64 *e = vmqt_pte_of(g->vm, m.gva + i * PAGE, 1);

		*e = (*e & ~PHYSICAL_PAGE_MASK) | (m.gpa + (n - 1 - i) * PAGE);
	}
	return m;
}

static u8 *at(struct vmqt_gvm *g, u64 gva)
{
	return vmqt_at(g->vm, gva);
}

/* How much counter @c of VM @id rose since @before. */
static u64 rose(u32 id, const struct vmq_vm_info *before, enum vmq_counter c)
{
	return vmqt_ctr(id, c) - before->counters[c];
}

static void fill(struct vmqt_gvm *g, u64 gva, u64 len, u8 seed)
{
	u64 i;

	for (i = 0; i < len; i++)
		*at(g, gva + i) = (u8)(seed + i * 7 + (i >> 9));
}

/* @len bytes at @dst_gva of @d equal those at @src_gva of @s (fill()). */
static void expect_copied(struct vmqt_gvm *s, u64 src_gva, struct vmqt_gvm *d,
			  u64 dst_gva, u64 len)
{
	u64 i;

	for (i = 0; i < len; i++)
		TEST_ASSERT(*at(d, dst_gva + i) == *at(s, src_gva + i),
			    "byte %lu: %#x, not %#x", (unsigned long)i,
			    *at(d, dst_gva + i), *at(s, src_gva + i));
}

/* Zero @len bytes at @gva of @g, page by page as the guest sees them. */
static void zero(struct vmqt_gvm *g, u64 gva, u64 len)
{
	u64 i;

	for (i = 0; i < len; i++)
		*at(g, gva + i) = 0;
}

static void expect_zero(struct vmqt_gvm *g, u64 gva, u64 len, const char *what)
{
	u64 i;

	for (i = 0; i < len; i++)
		TEST_ASSERT(!*at(g, gva + i), "%s: byte %lu written", what,
			    (unsigned long)i);
}

static s64 grant(struct vmqt_gvm *b, u64 gva, u64 len, u64 flags, u32 sender)
{
	return vmqt_gvm_hc(b, VMQ_HC_GRANT, gva, len, flags, sender);
}

/* VMQ_HC_COPY from @a's guest; *@err gets RBX when RAX is a count. */
static s64 copy(struct vmqt_gvm *a, u32 dest, s64 g, u64 offset, u64 src,
		u64 len, u32 flags, s64 *err)
{
	s64 r = vmqt_gvm_hc(a, VMQ_HC_COPY, (u64)dest << 32 | (u32)g, offset,
			    src, (u64)flags << 32 | len);

	*err = r < 0 ? r : (s64)a->cmd->hc.rbx;
	return r;
}

static void copy_ok(struct vmqt_gvm *a, u32 dest, s64 g, u64 offset, u64 src,
		    u64 len)
{
	s64 err, r = copy(a, dest, g, offset, src, len, 0, &err);

	TEST_ASSERT(r == (s64)len && !err, "copy of %lu: %ld, err %ld",
		    (unsigned long)len, (long)r, (long)err);
}

/* Scattered 4 KiB pages on both sides, unrelated offsets: every byte. */
static void test_scattered(void)
{
	struct fx f;
	struct vmqt_gmem src, dst;
	struct vmq_vm_info ia, ib;
	u64 len = 5 * PAGE - 300;
	s64 g;

	fx_init(&f);
	src = scattered(&f.a, 5);
	dst = scattered(&f.b, 6);
	fill(&f.a, src.gva, 5 * PAGE, 3);
	ia = vmqt_info_of(f.a.id);
	ib = vmqt_info_of(f.b.id);
	g = grant(&f.b, dst.gva, 6 * PAGE, 0, f.a.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);
	copy_ok(&f.a, f.b.id, g, 777, src.gva + 123, len);
	expect_copied(&f.a, src.gva + 123, &f.b, dst.gva + 777, len);
	expect_zero(&f.b, dst.gva, 777, "before the offset");
	expect_zero(&f.b, dst.gva + 777 + len, 6 * PAGE - 777 - len,
		    "after the end");
	TEST_ASSERT(vmqt_ctr(f.a.id, VMQ_CTR_COPIES) ==
		    ia.counters[VMQ_CTR_COPIES] + 1 &&
		    vmqt_ctr(f.a.id, VMQ_CTR_COPY_TX_BYTES) ==
		    ia.counters[VMQ_CTR_COPY_TX_BYTES] + len &&
		    vmqt_ctr(f.b.id, VMQ_CTR_COPY_RX_BYTES) ==
		    ib.counters[VMQ_CTR_COPY_RX_BYTES] + len,
		    "copy counters");
	/*
	 * One translation per guest page touched on each side: a cache miss
	 * and two walks each where vmq caches (see xlate.c), one walk where
	 * it does not.
	 */
	{
		bool c = vmqt_tables_shadowed();

		TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_TC_MISSES) == (c ? 5 : 0) &&
			    rose(f.b.id, &ib, VMQ_CTR_TC_MISSES) == (c ? 6 : 0) &&
			    rose(f.a.id, &ia, VMQ_CTR_GPT_WALKS) == (c ? 10 : 5) &&
			    rose(f.b.id, &ib, VMQ_CTR_GPT_WALKS) == (c ? 12 : 6),
			    "misses %lu and %lu, walks %lu and %lu",
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_TC_MISSES),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_TC_MISSES),
			    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_GPT_WALKS),
			    (unsigned long)rose(f.b.id, &ib, VMQ_CTR_GPT_WALKS));
	}
	vmqt_check_err_ctrs(f.a.id, &ia, -1, 0, 1);
	/* Zero bytes: nothing to do, nothing wrong. */
	copy_ok(&f.a, f.b.id, g, 0, src.gva, 0);
	fx_free(&f);
}

/* A memslot of 1 GiB + 2 MiB at BIG_GPA, mapped with a 1 GiB page and a 2 MiB page. */
static void map_big(struct vmqt_gvm *g)
{
	vm_userspace_mem_region_add(g->vm, VM_MEM_SRC_ANONYMOUS, BIG_GPA,
				    BIG_SLOT, (PG_SIZE_1G + PG_SIZE_2M) / PAGE, 0);
	__virt_pg_map(g->vm, BIG_GVA, BIG_GPA, PG_LEVEL_1G);
	__virt_pg_map(g->vm, BIG_GVA + PG_SIZE_1G, BIG_GPA + PG_SIZE_1G,
		      PG_LEVEL_2M);
}

/* 1 GiB and 2 MiB guest pages: a source crossing from 2 MiB into 4 KiB. */
static void test_large_pages(void)
{
	u64 len = 3 * PAGE + 1000, dst = BIG_GVA + PG_SIZE_1G - 2 * PAGE - 50;
	struct fx f;
	s64 g;

	fx_init(&f);
	map_big(&f.a);
	map_big(&f.b);
	fill(&f.a, BIG_GVA + PG_SIZE_1G + 5, len, 9);
	/* The grant spans the end of the 1 GiB page and the 2 MiB page. */
	g = grant(&f.b, dst, 8 * PAGE, 0, f.a.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);
	copy_ok(&f.a, f.b.id, g, 0, BIG_GVA + PG_SIZE_1G + 5, len);
	expect_copied(&f.a, BIG_GVA + PG_SIZE_1G + 5, &f.b, dst, len);
	TEST_ASSERT(*(u8 *)addr_gpa2hva(f.b.vm, BIG_GPA + PG_SIZE_1G - 2 * PAGE - 50) ==
		    *at(&f.a, BIG_GVA + PG_SIZE_1G + 5) &&
		    *(u8 *)addr_gpa2hva(f.b.vm, BIG_GPA + PG_SIZE_1G + 100) ==
		    *at(&f.a, BIG_GVA + PG_SIZE_1G + 5 + 2 * PAGE + 150),
		    "bytes not where the large pages put them");
	fx_free(&f);
}

/* Every documented error, with the exact count of partial copies. */
static void test_errors(void)
{
	struct vmqt_gmem src, dst;
	struct vmq_vm_info ia, ib;
	struct vmqt_gvm c;
	s64 g, gc, r, err;
	struct fx f;
	int i;

	fx_init(&f);
	c = vmqt_gvm_create();
	vmqt_attach(&c, NULL);
	src = scattered(&f.a, 4);
	dst = scattered(&f.b, 4);
	fill(&f.a, src.gva, 4 * PAGE, 5);
	g = grant(&f.b, dst.gva, 4 * PAGE, 0, f.a.id);
	gc = grant(&f.b, dst.gva, 4 * PAGE, 0, c.id);
	TEST_ASSERT(g > 0 && gc > 0 && g != gc, "grants %ld %ld", (long)g,
		    (long)gc);

	/* Grants: arguments. */
	TEST_ASSERT(grant(&f.b, dst.gva, 0, 0, f.a.id) == -EINVAL, "len 0");
	TEST_ASSERT(grant(&f.b, dst.gva, VMQ_GRANT_MAX + 1, 0, f.a.id) == -EINVAL,
		    "len above VMQ_GRANT_MAX");
	TEST_ASSERT(grant(&f.b, dst.gva, PAGE, 4, f.a.id) == -EINVAL, "flags");
	TEST_ASSERT(grant(&f.b, dst.gva, PAGE, 0, 0) == -EINVAL, "sender 0");
	TEST_ASSERT(grant(&f.b, 0x800000000000ULL, PAGE, 0, f.a.id) == -EINVAL,
		    "non-canonical");
	TEST_ASSERT(grant(&f.b, ~0ULL - 100, PAGE, 0, f.a.id) == -EINVAL,
		    "wraps");

	ia = vmqt_info_of(f.a.id);
	ib = vmqt_info_of(f.b.id);
	/* Copies refused before a byte moves. */
	r = copy(&f.a, f.b.id, 999, 0, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -ENOENT, "no such grant: %ld", (long)r);
	r = copy(&f.a, f.b.id, gc, 0, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -ENOENT, "a grant for another sender: %ld", (long)r);
	r = copy(&f.a, f.b.id, g, 4 * PAGE - 9, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -ERANGE, "past the grant's end: %ld", (long)r);
	r = copy(&f.a, f.b.id, g, ~0ULL, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -ERANGE, "offset past the grant: %ld", (long)r);
	r = copy(&f.a, c.id, g, 0, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -EACCES, "pair not allowed: %ld", (long)r);
	r = copy(&f.a, 0xfffffff0U, g, 0, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -EACCES, "no such VM: %ld", (long)r);
	r = copy(&f.a, f.b.id, g, 0, src.gva, VMQ_COPY_MAX + 1, 0, &err);
	TEST_ASSERT(r == -EMSGSIZE, "above VMQ_COPY_MAX: %ld", (long)r);
	r = copy(&f.a, f.b.id, g, 0, src.gva, 10, 2, &err);
	TEST_ASSERT(r == -EINVAL, "copy flags: %ld", (long)r);
	expect_zero(&f.b, dst.gva, 4 * PAGE, "refused copies");
	TEST_ASSERT(rose(f.a.id, &ia, VMQ_CTR_ERR_NOGRANT) == 2 &&
		    rose(f.a.id, &ia, VMQ_CTR_ERR_DENIED) == 2 &&
		    rose(f.a.id, &ia, VMQ_CTR_ERR_INVAL) == 3 &&
		    rose(f.a.id, &ia, VMQ_CTR_ERR_TOOBIG) == 1 &&
		    rose(f.a.id, &ia, VMQ_CTR_ERR_PROT) == 0 &&
		    rose(f.a.id, &ia, VMQ_CTR_HYPERCALLS) == 8 &&
		    rose(f.a.id, &ia, VMQ_CTR_COPIES) == 0,
		    "counters of the refusals: nogrant %lu denied %lu inval %lu",
		    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_ERR_NOGRANT),
		    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_ERR_DENIED),
		    (unsigned long)rose(f.a.id, &ia, VMQ_CTR_ERR_INVAL));

	/* A read-only destination page part-way: the count up to it. */
	leaf_bits(&f.b, dst.gva + 2 * PAGE, PTE_WRITABLE_MASK, false);
	ia = vmqt_info_of(f.a.id);
	r = copy(&f.a, f.b.id, g, 100, src.gva, 3 * PAGE, 0, &err);
	TEST_ASSERT(r == (s64)(2 * PAGE - 100) && err == -EPERM,
		    "read-only page: %ld, err %ld", (long)r, (long)err);
	expect_copied(&f.a, src.gva, &f.b, dst.gva + 100, 2 * PAGE - 100);
	expect_zero(&f.b, dst.gva + 2 * PAGE, 2 * PAGE, "the read-only page");
	vmqt_check_err_ctrs(f.a.id, &ia, VMQ_CTR_ERR_PROT, 1, 1);
	/* Nothing writable at all: no count, the error itself. */
	r = copy(&f.a, f.b.id, g, 2 * PAGE, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -EPERM, "read-only from the start: %ld", (long)r);
	leaf_bits(&f.b, dst.gva + 2 * PAGE, PTE_WRITABLE_MASK, true);
	zero(&f.b, dst.gva + 100, 2 * PAGE - 100);

	/* A destination page not present. */
	leaf_bits(&f.b, dst.gva + 3 * PAGE, PTE_PRESENT_MASK, false);
	r = copy(&f.a, f.b.id, g, 3 * PAGE - 1, src.gva, 2, 0, &err);
	TEST_ASSERT(r == 1 && err == -EFAULT, "absent page: %ld, err %ld",
		    (long)r, (long)err);
	leaf_bits(&f.b, dst.gva + 3 * PAGE, PTE_PRESENT_MASK, true);
	*at(&f.b, dst.gva + 3 * PAGE - 1) = 0;

	/* A source page not present. */
	leaf_bits(&f.a, src.gva + PAGE, PTE_PRESENT_MASK, false);
	r = copy(&f.a, f.b.id, g, 0, src.gva + 10, PAGE, 0, &err);
	TEST_ASSERT(r == (s64)(PAGE - 10) && err == -EFAULT,
		    "absent source page: %ld, err %ld", (long)r, (long)err);
	leaf_bits(&f.a, src.gva + PAGE, PTE_PRESENT_MASK, true);
	zero(&f.b, dst.gva, PAGE);

	/* User and supervisor: the test's tables are supervisor-only. */
	gc = grant(&f.b, dst.gva, 4 * PAGE, VMQ_GRANT_USER, f.a.id);
	TEST_ASSERT(gc > 0, "user grant: %ld", (long)gc);
	r = copy(&f.a, f.b.id, gc, 0, src.gva, 10, 0, &err);
	TEST_ASSERT(r == -EPERM, "user grant over supervisor pages: %ld", (long)r);
	r = copy(&f.a, f.b.id, g, 0, src.gva, 10, VMQ_COPY_USER, &err);
	TEST_ASSERT(r == -EPERM, "user source in supervisor pages: %ld", (long)r);
	pte_bits(&f.b, dst.gva, 1, PTE_USER_MASK, true);
	pte_bits(&f.a, src.gva, 1, PTE_USER_MASK, true);
	r = copy(&f.a, f.b.id, gc, 0, src.gva, 10, VMQ_COPY_USER, &err);
	TEST_ASSERT(r == 10 && !err, "user to user: %ld, err %ld", (long)r,
		    (long)err);
	expect_copied(&f.a, src.gva, &f.b, dst.gva, 10);
	zero(&f.b, dst.gva, 10);

	/* Revoked: refused, and only its owner's id counts. */
	TEST_ASSERT(!vmqt_gvm_hc(&f.b, VMQ_HC_GRANT_REVOKE, gc, 0, 0, 0),
		    "revoke");
	TEST_ASSERT(vmqt_gvm_hc(&f.b, VMQ_HC_GRANT_REVOKE, gc, 0, 0, 0) == -ENOENT,
		    "revoke twice");
	TEST_ASSERT(vmqt_gvm_hc(&f.a, VMQ_HC_GRANT_REVOKE, g, 0, 0, 0) == -ENOENT,
		    "revoking another VM's grant");
	r = copy(&f.a, f.b.id, gc, 0, src.gva, 10, VMQ_COPY_USER, &err);
	TEST_ASSERT(r == -ENOENT, "revoked grant: %ld", (long)r);
	expect_zero(&f.b, dst.gva, 4 * PAGE, "after the refusals");

	/* A quota of three: B holds two, one more, then -ENOSPC until one goes. */
	TEST_ASSERT(!vmqt_nl_set_quota(vmqt_ctl_nl(), f.b.id,
				       VMQ_A_QUOTA_MAX_GRANTS, 3),
		    "set the grant quota");
	TEST_ASSERT(vmqt_info_of(f.b.id).quota_max_grants == 3, "quota read back");
	gc = grant(&f.b, dst.gva, PAGE, 0, f.a.id);
	TEST_ASSERT(gc > 0, "third grant: %ld", (long)gc);
	ib = vmqt_info_of(f.b.id);
	TEST_ASSERT(grant(&f.b, dst.gva, PAGE, 0, f.a.id) == -ENOSPC,
		    "fourth grant over the quota");
	vmqt_check_err_ctrs(f.b.id, &ib, VMQ_CTR_ERR_QUOTA, 1, 1);
	TEST_ASSERT(!vmqt_gvm_hc(&f.b, VMQ_HC_GRANT_REVOKE, gc, 0, 0, 0),
		    "revoke the third");
	for (i = 0; i < 2; i++) {
		s64 n = grant(&f.b, dst.gva, PAGE, 0, f.a.id);

		TEST_ASSERT(i ? n == -ENOSPC : n > 0, "grant %d: %ld", i, (long)n);
	}
	vmqt_gvm_free(&c);
	fx_free(&f);
}

/* A PTE rewritten, nothing else: the next copy lands in the new page. */
static void test_remap(void)
{
	struct vmqt_gmem src, dst, spare;
	u64 *e, old_pa;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = scattered(&f.a, 2);
	dst = scattered(&f.b, 2);
	spare = vmqt_gmem_alloc(f.b.vm, PAGE);
	fill(&f.a, src.gva, 2 * PAGE, 11);
	g = grant(&f.b, dst.gva, 2 * PAGE, 0, f.a.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, PAGE);

	/* The receiver points its first granted page somewhere else. */
	e = vmqt_pte_of(f.b.vm, dst.gva, 1);
	old_pa = *e & PHYSICAL_PAGE_MASK;
	vmqt_gvm_pte_write(&f.b, dst.gva, 1,
			   (*e & ~PHYSICAL_PAGE_MASK) | spare.gpa);
	fill(&f.a, src.gva, PAGE, 12);
	copy_ok(&f.a, f.b.id, g, 0, src.gva, PAGE);
	expect_copied(&f.a, src.gva, &f.b, dst.gva, PAGE);
	TEST_ASSERT(!memcmp(spare.hva, at(&f.a, src.gva), PAGE),
		    "the new page lacks the copy");
	{
		u8 *old = addr_gpa2hva(f.b.vm, old_pa);
		u8 want[PAGE];

		fill(&f.a, src.gva, PAGE, 11);
		memcpy(want, at(&f.a, src.gva), PAGE);
		TEST_ASSERT(!memcmp(old, want, PAGE),
			    "the old page changed after the remap");
	}

	/* The sender remaps its source page: the next copy reads the new one. */
	e = vmqt_pte_of(f.a.vm, src.gva, 1);
	vmqt_gvm_pte_write(&f.a, src.gva, 1, (*e & ~PHYSICAL_PAGE_MASK) |
			   addr_gva2gpa(f.a.vm, src.gva + PAGE));
	copy_ok(&f.a, f.b.id, g, PAGE, src.gva, PAGE);
	expect_copied(&f.a, src.gva + PAGE, &f.b, dst.gva + PAGE, PAGE);
	fx_free(&f);
}

#define UFFD_SLOT	11
#define UFFD_GPA	0xc0000000ULL
#define UFFD_GVA	0xc0000000ULL

struct hc_thread {
	struct vmqt_gvm *g;
	u64 nr, a0, a1, a2, a3;
	s64 ret, rbx;
	bool done;
	pid_t tid;
};

static void *hc_thread_fn(void *arg)
{
	struct hc_thread *h = arg;

	__atomic_store_n(&h->tid, gettid(), __ATOMIC_RELEASE);
	h->ret = vmqt_gvm_hc(h->g, h->nr, h->a0, h->a1, h->a2, h->a3);
	h->rbx = h->g->cmd->hc.rbx;
	__atomic_store_n(&h->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The revoking vCPU's thread sleeps in vmq's revoke (wchan names the
 * caller of the mutex it waits for), uninterruptibly but killable, as the
 * revoke does once the grant is marked revoked.
 */
static bool revoke_waits(void *arg)
{
	struct hc_thread *h = arg;
	pid_t tid = __atomic_load_n(&h->tid, __ATOMIC_ACQUIRE);

	return tid && !__atomic_load_n(&h->done, __ATOMIC_ACQUIRE) &&
	       vmqt_task_state(getpid(), tid) == 'D' &&
	       vmqt_task_waits_in(getpid(), tid, "vmq_grant_revoke");
}

/*
 * A revoke during a copy: the copy holds on the sender's second source
 * page, which the sender's VMM keeps missing (userfaultfd); the revoke
 * waits for it; once the page comes, the copy finishes that page and
 * stops before the third (-ENOENT), and only then does the revoke return.
 */
static void test_revoke_during_copy(void)
{
	struct hc_thread c = { 0 }, r = { 0 };
	struct vmqt_gmem plain, dst;
	pthread_t tc, tr;
	struct vmqt_uffd u;
	struct fx f;
	s64 g;

	vmqt_require_uffd();
	fx_init(&f);
	plain = vmqt_gmem_alloc(f.a.vm, 2 * PAGE);
	dst = vmqt_gmem_alloc(f.b.vm, 3 * PAGE);
	u = vmqt_uffd_slot(f.a.vm, UFFD_SLOT, UFFD_GPA, PAGE);
	/* Source: a plain page, the missing one, a plain page. */
	virt_pg_map(f.a.vm, UFFD_GVA, plain.gpa);
	virt_pg_map(f.a.vm, UFFD_GVA + PAGE, UFFD_GPA);
	virt_pg_map(f.a.vm, UFFD_GVA + 2 * PAGE, plain.gpa + PAGE);
	memset(plain.hva, 0x5a, 2 * PAGE);
	g = grant(&f.b, dst.gva, 3 * PAGE, 0, f.a.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);

	c = (struct hc_thread){ .g = &f.a, .nr = VMQ_HC_COPY,
				.a0 = (u64)f.b.id << 32 | (u32)g,
				.a2 = UFFD_GVA, .a3 = 3 * PAGE };
	TEST_ASSERT(!pthread_create(&tc, NULL, hc_thread_fn, &c), "copier");
	vmqt_uffd_wait_fault(&u);
	r = (struct hc_thread){ .g = &f.b, .nr = VMQ_HC_GRANT_REVOKE, .a0 = g };
	TEST_ASSERT(!pthread_create(&tr, NULL, hc_thread_fn, &r), "revoker");
	TEST_ASSERT(vmqt_settle(revoke_waits, &r),
		    "the revoking vCPU does not wait for the copy");
	TEST_ASSERT(!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE),
		    "the revoke returned (%ld) while a copy into the grant ran",
		    (long)r.ret);
	TEST_ASSERT(!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE),
		    "the copy ended while its page was missing");

	vmqt_uffd_resolve(&u);
	pthread_join(tc, NULL);
	pthread_join(tr, NULL);
	TEST_ASSERT(r.ret == 0, "revoke: %ld", (long)r.ret);
	TEST_ASSERT(c.ret == (s64)(2 * PAGE) && c.rbx == -ENOENT,
		    "the copy: %ld bytes, RBX %ld; want two pages and -ENOENT",
		    (long)c.ret, (long)c.rbx);
	TEST_ASSERT(vmqt_all_bytes(dst.hva, 0x5a, PAGE) &&
		    vmqt_all_bytes((u8 *)dst.hva + PAGE, 0, PAGE),
		    "the two pages before the revoke");
	TEST_ASSERT(vmqt_all_bytes((u8 *)dst.hva + 2 * PAGE, 0, PAGE),
		    "a byte written after the revoke");
	TEST_ASSERT(copy(&f.a, f.b.id, g, 0, plain.gva, 10, 0, &c.rbx) == -ENOENT,
		    "a copy into the revoked grant");
	fx_free(&f);
}

/* VMQ_GRANT_RECORD: one VMQ_MSG_COPY record per copy, stamped by the host. */
static void test_record(void)
{
	const struct vmq_msg_hdr *m;
	const struct vmq_copy_msg *cm;
	struct vmqt_gmem src, dst;
	struct fx f;
	s64 g;

	fx_init(&f);
	src = scattered(&f.a, 1);
	dst = scattered(&f.b, 2);
	fill(&f.a, src.gva, PAGE, 1);
	g = grant(&f.b, dst.gva, 2 * PAGE, VMQ_GRANT_RECORD, f.a.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);
	copy_ok(&f.a, f.b.id, g, 4000, src.gva, 1000);
	m = vmqt_host_peek(&f.rxb);
	TEST_ASSERT(m && m->type == VMQ_MSG_COPY && m->sender == f.a.id &&
		    m->len == sizeof(*cm), "no VMQ_MSG_COPY record from A");
	cm = (const void *)(m + 1);
	TEST_ASSERT(cm->grant == g && cm->offset == 4000 && cm->len == 1000 &&
		    !cm->reserved, "record: grant %u offset %lu len %lu",
		    cm->grant, (unsigned long)cm->offset,
		    (unsigned long)cm->len);
	vmqt_host_consume(&f.rxb, m);
	TEST_ASSERT(!vmqt_host_pending(&f.rxb), "more than one record");
	expect_copied(&f.a, src.gva, &f.b, dst.gva + 4000, 1000);
	fx_free(&f);
}

/* Grants go with their VM; the live count says so. */
static void test_teardown(void)
{
	struct vmqt_stats base = vmqt_stats();
	struct vmqt_gmem dst;
	struct fx f;
	int i;

	fx_init(&f);
	dst = scattered(&f.b, 1);
	for (i = 0; i < 5; i++)
		TEST_ASSERT(grant(&f.b, dst.gva, PAGE, 0, f.a.id) > 0, "grant %d", i);
	TEST_ASSERT(vmqt_stats().live_grants == base.live_grants + 5,
		    "live grants %lu, base %lu",
		    (unsigned long)vmqt_stats().live_grants,
		    (unsigned long)base.live_grants);
	fx_free(&f);
	TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &base),
		    "live objects not back at baseline");
}

static const struct vmqt_case cases[] = {
	{ "scattered pages on both sides: every byte, once", test_scattered },
	{ "1 GiB and 2 MiB guest pages", test_large_pages },
	{ "errors, and the exact count of partial copies", test_errors },
	{ "a remapped page is used by the next copy", test_remap },
	{ "a revoke waits for the copy it interrupts", test_revoke_during_copy },
	{ "a grant's VMQ_MSG_COPY records", test_record },
	{ "grants die with their VM", test_teardown },
};

int main(void)
{
	ksft_print_header();
	vmqt_dev();
	vmqt_run_cases(cases, ARRAY_SIZE(cases));
	ksft_finished();
}
