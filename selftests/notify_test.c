// SPDX-License-Identifier: GPL-2.0
/*
 * notify_test - the arrival notification: vmq signals the eventfd given with
 * VMQ_IOC_SET_NOTIFY when a message lands in a VM's empty receive queue while
 * the guest has VMQ_RING_F_NOTIFY set in cons_flags.
 *
 * The receiver here is a guest with its local APIC enabled and an interrupt
 * handler that counts interrupts and drains its receive queue, recording
 * each message's sender, tag, length and whether its payload is intact. The
 * VMM (this test) wires the eventfd to that guest's interrupt the way a real
 * VMM would: an MSI route aimed at the vCPU's APIC id and a vector
 * (KVM_SET_GSI_ROUTING), and KVM_IRQFD on the route's GSI. The sender is a
 * command guest (lib/guest.c) in a second VM.
 *
 * What vmq promises, one signal per empty->non-empty transition while the
 * flag is set and none otherwise, is checked exactly: on the eventfd itself
 * (case 2) and with VMQ_CTR_NOTIFIES. The guest must then see at least one
 * interrupt for every signal and none before the first. It may see more:
 * nested under TCG, the interrupt path below vmq (the emulated SVM event
 * injection under the sandbox's KVM) has been seen delivering one MSI twice,
 * once inside STI's shadow; the test says so when it happens.
 */
#include <pthread.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "vmqt.h"
#include "apic.h"

#define NOTIFY_VECTOR	0xe3
#define BACKSTOP_VECTOR	0xd0
/* The local APIC timer (not in this kernel's selftest apic.h). */
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0
#define APIC_TDR_DIV_1	0xb
/* KVM's APIC timer counts at 1 GHz: one second, divider 1. */
#define BACKSTOP_COUNT	1000000000U
#define BACKSTOP_MAX	60
#define NOTIFY_GSI	24
#define RX_DATA_BYTES	(4 * 4096)
#define RACE_RING	(16 * 4096)
#define RACE_LEN	(7 * 4096)	/* a record at most half the ring */
#define RACE_WORK	4
#define MAX_REC		32

/* Commands the receiver guest executes (struct rstate.cmd). */
enum rx_op {
	RC_SETUP,	/* APIC on, register the ring, cons_flags = arg */
	RC_FLAG,	/* cons_flags = arg */
	RC_CONSUME,	/* arg: the interrupt handler drains the queue */
	RC_POLL,	/* open a short interrupt window; returns irq_count */
	RC_HALT,	/* sti; hlt until an interrupt came and the handler has
			 * read arg messages in all; returns irq_count */
	RC_WAIT,	/* VMQ_HC_WAIT, then take the interrupt; returns WAIT's result */
	RC_DRAIN,	/* drain the queue with interrupts off; returns msgs */
};

/* Shared between the receiver guest and the test: one page. */
struct rstate {
	u64 cmd;
	u64 arg;
	u64 ring_gva;
	u64 ring_gpa;
	u64 ring_bytes;
	u32 apic_id;
	u32 consume;
	u64 irq_count;
	u64 irq_msgs;		/* messages the handler read */
	u64 msgs;		/* messages read in all */
	u64 bad;		/* records with a wrong type or payload */
	u64 backstops;		/* HLTs ended by the backstop timer */
	u32 sender[MAX_REC];
	u32 len[MAX_REC];
	u64 tag[MAX_REC];
};

/* Guest-side globals (the guest's own copy of the test image). */
static struct rstate *gst;
static struct vmqg_rx grx;
static u8 gfx[512] __aligned(16);

static noinline void guest_drain(bool in_irq)
{
	const struct vmq_msg_hdr *m;

	while ((m = vmqg_rx_peek(&grx))) {
		u64 i = gst->msgs;

		if (i < MAX_REC) {
			gst->sender[i] = m->sender;
			gst->len[i] = m->len;
			gst->tag[i] = m->tag;
		}
		if (m->type != VMQ_MSG_DATA ||
		    !vmqt_check_fill(vmqg_msg_payload(m), m->len, m->sender,
				     (u32)m->tag))
			gst->bad++;
		gst->msgs++;
		if (in_irq)
			gst->irq_msgs++;
		vmqg_rx_consume(&grx, m);
	}
}

/*
 * The handlers in the selftest library save only general registers; the
 * interrupted code may have live SSE state, so keep it around the C code.
 */
static void guest_notify_irq(struct ex_regs *regs)
{
	__asm__ __volatile__("fxsave64 %0" : "=m"(gfx));
	gst->irq_count++;
	if (gst->consume)
		guest_drain(true);
	__asm__ __volatile__("fxrstor64 %0" : : "m"(gfx));
	xapic_write_reg(APIC_EOI, 0);
}

static void guest_backstop_irq(struct ex_regs *regs)
{
	gst->backstops++;
	xapic_write_reg(APIC_EOI, 0);
}

/*
 * Halt until an arrival interrupt has been handled, and until the handler
 * has read @msgs messages in all (0: no such condition). "sti; hlt" cannot
 * miss an interrupt on hardware: none is taken in STI's shadow. Nested
 * under TCG, the arrival interrupt has (rarely) been seen taken there, and
 * the HLT after it then slept with nothing left to wake it. A one-second
 * APIC timer ends such a HLT; the loop still ends only once the arrival
 * interrupt's handler has run, and fails after BACKSTOP_MAX timers.
 */
static void guest_halt_for_irq(struct rstate *st, u64 before, u64 msgs)
{
	u32 n = 0;

	while (READ_ONCE(st->irq_count) == before ||
	       READ_ONCE(st->irq_msgs) < msgs) {
		GUEST_ASSERT(n++ < BACKSTOP_MAX);
		xapic_write_reg(APIC_TMICT, BACKSTOP_COUNT);
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	}
	xapic_write_reg(APIC_TMICT, 0);
}

static void rx_guest(struct rstate *st)
{
	gst = st;
	for (;;) {
		s64 r = 0;
		u64 before;

		switch (st->cmd) {
		case RC_SETUP:
			xapic_enable();
			xapic_write_reg(APIC_TDCR, APIC_TDR_DIV_1);
			xapic_write_reg(APIC_LVTT, BACKSTOP_VECTOR); /* one-shot */
			st->apic_id = GET_APIC_ID_FIELD(xapic_read_reg(APIC_ID));
			r = vmqg_rx_register(&grx, (void *)st->ring_gva,
					     st->ring_gpa, st->ring_bytes);
			vmqg_rx_set_notify(&grx, st->arg);
			break;
		case RC_FLAG:
			vmqg_rx_set_notify(&grx, st->arg);
			break;
		case RC_CONSUME:
			st->consume = st->arg;
			break;
		case RC_POLL:
			__asm__ __volatile__("sti; nop; nop; nop; cli" : : : "memory");
			r = st->irq_count;
			break;
		case RC_HALT:
			before = st->irq_count;
			guest_halt_for_irq(st, before, st->arg);
			r = st->irq_count;
			break;
		case RC_WAIT:
			before = st->irq_count;
			do {
				r = vmqg_wait(VMQ_WAIT_MAX_NS);
				GUEST_ASSERT(r >= 0);
			} while (r == 0 && !vmqg_rx_pending(&grx));
			guest_halt_for_irq(st, before, 0);
			break;
		case RC_DRAIN:
			guest_drain(false);
			r = st->msgs;
			break;
		default:
			r = -1;
		}
		GUEST_SYNC(r);
	}
}

struct rvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct rstate *st;
	struct vmqt_gmem ring;
	u32 id;
};

struct ctx {
	struct rvm r;
	struct vmqt_gvm s;
	struct vmqt_gmem buf;
	int efd;
};

static s64 rx_run(struct rvm *r)
{
	struct ucall uc;

	vcpu_run(r->vcpu);
	switch (get_ucall(r->vcpu, &uc)) {
	case UCALL_SYNC:
		return (s64)uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_UNHANDLED:
		TEST_FAIL("receiver: unexpected vector %lu", uc.args[0]);
		break;
	default:
		TEST_FAIL("receiver: unexpected exit: reason %u, ucall %lu",
			  r->vcpu->run->exit_reason, uc.cmd);
	}
	return 0;
}

static s64 rx_cmd(struct rvm *r, u64 cmd, u64 arg)
{
	r->st->cmd = cmd;
	r->st->arg = arg;
	return rx_run(r);
}

static void rx_create(struct rvm *r)
{
	vm_vaddr_t st;

	r->vm = vm_create_with_one_vcpu(&r->vcpu, rx_guest);
	vm_init_descriptor_tables(r->vm);
	vcpu_init_descriptor_tables(r->vcpu);
	vm_install_exception_handler(r->vm, NOTIFY_VECTOR, guest_notify_irq);
	vm_install_exception_handler(r->vm, BACKSTOP_VECTOR, guest_backstop_irq);
	virt_pg_map(r->vm, APIC_DEFAULT_GPA, APIC_DEFAULT_GPA);
	st = vm_vaddr_alloc_page(r->vm);
	r->st = addr_gva2hva(r->vm, st);
	memset(r->st, 0, sizeof(*r->st));
	vcpu_args_set(r->vcpu, 1, st);
	r->ring = vmqt_gmem_alloc(r->vm, VMQ_RING_HDR_SIZE + RX_DATA_BYTES);
	r->st->ring_gva = r->ring.gva;
	r->st->ring_gpa = r->ring.gpa;
	r->st->ring_bytes = r->ring.bytes;
	TEST_ASSERT(!__vmqt_attach(r->vm, NULL, &r->id), "attach receiver");
}

static int __set_notify(u32 id, int fd)
{
	struct vmq_notify n = { .id = id, .eventfd = fd };

	return ioctl(vmqt_dev(), VMQ_IOC_SET_NOTIFY, &n) ? -errno : 0;
}

static void set_notify(u32 id, int fd)
{
	int ret = __set_notify(id, fd);

	TEST_ASSERT(!ret, "VMQ_IOC_SET_NOTIFY(%u, %d): %d", id, fd, ret);
}

/* The VMM's part: eventfd -> MSI (APIC id, vector) on the receiver's vCPU. */
static void wire_irqfd(struct kvm_vm *vm, int efd, u32 apic_id)
{
	struct kvm_irq_routing *rt = kvm_gsi_routing_create();
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = NOTIFY_GSI };

	rt->entries[0].gsi = NOTIFY_GSI;
	rt->entries[0].type = KVM_IRQ_ROUTING_MSI;
	/* Physical destination mode, fixed delivery, edge triggered. */
	rt->entries[0].u.msi.address_lo = APIC_DEFAULT_GPA | (apic_id << 12);
	rt->entries[0].u.msi.address_hi = 0;
	rt->entries[0].u.msi.data = NOTIFY_VECTOR;
	rt->nr = 1;
	kvm_gsi_routing_write(vm, rt);
	vm_ioctl(vm, KVM_IRQFD, &irqfd);
}

/* Receiver with an interrupt-wired notification, sender allowed to it. */
static void ctx_setup(struct ctx *c, bool flag)
{
	rx_create(&c->r);
	TEST_ASSERT(rx_cmd(&c->r, RC_SETUP, flag) == 0, "receiver registration");
	TEST_ASSERT(c->r.st->apic_id == 0, "APIC id %u", c->r.st->apic_id);

	c->s = vmqt_gvm_create();
	vmqt_attach(&c->s, NULL);
	vmqt_allow(c->s.id, c->r.id);
	c->buf = vmqt_gmem_alloc(c->s.vm, 4096);

	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(c->efd >= 0, "eventfd");
	wire_irqfd(c->r.vm, c->efd, c->r.st->apic_id);
	set_notify(c->r.id, c->efd);
}

static u64 notifies(struct ctx *c)
{
	return vmqt_ctr(c->r.id, VMQ_CTR_NOTIFIES);
}

static void ctx_free(struct ctx *c)
{
	u64 n = notifies(c);

	if (c->r.st->irq_count > n)
		ksft_print_msg("receiver: %lu interrupts for %lu signals (redelivered below vmq)\n",
			       (unsigned long)c->r.st->irq_count, (unsigned long)n);
	if (c->r.st->backstops)
		ksft_print_msg("receiver: %lu HLT(s) ended by the backstop timer\n",
			       (unsigned long)c->r.st->backstops);
	kvm_vm_free(c->r.vm);
	vmqt_gvm_free(&c->s);
	close(c->efd);
}

static u32 msg_len(u32 tag)
{
	return 64 + tag * 40;
}

/* One message from the sender, tag @tag; it must be accepted. */
static void send_one(struct ctx *c, u32 tag)
{
	u32 len = msg_len(tag);
	s64 ret;

	vmqt_fill(c->buf.hva, len, c->s.id, tag);
	ret = vmqt_gvm_hc(&c->s, VMQ_HC_SEND, c->r.id, c->buf.gpa, len, tag);
	TEST_ASSERT(ret == 0, "VMQ_HC_SEND tag %u: %ld", tag, (long)ret);
}

/* Message @i the receiver recorded is tag @tag from our sender, intact. */
static void check_rec(struct ctx *c, u64 i, u32 tag)
{
	struct rstate *st = c->r.st;

	TEST_ASSERT(st->msgs > i, "receiver read %lu messages, want > %lu",
		    st->msgs, i);
	TEST_ASSERT(st->sender[i] == c->s.id, "msg %lu: sender %u, want %u",
		    i, st->sender[i], c->s.id);
	TEST_ASSERT(st->tag[i] == tag, "msg %lu: tag %lu, want %u",
		    i, st->tag[i], tag);
	TEST_ASSERT(st->len[i] == msg_len(tag), "msg %lu: len %u, want %u",
		    i, st->len[i], msg_len(tag));
	TEST_ASSERT(!st->bad, "receiver saw %lu bad records", st->bad);
}

/* --- SET_NOTIFY errors ---------------------------------------------------- */

static void case_errors(void)
{
	struct vmqt_gvm g = vmqt_gvm_create();
	int efd = eventfd(0, EFD_CLOEXEC), pfd[2], bad;
	u32 none;

	TEST_ASSERT(efd >= 0 && !pipe(pfd), "eventfd, pipe");
	vmqt_attach(&g, NULL);
	/* An id vmq has not handed out (ids are never reused). */
	none = g.id + 1000000;

	TEST_ASSERT(__set_notify(none, efd) == -ESRCH, "unknown id: want -ESRCH");
	TEST_ASSERT(__set_notify(none, -1) == -ESRCH, "unknown id, -1: want -ESRCH");
	TEST_ASSERT(__set_notify(0, efd) == -ESRCH, "id 0: want -ESRCH");

	bad = dup(efd);
	TEST_ASSERT(bad >= 0 && !close(bad), "dup/close");
	TEST_ASSERT(__set_notify(g.id, bad) == -EBADF, "closed fd: want -EBADF");
	TEST_ASSERT(__set_notify(g.id, 0x7ffffff0) == -EBADF,
		    "huge fd: want -EBADF");

	TEST_ASSERT(__set_notify(g.id, pfd[0]) == -EINVAL,
		    "pipe fd: want -EINVAL");
	TEST_ASSERT(__set_notify(g.id, g.vm->fd) == -EINVAL,
		    "KVM fd: want -EINVAL");
	TEST_ASSERT(__set_notify(g.id, -2) == -EINVAL, "fd -2: want -EINVAL");

	TEST_ASSERT(__set_notify(g.id, efd) == 0, "set: want 0");
	TEST_ASSERT(__set_notify(g.id, efd) == 0, "set again: want 0");
	TEST_ASSERT(__set_notify(g.id, -1) == 0, "remove: want 0");
	TEST_ASSERT(__set_notify(g.id, -1) == 0, "remove again: want 0");
	/* Left set on purpose: VM teardown must drop the eventfd. */
	TEST_ASSERT(__set_notify(g.id, efd) == 0, "set: want 0");
	vmqt_gvm_free(&g);
	close(efd);
	close(pfd[0]);
	close(pfd[1]);
}

/* --- the eventfd alone: exactly one signal per empty->non-empty ----------- */

static u64 efd_read(int efd)
{
	u64 v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v)) {
		TEST_ASSERT(errno == EAGAIN, "eventfd read: %d", errno);
		return 0;
	}
	return v;
}

static void host_drain(struct vmqt_gmem *ring, u32 sender, u32 *n)
{
	const struct vmq_msg_hdr *m;

	while ((m = vmqt_host_peek(ring))) {
		TEST_ASSERT(m->sender == sender && m->type == VMQ_MSG_DATA,
			    "sender %u type %u", m->sender, m->type);
		TEST_ASSERT(vmqt_check_fill(m + 1, m->len, sender, (u32)m->tag),
			    "payload of tag %lu", (unsigned long)m->tag);
		vmqt_host_consume(ring, m);
		(*n)++;
	}
}

static void case_eventfd(void)
{
	struct vmqt_gvm r = vmqt_gvm_create();
	struct ctx c = { 0 };
	struct vmqt_gmem ring;
	struct vmq_ring_hdr *h;
	u32 got = 0, tag = 0;
	int i;

	vmqt_attach(&r, NULL);
	ring = vmqt_rx_setup(&r, RX_DATA_BYTES);
	h = ring.hva;
	c.s = vmqt_gvm_create();
	vmqt_attach(&c.s, NULL);
	vmqt_allow(c.s.id, r.id);
	c.buf = vmqt_gmem_alloc(c.s.vm, 4096);
	c.r.id = r.id;
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(c.efd >= 0, "eventfd");

	/* Flag set but no eventfd yet: nothing to signal, nothing counted. */
	__atomic_store_n(&h->cons_flags, VMQ_RING_F_NOTIFY, __ATOMIC_RELEASE);
	send_one(&c, tag++);
	TEST_ASSERT(notifies(&c) == 0, "notified without an eventfd");
	host_drain(&ring, c.s.id, &got);

	set_notify(r.id, c.efd);
	/* Three sends into an empty queue, nothing consumed: one signal. */
	for (i = 0; i < 3; i++)
		send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 1, "3 sends into an empty queue: want 1 signal");
	TEST_ASSERT(notifies(&c) == 1, "NOTIFIES %lu, want 1", notifies(&c));

	/* Consume everything: the next send is a new transition. */
	host_drain(&ring, c.s.id, &got);
	send_one(&c, tag++);
	send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 1, "after draining: want 1 signal");
	TEST_ASSERT(notifies(&c) == 2, "NOTIFIES %lu, want 2", notifies(&c));

	/* Partly consumed: still not empty, no signal. */
	vmqt_host_consume(&ring, vmqt_host_peek(&ring));
	got++;
	send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 0, "non-empty queue signalled");

	/* Flag clear: no signal. */
	host_drain(&ring, c.s.id, &got);
	__atomic_store_n(&h->cons_flags, 0, __ATOMIC_RELEASE);
	send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 0, "signalled with the flag clear");
	TEST_ASSERT(notifies(&c) == 2, "NOTIFIES %lu, want 2", notifies(&c));

	/* Flag set again, eventfd removed: no signal. */
	host_drain(&ring, c.s.id, &got);
	__atomic_store_n(&h->cons_flags, VMQ_RING_F_NOTIFY, __ATOMIC_RELEASE);
	set_notify(r.id, -1);
	send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 0, "signalled after removal");
	TEST_ASSERT(notifies(&c) == 2, "NOTIFIES %lu, want 2", notifies(&c));

	/* And back. */
	host_drain(&ring, c.s.id, &got);
	set_notify(r.id, c.efd);
	send_one(&c, tag++);
	TEST_ASSERT(efd_read(c.efd) == 1, "re-added eventfd: want 1 signal");
	TEST_ASSERT(notifies(&c) == 3, "NOTIFIES %lu, want 3", notifies(&c));
	host_drain(&ring, c.s.id, &got);
	TEST_ASSERT(got == tag, "drained %u of %u messages", got, tag);

	vmqt_gvm_free(&r);
	vmqt_gvm_free(&c.s);
	close(c.efd);
}

/*
 * A consumer that drains the queue while vmq is writing a record into it,
 * then goes to sleep, must still be woken: the record lands in a queue the
 * consumer had emptied. The host plays the guest's consumer (the ring
 * contract's sleep protocol: store cons_tail, full barrier, reread
 * prod_head, sleep on the eventfd); the sender streams records as large
 * as the ring allows, so that vmq is copying one most of the time. A
 * wake-up lost is a consumer asleep over a non-empty queue that no signal
 * comes for: the wait times out (a hang detector, not a time limit on
 * anything that works).
 */
struct race_sender {
	struct vmqt_gvm *s;
	struct vmqt_gmem *buf;
	u32 dest, n, sent;
};

static void *race_send(void *arg)
{
	struct race_sender *rs = arg;
	u32 sent;
	s64 r;

	while (rs->sent < rs->n) {
		r = vmqt_gvm_send_loop(rs->s, rs->buf, rs->dest, rs->sent,
				       rs->n - rs->sent, RACE_LEN, rs->s->id,
				       &sent);
		rs->sent += sent;
		TEST_ASSERT(!r || r == -EAGAIN, "race sender: %ld", (long)r);
		if (r)
			sched_yield();
	}
	return NULL;
}

static void case_race(void)
{
	const u32 n = 4000;
	struct vmqt_gvm r = vmqt_gvm_create(), s = vmqt_gvm_create();
	struct race_sender rs = { .s = &s, .n = n };
	struct vmqt_gmem ring, buf;
	struct vmq_ring_hdr *h;
	u32 got = 0, sleeps = 0;
	u64 sum = 0;
	pthread_t t;
	int efd, ret;

	vmqt_attach(&r, NULL);
	vmqt_attach(&s, NULL);
	vmqt_allow(s.id, r.id);
	ring = vmqt_rx_setup(&r, RACE_RING);
	h = ring.hva;
	buf = vmqt_gmem_alloc(s.vm, RACE_LEN + 8 * 17 + 4096);
	rs.buf = &buf;
	rs.dest = r.id;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	set_notify(r.id, efd);
	__atomic_store_n(&h->cons_flags, VMQ_RING_F_NOTIFY, __ATOMIC_RELEASE);

	TEST_ASSERT(!pthread_create(&t, NULL, race_send, &rs), "sender");
	while (got < n) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		const struct vmq_msg_hdr *m;

		while ((m = vmqt_host_peek(&ring))) {
			const u8 *b = (const u8 *)(m + 1);
			u32 i;

			TEST_ASSERT(m->tag == got, "tag %lu, want %u",
				    (unsigned long)m->tag, got);
			/*
			 * A consumer reads what it receives, here about as
			 * long as the sender takes to make the next record.
			 */
			for (i = 0; i < RACE_WORK * m->len; i++)
				sum += b[i % m->len];
			vmqt_host_consume(&ring, m);
			got++;
		}
		if (got == n)
			break;
		/* cons_tail is stored: now look again, then sleep. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (vmqt_host_peek(&ring))
			continue;
		sleeps++;
		do {
			ret = poll(&p, 1, 20000);
		} while (ret < 0 && errno == EINTR);
		TEST_ASSERT(ret == 1,
			    "no signal for 20 s after %u of %u messages, queue %s (a wake-up was lost)",
			    got, n, vmqt_host_peek(&ring) ? "not empty" : "empty");
		efd_read(efd);
	}
	pthread_join(t, NULL);
	ksft_print_msg("%u messages (byte sum %lu), the consumer slept %u times\n",
		       n, (unsigned long)sum, sleeps);
	set_notify(r.id, -1);
	close(efd);
	vmqt_gvm_free(&r);
	vmqt_gvm_free(&s);
}

/* --- interrupts ------------------------------------------------------------- */

struct halt_arg {
	struct rvm *r;
	u64 msgs;
};

static void *rx_thread(void *arg)
{
	struct halt_arg *h = arg;

	return (void *)(uintptr_t)rx_cmd(h->r, RC_HALT, h->msgs);
}

static void *rx_wait_thread(void *arg)
{
	struct rvm *r = arg;

	return (void *)(uintptr_t)rx_cmd(r, RC_WAIT, 0);
}

/*
 * The receiver idles in HLT on its own vCPU thread; each message into its
 * empty queue interrupts it and the handler reads the message.
 */
static void case_irq_halt(void)
{
	struct ctx c = { 0 };
	u32 i;

	ctx_setup(&c, true);
	rx_cmd(&c.r, RC_CONSUME, 1);
	for (i = 0; i < 3; i++) {
		struct halt_arg h = { &c.r, i + 1 };
		pthread_t t;
		void *res;

		TEST_ASSERT(!pthread_create(&t, NULL, rx_thread, &h), "thread");
		send_one(&c, i);
		/* Signalled from inside the send: otherwise HLT never ends. */
		TEST_ASSERT(notifies(&c) == i + 1, "NOTIFIES %lu, want %u",
			    notifies(&c), i + 1);
		pthread_join(t, &res);
		TEST_ASSERT((uintptr_t)res >= i + 1, "irq_count %lu, want %u",
			    (unsigned long)(uintptr_t)res, i + 1);
		TEST_ASSERT(c.r.st->irq_msgs == i + 1,
			    "handler read %lu messages, want %u",
			    c.r.st->irq_msgs, i + 1);
		check_rec(&c, i, i);
	}
	/* Nothing else signalled. */
	TEST_ASSERT(rx_cmd(&c.r, RC_POLL, 0) >= 3, "interrupts lost");
	TEST_ASSERT(notifies(&c) == 3, "NOTIFIES %lu, want 3", notifies(&c));
	ctx_free(&c);
}

/* Idling in VMQ_HC_WAIT instead: the interrupt arrives all the same. */
static void case_irq_wait(void)
{
	struct ctx c = { 0 };
	pthread_t t;
	void *res;

	ctx_setup(&c, true);
	rx_cmd(&c.r, RC_CONSUME, 1);
	TEST_ASSERT(!pthread_create(&t, NULL, rx_wait_thread, &c.r), "thread");
	send_one(&c, 7);
	pthread_join(t, &res);
	TEST_ASSERT(c.r.st->irq_count >= 1, "irq_count %lu, want 1",
		    c.r.st->irq_count);
	TEST_ASSERT(c.r.st->irq_msgs == 1, "handler read %lu messages",
		    c.r.st->irq_msgs);
	check_rec(&c, 0, 7);
	TEST_ASSERT(notifies(&c) == 1, "NOTIFIES %lu, want 1", notifies(&c));
	ctx_free(&c);
}

/* One interrupt per empty->non-empty transition, not per message. */
static void case_irq_once(void)
{
	struct ctx c = { 0 };
	u32 i;

	ctx_setup(&c, true);
	/* The handler only counts: the queue stays non-empty. */
	send_one(&c, 0);
	TEST_ASSERT(rx_cmd(&c.r, RC_HALT, 0) >= 1, "first interrupt");
	send_one(&c, 1);
	TEST_ASSERT(notifies(&c) == 1, "signal for a non-empty queue");
	send_one(&c, 2);
	TEST_ASSERT(notifies(&c) == 1, "NOTIFIES %lu, want 1", notifies(&c));

	TEST_ASSERT(rx_cmd(&c.r, RC_DRAIN, 0) == 3, "receiver read 3");
	for (i = 0; i < 3; i++)
		check_rec(&c, i, i);

	/* Empty again: the next message interrupts again. */
	send_one(&c, 3);
	send_one(&c, 4);
	TEST_ASSERT(rx_cmd(&c.r, RC_HALT, 0) >= 2, "second interrupt");
	TEST_ASSERT(notifies(&c) == 2, "NOTIFIES %lu, want 2", notifies(&c));
	TEST_ASSERT(rx_cmd(&c.r, RC_DRAIN, 0) == 5, "receiver read 5");
	check_rec(&c, 3, 3);
	check_rec(&c, 4, 4);
	TEST_ASSERT(c.r.st->irq_msgs == 0, "handler drained");
	ctx_free(&c);
}

/* No interrupt with the flag clear, none once the eventfd is removed. */
static void case_irq_off(void)
{
	struct ctx c = { 0 };

	ctx_setup(&c, false);
	rx_cmd(&c.r, RC_CONSUME, 1);
	send_one(&c, 0);
	TEST_ASSERT(rx_cmd(&c.r, RC_POLL, 0) == 0, "interrupt with the flag clear");
	TEST_ASSERT(notifies(&c) == 0, "NOTIFIES %lu, want 0", notifies(&c));
	TEST_ASSERT(rx_cmd(&c.r, RC_DRAIN, 0) == 1, "receiver read 1");
	check_rec(&c, 0, 0);

	/* Flag set: interrupts. */
	rx_cmd(&c.r, RC_FLAG, 1);
	send_one(&c, 1);
	TEST_ASSERT(rx_cmd(&c.r, RC_HALT, 1) >= 1, "interrupt with the flag set");
	check_rec(&c, 1, 1);

	/* Eventfd removed: the flag alone does nothing. */
	set_notify(c.r.id, -1);
	send_one(&c, 2);
	TEST_ASSERT(notifies(&c) == 1, "signal after removal: NOTIFIES %lu, want 1",
		    notifies(&c));
	TEST_ASSERT(rx_cmd(&c.r, RC_DRAIN, 0) == 3, "receiver read 3");
	check_rec(&c, 2, 2);

	/* Given back: interrupts again. */
	set_notify(c.r.id, c.efd);
	send_one(&c, 3);
	TEST_ASSERT(rx_cmd(&c.r, RC_HALT, 2) >= 2, "interrupt after re-adding");
	TEST_ASSERT(c.r.st->msgs == 4, "receiver read %lu", c.r.st->msgs);
	check_rec(&c, 3, 3);
	TEST_ASSERT(notifies(&c) == 2, "NOTIFIES %lu, want 2", notifies(&c));
	ctx_free(&c);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7);
	vmqt_dev();

	vmqt_run_case("SET_NOTIFY errors: -ESRCH, -EBADF, -EINVAL", case_errors);
	vmqt_run_case("eventfd: one signal per empty->non-empty, flag and removal",
		      case_eventfd);
	vmqt_run_case("a consumer that sleeps while a record is written is woken",
		      case_race);
	vmqt_run_case("interrupt wakes a halted receiver; handler reads the message",
		      case_irq_halt);
	vmqt_run_case("interrupt reaches a receiver blocked in VMQ_HC_WAIT",
		      case_irq_wait);
	vmqt_run_case("one interrupt per empty->non-empty transition",
		      case_irq_once);
	vmqt_run_case("no interrupt with the flag clear or the eventfd removed",
		      case_irq_off);

	ksft_finished();
}
