// SPDX-License-Identifier: GPL-2.0
/*
 * smoke_test - the selftest build and the sandbox work at all: a VM with one
 * vCPU runs guest code that reports a stage and finishes.  Needs no vmq
 * feature; if this fails, every other result is suspect.
 */
#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}

/* Run the vCPU to its next ucall; a failed guest assert ends the test. */
static uint64_t run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	uint64_t cmd;

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO,
		    "unexpected exit reason: %u (%s)",
		    vcpu->run->exit_reason,
		    exit_reason_str(vcpu->run->exit_reason));

	cmd = get_ucall(vcpu, uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(*uc);
	return cmd;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	ksft_print_header();
	ksft_set_plan(1);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	TEST_ASSERT(run_to_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[1] == 1,
		    "expected GUEST_SYNC(1), got ucall %lu arg %lu",
		    uc.cmd, uc.args[1]);
	TEST_ASSERT(run_to_ucall(vcpu, &uc) == UCALL_DONE,
		    "expected GUEST_DONE, got ucall %lu", uc.cmd);
	kvm_vm_free(vm);

	ksft_test_result_pass("guest ran and finished\n");
	ksft_finished();
}
