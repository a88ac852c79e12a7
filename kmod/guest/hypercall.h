/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_HYPERCALL_H
#define _VMQG_HYPERCALL_H

#include <linux/types.h>
#include <asm/kvm_para.h>
#include <linux/vmq.h>

/*
 * vmq's calling convention is KVM's: number in RAX, arguments in RBX, RCX,
 * RDX, RSI, result in RAX. VMQ_HC_INFO also answers in RBX..RSI and
 * VMQ_HC_COPY in RBX, which kvm_hypercall4() cannot return, so every call
 * goes through this one: KVM_HYPERCALL is the kernel's own alternative
 * between VMCALL (Intel) and VMMCALL (AMD, X86_FEATURE_VMMCALL), patched
 * at module load.
 *
 * Every guest-physical address passed to the host must be of memory that
 * stays put: the direct map (kmalloc, page allocator), never a stack (with
 * VMAP_STACK it is vmalloc memory) and never vmalloc.
 */
struct vmqg_regs {
	unsigned long ax, bx, cx, dx, si;
};

static __always_inline void vmqg_hc_regs(struct vmqg_regs *r)
{
	asm volatile(KVM_HYPERCALL
		     : "+a"(r->ax), "+b"(r->bx), "+c"(r->cx), "+d"(r->dx),
		       "+S"(r->si)
		     : : "memory");
}

static __always_inline long vmqg_hc(unsigned long nr, unsigned long a0,
				    unsigned long a1, unsigned long a2,
				    unsigned long a3)
{
	struct vmqg_regs r = { nr, a0, a1, a2, a3 };

	vmqg_hc_regs(&r);
	return (long)r.ax;
}

struct vmqg_host;

int vmqg_hc_probe(struct vmqg_host *host);
long vmqg_hc_lookup(const char *name);

#endif /* _VMQG_HYPERCALL_H */
