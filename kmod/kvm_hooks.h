/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_hooks.h: every place where vmq attaches itself to KVM. */
#ifndef _VMQ_KVM_HOOKS_H
#define _VMQ_KVM_HOOKS_H

struct vmq_vm;

int vmq_kvm_hooks_init(void);
void vmq_kvm_hooks_exit(void);

int vmq_kvm_watch_vm(struct vmq_vm *vm);
void vmq_kvm_unwatch_vm(struct vmq_vm *vm);

#endif /* _VMQ_KVM_HOOKS_H */
