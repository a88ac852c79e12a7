/* SPDX-License-Identifier: GPL-2.0 */
/* copy.h: cross-guest copies between guest-virtual addresses. */
#ifndef _VMQ_COPY_H
#define _VMQ_COPY_H

#include <linux/types.h>

struct kvm_vcpu;
struct vmq_vcpu;
struct vmq_vm;

long vmq_grant(struct kvm_vcpu *vcpu, struct vmq_vm *vm, u64 gva, u64 len,
	       u64 flags, u64 sender);
long vmq_grant_revoke(struct vmq_vm *vm, u64 id);
void vmq_grants_release(struct vmq_vm *vm);
long vmq_copy(struct kvm_vcpu *vcpu, struct vmq_vcpu *vcv, struct vmq_vm *src,
	      u64 dest_grant, u64 offset, u64 src_gva, u64 len_flags,
	      long *err);

#endif /* _VMQ_COPY_H */
