/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h: the one place where vmq depends on KVM internals and on the
 * kernel version.
 *
 * vmq builds against a distribution kernel's headers, which ship
 * <linux/kvm_host.h> and <asm/kvm_host.h> but not the private headers in arch/x86/kvm/. The
 * few inline helpers vmq needs from those private headers are restated here,
 * with the KVM function each one mirrors, so that a new kernel means reading
 * this file and kvm_hooks.c and nothing else.
 *
 * Target: Linux 6.1 (Debian 12). Every symbol used is exported by kvm.ko.
 */
#ifndef _VMQ_COMPAT_H
#define _VMQ_COMPAT_H

#include <linux/kvm_host.h>

/* kmod/Kbuild refuses to build for any kernel but 6.1. */

/*
 * The permission flag of generic netlink multicast groups came to 6.1 as a
 * stable backport of a 6.7 fix, which Debian 12's kernels carry; without it
 * anybody could subscribe to vmq's events, so vmq refuses to build.
 */
#include <net/genetlink.h>
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "vmq needs a 6.1 kernel with GENL_MCAST_CAP_NET_ADMIN (a 6.1.y update)"
#endif

/*
 * Write-tracking guest pages from a module needs KVM's external write
 * tracking: without it kvm_slot_page_track_add_page() WARNs whenever TDP is
 * on. Debian builds it (x86 KVMGT selects it).
 */
#ifndef CONFIG_KVM_EXTERNAL_WRITE_TRACKING
#error "vmq needs CONFIG_KVM_EXTERNAL_WRITE_TRACKING"
#endif

/*
 * ftrace direct calls (kvm_hooks.c, hook 1): in 6.1 they are registered by
 * address; 6.6 moved them to a struct ftrace_ops of the caller's.
 */
#include <linux/ftrace.h>
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
#error "vmq needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"
#endif

static inline int vmq_ftrace_direct_register(unsigned long ip,
					     unsigned long addr)
{
	return register_ftrace_direct(ip, addr);
}

static inline void vmq_ftrace_direct_unregister(unsigned long ip,
						unsigned long addr)
{
	unregister_ftrace_direct(ip, addr);
}

/* Mirrors kvm_register_read_raw() in arch/x86/kvm/kvm_cache_regs.h. */
static inline unsigned long vmq_reg_read(struct kvm_vcpu *vcpu, int reg)
{
	if (!test_bit(reg, (unsigned long *)&vcpu->arch.regs_avail))
		static_call(kvm_x86_cache_reg)(vcpu, reg);
	return vcpu->arch.regs[reg];
}

/* Mirrors kvm_register_write_raw(). */
static inline void vmq_reg_write(struct kvm_vcpu *vcpu, int reg,
				 unsigned long val)
{
	vcpu->arch.regs[reg] = val;
	__set_bit(reg, (unsigned long *)&vcpu->arch.regs_avail);
	__set_bit(reg, (unsigned long *)&vcpu->arch.regs_dirty);
}

/* Mirrors is_64_bit_hypercall() in arch/x86/kvm/x86.h. */
static inline bool vmq_hypercall_is_64bit(struct kvm_vcpu *vcpu)
{
	int cs_db, cs_l;

	if (!(vcpu->arch.efer & EFER_LMA))
		return false;
	static_call(kvm_x86_get_cs_db_l_bits)(vcpu, &cs_db, &cs_l);
	return cs_l;
}

/*
 * Whether @kvm is an SEV guest (plain SEV, SEV-ES or SEV-SNP) whose memory
 * the host only sees encrypted: vmq would read ciphertext as payloads and
 * write cleartext that the guest cannot read into its encrypted rings.
 * struct kvm_svm is private to kvm-amd; what KVM exports is the APICv
 * inhibit that sev_guest_init() sets on every VM that KVM_SEV_INIT or
 * KVM_SEV_ES_INIT turned into an SEV guest (arch/x86/kvm/svm/sev.c), and
 * vcpu->arch.guest_state_protected for SEV-ES and SEV-SNP vCPUs. Not seen:
 * a plain-SEV VM that got its encryption context from another VM
 * (KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM, KVM_CAP_VM_COPY_ENC_CONTEXT_FROM), which
 * KVM does not mark that way; nothing exported tells.
 */
static inline bool vmq_vcpu_memory_encrypted(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest_state_protected ||
	       test_bit(APICV_INHIBIT_REASON_SEV,
			&vcpu->kvm->arch.apicv_inhibit_reasons);
}

/*
 * kvm_emulate_hypercall() hands the whole hypercall to the Xen or Hyper-V
 * emulation when the VM enabled them (kvm_xen_hypercall_enabled(),
 * kvm_hv_hypercall_enabled()); their numbering then owns RAX and vmq must
 * stay out of the way. SEV guests cannot share rings with the host through
 * guest memory the host reads in the clear, so vmq leaves them alone too.
 */
static inline bool vmq_vcpu_hypercalls_foreign(struct kvm_vcpu *vcpu)
{
	if (vmq_vcpu_memory_encrypted(vcpu))
		return true;
	if (vcpu->arch.hyperv_enabled && vcpu->kvm->arch.hyperv.hv_guest_os_id)
		return true;
#ifdef CONFIG_KVM_XEN
	if (vcpu->kvm->arch.xen_hvm_config.flags &
	    KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)
		return true;
#endif
	return false;
}

/* Mirrors kvm_read_cr3() in arch/x86/kvm/kvm_cache_regs.h. */
static inline unsigned long vmq_vcpu_cr3(struct kvm_vcpu *vcpu)
{
	if (!test_bit(VCPU_EXREG_CR3, (unsigned long *)&vcpu->arch.regs_avail))
		static_call(kvm_x86_cache_reg)(vcpu, VCPU_EXREG_CR3);
	return vcpu->arch.cr3;
}

/*
 * Whether KVM shadows the guest's page tables of @vcpu (shadow paging, no
 * TDP), the test kvm_mmu_page_fault() makes on vcpu->arch.mmu. Only then
 * may vmq write-track a guest page table: under TDP the CPU's own walk of
 * a tracked table faults and KVM 6.1 re-enters the guest without emulating
 * or unprotecting it, forever (see xlate.c).
 */
static inline bool vmq_vcpu_tables_shadowed(struct kvm_vcpu *vcpu)
{
	return !vcpu->arch.mmu->root_role.direct;
}

/*
 * Whether the vCPU translates with 4-level paging, the only kind vmq walks
 * (guest_pt.c): long mode (is_long_mode() in arch/x86/kvm/x86.h), paging on
 * and no LA57, outside a nested guest (is_guest_mode(): its CR3 would name
 * an L2 address space that vmq cannot read). CR0.PG and CR4.LA57 are never
 * among the bits a guest owns (KVM_POSSIBLE_CR0_GUEST_BITS,
 * KVM_POSSIBLE_CR4_GUEST_BITS), so vcpu->arch.cr0 and cr4 hold them.
 */
static inline bool vmq_vcpu_paging_4level(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.efer & EFER_LMA) &&
	       (vcpu->arch.cr0 & X86_CR0_PG) &&
	       !(vcpu->arch.cr4 & X86_CR4_LA57) &&
	       !(vcpu->arch.hflags & HF_GUEST_MASK);
}

/* Mirrors lapic_in_kernel() in arch/x86/kvm/lapic.h. */
static inline bool vmq_vcpu_has_lapic(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

/*
 * Halt the vCPU as HLT would with an in-kernel local APIC: mirrors
 * __kvm_emulate_halt(). KVM's run loop then blocks it in vcpu_block(), and
 * kvm_vcpu_has_events() sees pv_unhalted when vmq ends the halt.
 */
static inline void vmq_vcpu_set_halted(struct kvm_vcpu *vcpu)
{
	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
}

/*
 * End such a halt from any context: mirrors what KVM_HC_KICK_CPU does to a
 * halted vCPU (kvm_pv_kick_cpu_op(), APIC_DM_REMRD in arch/x86/kvm/lapic.c).
 */
static inline void vmq_vcpu_unhalt(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.pv.pv_unhalted, true);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	kvm_vcpu_kick(vcpu);
}

/* The isa argument of the kvm_exit tracepoint (arch/x86/kvm/trace.h). */
#define VMQ_KVM_ISA_SVM		2

/*
 * kvm_put_kvm() may destroy the VM and sleep. Where vmq cannot sleep it
 * drops a reference with refcount_dec_not_one(), which is kvm_put_kvm()
 * whenever it would not destroy, and leaves the last one to a worker.
 */
static inline bool vmq_kvm_put_unless_last(struct kvm *kvm)
{
	return refcount_dec_not_one(&kvm->users_count);
}

/*
 * A VM's userspace handles (VM fd, vCPU fds, ...) each hold a reference on
 * kvm->users_count; KVM destroys the VM when it drops to zero. struct
 * kvm_device entries on kvm->devices are destroyed by kvm_destroy_vm()
 * through their ->destroy() method, which is how vmq learns that a VM is
 * gone (kvm_hooks.c). KVM adds devices under kvm->lock (see
 * kvm_ioctl_create_device()); so does vmq.
 */
#define vmq_kvm_devices(kvm)	(&(kvm)->devices)

#endif /* _VMQ_COMPAT_H */
