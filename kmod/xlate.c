// SPDX-License-Identifier: GPL-2.0
/*
 * xlate.c: caches of guest-virtual translations, kept coherent without an
 * IPI. Layer: transfer (see vmq.h), below copy.c, its user.
 *
 * A translation cache (struct vmq_tcache) holds (address space, guest page)
 * -> (guest-physical page, the checks it passed, the page-table pages it was
 * derived from, a validity token per table). Every vCPU that copies has one
 * for its own VM's tables; every grant has one for its VM's tables. A miss
 * walks (guest_pt.c) and write-protects every table on the way through
 * KVM's page tracking (kvm_hooks.c), counted per table: a table stays
 * protected while some cached entry depends on it, and a VM with no cached
 * translation pays nothing for its page-table writes.
 *
 * Caches are consumed lazily (below), so an entry can outlive the table it
 * came from: a guest that frees a page table and reuses the page as
 * ordinary memory would trap every write to it for as long as an idle
 * cache keeps the entry. The producer therefore lets a table go after
 * more trapped writes than it has entries with no cache using it in
 * between (VMQ_PT_FLOOD_WRITES; KVM's shadow pages have a rule of the same
 * kind, detect_write_flooding()): the last patch invalidates every entry
 * on the table, and the table is unprotected at once
 * (VMQ_CTR_PT_RELEASED). A later miss tracks it again.
 *
 * A guest write to a protected table traps; KVM emulates it and tells vmq
 * (->pt_write) on the writing vCPU, the producer. The producer bumps the
 * table's write sequence and pushes a patch into one single-producer,
 * single-consumer channel per (producer vCPU, cache): the virtual range of
 * the written entries, the new leaf entry or "invalid", and the token
 * (sequence before, sequence after). It never waits for a consumer and
 * sends no IPI: a full channel, or one it cannot allocate, only flags the
 * cache, which then drops everything it holds. A cache applies its pending
 * patches at its coherency points: before every use (the start of each
 * copy) and, for a vCPU's cache, at each of its vCPU's vmq hypercalls
 * (hypercall.c). An entry whose recorded sequence for the table is the
 * patch's "before" is patched (or, for an upper-level or partial write,
 * dropped) and moves to "after"; any other entry of that table is dropped,
 * so a token that no longer matches invalidates instead of patching.
 *
 * Channel ordering (the contract, as for the rings): the producer fills a
 * slot, then store-releases its in_use flag; the consumer load-acquires
 * in_use, reads the slot, then store-releases in_use = 0 to hand it back.
 *
 * Where caches are kept. Only where KVM shadows the guest's page tables
 * (shadow paging: kvm_amd npt=0, kvm_intel ept=0). Under two-dimensional
 * paging (NPT, EPT) KVM's write tracking write-protects the page in the
 * second-level tables, and the CPU's own walk of the guest's tables is
 * itself a write at that level (AMD's nested walk, and EPT with A/D flags,
 * treat every guest page-table access as one): every guest walk through a
 * tracked table faults, and KVM 6.1 answers a fault taken during the
 * guest's page walk by unprotecting shadow pages and re-entering
 * (kvm_mmu_page_fault(), PFERR_NESTED_GUEST_PAGE), which leaves vmq's
 * tracking in place: the vCPU would fault forever. There, every copy walks
 * (guest_pt.c), which is coherent by construction; compat.h says which is
 * which, and Documentation/vmq/copy.rst why.
 *
 * Writes no trap sees. vmq's own writes to guest memory (copies into a
 * grant, page moves through a window) drop every cache of the VM when they
 * land on a tracked table (vmq_xlate_host_write()). The VMM's writes from
 * host user space and device DMA into a table are not seen: a stale entry
 * can then name another guest-physical page of the same VM, never memory
 * of another VM, since every use goes through the VM's memslots.
 *
 * Why a miss cannot cache a stale translation: it walks once, has every
 * table on the path tracked and published, reads each table's sequence
 * (after a full barrier), and walks again; only if both walks agree is the
 * entry kept, with those sequences. A write before the tracking is seen by
 * the second walk; a write after it traps, and its patch carries a
 * "before" sequence at or above the one recorded, so it is applied or
 * invalidates.
 */
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "guest_pt.h"
#include "kvm_hooks.h"
#include "vm.h"
#include "xlate.h"

#define VMQ_TC_ENTRIES		64	/* per cache, by 4 KiB guest page */
#define VMQ_PCH_SLOTS		32	/* patches a channel holds */
#define VMQ_PT_FLOOD_WRITES	512	/* a table's entries: see the top */

/* A guest page-table page that cached entries depend on. */
struct vmq_ptable {
	struct hlist_node node;		/* x->tables; RCU for producers */
	gfn_t gfn;
	unsigned int level;		/* 4: PML4 ... 1: page table */
	u64 va;				/* the virtual range it maps */
	bool aliased;			/* ... or more than one */
	bool tracked;			/* KVM write-protects it for us */
	atomic_t seq;			/* trapped writes to it */
	atomic_t flood;			/* ... since a cache last used it */
	unsigned int refs;		/* cache entries on it, x->lock */
	struct rcu_head rcu;
};

/* One VM's tracked tables and translation caches. */
struct vmq_xlate {
	struct kref ref;		/* the VM's, and one per cache */
	struct vmq_vm *vm;		/* referenced */
	struct mutex lock;		/* tables, refs */
	DECLARE_HASHTABLE(tables, 6);
	spinlock_t cons_lock;		/* writers of @consumers */
	struct list_head consumers;	/* struct vmq_tcache; RCU */
	atomic_t generation;		/* bumped when every cache must drop */
	bool dead;			/* KVM tore its page tracking down */
	struct rcu_head rcu;
};

struct vmq_tc_entry {
	u64 cr3;			/* 0: empty */
	u64 base, size;			/* the guest page */
	gpa_t gpa;			/* where it is */
	unsigned int access;		/* VMQ_GPT_* it was checked for */
	unsigned int levels;		/* tables on its path, root first */
	struct vmq_ptable *pt[VMQ_GPT_LEVELS];
	u32 seq[VMQ_GPT_LEVELS];
};

struct vmq_patch {
	u32 in_use;			/* release / acquire, see the top */
	u32 seq_before, seq_after;	/* the token */
	gfn_t table;
	u64 va, span;			/* written entries' range; span 0: all */
	u64 leaf;			/* the new entry, when has_leaf */
	bool has_leaf;
};

/* Single producer (one vCPU), single consumer (one cache). */
struct vmq_pchan {
	u32 head;			/* the producer's */
	u32 tail;			/* the consumer's */
	struct vmq_patch slot[VMQ_PCH_SLOTS];
};

struct vmq_tcache {
	struct vmq_xlate *x;		/* referenced */
	struct list_head node;		/* x->consumers */
	struct xarray chans;		/* struct vmq_pchan by producer */
	atomic_t overflow;		/* a patch was lost: drop everything */
	int generation;
	struct vmq_tc_entry e[VMQ_TC_ENTRIES];
	struct rcu_head rcu;
};

static void vmq_xlate_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct vmq_xlate, rcu));
}

static void vmq_xlate_free(struct kref *ref)
{
	struct vmq_xlate *x = container_of(ref, struct vmq_xlate, ref);

	/* No cache is left, so no table: producers may still look. */
	vmq_vm_put(x->vm);
	call_rcu(&x->rcu, vmq_xlate_free_rcu);
}

/* @vm's translation state, created on first use, with a reference. */
static struct vmq_xlate *vmq_xlate_get(struct vmq_vm *vm)
{
	struct vmq_xlate *x;

	mutex_lock(&vm->xlate_lock);
	x = rcu_dereference_protected(vm->xlate,
				      lockdep_is_held(&vm->xlate_lock));
	if (!x && !vm->gone) {
		x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
		if (x) {
			kref_init(&x->ref);	/* the VM's */
			kref_get(&vm->ref);
			x->vm = vm;
			mutex_init(&x->lock);
			hash_init(x->tables);
			spin_lock_init(&x->cons_lock);
			INIT_LIST_HEAD(&x->consumers);
			rcu_assign_pointer(vm->xlate, x);
		}
	}
	if (x)
		kref_get(&x->ref);
	mutex_unlock(&vm->xlate_lock);
	return x;
}

static struct vmq_ptable *vmq_ptable_find(struct vmq_xlate *x, gfn_t gfn)
{
	struct vmq_ptable *pt;

	hash_for_each_possible_rcu(x->tables, pt, node, gfn)
		if (pt->gfn == gfn)
			return pt;
	return NULL;
}

/*
 * One more entry depends on table @gfn at @level mapping @gva. x->lock.
 */
static struct vmq_ptable *vmq_ptable_get(struct vmq_xlate *x, gfn_t gfn,
					 unsigned int level, u64 gva)
{
	u64 va = gva & ~((1ULL << (PAGE_SHIFT + 9 * level)) - 1);
	struct vmq_ptable *pt;

	lockdep_assert_held(&x->lock);
	pt = vmq_ptable_find(x, gfn);
	if (pt) {
		if (pt->level != level || pt->va != va)
			WRITE_ONCE(pt->aliased, true);
		/* Its memslot went and came back, or it was let go. */
		if (!pt->tracked &&
		    !vmq_kvm_write_track(&x->vm->hook, gfn, true)) {
			atomic_set(&pt->flood, 0);
			pt->tracked = true;
		}
		if (!pt->tracked)
			return NULL;
		pt->refs++;
		return pt;
	}
	pt = kzalloc(sizeof(*pt), GFP_KERNEL_ACCOUNT);
	if (!pt)
		return NULL;
	pt->gfn = gfn;
	pt->level = level;
	pt->va = va;
	pt->refs = 1;
	vmq_kvm_track_memslots(&x->vm->hook);	/* ->pt_write from now on */
	if (vmq_kvm_write_track(&x->vm->hook, gfn, true)) {
		kfree(pt);
		return NULL;
	}
	pt->tracked = true;
	hash_add_rcu(x->tables, &pt->node, gfn);
	atomic64_inc(&vmq_stats[VMQ_STAT_TRACKED_TABLES]);
	return pt;
}

static void vmq_ptable_put(struct vmq_xlate *x, struct vmq_ptable *pt)
{
	lockdep_assert_held(&x->lock);
	if (--pt->refs)
		return;
	if (pt->tracked && !x->dead)
		vmq_kvm_write_track(&x->vm->hook, pt->gfn, false);
	hash_del_rcu(&pt->node);
	atomic64_dec(&vmq_stats[VMQ_STAT_TRACKED_TABLES]);
	kfree_rcu(pt, rcu);
}

static void vmq_entry_drop(struct vmq_xlate *x, struct vmq_tc_entry *e)
{
	unsigned int l;

	lockdep_assert_held(&x->lock);
	for (l = 0; l < e->levels; l++)
		vmq_ptable_put(x, e->pt[l]);
	e->cr3 = 0;
	e->levels = 0;
}

static void vmq_tcache_drop_all(struct vmq_tcache *tc)
{
	unsigned int i;

	mutex_lock(&tc->x->lock);
	for (i = 0; i < VMQ_TC_ENTRIES; i++)
		if (tc->e[i].cr3)
			vmq_entry_drop(tc->x, &tc->e[i]);
	mutex_unlock(&tc->x->lock);
}

/* A new cache of @vm's translations; NULL when out of memory. */
struct vmq_tcache *vmq_tcache_new(struct vmq_vm *vm)
{
	struct vmq_xlate *x = vmq_xlate_get(vm);
	struct vmq_tcache *tc;

	if (!x)
		return NULL;
	tc = kvzalloc(sizeof(*tc), GFP_KERNEL_ACCOUNT);
	if (!tc) {
		kref_put(&x->ref, vmq_xlate_free);
		return NULL;
	}
	tc->x = x;
	/*
	 * Producers insert channels in process context; the cache is freed
	 * from an RCU callback, in softirq context: the lock must be _bh.
	 */
	xa_init_flags(&tc->chans, XA_FLAGS_LOCK_BH);
	tc->generation = atomic_read(&x->generation);
	spin_lock(&x->cons_lock);
	list_add_tail_rcu(&tc->node, &x->consumers);
	spin_unlock(&x->cons_lock);
	return tc;
}

static void vmq_tcache_free_rcu(struct rcu_head *rcu)
{
	struct vmq_tcache *tc = container_of(rcu, struct vmq_tcache, rcu);
	struct vmq_pchan *ch;
	unsigned long i;

	xa_for_each(&tc->chans, i, ch)
		kfree(ch);
	xa_destroy(&tc->chans);
	kvfree(tc);
}

/* Sleeps; the cache's owner is done with it. */
void vmq_tcache_free(struct vmq_tcache *tc)
{
	struct vmq_xlate *x;

	if (!tc)
		return;
	x = tc->x;
	spin_lock(&x->cons_lock);
	list_del_rcu(&tc->node);
	spin_unlock(&x->cons_lock);
	vmq_tcache_drop_all(tc);
	/* Producers may still be pushing into its channels. */
	call_rcu(&tc->rcu, vmq_tcache_free_rcu);
	kref_put(&x->ref, vmq_xlate_free);
}

/* Whether @e's page lies in the range patch @p wrote. */
static bool vmq_patch_hits(const struct vmq_patch *p,
			   const struct vmq_tc_entry *e)
{
	return !p->span ||
	       (e->base < p->va + p->span && p->va < e->base + e->size);
}

/* @e's translation with @leaf as its last entry, if it still passes. */
static bool vmq_entry_relink(struct vmq_tc_entry *e, unsigned int l, u64 leaf)
{
	unsigned int level = e->pt[l]->level;
	u64 base;

	/* The same checks as a walk, and the same page size. */
	if (vmq_gpt_leaf(leaf, level, e->access, &base) ||
	    e->size != 1ULL << (PAGE_SHIFT + 9 * (level - 1)))
		return false;
	e->gpa = base;
	return true;
}

static void vmq_patch_apply(struct vmq_tcache *tc, const struct vmq_patch *p)
{
	struct vmq_vm *vm = tc->x->vm;
	unsigned int i, l;

	for (i = 0; i < VMQ_TC_ENTRIES; i++) {
		struct vmq_tc_entry *e = &tc->e[i];

		for (l = 0; e->cr3 && l < e->levels; l++) {
			if (e->pt[l]->gfn != p->table)
				continue;
			if (e->seq[l] != p->seq_before) {
				/* A write it missed: the token says stale. */
				vmq_count(vm, VMQ_CTR_PATCHES_INVALID, 1);
			} else if (!vmq_patch_hits(p, e)) {
				e->seq[l] = p->seq_after;
				continue;	/* another entry of the table */
			} else if (p->has_leaf && l == e->levels - 1 &&
				   vmq_entry_relink(e, l, p->leaf)) {
				e->seq[l] = p->seq_after;
				vmq_count(vm, VMQ_CTR_PATCHES_APPLIED, 1);
				continue;
			} else {
				vmq_count(vm, VMQ_CTR_PATCHES_APPLIED, 1);
			}
			mutex_lock(&tc->x->lock);
			vmq_entry_drop(tc->x, e);
			mutex_unlock(&tc->x->lock);
		}
	}
}

/*
 * The coherency point: apply every pending patch, or drop everything when
 * a patch was lost. The owner calls it before each use of the cache.
 */
void vmq_tcache_sync(struct vmq_tcache *tc)
{
	int gen = atomic_read(&tc->x->generation);
	struct vmq_pchan *ch;
	unsigned long i;

	if (gen != tc->generation) {
		tc->generation = gen;
		vmq_tcache_drop_all(tc);
	}
	xa_for_each(&tc->chans, i, ch) {
		for (;;) {
			struct vmq_patch *p = &ch->slot[ch->tail % VMQ_PCH_SLOTS];

			/* Pairs with the producer's store-release. */
			if (!smp_load_acquire(&p->in_use))
				break;
			vmq_patch_apply(tc, p);
			/* Hands the slot back: pairs with the producer's acquire. */
			smp_store_release(&p->in_use, 0);
			ch->tail++;
		}
	}
	/* After the channels: a patch lost meanwhile is seen now or next. */
	if (atomic_xchg(&tc->overflow, 0)) {
		vmq_count(tc->x->vm, VMQ_CTR_TC_OVERFLOWS, 1);
		vmq_tcache_drop_all(tc);
	}
}

/*
 * Same tables, same entries but for A and D (which vmq itself may have set
 * in between): nothing changed between the two walks.
 */
static bool vmq_walks_agree(const struct vmq_gpt_walk *a,
			    const struct vmq_gpt_walk *b)
{
	unsigned int l;

	if (a->nr_tables != b->nr_tables || a->gpa != b->gpa ||
	    a->page_size != b->page_size)
		return false;
	for (l = 0; l < a->nr_tables; l++)
		if (a->tables[l] != b->tables[l] ||
		    ((a->entries[l] ^ b->entries[l]) &
		     ~(VMQ_PTE_A | VMQ_PTE_D)))
			return false;
	return true;
}

/* A cache uses @e: its tables are live, whatever was written to them. */
static void vmq_entry_used(struct vmq_tc_entry *e)
{
	unsigned int l;

	for (l = 0; l < e->levels; l++)
		if (atomic_read(&e->pt[l]->flood))
			atomic_set(&e->pt[l]->flood, 0);
}

/*
 * Translate @gva through the tables at @cr3 of the cache's VM (read through
 * @mem), for @access: the guest page [*@base, *@base + *@size) is at *@gpa.
 * Errors as vmq_gpt_walk(). A translation that cannot be cached (a table
 * KVM cannot protect, no memory, tables that keep changing) is returned
 * all the same. Counts hits, misses and walks on the cache's VM.
 */
int vmq_tcache_translate(struct vmq_tcache *tc, const struct vmq_gpt_mem *mem,
			 u64 cr3, u64 gva, unsigned int access, u64 *base,
			 u64 *size, gpa_t *gpa)
{
	struct vmq_tc_entry *e = &tc->e[(gva >> PAGE_SHIFT) % VMQ_TC_ENTRIES];
	struct vmq_ptable *pt[VMQ_GPT_LEVELS];
	struct vmq_xlate *x = tc->x;
	struct vmq_vm *vm = x->vm;
	struct vmq_gpt_walk w1, w2;
	u32 seq[VMQ_GPT_LEVELS];
	unsigned int l, n = 0;
	int tries, ret;

	cr3 &= VMQ_PTE_ADDR;
	if (e->cr3 == cr3 && gva - e->base < e->size &&
	    (e->access & access) == access) {
		vmq_count(vm, VMQ_CTR_TC_HITS, 1);
		vmq_entry_used(e);
		goto out;
	}
	vmq_count(vm, VMQ_CTR_TC_MISSES, 1);
	for (tries = 0; ; tries++) {
		vmq_count(vm, VMQ_CTR_GPT_WALKS, 1);
		ret = vmq_gpt_walk(mem, cr3, gva, access, &w1);
		if (ret)
			return ret;
		if (tries == 3)
			goto uncached;	/* tables that keep changing */
		mutex_lock(&x->lock);
		for (n = 0; n < w1.nr_tables; n++) {
			pt[n] = vmq_ptable_get(x, w1.tables[n],
					       VMQ_GPT_LEVELS - n, gva);
			if (!pt[n])
				break;
		}
		mutex_unlock(&x->lock);
		if (n < w1.nr_tables)
			goto uncached_put;
		/* Tracked and findable before the sequences are read. */
		smp_mb();
		for (l = 0; l < n; l++)
			seq[l] = atomic_read(&pt[l]->seq);
		/* The sequences before the second walk's reads of the tables. */
		smp_rmb();
		vmq_count(vm, VMQ_CTR_GPT_WALKS, 1);
		ret = vmq_gpt_walk(mem, cr3, gva, access, &w2);
		if (!ret && vmq_walks_agree(&w1, &w2))
			break;
		mutex_lock(&x->lock);
		while (n--)
			vmq_ptable_put(x, pt[n]);
		mutex_unlock(&x->lock);
		if (ret)
			return ret;
	}

	mutex_lock(&x->lock);
	if (e->cr3)
		vmq_entry_drop(x, e);
	mutex_unlock(&x->lock);
	e->base = gva & ~(w2.page_size - 1);
	e->size = w2.page_size;
	e->gpa = w2.gpa & ~(w2.page_size - 1);
	e->access = access;
	e->levels = n;
	for (l = 0; l < n; l++) {
		e->pt[l] = pt[l];
		e->seq[l] = seq[l];
	}
	e->cr3 = cr3;
	vmq_entry_used(e);
out:
	*base = e->base;
	*size = e->size;
	*gpa = e->gpa;
	return 0;

uncached_put:
	mutex_lock(&x->lock);
	while (n--)
		vmq_ptable_put(x, pt[n]);
	mutex_unlock(&x->lock);
uncached:
	*base = gva & ~(w1.page_size - 1);
	*size = w1.page_size;
	*gpa = w1.gpa & ~(w1.page_size - 1);
	return 0;
}

/* Push @p to @tc's channel from @producer; false when it was lost. */
static bool vmq_patch_push(struct vmq_tcache *tc, unsigned int producer,
			   const struct vmq_patch *p)
{
	struct vmq_pchan *ch = xa_load(&tc->chans, producer);
	struct vmq_patch *s;

	if (!ch) {
		ch = kzalloc(sizeof(*ch), GFP_ATOMIC | __GFP_NOWARN);
		if (!ch ||
		    xa_insert_bh(&tc->chans, producer, ch, GFP_ATOMIC)) {
			kfree(ch);
			goto lost;
		}
	}
	s = &ch->slot[ch->head % VMQ_PCH_SLOTS];
	/* The consumer has not handed this slot back: the channel is full. */
	if (smp_load_acquire(&s->in_use))
		goto lost;
	s->seq_before = p->seq_before;
	s->seq_after = p->seq_after;
	s->table = p->table;
	s->va = p->va;
	s->span = p->span;
	s->leaf = p->leaf;
	s->has_leaf = p->has_leaf;
	/* Publishes the fields: pairs with the consumer's acquire. */
	smp_store_release(&s->in_use, 1);
	ch->head++;
	return true;
lost:
	atomic_set(&tc->overflow, 1);
	return false;
}

/*
 * Table @gfn took VMQ_PT_FLOOD_WRITES trapped writes with no cache using it
 * in between, and the patch of the last one drops every entry on it: take
 * its protection back now rather than when the last of those entries goes.
 * Unless a cache used it meanwhile, or tracked it again.
 */
static void vmq_ptable_release(struct vmq_xlate *x, gfn_t gfn)
{
	struct vmq_ptable *pt;

	mutex_lock(&x->lock);
	pt = vmq_ptable_find(x, gfn);
	if (pt && pt->tracked && !x->dead &&
	    atomic_read(&pt->flood) >= VMQ_PT_FLOOD_WRITES) {
		vmq_kvm_write_track(&x->vm->hook, gfn, false);
		pt->tracked = false;
		vmq_count(x->vm, VMQ_CTR_PT_RELEASED, 1);
	}
	mutex_unlock(&x->lock);
}

/*
 * The producer: vCPU @vcpu of @vm wrote @bytes (@new) at @gpa, and KVM
 * emulated the write because the page is write-tracked. Never waits for a
 * consumer.
 */
void vmq_xlate_pt_write(struct vmq_vm *vm, struct kvm_vcpu *vcpu, gpa_t gpa,
			const u8 *new, int bytes)
{
	struct vmq_patch p = { };
	unsigned int first, last;
	struct vmq_ptable *pt;
	struct vmq_tcache *tc;
	struct vmq_xlate *x;
	bool flooded;
	u64 span;

	if (bytes <= 0)
		return;
	rcu_read_lock();
	x = rcu_dereference(vm->xlate);
	pt = x ? vmq_ptable_find(x, gpa_to_gfn(gpa)) : NULL;
	if (!pt)
		goto out_unlock;
	vmq_count(vm, VMQ_CTR_PT_WRITES, 1);
	p.table = pt->gfn;
	/* A full barrier: the write is visible to whoever sees the count. */
	p.seq_after = atomic_inc_return(&pt->seq);
	p.seq_before = p.seq_after - 1;
	first = offset_in_page(gpa) / sizeof(u64);
	last = min_t(u64, offset_in_page(gpa) + bytes - 1, PAGE_SIZE - 1) /
	       sizeof(u64);
	span = 1ULL << (PAGE_SHIFT + 9 * (pt->level - 1));
	/* Flooded: this patch drops every entry on the table (span 0). */
	flooded = atomic_inc_return(&pt->flood) == VMQ_PT_FLOOD_WRITES &&
		  kref_get_unless_zero(&x->ref);
	if (!READ_ONCE(pt->aliased) && !flooded) {
		p.va = pt->va + first * span;
		p.span = (last - first + 1) * span;
	}
	if (bytes == sizeof(u64) && IS_ALIGNED(gpa, sizeof(u64)) && !flooded) {
		memcpy(&p.leaf, new, sizeof(u64));
		p.has_leaf = true;
	}
	list_for_each_entry_rcu(tc, &x->consumers, node)
		if (vmq_patch_push(tc, vcpu->vcpu_idx, &p))
			vmq_count(vm, VMQ_CTR_PATCHES, 1);
	rcu_read_unlock();
	if (flooded) {
		vmq_ptable_release(x, p.table);
		kref_put(&x->ref, vmq_xlate_free);
	}
	return;
out_unlock:
	rcu_read_unlock();
}

/*
 * Call @fn for @vm's tracked tables, after skipping the first @skip of
 * them; stops at @fn's first non-zero answer and returns it, else 0. The
 * order is the table hash's: a table tracked or dropped between two calls
 * may be missed or seen twice, as in any /proc listing.
 */
int vmq_xlate_visit_tables(struct vmq_vm *vm, unsigned long skip,
			   int (*fn)(void *arg, const struct vmq_table_info *t),
			   void *arg)
{
	struct vmq_table_info t;
	struct vmq_ptable *pt;
	struct vmq_xlate *x;
	int bkt, ret = 0;

	mutex_lock(&vm->xlate_lock);
	x = rcu_dereference_protected(vm->xlate,
				      lockdep_is_held(&vm->xlate_lock));
	if (!x)
		goto out_unlock;
	mutex_lock(&x->lock);
	hash_for_each(x->tables, bkt, pt, node) {
		if (skip) {
			skip--;
			continue;
		}
		t.gpa = gfn_to_gpa(pt->gfn);
		t.level = pt->level;
		t.aliased = READ_ONCE(pt->aliased);
		t.va = pt->va;
		t.span = 1ULL << (PAGE_SHIFT + 9 * pt->level);
		t.users = pt->refs;
		t.writes = atomic_read(&pt->seq);
		ret = fn(arg, &t);
		if (ret)
			break;
	}
	mutex_unlock(&x->lock);
out_unlock:
	mutex_unlock(&vm->xlate_lock);
	return ret;
}

/*
 * vmq itself wrote guest pages [@gfn, @gfn + @npages) of @vm through the
 * host's mapping (a copy into a grant, a page move): KVM traps none of
 * that. When a tracked table is among them, every cache of @vm drops what
 * it holds at its next coherency point.
 */
void vmq_xlate_host_write(struct vmq_vm *vm, gfn_t gfn, u64 npages)
{
	struct vmq_ptable *pt;
	struct vmq_xlate *x;
	bool hit = false;
	int bkt;

	rcu_read_lock();
	x = rcu_dereference(vm->xlate);
	if (!x)
		goto out_unlock;
	if (npages == 1) {
		pt = vmq_ptable_find(x, gfn);
		hit = pt;
	} else {
		hash_for_each_rcu(x->tables, bkt, pt, node)
			if (pt->gfn - gfn < npages) {
				hit = true;
				break;
			}
	}
	if (hit) {
		vmq_count(vm, VMQ_CTR_PT_WRITES, 1);
		atomic_inc(&x->generation);
	}
out_unlock:
	rcu_read_unlock();
}

/*
 * KVM deletes or moves a memslot of @vm and frees its page tracking: the
 * tables in it are no longer protected, and every cache starts afresh.
 */
void vmq_xlate_memslot_gone(struct vmq_vm *vm, gfn_t base, u64 npages)
{
	struct vmq_ptable *pt;
	struct vmq_xlate *x;
	int bkt;

	mutex_lock(&vm->xlate_lock);
	x = rcu_dereference_protected(vm->xlate,
				      lockdep_is_held(&vm->xlate_lock));
	if (x) {
		mutex_lock(&x->lock);
		hash_for_each(x->tables, bkt, pt, node)
			if (pt->gfn - base < npages)
				pt->tracked = false;
		mutex_unlock(&x->lock);
		atomic_inc(&x->generation);
	}
	mutex_unlock(&vm->xlate_lock);
}

/* KVM destroyed @vm, its page tracking first: nothing to take back. */
void vmq_xlate_kill(struct vmq_vm *vm)
{
	struct vmq_xlate *x;

	mutex_lock(&vm->xlate_lock);
	x = rcu_dereference_protected(vm->xlate,
				      lockdep_is_held(&vm->xlate_lock));
	if (x) {
		mutex_lock(&x->lock);
		x->dead = true;
		mutex_unlock(&x->lock);
	}
	mutex_unlock(&vm->xlate_lock);
}

/* @vm leaves vmq, its caches freed already. */
void vmq_xlate_release(struct vmq_vm *vm)
{
	struct vmq_xlate *x;

	mutex_lock(&vm->xlate_lock);
	x = rcu_dereference_protected(vm->xlate,
				      lockdep_is_held(&vm->xlate_lock));
	RCU_INIT_POINTER(vm->xlate, NULL);
	mutex_unlock(&vm->xlate_lock);
	if (x)
		kref_put(&x->ref, vmq_xlate_free);
}
