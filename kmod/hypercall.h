/* SPDX-License-Identifier: GPL-2.0 */
/* hypercall.h: the guest-facing ABI of <linux/vmq.h>. */
#ifndef _VMQ_HYPERCALL_H
#define _VMQ_HYPERCALL_H

#include <linux/types.h>

struct kvm_vcpu;

bool vmq_hypercall_is_ours(struct kvm_vcpu *vcpu);
int vmq_hypercall(struct kvm_vcpu *vcpu);

#endif /* _VMQ_HYPERCALL_H */
