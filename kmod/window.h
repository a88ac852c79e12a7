/* SPDX-License-Identifier: GPL-2.0 */
/* window.h: page windows, and whole pages moved between VMs through them. */
#ifndef _VMQ_WINDOW_H
#define _VMQ_WINDOW_H

#include <linux/kvm_types.h>
#include <linux/compiler_types.h>
#include <linux/types.h>

struct kvm_vcpu;
struct vmq_vm;
struct vmq_window;

struct vmq_window_create;
struct page;

/* The most page sends that vmq_page_send_batch() takes at once. */
#define VMQ_PAGE_BATCH_MAX	64

/* What a receive pool slot held when a send took it (window.c). */
enum vmq_pool_state {
	VMQ_POOL_UNCLEAN,	/* maybe mapped, maybe anything in it */
	VMQ_POOL_CLEAN,		/* unmapped and zero */
	VMQ_POOL_OWN,		/* unmapped, what one VM sent it */
};

/* One page send of a batch. */
struct vmq_page_req {
	u64 gpa;		/* in: the sender's slot */
	u64 tag;		/* in: for the receiver's record */
	long ret;		/* out: as VMQ_HC_PAGE_SEND's */
	/* vmq_page_send_batch()'s own. */
	struct page *ps, *pr;	/* the sender's page, the receiver's free one */
	u32 s, r;		/* their slots */
	enum vmq_pool_state state;	/* r's, when taken from the pool */
	bool clear;		/* the page going to the sender needs clearing */
};

long vmq_window_create_fd(u64 size, u32 page_size, u32 flags);
long vmq_window_create_ioctl(struct vmq_window_create __user *uarg);
long vmq_window_bind(struct vmq_vm *vm, struct kvm_vcpu *vcpu, u64 gpa,
		     u64 size, u64 bind_flags);
void vmq_window_unbind(struct vmq_vm *vm);
long vmq_page_send(struct vmq_vm *src, u64 dest, u64 gpa, u64 tag);
void vmq_page_send_batch(struct vmq_vm *src, u64 dest_id,
			 struct vmq_page_req *req, unsigned int n);
long vmq_page_free(struct vmq_vm *vm, u64 gpa);
void vmq_window_memslot_gone(struct vmq_vm *vm, gfn_t base, u64 npages);

int vmq_window_init(void);
void vmq_window_exit(void);

#endif /* _VMQ_WINDOW_H */
