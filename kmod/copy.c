// SPDX-License-Identifier: GPL-2.0
/*
 * copy.c: cross-guest copies between guest-virtual addresses (VMQ_HC_GRANT,
 * VMQ_HC_GRANT_REVOKE, VMQ_HC_COPY). Layer: transfer (see vmq.h), above
 * sending (send.c: the permission check and the record) and below page
 * transfer.
 *
 * A receiver publishes a grant: a guest-virtual range in one of its address
 * spaces (a CR3), user or supervisor, and the one VM that may write it. A
 * sender copies from its own guest-virtual range into (receiver, grant,
 * offset). Each side is translated through its guest's page tables
 * (guest_pt.c) when the copy reaches it, so a copy that starts after a
 * guest page-table write has completed uses the new translation; within
 * one copy, a translation is reused while the copy stays inside the same
 * guest page.
 *
 * The bytes go in one copy: the sender's vCPU thread pins the receiver's
 * page through the receiver's VMM's mm (pin_user_pages_remote(), the way
 * process_vm_writev() does), drops that mm's lock, and copies from its own
 * guest memory with copy_from_user(). No lock of vmq's is held while it
 * copies, and never two mmap_locks at once.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "copy.h"
#include "guest_mem.h"
#include "guest_pt.h"
#include "send.h"
#include "vm.h"
#include "xlate.h"

struct vmq_grant {
	struct kref ref;	/* the grant table's, and copies' */
	u64 cr3;		/* root of the address space */
	u64 gva;
	u64 len;
	u32 sender;
	u32 flags;		/* VMQ_GRANT_* */
	/*
	 * Its translations, created by the first copy into it. A copy holds
	 * @lock from its first byte to its last: that keeps the cache
	 * single-consumer when several vCPUs of the sender copy at once, and
	 * lets a revoke wait for the copy it interrupts.
	 */
	struct mutex lock;
	bool revoked;		/* copies stop at their next page */
	struct vmq_tcache *tc;
	bool cached;		/* KVM shadows the VM's tables: @tc may be */
	struct rcu_head rcu;
};

/* VMQ_HC_GRANT: a new grant of @vm, made on its vCPU @vcpu. */
long vmq_grant(struct kvm_vcpu *vcpu, struct vmq_vm *vm, u64 gva, u64 len,
	       u64 flags, u64 sender)
{
	u32 quota = READ_ONCE(vm->quota_max_grants);
	u32 limit = quota && quota < VMQ_GRANTS_MAX ? quota : VMQ_GRANTS_MAX;
	struct vmq_grant *g;
	u32 id;
	int ret;

	if (!vmq_vcpu_paging_4level(vcpu))
		return -EOPNOTSUPP;
	if (!len || len > VMQ_GRANT_MAX || gva + len < gva ||
	    !vmq_gva_canonical(gva) || !vmq_gva_canonical(gva + len - 1) ||
	    (flags & ~(VMQ_GRANT_USER | VMQ_GRANT_RECORD)) ||
	    !sender || sender > U32_MAX)
		return -EINVAL;
	if (atomic_inc_return(&vm->nr_grants) > limit) {
		ret = -ENOSPC;
		goto err_uncount;
	}
	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		goto err_uncount;
	kref_init(&g->ref);
	mutex_init(&g->lock);
	g->cr3 = vmq_vcpu_cr3(vcpu);
	g->cached = vmq_vcpu_tables_shadowed(vcpu);
	g->gva = gva;
	g->len = len;
	g->sender = sender;
	g->flags = flags;
	/* Cyclic: a revoked grant's id does not come back soon. */
	ret = xa_alloc_cyclic(&vm->grants, &id, g, XA_LIMIT(1, INT_MAX),
			      &vm->next_grant, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_free;
	atomic64_inc(&vmq_stats[VMQ_STAT_LIVE_GRANTS]);
	return id;

err_free:
	kfree(g);
err_uncount:
	atomic_dec(&vm->nr_grants);
	return ret == -EBUSY ? -ENOSPC : ret;
}

/* Sleeps: the last reference may be a copy's, or the table's. */
static void vmq_grant_free(struct kref *ref)
{
	struct vmq_grant *g = container_of(ref, struct vmq_grant, ref);

	vmq_tcache_free(g->tc);
	/* Copies look grants up under RCU. */
	kfree_rcu(g, rcu);
}

/* @g left the grant table: no new copy finds it. */
static void vmq_grant_drop(struct vmq_vm *vm, struct vmq_grant *g)
{
	atomic_dec(&vm->nr_grants);
	atomic64_dec(&vmq_stats[VMQ_STAT_LIVE_GRANTS]);
	kref_put(&g->ref, vmq_grant_free);
}

long vmq_grant_revoke(struct vmq_vm *vm, u64 id)
{
	struct vmq_grant *g;
	int ret;

	if (!id || id > INT_MAX)
		return -ENOENT;
	/*
	 * Marked before it leaves the table: whoever finds it gone knows
	 * that a copy running into it stops before its next page.
	 */
	xa_lock(&vm->grants);
	g = xa_load(&vm->grants, id);
	if (g) {
		WRITE_ONCE(g->revoked, true);
		__xa_erase(&vm->grants, id);
	}
	xa_unlock(&vm->grants);
	if (!g)
		return -ENOENT;
	/*
	 * Once we hold its lock no copy writes into the grant any more, and
	 * the guest may reuse the pages (and the page tables) behind it.
	 */
	ret = mutex_lock_killable(&g->lock);
	if (!ret)
		mutex_unlock(&g->lock);
	vmq_grant_drop(vm, g);
	return ret;	/* -EINTR: the VMM is being killed */
}

/* The VM is gone (or vmq is): no hypercall of its can run any more. */
void vmq_grants_release(struct vmq_vm *vm)
{
	struct vmq_grant *g;
	unsigned long id;

	xa_for_each(&vm->grants, id, g) {
		xa_erase(&vm->grants, id);
		vmq_grant_drop(vm, g);
	}
	xa_destroy(&vm->grants);
}

/* One side of a copy: where its translations come from. */
struct vmq_copy_side {
	struct vmq_gpt_mem mem;
	struct vmq_tcache *tc;	/* NULL: walk every time */
	u64 cr3;
	unsigned int access;	/* VMQ_GPT_* */
	u64 base, size;		/* guest page of the current translation */
	gpa_t gpa;		/* ... and where it starts */
};

/*
 * The guest-physical address of @gva: from the side's cache (or a walk)
 * for a new guest page, within one copy the last translation otherwise.
 */
static int vmq_copy_translate(struct vmq_copy_side *side, u64 gva,
			      struct vmq_vm *count_vm, gpa_t *gpa)
{
	struct vmq_gpt_walk w;
	int ret;

	if (side->size && gva - side->base < side->size)
		goto out;
	if (side->tc) {
		ret = vmq_tcache_translate(side->tc, &side->mem, side->cr3,
					   gva, side->access, &side->base,
					   &side->size, &side->gpa);
		if (ret)
			return ret;
		goto out;
	}
	vmq_count(count_vm, VMQ_CTR_GPT_WALKS, 1);
	ret = vmq_gpt_walk(&side->mem, side->cr3, gva, side->access, &w);
	if (ret)
		return ret;
	side->size = w.page_size;
	side->base = gva & ~(w.page_size - 1);
	side->gpa = w.gpa & ~(w.page_size - 1);
out:
	*gpa = side->gpa + (gva - side->base);
	return 0;
}

/*
 * Copy @n bytes, within one host page on each side, from @src_gpa of the
 * calling vCPU's VM (@src_kvm: current mm, kvm->srcu held) to @dst_gpa of
 * the VM of @dst (its mm held).
 */
static int vmq_copy_chunk(struct kvm *src_kvm, gpa_t src_gpa,
			  const struct vmq_gpt_mem *dst, gpa_t dst_gpa, u32 n)
{
	unsigned long src_hva;
	struct page *page;
	int ret = 0;
	void *va;

	src_hva = vmq_guest_hva(src_kvm, gpa_to_gfn(src_gpa), false);
	if (kvm_is_error_hva(src_hva))
		return -EFAULT;
	page = vmq_guest_page_pin(dst->kvm, dst->mm, gpa_to_gfn(dst_gpa), true);
	if (!page)
		return -EFAULT;
	va = kmap_local_page(page);
	if (copy_from_user(va + offset_in_page(dst_gpa),
			   (void __user *)(src_hva + offset_in_page(src_gpa)),
			   n))
		ret = -EFAULT;
	kunmap_local(va);
	vmq_guest_page_unpin(page, true);
	return ret;
}

/*
 * @vcv's cache of its own VM's translations, synced; NULL: walk, also where
 * KVM does not shadow the guest's tables.
 */
static struct vmq_tcache *vmq_copy_vcpu_cache(struct kvm_vcpu *vcpu,
					      struct vmq_vm *vm,
					      struct vmq_vcpu *vcv)
{
	if (!vcv || !vmq_vcpu_tables_shadowed(vcpu))
		return NULL;
	if (!vcv->tc)
		vcv->tc = vmq_tcache_new(vm);
	if (vcv->tc)
		vmq_tcache_sync(vcv->tc);
	return vcv->tc;
}

/*
 * VMQ_HC_COPY from @src's vCPU @vcpu (kvm->srcu held; @vcv its vmq state,
 * or NULL). Returns the bytes copied, or a negative errno when nothing was;
 * *@err is 0 when the whole copy (and its record) is done, else what
 * stopped it.
 */
long vmq_copy(struct kvm_vcpu *vcpu, struct vmq_vcpu *vcv, struct vmq_vm *src,
	      u64 dest_grant, u64 offset, u64 src_gva, u64 len_flags,
	      long *err)
{
	u32 dest_id = dest_grant >> 32, grant_id = (u32)dest_grant;
	u32 len = (u32)len_flags, flags = len_flags >> 32;
	struct vmq_copy_side s = {
		.mem = { .kvm = vcpu->kvm },
		.cr3 = vmq_vcpu_cr3(vcpu),
		.access = flags & VMQ_COPY_USER ? VMQ_GPT_USER : 0,
	};
	struct vmq_copy_side d = { .access = VMQ_GPT_WRITE };
	struct vmq_grant *g;
	struct vmq_vm *dest;
	struct kvm *dest_kvm;
	u32 done = 0;
	u64 dst_gva;
	long ret;

	*err = 0;
	if (!vmq_vcpu_paging_4level(vcpu))
		return -EOPNOTSUPP;
	if (flags & ~VMQ_COPY_USER)
		return -EINVAL;
	if (len > VMQ_COPY_MAX)
		return -EMSGSIZE;
	dest = vmq_dest_get(src, dest_id);
	if (IS_ERR(dest))
		return PTR_ERR(dest);

	/*
	 * The VM first: dropping the last reference to a grant frees its
	 * cache, which gives back write protection on the VM's tables.
	 */
	ret = -EACCES;		/* gone since: as if it never was */
	dest_kvm = vmq_vm_get_kvm(dest);
	if (!dest_kvm)
		goto out_put;
	ret = -ENOENT;
	rcu_read_lock();
	g = grant_id ? xa_load(&dest->grants, grant_id) : NULL;
	if (g && (g->sender != src->id || !kref_get_unless_zero(&g->ref)))
		g = NULL;
	rcu_read_unlock();
	if (!g)
		goto out_put_kvm;
	ret = -ERANGE;
	if (offset > g->len || len > g->len - offset)
		goto out_put_grant;
	dst_gva = g->gva + offset;
	d.cr3 = g->cr3;
	if (g->flags & VMQ_GRANT_USER)
		d.access |= VMQ_GPT_USER;
	ret = -EACCES;
	if (!mmget_not_zero(dest_kvm->mm))
		goto out_put_grant;
	d.mem.kvm = dest_kvm;
	d.mem.mm = dest_kvm->mm;

	/* The coherency points of both caches: every patch is applied. */
	s.tc = vmq_copy_vcpu_cache(vcpu, src, vcv);
	mutex_lock(&g->lock);
	if (!g->tc && g->cached)
		g->tc = vmq_tcache_new(dest);
	d.tc = g->tc;
	if (d.tc)
		vmq_tcache_sync(d.tc);
	ret = 0;
	while (done < len) {
		gpa_t sg, dg;
		u32 n;

		/* Revoked meanwhile (VMQ_HC_GRANT_REVOKE waits for us). */
		if (READ_ONCE(g->revoked)) {
			ret = -ENOENT;
			break;
		}

		ret = vmq_copy_translate(&s, src_gva + done, src, &sg);
		if (!ret)
			ret = vmq_copy_translate(&d, dst_gva + done, dest, &dg);
		if (ret)
			break;
		n = min3(len - done, (u32)(PAGE_SIZE - offset_in_page(sg)),
			 (u32)(PAGE_SIZE - offset_in_page(dg)));
		ret = vmq_copy_chunk(vcpu->kvm, sg, &d.mem, dg, n);
		if (ret)
			break;
		vmq_xlate_host_write(dest, gpa_to_gfn(dg), 1);
		done += n;
		cond_resched();
	}
	mutex_unlock(&g->lock);
	mmput(dest_kvm->mm);
	if (done) {
		vmq_count(src, VMQ_CTR_COPIES, 1);
		vmq_count(src, VMQ_CTR_COPY_TX_BYTES, done);
		vmq_count(dest, VMQ_CTR_COPY_RX_BYTES, done);
	}
	if (done && !ret && (g->flags & VMQ_GRANT_RECORD)) {
		struct vmq_copy_msg msg = {
			.grant = grant_id,
			.offset = offset,
			.len = done,
		};

		ret = vmq_post(dest, VMQ_MSG_COPY, src->id, 0, &msg,
			       sizeof(msg));
	}
out_put_grant:
	kref_put(&g->ref, vmq_grant_free);
out_put_kvm:
	vmq_vm_put_kvm(dest, dest_kvm);
out_put:
	vmq_vm_put(dest);
	if (!done)
		return ret;
	*err = ret;
	return done;
}
