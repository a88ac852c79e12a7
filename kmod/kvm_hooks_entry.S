/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_hooks_entry.S: the code that runs at the entry of every
 * kvm_emulate_hypercall(), of every VM on the host: hook 1 of kvm_hooks.c,
 * which installs it as an ftrace direct call.
 *
 * It is called from the function's fentry site, before any of KVM's code,
 * with the function's one argument (the vCPU) in %rdi and, on the stack,
 * the return address into kvm_emulate_hypercall() above the one into its
 * caller. Other registers are the caller's scratch registers and are
 * free. A hypercall that vmq_hypercall_claim() does not claim returns into
 * KVM as if nothing had happened: one call and a register read, where an
 * ftrace_ops with IPMODIFY saved and restored a whole pt_regs (twice, as
 * the original was called from vmq). A claimed one drops the return
 * address into KVM and jumps to vmq_hypercall_redirect(), which therefore
 * returns vmq's result to kvm_emulate_hypercall()'s caller; KVM's own
 * code for the call never runs.
 */
#include <linux/linkage.h>
#include <asm/unwind_hints.h>

	/* __vmq_every_exit (kvm_hooks.h). */
	.section .text.vmq_every_exit, "ax"
SYM_CODE_START(vmq_hypercall_entry)
	UNWIND_HINT_FUNC
	pushq	%rdi
	call	vmq_hypercall_claim
	popq	%rdi
	testb	%al, %al
	jnz	.Lclaimed
	RET
.Lclaimed:
	addq	$8, %rsp
	/* As at the entry of a function called by KVM's caller. */
	UNWIND_HINT_FUNC
	jmp	vmq_hypercall_redirect
	int3
SYM_CODE_END(vmq_hypercall_entry)
