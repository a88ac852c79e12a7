// SPDX-License-Identifier: GPL-2.0
/*
 * Command guests: the guest side (vmqt_cmd_guest(), run inside the VM) and
 * the host side that sets them up and drives them. See vmqt_guest.h.
 */
#include <string.h>

#include "test_util.h"

#include "vmqt_ctl.h"
#include "vmqt_guest.h"
#include "vmqt_pt.h"
#include "vmqt_case.h"
#include "vmqt_ring.h"

/* ---- guest side --------------------------------------------------------- */

/* The guest's consumer view of the ring the harness registered for it. */
static struct vmqg_rx guest_rx(struct vmqt_cmd *c)
{
	struct vmqg_rx rx;

	rx.hdr = (struct vmq_ring_hdr *)c->rx_gva;
	rx.data = (u8 *)c->rx_gva + VMQ_RING_HDR_SIZE;
	rx.size = rx.hdr->data_size;
	return rx;
}

/* The producer's view of the transmit ring at @ring, at @c's position. */
static struct vmqg_tx cmd_tx(struct vmqt_cmd *c, void *ring)
{
	struct vmq_tx_hdr *h = ring;

	return (struct vmqg_tx){
		.hdr = h,
		.desc = (void *)((u8 *)ring + VMQ_RING_HDR_SIZE),
		.nr = h->nr_desc,
		.prod = c->tx_prod,
	};
}

struct vmq_tx_desc *vmqt_tx_put(struct vmqt_cmd *c, void *ring, u32 dest,
				u64 gpa, u32 len, u64 tag, u32 flags)
{
	struct vmqg_tx tx = cmd_tx(c, ring);
	struct vmq_tx_desc *d = __vmqg_tx_put(&tx, dest, gpa, len, tag, flags);

	c->tx_prod++;
	return d;
}

static s64 op_read_loop(struct vmqt_cmd *c)
{
	struct vmq_ring_hdr *h = (void *)c->rx_gva;
	u64 seen = 0, i;

	/* Plain loads only: no PAUSE, no exit of any kind. */
	for (i = 0; i < c->loop.n; i++)
		seen += __atomic_load_n(&h->prod_msgs, __ATOMIC_ACQUIRE) -
			__atomic_load_n(&h->cons_msgs, __ATOMIC_RELAXED);
	return seen;
}

static s64 op_tx_mix(struct vmqt_cmd *c)
{
	struct vmqt_op_tx *t = &c->tx;
	s64 err = 0, s;
	u64 i;

	/* No exit between the steps but the sends' own. */
	for (i = 0; i < t->n; i++) {
		u64 gpa = t->gpa + i * t->stride;

		if (i < 64 && (t->mix & (1ULL << i))) {
			s = vmqg_send(t->dest, gpa, t->len, t->tag0 + i);
			if (s && !err)
				err = s;
			continue;
		}
		vmqt_tx_put(c, (void *)c->tx_gva, t->dest, gpa, t->len,
			    t->tag0 + i, 0);
	}
	t->first_err = err;
	return vmqg_tx_flush();
}

static s64 op_pte_flip(struct vmqt_cmd *c)
{
	struct vmqt_op_flip *f = &c->flip;
	u64 k, i;

	for (k = 1; k <= f->n; k++) {
		/* A plain store, as a kernel's set_pte() is. */
		*(volatile u64 *)f->pte_gva = f->pte |
					      (f->first_gpa + (k - 1) * f->stride);
		if (f->counter_gva)
			__atomic_store_n((u64 *)f->counter_gva, k,
					 __ATOMIC_RELEASE);
		for (i = 0; i < f->spin; i++)
			__asm__ __volatile__("pause");
	}
	return 0;
}

static s64 op_copy_loop(struct vmqt_cmd *c)
{
	struct vmqt_op_copy_loop *l = &c->copy_loop;
	u64 *log = (u64 *)l->log_gva;
	__s64 failed = 0, err, r;
	u64 i, j, v;

	for (i = 0; i < l->n; i++) {
		v = l->counter_gva ?
		    __atomic_load_n((u64 *)l->counter_gva, __ATOMIC_ACQUIRE) : 0;
		r = vmqg_copy(l->dest, l->grant, i * l->len, l->src_gva, l->len,
			      0, &err);
		log[i] = v;
		if (r != (s64)l->len || err) {
			log[i] |= VMQT_COPY_LOOP_FAILED;
			failed++;
		}
		if (l->until && v >= l->until) {
			i++;
			break;
		}
		for (j = 0; j < l->spin; j++)
			__asm__ __volatile__("pause");
	}
	l->done = i;
	return failed;
}

static s64 op_send_wait(struct vmqt_cmd *c)
{
	struct vmqt_op_send_wait *w = &c->send_wait;
	struct vmqg_tx tx = cmd_tx(c, (void *)c->tx_gva);
	struct vmq_tx_desc *d;
	s64 r;

	r = vmqg_tx_send_wait(&tx, w->dest, w->gpa, w->len, w->tag,
			      w->timeout_ns, &d);
	if (d) {
		c->tx_prod++;
		w->status = vmqg_tx_status(d);
	}
	return r;
}

static s64 op_info(struct vmqt_cmd *c)
{
	struct vmqg_hc_regs hr = { VMQ_HC_INFO, 0, 0, 0, 0 };

	vmqg_hypercall_regs(&hr);
	c->info.abi_version = hr.rbx;
	c->info.vm_id = hr.rcx;
	c->info.features = hr.rdx;
	c->info.max_msg = hr.rsi;
	return hr.rax;
}

static s64 op_send_loop(struct vmqt_cmd *c)
{
	struct vmqt_op_send_loop *s = &c->send_loop;
	s64 r = 0;
	u64 i;

	for (i = 0; i < s->n; i++) {
		u32 len = vmqt_send_loop_len(s->base_len, i);

		vmqt_fill((void *)s->buf_gva, len, s->fill, i);
		r = vmqg_send(s->dest, s->buf_gpa, len, s->tag0 + i);
		if (r)
			break;
	}
	s->sent = i;
	return r;
}

static s64 op_rx_scan(struct vmqt_cmd *c)
{
	struct vmqg_rx rx = guest_rx(c);
	u64 bytes = 0, recs = 0, tags = 0, i;
	s64 r = 0;

	for (i = 0; i < c->rx_scan.rounds; i++) {
		u32 tail = __atomic_load_n(&rx.hdr->cons_tail, __ATOMIC_RELAXED);
		u32 head = __atomic_load_n(&rx.hdr->prod_head, __ATOMIC_ACQUIRE);

		r += vmqg_rx_pending(&rx);
		bytes += vmqg_rx_pending_bytes(&rx);
		while (tail != head) {
			const struct vmq_msg_hdr *m = (const void *)
				(rx.data + (tail & (rx.size - 1)));

			if (m->type != VMQ_MSG_PAD) {
				recs++;
				tags += m->tag;
			}
			tail += VMQ_MSG_RECORD_SIZE(m->len);
		}
	}
	c->rx_scan.bytes = bytes;
	c->rx_scan.recs = recs;
	c->rx_scan.tags = tags;
	return r;
}

static s64 op_rx_drain(struct vmqt_cmd *c)
{
	struct vmqg_rx rx = guest_rx(c);
	const struct vmq_msg_hdr *m;
	u64 bytes = 0, tags = 0, bad = 0;
	s64 r = 0;

	while ((m = vmqg_rx_peek(&rx))) {
		r++;
		bytes += m->len;
		tags += m->tag;
		bad += !vmqt_check_fill(vmqg_msg_payload(m), m->len, m->sender,
					(u32)m->tag);
		vmqg_rx_consume(&rx, m);
	}
	c->rx_drain.bytes = bytes;
	c->rx_drain.tags = tags;
	c->rx_drain.bad = bad;
	return r;
}

static s64 op_mem(struct vmqt_cmd *c)
{
	u64 *p = (u64 *)c->mem.gva, n = c->mem.bytes / 8, i;

	if (c->op == VMQT_OP_MEM_FILL) {
		for (i = 0; i < n; i++)
			p[i] = vmqt_pattern(c->mem.seed, i);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (p[i] != vmqt_pattern(c->mem.seed, i))
			return i + 1;
	return 0;
}

static s64 cmd_exec(struct vmqt_cmd *c)
{
	struct vmqg_info info;
	s64 r = 0;
	u64 i;

	switch (c->op) {
	case VMQT_OP_HC: {
		struct vmqg_hc_regs regs = {
			c->hc.nr, c->hc.a0, c->hc.a1, c->hc.a2, c->hc.a3,
		};

		vmqg_hypercall_regs(&regs);
		c->hc.rbx = regs.rbx;
		return regs.rax;
	}
	case VMQT_OP_INFO_LOOP:
		for (i = 0; i < c->loop.n; i++)
			r |= vmqg_info(&info);
		return r;
	case VMQT_OP_READ_LOOP:
		return op_read_loop(c);
	case VMQT_OP_TX_POST:
		for (i = 0; i < c->tx.n; i++)
			vmqt_tx_put(c, (void *)c->tx_gva, c->tx.dest,
				    c->tx.gpa + i * c->tx.stride, c->tx.len,
				    c->tx.tag0 + i, 0);
		return c->tx_prod;
	case VMQT_OP_TX_MIX:
		return op_tx_mix(c);
	case VMQT_OP_INFO:
		return op_info(c);
	case VMQT_OP_SEND_LOOP:
		return op_send_loop(c);
	case VMQT_OP_RX_SCAN:
		return op_rx_scan(c);
	case VMQT_OP_RX_DRAIN:
		return op_rx_drain(c);
	case VMQT_OP_TX_DESC:
		/* Published; GUEST_SYNC's exit is the "natural" one. */
		r = c->tx_prod;
		vmqt_tx_put(c, (void *)c->tx_gva, c->desc.dest, c->desc.gpa,
			    c->desc.len, c->desc.tag, c->desc.flags);
		return r;
	case VMQT_OP_MEM_FILL:
	case VMQT_OP_MEM_CHECK:
		return op_mem(c);
	case VMQT_OP_STORE:
		__atomic_store_n((u64 *)c->store.gva, c->store.value,
				 __ATOMIC_RELEASE);
		return 0;
	case VMQT_OP_PTE_FLIP:
		return op_pte_flip(c);
	case VMQT_OP_COPY_LOOP:
		return op_copy_loop(c);
	case VMQT_OP_SEND_WAIT:
		return op_send_wait(c);
	default:
		return -1;
	}
}

void vmqt_cmd_guest(struct vmqt_cmd *c)
{
	for (;;)
		GUEST_SYNC(cmd_exec(c));
}

/* ---- host side ---------------------------------------------------------- */

struct vmqt_gmem vmqt_gmem_alloc(struct kvm_vm *vm, size_t bytes)
{
	struct vmqt_gmem m;

	m.bytes = bytes;
	m.gva = vm_vaddr_alloc(vm, bytes, 0x100000);
	m.gpa = addr_gva2gpa(vm, m.gva);
	m.hva = addr_gva2hva(vm, m.gva);
	/* vm_vaddr_alloc maps page by page: check the pages are contiguous. */
	TEST_ASSERT(addr_gva2gpa(vm, m.gva + bytes - 1) == m.gpa + bytes - 1,
		    "guest buffer not physically contiguous");
	memset(m.hva, 0, bytes);
	return m;
}

/* The command page of @g's vCPU, cleared and passed as its argument. */
static void gvm_cmd_page(struct vmqt_gvm *g)
{
	vm_vaddr_t cmd = vm_vaddr_alloc_page(g->vm);

	g->cmd = addr_gva2hva(g->vm, cmd);
	memset(g->cmd, 0, sizeof(*g->cmd));
	vcpu_args_set(g->vcpu, 1, cmd);
}

struct vmqt_gvm vmqt_gvm_add_vcpu(struct vmqt_gvm *g)
{
	struct vmqt_gvm v = { .vm = g->vm, .id = g->id };
	int n = 0;
	struct kvm_vcpu *c;

	list_for_each_entry(c, &g->vm->vcpus, list)
		n++;
	v.vcpu = vm_vcpu_add(g->vm, n, vmqt_cmd_guest);
	gvm_cmd_page(&v);
	return v;
}

void vmqt_gvm_pte_write(struct vmqt_gvm *g, u64 gva, int level, u64 value)
{
	const u64 ad = PTE_ACCESSED_MASK | PTE_DIRTY_MASK;
	u64 *e = vmqt_pte_of(g->vm, gva, level);

	g->cmd->op = VMQT_OP_PTE_FLIP;
	g->cmd->flip = (struct vmqt_op_flip){
		.pte_gva = vmqt_pte_alias(g->vm, gva, level),
		.pte = value,
		.n = 1,
	};
	TEST_ASSERT(!vmqt_gvm_run(g), "VMQT_OP_PTE_FLIP");
	/* The CPU may have set A or D since; nothing else may differ. */
	TEST_ASSERT(!((*e ^ value) & ~ad), "the guest's PTE write: %#lx, not %#lx",
		    (unsigned long)*e, (unsigned long)value);
}

struct vmqt_gvm vmqt_gvm_create(void)
{
	struct vmqt_gvm g = { 0 };

	g.vm = vm_create_with_one_vcpu(&g.vcpu, vmqt_cmd_guest);
	gvm_cmd_page(&g);
	return g;
}

/*
 * A command guest whose VM has no in-kernel irqchip, so its vCPU has no
 * in-kernel local APIC: __vm_create() without vm_create_irqchip().
 */
struct vmqt_gvm vmqt_gvm_create_no_lapic(void)
{
	struct vmqt_gvm g = { 0 };

	g.vm = ____vm_create(VM_MODE_DEFAULT, 1024);
	kvm_vm_elf_load(g.vm, program_invocation_name);
	g.vcpu = vm_vcpu_add(g.vm, 0, vmqt_cmd_guest);
	gvm_cmd_page(&g);
	return g;
}

void vmqt_gvm_free(struct vmqt_gvm *g)
{
	kvm_vm_free(g->vm);
	g->vm = NULL;
}

s64 vmqt_vcpu_sync(struct kvm_vcpu *vcpu)
{
	struct kvm_regs regs;
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return (s64)uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		vcpu_regs_get(vcpu, &regs);
		TEST_FAIL("unexpected exit: reason %u, ucall %lu, rip %#llx",
			  vcpu->run->exit_reason, uc.cmd, regs.rip);
	}
	return 0;
}

s64 vmqt_gvm_run(struct vmqt_gvm *g)
{
	return vmqt_vcpu_sync(g->vcpu);
}

void vmqt_cmd_set_hc(struct vmqt_cmd *c, u64 nr, u64 a0, u64 a1, u64 a2,
		     u64 a3)
{
	c->op = VMQT_OP_HC;
	c->hc.nr = nr;
	c->hc.a0 = a0;
	c->hc.a1 = a1;
	c->hc.a2 = a2;
	c->hc.a3 = a3;
}

s64 vmqt_gvm_hc(struct vmqt_gvm *g, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
	vmqt_cmd_set_hc(g->cmd, nr, a0, a1, a2, a3);
	return vmqt_gvm_run(g);
}

s64 vmqt_gvm_send(struct vmqt_gvm *g, u32 dest, u64 gpa, u32 len, u64 tag)
{
	return vmqt_gvm_hc(g, VMQ_HC_SEND, dest, gpa, len, tag);
}

s64 vmqt_gvm_send_loop(struct vmqt_gvm *g, struct vmqt_gmem *buf, u32 dest,
		       u64 tag0, u32 n, u32 base_len, u32 fill_id, u32 *sent)
{
	struct vmqt_op_send_loop *s = &g->cmd->send_loop;
	s64 ret;

	g->cmd->op = VMQT_OP_SEND_LOOP;
	s->dest = dest;
	s->buf_gva = buf->gva;
	s->buf_gpa = buf->gpa;
	s->tag0 = tag0;
	s->n = n;
	s->base_len = base_len;
	s->fill = fill_id;
	ret = vmqt_gvm_run(g);
	*sent = s->sent;
	return ret;
}

struct vmqg_info vmqt_gvm_info(struct vmqt_gvm *g)
{
	struct vmqg_info info;
	s64 ret;

	g->cmd->op = VMQT_OP_INFO;
	ret = vmqt_gvm_run(g);
	TEST_ASSERT(!ret, "VMQ_HC_INFO: %ld", (long)ret);
	info.abi_version = g->cmd->info.abi_version;
	info.vm_id = g->cmd->info.vm_id;
	info.features = g->cmd->info.features;
	info.max_msg = g->cmd->info.max_msg;
	return info;
}

s64 vmqt_gvm_natural_exit(struct vmqt_gvm *g)
{
	g->cmd->op = VMQT_OP_INFO_LOOP;
	g->cmd->loop.n = 0;
	return vmqt_gvm_run(g);
}

struct vmqt_gmem vmqt_rx_setup(struct vmqt_gvm *g, u32 data_bytes)
{
	struct vmqt_gmem r = vmqt_gmem_alloc(g->vm, VMQ_RING_HDR_SIZE + data_bytes);
	struct vmq_ring_hdr *h = r.hva;
	s64 ret;

	h->magic = VMQ_RING_MAGIC;
	ret = vmqt_gvm_hc(g, VMQ_HC_QUEUE_REGISTER, r.gpa, r.bytes, 0, 0);
	TEST_ASSERT(!ret, "VMQ_HC_QUEUE_REGISTER: %ld", (long)ret);
	TEST_ASSERT(h->data_size == data_bytes, "data_size %u", h->data_size);
	g->cmd->rx_gva = r.gva;
	return r;
}

struct vmqt_gmem vmqt_tx_setup(struct vmqt_gvm *g, u32 pages)
{
	struct vmqt_gmem t = vmqt_gmem_alloc(g->vm, VMQ_RING_HDR_SIZE +
					     pages * 4096);
	struct vmq_tx_hdr *h = t.hva;
	s64 ret;

	h->magic = VMQ_TX_MAGIC;
	ret = vmqt_gvm_hc(g, VMQ_HC_TX_REGISTER, t.gpa, t.bytes, 0, 0);
	TEST_ASSERT(!ret, "VMQ_HC_TX_REGISTER: %ld", (long)ret);
	TEST_ASSERT(h->nr_desc == pages * 4096 / sizeof(struct vmq_tx_desc),
		    "nr_desc %u", h->nr_desc);
	g->cmd->tx_gva = t.gva;
	g->cmd->tx_prod = 0;
	return t;
}

struct vmqt_tvm vmqt_tvm_new(const char *name, bool adopt, u32 rx_bytes,
			     u32 buf_bytes)
{
	struct vmqt_tvm t;

	vmqt_set_stage("creating VM %s", name ? name : "(unnamed)");
	t.g = vmqt_gvm_create();
	if (adopt)
		t.g.id = vmqt_gvm_info(&t.g).vm_id;
	else
		vmqt_attach(&t.g, name);
	TEST_ASSERT(t.g.id, "VM without an id");
	t.buf = vmqt_gmem_alloc(t.g.vm, buf_bytes);
	memset(&t.rx, 0, sizeof(t.rx));
	if (rx_bytes)
		t.rx = vmqt_rx_setup(&t.g, rx_bytes);
	vmqt_set_stage("-");
	return t;
}

s64 vmqt_tvm_send(struct vmqt_tvm *t, u32 dest, u32 len, u32 n)
{
	s64 r;

	vmqt_fill(t->buf.hva, len, t->g.id, n);
	vmqt_set_stage("VM %u: send to %u", t->g.id, dest);
	r = vmqt_gvm_hc(&t->g, VMQ_HC_SEND, dest, t->buf.gpa, len, n);
	vmqt_set_stage("-");
	return r;
}

void vmqt_tvm_send_ok(struct vmqt_tvm *t, u32 dest, u32 len, u32 n)
{
	s64 r = vmqt_tvm_send(t, dest, len, n);

	TEST_ASSERT(!r, "send %u -> %u, %u bytes: %ld", t->g.id, dest, len,
		    (long)r);
}

void vmqt_one_message(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct vmqt_gmem rb, buf;
	s64 ret;

	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	vmqt_allow(a.id, b.id);
	rb = vmqt_rx_setup(&b, 4096);
	buf = vmqt_gmem_alloc(a.vm, 4096);
	vmqt_fill(buf.hva, 333, a.id, 1);
	ret = vmqt_gvm_send(&a, b.id, buf.gpa, 333, 0xabcdef);
	TEST_ASSERT(!ret, "send: %ld", (long)ret);
	TEST_ASSERT(vmqt_host_expect(&rb, a.id, 0xabcdef, 333, 1) == 0, "seq");
	TEST_ASSERT(!vmqt_host_peek(&rb), "extra message");
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
}
