/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlate.h: translation caches of guest-virtual addresses, kept coherent by
 * write-tracked guest page tables and patch channels.
 */
#ifndef _VMQ_XLATE_H
#define _VMQ_XLATE_H

#include <linux/kvm_types.h>
#include <linux/types.h>

struct kvm_vcpu;
struct vmq_gpt_mem;
struct vmq_tcache;
struct vmq_vm;

/* One write-tracked guest page table, as the control plane shows it. */
struct vmq_table_info {
	u64 gpa;
	unsigned int level;	/* 4: PML4 ... 1: page table */
	bool aliased;		/* reached at more than one place */
	u64 va, span;		/* the virtual range it maps (the first) */
	unsigned int users;	/* cached translations that depend on it */
	unsigned int writes;	/* trapped writes to it */
};

struct vmq_tcache *vmq_tcache_new(struct vmq_vm *vm);
void vmq_tcache_free(struct vmq_tcache *tc);
void vmq_tcache_sync(struct vmq_tcache *tc);
int vmq_tcache_translate(struct vmq_tcache *tc, const struct vmq_gpt_mem *mem,
			 u64 cr3, u64 gva, unsigned int access, u64 *base,
			 u64 *size, gpa_t *gpa);

void vmq_xlate_pt_write(struct vmq_vm *vm, struct kvm_vcpu *vcpu, gpa_t gpa,
			const u8 *new, int bytes);
int vmq_xlate_visit_tables(struct vmq_vm *vm, unsigned long skip,
			   int (*fn)(void *arg, const struct vmq_table_info *t),
			   void *arg);
void vmq_xlate_host_write(struct vmq_vm *vm, gfn_t gfn, u64 npages);
void vmq_xlate_memslot_gone(struct vmq_vm *vm, gfn_t base, u64 npages);
void vmq_xlate_kill(struct vmq_vm *vm);
void vmq_xlate_release(struct vmq_vm *vm);

#endif /* _VMQ_XLATE_H */
