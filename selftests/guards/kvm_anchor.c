// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_anchor - keep KVM's static keys from ever flipping during a sandbox run.
 *
 * Not a test.  The sandbox (scripts/sandbox.sh) starts it after loading
 * kvm_amd and stops it before unloading kvm_amd.  While it lives it holds:
 *
 *   - a VM, so preempt_notifier_key stays enabled (kvm_create_vm() increments
 *     it, kvm_destroy_vm() decrements it);
 *   - a vCPU whose in-kernel local APIC is software-disabled (as at reset)
 *     and hardware-disabled (APIC base MSR without its enable bit), so
 *     apic_sw_disabled and apic_hw_disabled stay enabled;
 *   - a vCPU of a second VM without an in-kernel irqchip, so
 *     kvm_has_noapic_vcpu stays enabled.
 *
 * Why: each 0 <-> 1 transition of one of those keys live-patches kernel text
 * (text_poke_bp(): int3, then the new bytes, then an IPI to sync the other
 * CPUs).  QEMU's multi-threaded TCG sometimes keeps executing the stale int3
 * translation on the other vCPU, which then traps forever in a function as
 * hot as finish_task_switch(); the guest kernel reports a soft lockup and the
 * run is lost.  Every selftest creates and destroys VMs, so without an anchor
 * the keys flip dozens of times per run.  Real hardware has no such problem;
 * the anchor is only for TCG.
 *
 * It writes its pid to the file named by its only argument once everything
 * is created, then sleeps until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

static int must(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "kvm_anchor: %s: %s\n", what, strerror(errno));
		exit(1);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} apic_base = {
		.hdr.nmsrs = 1,
		/* MSR_IA32_APICBASE: the default base, enable bit (11) clear. */
		.entry = { .index = 0x1b, .data = 0xfee00000 },
	};
	int kvm, vm, vcpu, vm_noapic;
	sigset_t set;
	FILE *f;
	int sig;

	if (argc != 2) {
		fprintf(stderr, "usage: kvm_anchor READY-FILE\n");
		return 2;
	}

	kvm = must(open("/dev/kvm", O_RDWR | O_CLOEXEC), "open /dev/kvm");
	vm = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	must(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	vcpu = must(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	/* KVM_SET_MSRS returns how many MSRs it set. */
	if (must(ioctl(vcpu, KVM_SET_MSRS, &apic_base), "KVM_SET_MSRS") != 1) {
		fprintf(stderr, "kvm_anchor: KVM refused to disable the APIC\n");
		return 1;
	}
	vm_noapic = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM (no irqchip)");
	must(ioctl(vm_noapic, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU (no irqchip)");

	/* Block SIGTERM first: a stop request cannot slip in before sigwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "kvm_anchor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	sigwait(&set, &sig);
	/* Exiting closes the fds; KVM destroys both VMs. */
	return 0;
}
