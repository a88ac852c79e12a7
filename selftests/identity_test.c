// SPDX-License-Identifier: GPL-2.0
/*
 * identity_test - the host introduces two VMs that know nothing of each
 * other (VMQ_CMD_INTRODUCE over generic netlink). Each guest finds a
 * VMQ_MSG_IDENTITY record from sender 0 in its own queue, naming the other
 * VM, and the two then talk using the ids they learned: INTRODUCE allows
 * both directions. VMQ_HC_LOOKUP resolves a name only among the VMs the
 * caller may send to: -ESRCH for a VM that exists but is out of reach, and
 * for a name that does not exist.
 */
#include <stddef.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define RING_DATA	4096
#define MSG_LEN		48

/* Shared with the guest: one page, host writes in, guest writes out. */
struct ident_page {
	u64 gpa;			/* of this page */
	u64 rx_gva, rx_gpa;		/* receive ring: header + RING_DATA */
	char self[VMQ_NAME_MAX];	/* the guest's own name */
	char absent[VMQ_NAME_MAX];	/* exists, not reachable before intro */
	char other[VMQ_NAME_MAX];	/* exists, never reachable */
	char nobody[VMQ_NAME_MAX];	/* no such VM */
	/* Out. */
	s64 lookup_before;		/* absent, before the introduction */
	u32 learned_id;
	char learned_name[VMQ_NAME_MAX];
	s64 lookup_learned;		/* learned_name after it */
	s64 lookup_other, lookup_nobody, lookup_long, lookup_empty;
	u32 got_sender, got_len;
	u64 got_tag;
	u8 got[MSG_LEN];
	u8 out[MSG_LEN];		/* what this guest sends */
};

#define PAGE_GPA(p, field)	((p)->gpa + offsetof(struct ident_page, field))

static s64 guest_lookup(struct ident_page *p, char *name, size_t off)
{
	size_t len;

	/* Bounded, or the compiler makes it strlen(): an IFUNC via the PLT,
	 * which is not relocated in the guest's copy of the image.
	 */
	for (len = 0; len < VMQ_NAME_MAX && name[len]; len++)
		;
	return vmqg_hypercall(VMQ_HC_LOOKUP, p->gpa + off, len, 0, 0);
}

/* Block until something is in the queue, then return the oldest record. */
static const struct vmq_msg_hdr *guest_next(struct vmqg_rx *rx)
{
	const struct vmq_msg_hdr *m;

	while (!(m = vmqg_rx_peek(rx))) {
		s64 r = vmqg_wait(VMQ_WAIT_MAX_NS);

		GUEST_ASSERT(r >= 0);
	}
	return m;
}

/*
 * The KVM library enters guest code with a 16-byte aligned stack pointer,
 * where the ABI has it 8 bytes off; realign, or the compiler's aligned
 * SSE spills fault (a triple fault: the guest has no IDT handler then).
 */
__attribute__((force_align_arg_pointer))
static void guest_code(struct ident_page *p)
{
	const struct vmq_msg_hdr *m;
	const struct vmq_identity *idn;
	struct vmqg_rx rx;
	int i;

	GUEST_ASSERT(!vmqg_rx_register(&rx, (void *)p->rx_gva, p->rx_gpa,
				       VMQ_RING_HDR_SIZE + RING_DATA));
	p->lookup_before = guest_lookup(p, p->absent,
					offsetof(struct ident_page, absent));
	GUEST_SYNC(1);		/* the host introduces us now */

	m = guest_next(&rx);
	GUEST_ASSERT(m->type == VMQ_MSG_IDENTITY);
	GUEST_ASSERT(m->sender == 0);
	GUEST_ASSERT(m->len == sizeof(struct vmq_identity));
	idn = vmqg_msg_payload(m);
	p->learned_id = idn->id;
	for (i = 0; i < VMQ_NAME_MAX; i++)
		p->learned_name[i] = idn->name[i];
	vmqg_rx_consume(&rx, m);

	/* Talk to the VM we just learned of, by the id the host gave us. */
	for (i = 0; i < MSG_LEN; i++)
		p->out[i] = (u8)(p->self[3] * 7 + i);
	GUEST_ASSERT(!vmqg_send(p->learned_id, PAGE_GPA(p, out), MSG_LEN,
				0x1d00 + p->self[3]));
	GUEST_SYNC(2);

	m = guest_next(&rx);
	p->got_sender = m->sender;
	p->got_len = m->len;
	p->got_tag = m->tag;
	GUEST_ASSERT(m->type == VMQ_MSG_DATA);
	for (i = 0; i < MSG_LEN && i < (int)m->len; i++)
		p->got[i] = ((const u8 *)vmqg_msg_payload(m))[i];
	vmqg_rx_consume(&rx, m);

	p->lookup_learned = guest_lookup(p, p->learned_name,
					 offsetof(struct ident_page,
						  learned_name));
	p->lookup_other = guest_lookup(p, p->other,
				       offsetof(struct ident_page, other));
	p->lookup_nobody = guest_lookup(p, p->nobody,
					offsetof(struct ident_page, nobody));
	p->lookup_long = vmqg_hypercall(VMQ_HC_LOOKUP, PAGE_GPA(p, self),
					VMQ_NAME_MAX, 0, 0);
	p->lookup_empty = vmqg_hypercall(VMQ_HC_LOOKUP, PAGE_GPA(p, self), 0,
					 0, 0);
	GUEST_DONE();
}

static void guest_pf(struct ex_regs *regs)
{
	u64 cr2;

	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	ucall(UCALL_SYNC, 3, 0xdead, regs->rip, cr2);
}

struct ivm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ident_page *p;
	u32 id;
};

static struct ivm ivm_create(const char *name, const char *absent,
			     const char *other)
{
	struct vmqt_gmem page, ring;
	struct ivm v;

	v.vm = vm_create_with_one_vcpu(&v.vcpu, guest_code);
	vm_init_descriptor_tables(v.vm);
	vcpu_init_descriptor_tables(v.vcpu);
	vm_install_exception_handler(v.vm, 14, guest_pf);
	page = vmqt_gmem_alloc(v.vm, 4096);
	ring = vmqt_gmem_alloc(v.vm, VMQ_RING_HDR_SIZE + RING_DATA);
	v.p = page.hva;
	v.p->gpa = page.gpa;
	v.p->rx_gva = ring.gva;
	v.p->rx_gpa = ring.gpa;
	snprintf(v.p->self, VMQ_NAME_MAX, "%s", name);
	snprintf(v.p->absent, VMQ_NAME_MAX, "%s", absent);
	snprintf(v.p->other, VMQ_NAME_MAX, "%s", other);
	snprintf(v.p->nobody, VMQ_NAME_MAX, "id-nobody");
	vcpu_args_set(v.vcpu, 1, page.gva);
	TEST_ASSERT(!__vmqt_attach(v.vm, name, &v.id), "attach %s", name);
	return v;
}

static u64 ivm_run(struct ivm *v)
{
	struct ucall uc;

	vcpu_run(v->vcpu);
	switch (get_ucall(v->vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[0] != 0xdead, "#PF at rip %#lx cr2 %#lx",
			    (unsigned long)uc.args[1], (unsigned long)uc.args[2]);
		return uc.args[1];
	case UCALL_DONE:
		return 100;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_UNHANDLED:
		TEST_FAIL("%s: unhandled exception %lu in the guest", v->p->self,
			  (unsigned long)uc.args[0]);
		break;
	default: {
		struct kvm_regs regs;

		vcpu_regs_get(v->vcpu, &regs);
		TEST_FAIL("%s: unexpected exit %u at rip %#llx rsp %#llx",
			  v->p->self, v->vcpu->run->exit_reason, regs.rip,
			  regs.rsp);
	}
	}
	return 0;
}

static void check_learned(struct ivm *v, struct ivm *peer)
{
	struct ident_page *p = v->p;
	int i;

	TEST_ASSERT(p->learned_id == peer->id &&
		    !strcmp(p->learned_name, peer->p->self),
		    "%s learned %u \"%.32s\", expected %u \"%s\"", p->self,
		    p->learned_id, p->learned_name, peer->id, peer->p->self);
	TEST_ASSERT(p->got_sender == peer->id && p->got_len == MSG_LEN &&
		    p->got_tag == 0x1d00u + peer->p->self[3],
		    "%s got sender %u len %u tag %#lx", p->self, p->got_sender,
		    p->got_len, (unsigned long)p->got_tag);
	for (i = 0; i < MSG_LEN; i++)
		TEST_ASSERT(p->got[i] == (u8)(peer->p->self[3] * 7 + i),
			    "%s: byte %d of the peer's message", p->self, i);
}

int main(void)
{
	struct vmqt_gvm c;
	struct vmqt_gmem cbuf;
	struct ivm a, b;
	struct vmqt_nl_vm va, vb;
	struct vmqt_nl v;
	s64 r;

	ksft_print_header();
	vmqt_dev();
	if (vmqt_nl_open(&v))
		ksft_exit_skip("generic netlink family \"vmq\" not found\n");
	ksft_set_plan(6);

	/* a and b have never heard of each other; c can reach a, not back. */
	a = ivm_create("id-a", "id-b", "id-c");
	b = ivm_create("id-b", "id-a", "id-c");
	c = vmqt_gvm_create();
	vmqt_attach(&c, "id-c");
	vmqt_allow(c.id, a.id);

	TEST_ASSERT(ivm_run(&a) == 1 && ivm_run(&b) == 1, "guests not ready");
	ksft_test_result(a.p->lookup_before == -ESRCH &&
			 b.p->lookup_before == -ESRCH,
			 "lookup of an existing VM not allowed: -ESRCH (%ld %ld)\n",
			 (long)a.p->lookup_before, (long)b.p->lookup_before);
	va = vmqt_nl_get_ok(&v, a.id);
	TEST_ASSERT(va.nr_peers == 0, "a has peers before the introduction");

	TEST_ASSERT(!vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, a.id, NULL, 0, "id-b"),
		    "INTRODUCE: %d (%s)", v.err, v.msg);
	va = vmqt_nl_get_ok(&v, a.id);
	vb = vmqt_nl_get_ok(&v, b.id);
	TEST_ASSERT(va.queue_msgs == 1 && vb.queue_msgs == 1,
		    "identity records waiting: %u %u", va.queue_msgs,
		    vb.queue_msgs);
	ksft_test_result(va.nr_peers == 1 && va.peers[0] == b.id &&
			 vb.nr_peers == 1 && vb.peers[0] == a.id,
			 "INTRODUCE allows both directions\n");

	TEST_ASSERT(ivm_run(&a) == 2 && ivm_run(&b) == 2, "guests did not send");
	TEST_ASSERT(ivm_run(&a) == 100 && ivm_run(&b) == 100,
		    "guests did not finish");
	TEST_ASSERT(a.p->learned_id == b.id && b.p->learned_id == a.id,
		    "learned ids %u %u", a.p->learned_id, b.p->learned_id);
	ksft_test_result_pass("each guest got the other's identity from sender 0\n");
	check_learned(&a, &b);
	check_learned(&b, &a);
	va = vmqt_nl_get_ok(&v, a.id);
	vb = vmqt_nl_get_ok(&v, b.id);
	/* Identity records are the host's: not counted as received data. */
	TEST_ASSERT(va.ctr[VMQ_CTR_TX_MSGS] == 1 && va.ctr[VMQ_CTR_RX_MSGS] == 1 &&
		    vb.ctr[VMQ_CTR_TX_MSGS] == 1 && vb.ctr[VMQ_CTR_RX_MSGS] == 1 &&
		    va.queue_msgs == 0 && vb.queue_msgs == 0,
		    "counters after the exchange");
	ksft_test_result_pass("the guests talked with the ids they learned\n");

	TEST_ASSERT(a.p->lookup_learned == b.id && b.p->lookup_learned == a.id,
		    "lookup of the introduced peer: %ld %ld",
		    (long)a.p->lookup_learned, (long)b.p->lookup_learned);
	/* c exists and can reach a, but a may not send to c. */
	TEST_ASSERT(a.p->lookup_other == -ESRCH && b.p->lookup_other == -ESRCH,
		    "lookup of an unreachable VM: %ld %ld",
		    (long)a.p->lookup_other, (long)b.p->lookup_other);
	cbuf = vmqt_gmem_alloc(c.vm, 4096);
	strcpy(cbuf.hva, "id-a");
	r = vmqt_gvm_hc(&c, VMQ_HC_LOOKUP, cbuf.gpa, 4, 0, 0);
	TEST_ASSERT(r == a.id, "c's lookup of id-a: %ld", (long)r);
	strcpy(cbuf.hva, "id-b");
	r = vmqt_gvm_hc(&c, VMQ_HC_LOOKUP, cbuf.gpa, 4, 0, 0);
	TEST_ASSERT(r == -ESRCH, "c's lookup of id-b: %ld", (long)r);
	ksft_test_result_pass("lookup finds reachable peers, -ESRCH for the unreachable\n");

	TEST_ASSERT(a.p->lookup_nobody == -ESRCH && b.p->lookup_nobody == -ESRCH,
		    "lookup of no VM: %ld", (long)a.p->lookup_nobody);
	TEST_ASSERT(a.p->lookup_long == -EINVAL && a.p->lookup_empty == -EINVAL,
		    "lookup lengths: %ld %ld", (long)a.p->lookup_long,
		    (long)a.p->lookup_empty);
	ksft_test_result_pass("lookup of a missing name: -ESRCH; bad length: -EINVAL\n");

	kvm_vm_free(a.vm);
	kvm_vm_free(b.vm);
	vmqt_gvm_free(&c);
	vmqt_nl_close(&v);
	ksft_finished();
}
