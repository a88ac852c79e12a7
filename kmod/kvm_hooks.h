/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_hooks.h: every place where vmq attaches itself to KVM, and the
 * callbacks through which KVM's events reach the rest of vmq.
 */
#ifndef _VMQ_KVM_HOOKS_H
#define _VMQ_KVM_HOOKS_H

#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/types.h>

/*
 * What vmq keeps in one VM to hear from KVM: the lifetime hook (a
 * struct kvm_device on kvm->devices) and the memslot watch (a page-track
 * notifier). Embedded in struct vmq_vm; the callbacks get it back.
 */
struct vmq_kvm_hook {
	struct kvm *kvm;
	struct kvm_device *dev;		/* allocated up front, freed last */
	bool hooked;			/* dev is on kvm->devices */
	struct mutex track_lock;
	bool tracking;			/* track is registered */
	struct kvm_page_track_notifier_node track;
};

/*
 * KVM's events, handed up to vmq. Called in the context KVM calls vmq in:
 * @hypercall_is_ours and @hypercall from kvm_emulate_hypercall()'s caller;
 * @vcpu_exit from the kvm_exit tracepoint, atomic (@can_read_guest: the
 * vCPU holds kvm->srcu and runs in the VM's mm, as on SVM), only while
 * @exits_wanted (any context) says vmq has work at exits;
 * @vm_destroyed from kvm_destroy_vm(); @memslot_gone when a memslot of a
 * tracked VM is deleted or moved.
 */
struct vmq_kvm_callbacks {
	bool (*hypercall_is_ours)(struct kvm_vcpu *vcpu);
	int (*hypercall)(struct kvm_vcpu *vcpu);
	void (*vcpu_exit)(struct kvm_vcpu *vcpu, bool can_read_guest);
	bool (*exits_wanted)(void);
	void (*vm_destroyed)(struct vmq_kvm_hook *hook);
	void (*memslot_gone)(struct vmq_kvm_hook *hook, gfn_t base,
			     u64 npages);
	void (*pt_write)(struct vmq_kvm_hook *hook, struct kvm_vcpu *vcpu,
			 gpa_t gpa, const u8 *new, int bytes);
};

/*
 * The code that runs at VM exits and hypercalls of every VM on the host,
 * vmq's or not (hooks 1 and 3 of kvm_hooks.c, and what they call up to the
 * point where a VM that is not vmq's is told apart): under 1 KiB kept
 * together, in a few cache lines and one page (two where the module's
 * layout makes it cross a page boundary), where it would otherwise lie in
 * the pages of three objects. On TCG, which flushes its TLB at every world
 * switch, each page costs every exit a miss (make bench: exit_overhead's
 * probe_on_vs_off, hypercall_overhead).
 */
#define __vmq_every_exit	__section(".text.vmq_every_exit")

/*
 * Between kvm_hooks.c and kvm_hooks_entry.S only: the direct call at
 * kvm_emulate_hypercall()'s entry, and the two functions it calls.
 */
void vmq_hypercall_entry(void);
bool vmq_hypercall_claim(struct kvm_vcpu *vcpu);
int vmq_hypercall_redirect(struct kvm_vcpu *vcpu);

int vmq_kvm_hooks_init(const struct vmq_kvm_callbacks *cb);
void vmq_kvm_hooks_exit(void);
void vmq_kvm_hooks_drain(void);

int vmq_kvm_hook_init(struct vmq_kvm_hook *hook, struct kvm *kvm);
void vmq_kvm_hook_free(struct vmq_kvm_hook *hook);
void vmq_kvm_watch_vm(struct vmq_kvm_hook *hook);
void vmq_kvm_unwatch_vm(struct vmq_kvm_hook *hook);
void vmq_kvm_forget_vm(struct vmq_kvm_hook *hook);
int vmq_kvm_exits_need(void);
void vmq_kvm_exits_idle(void);
void vmq_kvm_track_memslots(struct vmq_kvm_hook *hook);
void vmq_kvm_untrack_memslots(struct vmq_kvm_hook *hook);
int vmq_kvm_write_track(struct vmq_kvm_hook *hook, gfn_t gfn, bool on);

#endif /* _VMQ_KVM_HOOKS_H */
