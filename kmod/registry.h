/* SPDX-License-Identifier: GPL-2.0 */
/* registry.h: VM ids, names, and the lifetime of struct vmq_vm. */
#ifndef _VMQ_REGISTRY_H
#define _VMQ_REGISTRY_H

#include "vmq.h"

struct kvm_vcpu;
struct vmq_vm_info;

extern struct mutex vmq_registry_lock;

struct vmq_vm *vmq_vm_get(u32 id);
struct vmq_vm *vmq_vm_get_by_kvm(struct kvm *kvm);
struct vmq_vm *vmq_vm_find_rcu(struct kvm *kvm);
struct kvm *vmq_vm_get_kvm(struct vmq_vm *vm);
void vmq_vm_put_kvm(struct vmq_vm *vm, struct kvm *kvm);
int vmq_vm_set_notify(u32 id, int fd);
struct vmq_vm *vmq_vm_adopt(struct kvm_vcpu *vcpu);
struct vmq_vm *vmq_vm_attach(struct kvm *kvm, const char *name);
void vmq_vm_put(struct vmq_vm *vm);
void vmq_vm_release(struct vmq_vm *vm);
int vmq_vm_allow_pair(u32 sender, u32 receiver);
int vmq_vm_revoke_pair(u32 sender, u32 receiver);
int vmq_vm_resolve(u32 id, const char *name, u32 *out);
int vmq_vm_rename(u32 id, const char *name);
int vmq_vm_set_quotas(u32 id, const u32 *max_msg, const u32 *max_queue,
		      const u32 *max_pages);
int vmq_vm_reset_counters(u32 id);
int vmq_vm_introduce(u32 a, u32 b);
int vmq_vm_fill_info(struct vmq_vm_info *info);

int vmq_registry_init(void);
void vmq_registry_exit(void);

#endif /* _VMQ_REGISTRY_H */
