/* SPDX-License-Identifier: GPL-2.0 */
/* lifetime.h: how VMs and their vCPUs come to vmq and leave it. */
#ifndef _VMQ_LIFETIME_H
#define _VMQ_LIFETIME_H

#include <linux/kvm_types.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct vmq_kvm_hook;
struct vmq_vcpu;
struct vmq_vm;

struct vmq_vm *vmq_vm_adopt(struct kvm_vcpu *vcpu);
struct vmq_vm *vmq_vm_attach(struct kvm *kvm, const char *name);
struct vmq_vcpu *vmq_vcpu_get(struct vmq_vm *vm, struct kvm_vcpu *vcpu);

/* struct vmq_kvm_callbacks, for main.c */
void vmq_vm_destroyed(struct vmq_kvm_hook *hook);
void vmq_vm_memslot_gone(struct vmq_kvm_hook *hook, gfn_t base, u64 npages);
void vmq_vm_pt_write(struct vmq_kvm_hook *hook, struct kvm_vcpu *vcpu,
		     gpa_t gpa, const u8 *new, int bytes);

void vmq_lifetime_exit(void);

#endif /* _VMQ_LIFETIME_H */
