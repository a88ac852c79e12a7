/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_hooks.h: every place where vmq attaches itself to KVM. */
#ifndef _VMQ_KVM_HOOKS_H
#define _VMQ_KVM_HOOKS_H

struct vmq_vm;

struct kvm_device;

int vmq_kvm_hooks_init(void);
void vmq_kvm_hooks_exit(void);
void vmq_kvm_hooks_drain(void);

struct kvm_device *vmq_kvm_dev_alloc(struct vmq_vm *vm);
void vmq_kvm_watch_vm(struct vmq_vm *vm);
void vmq_kvm_unwatch_vm(struct vmq_vm *vm);
void vmq_kvm_forget_vm(struct vmq_vm *vm);
void vmq_kvm_track_memslots(struct vmq_vm *vm);
void vmq_kvm_untrack_memslots(struct vmq_vm *vm);

#endif /* _VMQ_KVM_HOOKS_H */
