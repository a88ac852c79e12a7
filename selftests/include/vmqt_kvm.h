/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_kvm.h: what the tests read from KVM itself: vCPU statistics (exit
 * counts), the VM's memory layout; and the idle VM that keeps KVM's
 * static keys on.
 */
#ifndef SELFTEST_VMQT_KVM_H
#define SELFTEST_VMQT_KVM_H

#include "kvm_util.h"

/* One vCPU statistic by name, from KVM's binary stats interface. */
u64 vmqt_vcpu_stat(struct kvm_vcpu *vcpu, const char *name);

/* A snapshot of a vCPU's exit statistics; subtract two to see a run's. */
struct vmqt_exits {
	u64 exits;		/* every exit */
	u64 io_exits;		/* port I/O, GUEST_SYNC's among them */
	u64 irq_exits;		/* host interrupts */
	u64 hypercalls;
	u64 pf_taken;
	u64 halt_exits;
};

struct vmqt_exits vmqt_exits(struct kvm_vcpu *vcpu);

/* A Y/N (or number) module parameter file as 1/0; -1 when it is absent. */
int vmqt_module_param(const char *path);

/*
 * Whether KVM shadows guest page tables (kvm_amd npt=0, kvm_intel ept=0):
 * only then does vmq cache guest-virtual translations (xlate.c).
 */
bool vmqt_tables_shadowed(void);

/* First guest-physical address above the VM's RAM (memslot 0, from 0). */
u64 vmqt_ram_end(struct kvm_vm *vm);

/*
 * Hold one idle VM for the life of the process (see lib/kvm.c for why);
 * vmqt_run_case() does it for every test that runs cases.
 */
void vmqt_hold_kvm(void);

#endif /* SELFTEST_VMQT_KVM_H */
