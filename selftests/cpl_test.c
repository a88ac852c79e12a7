// SPDX-License-Identifier: GPL-2.0
/*
 * cpl_test - guest user space can never reach vmq.
 *
 * A guest at CPL 3 that executes a vmq hypercall gets #GP(0) on the
 * hypercall instruction (vmq calls KVM's exported kvm_require_cpl(), which
 * injects it), RAX stays as it was, nothing is sent, and the VM's ERR_PERM
 * counter rises while every other counter stays. A number outside vmq's
 * range is KVM's business: at CPL 3 KVM answers -KVM_EPERM without a fault.
 * The same send from CPL 0 works before and after.
 *
 * Guest user mode on 6.1's KVM selftest library: the host adds 64-bit user
 * code and data descriptors to the library's GDT, points the TSS's RSP0 at a
 * kernel stack (for the privilege switch on exceptions), sets the U bit in
 * every page-table entry at every level (CR4 has neither SMEP nor SMAP, so
 * the kernel still runs everywhere), and installs #GP and #UD handlers. The
 * guest enters CPL 3 with IRETQ; the user stub issues one hypercall and then
 * UD2. Whichever exception ends the excursion, its handler records what
 * happened and IRETQs to a CPL 0 continuation on a fresh kernel stack, which
 * reports with GUEST_SYNC.
 */
#include "vmqt.h"

#define UD_VEC		6
#define GP_VEC		13

#define KERNEL_CS	0x08		/* the library's selectors */
#define KERNEL_DS	0x10
#define USER_DS_IDX	5		/* 0x18 is the TSS, 16 bytes */
#define USER_CS_IDX	6
#define USER_DS		(USER_DS_IDX << 3 | 3)
#define USER_CS		(USER_CS_IDX << 3 | 3)

#define KVM_EPERM_RET	(-1)		/* -KVM_EPERM, <linux/kvm_para.h> */
#define FOREIGN_NR	0x4d2		/* no KVM_HC_* and not vmq's */
#define MSG_LEN		64
#define MSG_TAG		0xc0ffee

/* Set by the host before the first run. */
static u64 g_dest, g_gpa, g_kstack_top, g_ustack_top;

/* What one user-mode excursion ended with. */
struct excursion {
	u64 vector;		/* GP_VEC, UD_VEC */
	u64 error_code;
	u64 rip;		/* of the faulting instruction */
	u64 cs;			/* CS at the fault */
	u64 rax;		/* RAX at the fault */
	u64 user_cs;		/* CS as the user stub read it */
};

struct excursion g_ex;		/* written by the user stub: not static */
_Static_assert(offsetof(struct excursion, user_cs) == 40, "user stub");
static u64 g_resume;

/*
 * The CPL 3 side. In: RAX..RSI the hypercall, EDI non-zero on AMD. Stores
 * its CS for the host to see, issues the hypercall, and ends with UD2 if
 * the hypercall returned.
 */
extern char vmqt_user_stub[], vmqt_user_vmmcall[], vmqt_user_vmcall[];
asm(".pushsection .text\n"
	"vmqt_user_stub:\n"
	"	mov %cs, %r8\n"
	"	mov %r8, g_ex+40(%rip)\n"	/* offsetof(struct excursion, user_cs) */
	"	test %edi, %edi\n"
	"	jz vmqt_user_vmcall\n"
	"vmqt_user_vmmcall:\n"
	"	vmmcall\n"
	"	ud2\n"
	"vmqt_user_vmcall:\n"
	"	vmcall\n"
	"	ud2\n"
	".popsection\n");

/* Enter the user stub with hypercall @nr; @resume runs at CPL 0 after. */
static void __attribute__((noreturn)) to_user(u64 nr, u64 a0, u64 a1, u64 a2,
					      u64 a3, void (*resume)(void))
{
	u64 amd = vmqg_cpu_is_amd();

	g_resume = (u64)resume;
	memset(&g_ex, 0, sizeof(g_ex));
	asm volatile("pushq %[ss]\n\t"
		     "pushq %[rsp]\n\t"
		     "pushq $0x2\n\t"		/* RFLAGS: interrupts off */
		     "pushq %[cs]\n\t"
		     "pushq %[rip]\n\t"
		     "iretq"
		     : : [ss] "i"(USER_DS), [rsp] "r"(g_ustack_top),
		       [cs] "i"(USER_CS), [rip] "r"(vmqt_user_stub),
		       "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3), "D"(amd)
		     : "memory");
	__builtin_unreachable();
}

/*
 * Record the excursion and return to g_resume at CPL 0 instead of to the
 * user stub. struct ex_regs ends at RFLAGS, but from CPL 3 the CPU pushed
 * RSP and SS right after it: the IRETQ that ends the handler pops them.
 */
static void back_to_kernel(struct ex_regs *regs)
{
	u64 *frame = &regs->rflags;

	g_ex.vector = regs->vector;
	g_ex.error_code = regs->error_code;
	g_ex.rip = regs->rip;
	g_ex.cs = regs->cs;
	g_ex.rax = regs->rax;

	regs->rip = g_resume;
	regs->cs = KERNEL_CS;
	frame[1] = g_kstack_top - 8;	/* as after a call */
	frame[2] = KERNEL_DS;
}

static void guest_done(void)
{
	/* Back at CPL 0: the same send works again. */
	GUEST_SYNC(vmqg_send(g_dest, g_gpa, MSG_LEN, MSG_TAG + 1));
	GUEST_DONE();
}

static void guest_foreign_done(void)
{
	GUEST_SYNC(4);
	guest_done();
}

static void guest_undefined_done(void)
{
	GUEST_SYNC(3);
	to_user(FOREIGN_NR, 0, 0, 0, 0, guest_foreign_done);
}

static void guest_info_done(void)
{
	GUEST_SYNC(2);
	to_user(VMQ_HC_BASE + 0x80, 0, 0, 0, 0, guest_undefined_done);
}

static void guest_send_done(void)
{
	GUEST_SYNC(1);
	to_user(VMQ_HC_INFO, 0, 0, 0, 0, guest_info_done);
}

static void guest_code(void)
{
	GUEST_SYNC(vmqg_send(g_dest, g_gpa, MSG_LEN, MSG_TAG));
	to_user(VMQ_HC_SEND, g_dest, g_gpa, MSG_LEN, MSG_TAG, guest_send_done);
}

/* Set the U bit in every present entry of the page-table page at @gpa. */
static void make_user(struct kvm_vm *vm, vm_paddr_t gpa, int level)
{
	u64 *pte = addr_gpa2hva(vm, gpa);
	int i;

	for (i = 0; i < 512; i++) {
		if (!(pte[i] & PTE_PRESENT_MASK))
			continue;
		pte[i] |= PTE_USER_MASK;
		if (level > 1 && !(pte[i] & PTE_LARGE_MASK))
			make_user(vm, PTE_GET_PFN(pte[i]) * vm->page_size,
				  level - 1);
	}
}

static void setup_user_mode(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	u64 *gdt, rsp0;

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, GP_VEC, back_to_kernel);
	vm_install_exception_handler(vm, UD_VEC, back_to_kernel);

	/* Flat 64-bit code (L=1) and data, DPL 3. */
	gdt = addr_gva2hva(vm, vm->gdt);
	gdt[USER_CS_IDX] = 0x00affb000000ffffULL;
	gdt[USER_DS_IDX] = 0x00cff3000000ffffULL;

	/* Exceptions from CPL 3 switch to TSS.RSP0 (offset 4 in the TSS). */
	rsp0 = vm_vaddr_alloc_pages(vm, 2) + 2 * vm->page_size;
	memcpy((u8 *)addr_gva2hva(vm, vm->tss) + 4, &rsp0, sizeof(rsp0));

	g_kstack_top = vm_vaddr_alloc_pages(vm, 2) + 2 * vm->page_size;
	g_ustack_top = vm_vaddr_alloc_pages(vm, 2) + 2 * vm->page_size;
	sync_global_to_guest(vm, g_kstack_top);
	sync_global_to_guest(vm, g_ustack_top);

	/* Last: every page the library mapped so far becomes user-accessible. */
	make_user(vm, vm->pgd, 4);
}

static bool ok;

#define CHECK(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			ksft_print_msg("%s:%d: " fmt "\n", __FILE__,	\
				       __LINE__, ##__VA_ARGS__);	\
			ok = false;					\
		}							\
	} while (0)

struct world {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	u32 id;
	struct vmqt_gvm b;
	struct vmqt_gmem rx;
	struct vmq_vm_info a0, b0;	/* counters before a stage */
};

static s64 run_stage(struct world *w)
{
	struct ucall uc;

	w->a0 = vmqt_info_of(w->id);
	w->b0 = vmqt_info_of(w->b.id);
	vcpu_run(w->vcpu);
	switch (get_ucall(w->vcpu, &uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("unexpected exit: reason %u (%s), ucall %lu",
			  w->vcpu->run->exit_reason,
			  exit_reason_str(w->vcpu->run->exit_reason), uc.cmd);
	}
	sync_global_from_guest(w->vm, g_ex);
	return uc.args[1];
}

/* A's send with @tag arrived in B's queue. */
static void check_arrived(struct world *w, u64 tag)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&w->rx);

	CHECK(m, "no message in B's queue");
	if (!m)
		return;
	CHECK(m->sender == w->id && m->tag == tag && m->len == MSG_LEN &&
	      vmqt_check_fill(m + 1, MSG_LEN, w->id, 0),
	      "wrong message: sender %u tag %lx len %u", m->sender,
	      (unsigned long)m->tag, m->len);
	vmqt_host_consume(&w->rx, m);
	CHECK(!vmqt_host_pending(&w->rx), "more than one message arrived");
}

/* The excursion ended in #GP(0) on the hypercall, refused by vmq. */
static void check_refused(struct world *w, u64 nr, const char *what)
{
	struct vmq_vm_info a = vmqt_info_of(w->id);
	struct vmq_vm_info b = vmqt_info_of(w->b.id);
	int c;

	CHECK((g_ex.user_cs & 3) == 3, "%s: user stub ran with CS %#lx", what,
	      (unsigned long)g_ex.user_cs);
	CHECK(g_ex.vector == GP_VEC && g_ex.error_code == 0,
	      "%s: vector %lu error code %#lx, expected #GP(0)", what,
	      (unsigned long)g_ex.vector, (unsigned long)g_ex.error_code);
	CHECK(g_ex.rip == (u64)vmqt_user_vmmcall ||
	      g_ex.rip == (u64)vmqt_user_vmcall,
	      "%s: #GP at %#lx, not on the hypercall", what,
	      (unsigned long)g_ex.rip);
	CHECK((g_ex.cs & 3) == 3, "%s: #GP from CS %#lx", what,
	      (unsigned long)g_ex.cs);
	CHECK(g_ex.rax == nr, "%s: RAX %#lx changed", what,
	      (unsigned long)g_ex.rax);
	for (c = 0; c < VMQ_CTR_NR; c++) {
		u64 d = a.counters[c] - w->a0.counters[c];

		CHECK(d == (c == VMQ_CTR_ERR_PERM),
		      "%s: A's counter %d rose by %lu", what, c,
		      (unsigned long)d);
		CHECK(b.counters[c] == w->b0.counters[c],
		      "%s: B's counter %d changed", what, c);
	}
	CHECK(!vmqt_host_pending(&w->rx), "%s: a message arrived", what);
}

int main(void)
{
	struct vmqt_gmem buf;
	struct world w;
	s64 r;

	ksft_print_header();
	ksft_set_plan(6);

	w.b = vmqt_gvm_create();
	vmqt_attach(&w.b, NULL);
	w.rx = vmqt_rx_setup(&w.b, 4096);

	w.vm = vm_create_with_one_vcpu(&w.vcpu, guest_code);
	TEST_ASSERT(!__vmqt_attach(w.vm, NULL, &w.id), "attach");
	vmqt_allow(w.id, w.b.id);
	buf = vmqt_gmem_alloc(w.vm, 4096);
	vmqt_fill(buf.hva, MSG_LEN, w.id, 0);
	g_dest = w.b.id;
	g_gpa = buf.gpa;
	sync_global_to_guest(w.vm, g_dest);
	sync_global_to_guest(w.vm, g_gpa);
	setup_user_mode(w.vm, w.vcpu);

	ok = true;
	r = run_stage(&w);
	CHECK(r == 0, "SEND at CPL 0: %ld", (long)r);
	check_arrived(&w, MSG_TAG);
	ksft_test_result(ok, "SEND at CPL 0 works\n");

	ok = true;
	r = run_stage(&w);
	CHECK(r == 1, "stage %ld, expected 1", (long)r);
	check_refused(&w, VMQ_HC_SEND, "SEND");
	ksft_test_result(ok, "SEND at CPL 3: #GP(0), nothing sent, ERR_PERM\n");

	ok = true;
	r = run_stage(&w);
	CHECK(r == 2, "stage %ld, expected 2", (long)r);
	check_refused(&w, VMQ_HC_INFO, "INFO");
	ksft_test_result(ok, "INFO at CPL 3: #GP(0), registers untouched\n");

	ok = true;
	r = run_stage(&w);
	CHECK(r == 3, "stage %ld, expected 3", (long)r);
	check_refused(&w, VMQ_HC_BASE + 0x80, "undefined vmq number");
	ksft_test_result(ok, "undefined vmq number at CPL 3: #GP(0)\n");

	ok = true;
	r = run_stage(&w);
	CHECK(r == 4, "stage %ld, expected 4", (long)r);
	CHECK(g_ex.vector == UD_VEC && (g_ex.cs & 3) == 3,
	      "KVM number: vector %lu CS %#lx, expected the stub's UD2",
	      (unsigned long)g_ex.vector, (unsigned long)g_ex.cs);
	CHECK(g_ex.rax == (u64)KVM_EPERM_RET, "KVM number: RAX %ld",
	      (long)g_ex.rax);
	CHECK(vmqt_info_of(w.id).counters[VMQ_CTR_ERR_PERM] ==
	      w.a0.counters[VMQ_CTR_ERR_PERM], "KVM number counted by vmq");
	ksft_test_result(ok, "KVM number at CPL 3: KVM's -KVM_EPERM, no #GP\n");

	ok = true;
	r = run_stage(&w);
	CHECK(r == 0, "SEND at CPL 0 after: %ld", (long)r);
	check_arrived(&w, MSG_TAG + 1);
	ksft_test_result(ok, "SEND at CPL 0 works after the refusals\n");

	kvm_vm_free(w.vm);
	vmqt_gvm_free(&w.b);
	ksft_finished();
}
