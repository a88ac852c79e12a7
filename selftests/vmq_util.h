/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_util.h: helpers shared by vmq's KVM selftests.
 *
 * Most tests drive "command guests": a guest loops executing the command the
 * host wrote into a page of its memory and reports the result with
 * GUEST_SYNC. The host reads receive rings directly through their host
 * mapping, which is exactly what the guest would see, and checks every
 * byte, sender id, tag and sequence number.
 */
#ifndef _VMQ_UTIL_H
#define _VMQ_UTIL_H

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include <vmq_guest.h>

/*
 * The runner reads tests through a pipe: line-buffer stdout so a test that
 * stalls has shown how far it got, and so a forked case inherits no
 * unflushed output to print a second time.
 */
static void __attribute__((constructor)) vmqt_stdout_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Commands a command guest executes. */
enum vmqt_op {
	OP_HC,			/* raw hypercall: a[0] nr, a[1..4] args */
	OP_INFO_LOOP,		/* a[0] VMQ_HC_INFO calls */
	OP_READ_LOOP,		/* a[0] rounds of reading the queue, no exits */
	OP_TX_POST,		/* a[0] dest, a[1] gpa, a[2] len, a[3] tag0, a[4] n */
	OP_INFO,		/* VMQ_HC_INFO; out[0..3] = RBX, RCX, RDX, RSI */
	/*
	 * OP_SEND_LOOP: a[0] dest, a[1] buffer gva, a[2] buffer gpa, a[3] tag0,
	 * a[4] n, x[0] base length, x[1] fill id; see vmqt_send_loop_len().
	 */
	OP_SEND_LOOP,
	OP_RX_SCAN,		/* a[0] rounds of reading the whole queue, no exits */
	OP_RX_DRAIN,		/* consume every message, no exits */
	OP_TX_MIX,		/* as OP_TX_POST, message i by VMQ_HC_SEND if
				 * bit i of tx_mix; then VMQ_HC_TX_FLUSH
				 * (its result is r), out[0] = first failed
				 * VMQ_HC_SEND result or 0 */
};

struct vmqt_cmd {
	u64 op;
	u64 a[5];
	/* Guest-side views, set up by OP_HC registrations' callers. */
	u64 rx_gva;		/* receive ring, for OP_READ_LOOP */
	u64 tx_gva;		/* transmit ring, for OP_TX_POST */
	u64 tx_prod;
	u64 out[4];		/* extra results */
	u64 x[4];		/* more arguments, for ops that need them */
	u64 tx_stride;		/* OP_TX_*: message i at a[1] + i * tx_stride */
	u64 tx_mix;		/* OP_TX_MIX: immediate sends, bit per message */
};

/*
 * Payload convention of OP_SEND_LOOP and OP_RX_DRAIN: message @n of a loop
 * is vmqt_send_loop_len(base, n) bytes of vmqt_fill(fill id, n), tag tag0 + n.
 */
static inline u32 vmqt_send_loop_len(u64 base, u64 n)
{
	return base + (n % 8) * 17;
}

struct vmqt_gvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct vmqt_cmd *cmd;	/* host view of the command page */
	u32 id;
};

/* Guest memory the test can see from both sides. */
struct vmqt_gmem {
	vm_vaddr_t gva;
	vm_paddr_t gpa;
	void *hva;
	size_t bytes;
};

/* Payload pattern helpers (below), used by guest code too. */
static inline void vmqt_fill(void *buf, u32 len, u32 s, u32 n);
static inline bool vmqt_check_fill(const void *buf, u32 len, u32 s, u32 n);

/* The guest's consumer view of the ring the harness registered for it. */
static inline struct vmqg_rx vmqt_guest_rx(struct vmqt_cmd *c)
{
	struct vmqg_rx rx;

	rx.hdr = (struct vmq_ring_hdr *)c->rx_gva;
	rx.data = (u8 *)c->rx_gva + VMQ_RING_HDR_SIZE;
	rx.size = rx.hdr->data_size;
	return rx;
}

/* Guest side: publish one transmit descriptor, no exit. */
static inline void vmqt_guest_tx_post1(struct vmqt_cmd *c, u32 dest, u64 gpa,
				       u32 len, u64 tag)
{
	struct vmq_tx_hdr *h = (void *)c->tx_gva;
	struct vmq_tx_desc *d = (void *)(c->tx_gva + VMQ_RING_HDR_SIZE);
	struct vmq_tx_desc *e = &d[c->tx_prod & (h->nr_desc - 1)];

	e->dest = dest;
	e->gpa = gpa;
	e->len = len;
	e->tag = tag;
	e->flags = 0;
	e->status = VMQ_TX_PENDING;
	c->tx_prod++;
	__atomic_store_n(&h->prod, (u32)c->tx_prod, __ATOMIC_RELEASE);
}

static inline void vmqt_guest_cmd_loop(struct vmqt_cmd *c)
{
	for (;;) {
		s64 r = 0;
		u64 i;

		switch (c->op) {
		case OP_HC:
			r = vmqg_hypercall(c->a[0], c->a[1], c->a[2], c->a[3],
					  c->a[4]);
			break;
		case OP_INFO_LOOP: {
			struct vmqg_info info;

			for (i = 0; i < c->a[0]; i++)
				r |= vmqg_info(&info);
			break;
		}
		case OP_READ_LOOP: {
			struct vmq_ring_hdr *h = (void *)c->rx_gva;
			u64 seen = 0;

			/* Plain loads only: no PAUSE, no exit of any kind. */
			for (i = 0; i < c->a[0]; i++)
				seen += __atomic_load_n(&h->prod_msgs,
							__ATOMIC_ACQUIRE) -
					__atomic_load_n(&h->cons_msgs,
							__ATOMIC_RELAXED);
			r = seen;
			break;
		}
		case OP_TX_POST:
			for (i = 0; i < c->a[4]; i++)
				vmqt_guest_tx_post1(c, c->a[0],
						    c->a[1] + i * c->tx_stride,
						    c->a[2], c->a[3] + i);
			r = c->tx_prod;
			break;
		case OP_TX_MIX: {
			s64 err = 0, s;

			/* No exit between the steps but the sends' own. */
			for (i = 0; i < c->a[4]; i++) {
				u64 gpa = c->a[1] + i * c->tx_stride;

				if (i < 64 && (c->tx_mix & (1ULL << i))) {
					s = vmqg_send(c->a[0], gpa, c->a[2],
						     c->a[3] + i);
					if (s && !err)
						err = s;
					continue;
				}
				vmqt_guest_tx_post1(c, c->a[0], gpa, c->a[2],
						    c->a[3] + i);
			}
			c->out[0] = err;
			r = vmqg_tx_flush();
			break;
		}
		case OP_INFO: {
			struct vmqg_hc_regs hr = { VMQ_HC_INFO, 0, 0, 0, 0 };

			vmqg_hypercall_regs(&hr);
			c->out[0] = hr.rbx;
			c->out[1] = hr.rcx;
			c->out[2] = hr.rdx;
			c->out[3] = hr.rsi;
			r = hr.rax;
			break;
		}
		case OP_SEND_LOOP:
			for (i = 0; i < c->a[4]; i++) {
				u32 len = vmqt_send_loop_len(c->x[0], i);

				vmqt_fill((void *)c->a[1], len, c->x[1], i);
				r = vmqg_send(c->a[0], c->a[2], len, c->a[3] + i);
				if (r)
					break;
			}
			c->out[0] = i;	/* messages sent */
			break;
		case OP_RX_SCAN: {
			struct vmqg_rx rx = vmqt_guest_rx(c);
			u64 bytes = 0, recs = 0, tags = 0;

			for (i = 0; i < c->a[0]; i++) {
				u32 tail = __atomic_load_n(&rx.hdr->cons_tail,
							   __ATOMIC_RELAXED);
				u32 head = __atomic_load_n(&rx.hdr->prod_head,
							   __ATOMIC_ACQUIRE);

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
			c->out[0] = bytes;
			c->out[1] = recs;
			c->out[2] = tags;
			break;
		}
		case OP_RX_DRAIN: {
			struct vmqg_rx rx = vmqt_guest_rx(c);
			const struct vmq_msg_hdr *m;
			u64 bytes = 0, tags = 0, bad = 0;

			while ((m = vmqg_rx_peek(&rx))) {
				r++;
				bytes += m->len;
				tags += m->tag;
				bad += !vmqt_check_fill(vmqg_msg_payload(m), m->len,
							m->sender, (u32)m->tag);
				vmqg_rx_consume(&rx, m);
			}
			c->out[0] = bytes;
			c->out[1] = tags;
			c->out[2] = bad;
			break;
		}
		default:
			r = -1;
		}
		GUEST_SYNC(r);
	}
}

static void vmqt_cmd_guest(struct vmqt_cmd *c)
{
	vmqt_guest_cmd_loop(c);
}

static inline struct vmqt_gmem vmqt_gmem_alloc(struct kvm_vm *vm, size_t bytes)
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

static inline struct vmqt_gvm vmqt_gvm_create(void)
{
	struct vmqt_gvm g;
	vm_vaddr_t cmd;

	g.vm = vm_create_with_one_vcpu(&g.vcpu, vmqt_cmd_guest);
	cmd = vm_vaddr_alloc_page(g.vm);
	g.cmd = addr_gva2hva(g.vm, cmd);
	memset(g.cmd, 0, sizeof(*g.cmd));
	vcpu_args_set(g.vcpu, 1, cmd);
	g.id = 0;
	return g;
}

/*
 * A command guest whose VM has no in-kernel irqchip, so its vCPU has no
 * in-kernel local APIC: __vm_create() without vm_create_irqchip().
 */
static inline struct vmqt_gvm vmqt_gvm_create_no_lapic(void)
{
	struct vmqt_gvm g = { 0 };
	vm_vaddr_t cmd;

	g.vm = ____vm_create(VM_MODE_DEFAULT, 1024);
	kvm_vm_elf_load(g.vm, program_invocation_name);
	g.vcpu = vm_vcpu_add(g.vm, 0, vmqt_cmd_guest);
	cmd = vm_vaddr_alloc_page(g.vm);
	g.cmd = addr_gva2hva(g.vm, cmd);
	memset(g.cmd, 0, sizeof(*g.cmd));
	vcpu_args_set(g.vcpu, 1, cmd);
	return g;
}

/* Run @vcpu until its next GUEST_SYNC and return the synced value. */
static inline s64 vmqt_vcpu_sync(struct kvm_vcpu *vcpu)
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

static inline s64 vmqt_gvm_run(struct vmqt_gvm *g)
{
	return vmqt_vcpu_sync(g->vcpu);
}

static inline s64 vmqt_gvm_hc(struct vmqt_gvm *g, u64 nr, u64 a0, u64 a1,
			      u64 a2, u64 a3)
{
	g->cmd->op = OP_HC;
	g->cmd->a[0] = nr;
	g->cmd->a[1] = a0;
	g->cmd->a[2] = a1;
	g->cmd->a[3] = a2;
	g->cmd->a[4] = a3;
	return vmqt_gvm_run(g);
}

/* Register a transmit ring of @pages descriptor pages for @g's vCPU. */
static inline struct vmqt_gmem vmqt_tx_setup(struct vmqt_gvm *g, u32 pages)
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

static inline void vmqt_gvm_free(struct vmqt_gvm *g)
{
	kvm_vm_free(g->vm);
	g->vm = NULL;
}

/* /dev/vmq, opened on first use. */
static int vmqt_dev_fd = -1;

static inline int vmqt_dev(void)
{
	if (vmqt_dev_fd < 0) {
		vmqt_dev_fd = open("/dev/vmq", O_RDWR);
		__TEST_REQUIRE(vmqt_dev_fd >= 0,
			       "/dev/vmq not available (is vmq loaded?)");
	}
	return vmqt_dev_fd;
}

/* Only for tests that unload the module: vmqt_dev() reopens lazily after. */
static inline void vmqt_dev_close(void)
{
	if (vmqt_dev_fd >= 0)
		close(vmqt_dev_fd);
	vmqt_dev_fd = -1;
}

static inline int __vmqt_attach(struct kvm_vm *vm, const char *name, u32 *id)
{
	struct vmq_attach a = { .vm_fd = vm->fd };

	if (name)
		snprintf(a.name, sizeof(a.name), "%s", name);
	if (ioctl(vmqt_dev(), VMQ_IOC_ATTACH_VM, &a))
		return -errno;
	*id = a.id;
	return 0;
}

static inline u32 vmqt_attach(struct vmqt_gvm *g, const char *name)
{
	int ret = __vmqt_attach(g->vm, name, &g->id);

	TEST_ASSERT(!ret, "VMQ_IOC_ATTACH_VM: %d", ret);
	return g->id;
}

static inline int __vmqt_pair(unsigned long cmd, u32 s, u32 r)
{
	struct vmq_pair p = { s, r };

	return ioctl(vmqt_dev(), cmd, &p) ? -errno : 0;
}

static inline void vmqt_allow(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_IOC_ALLOW, s, r);

	TEST_ASSERT(!ret, "VMQ_IOC_ALLOW %u->%u: %d", s, r, ret);
}

/* A page window as a VMM sets one up: vmq's pages, mapped, in a memslot. */
struct vmqt_win {
	int fd;
	void *map;		/* the VMM's view */
	u64 size, page_size, gpa;
};

/*
 * Register @w (fd and map set) as memslot @memslot at @gpa and map it into
 * the guest at the same virtual address, with 2 MiB guest mappings for
 * 2 MiB pages (so that shadow paging can map them large too).
 */
static inline void vmqt_window_plug(struct kvm_vm *vm, struct vmqt_win *w,
				    u32 memslot, u64 gpa)
{
	w->gpa = gpa;
	vm_set_user_memory_region(vm, memslot, 0, gpa, w->size, w->map);
	virt_map_level(vm, gpa, gpa, w->size,
		       w->page_size == 4096 ? PG_LEVEL_4K : PG_LEVEL_2M);
}

/*
 * Create a window of @slots pages of @page_size, map it and plug it into
 * @vm at @gpa. The guest still has to bind it.
 */
static inline struct vmqt_win vmqt_window_map(struct kvm_vm *vm, u32 memslot,
					      u64 gpa, u64 slots, u64 page_size)
{
	struct vmq_window_create wc = {
		.size = slots * page_size,
		.page_size = page_size,
	};
	struct vmqt_win w = { .size = wc.size, .page_size = page_size };

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc),
		    "VMQ_IOC_WINDOW_CREATE: %d", -errno);
	w.fd = wc.fd;
	w.map = mmap(NULL, w.size, PROT_READ | PROT_WRITE, MAP_SHARED, w.fd, 0);
	TEST_ASSERT(w.map != MAP_FAILED, "mmap window: %d", -errno);
	TEST_ASSERT(!((uintptr_t)w.map & (page_size - 1)),
		    "window mapping %p not aligned to its page size", w.map);
	vmqt_window_plug(vm, &w, memslot, gpa);
	return w;
}

/* The VMM's side only: the memslot goes with the VM. */
static inline void vmqt_window_unmap(struct vmqt_win *w)
{
	munmap(w->map, w->size);
	close(w->fd);
	w->fd = -1;
}

static inline struct vmq_stats vmqt_stats(void)
{
	struct vmq_stats s;

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_STATS, &s), "VMQ_IOC_STATS");
	return s;
}

static inline struct vmq_vm_info vmqt_info_of(u32 id)
{
	struct vmq_vm_info i = { .id = id };

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_VM_INFO, &i),
		    "VMQ_IOC_VM_INFO %u: %d", id, -errno);
	return i;
}

static inline u64 vmqt_ctr(u32 id, enum vmq_counter c)
{
	return vmqt_info_of(id).counters[c];
}

/* A receive ring in @g's memory: one header page + @data_bytes. */
static inline struct vmqt_gmem vmqt_rx_setup(struct vmqt_gvm *g, u32 data_bytes)
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

/* Host-side consumer of a receive ring, as a guest would consume it. */
static inline const struct vmq_msg_hdr *vmqt_host_peek(struct vmqt_gmem *r)
{
	struct vmq_ring_hdr *h = r->hva;
	u8 *data = (u8 *)r->hva + VMQ_RING_HDR_SIZE;

	for (;;) {
		u32 tail = h->cons_tail;
		u32 head = __atomic_load_n(&h->prod_head, __ATOMIC_ACQUIRE);
		const struct vmq_msg_hdr *m;

		if (head == tail)
			return NULL;
		TEST_ASSERT(head - tail <= h->data_size, "ring overrun");
		m = (const void *)(data + (tail & (h->data_size - 1)));
		if (m->type != VMQ_MSG_PAD)
			return m;
		__atomic_store_n(&h->cons_tail, tail + VMQ_MSG_RECORD_SIZE(m->len),
				 __ATOMIC_RELEASE);
	}
}

static inline void vmqt_host_consume(struct vmqt_gmem *r,
				     const struct vmq_msg_hdr *m)
{
	struct vmq_ring_hdr *h = r->hva;

	h->cons_msgs++;
	__atomic_store_n(&h->cons_tail, h->cons_tail + VMQ_MSG_RECORD_SIZE(m->len),
			 __ATOMIC_RELEASE);
}

static inline u32 vmqt_host_pending(struct vmqt_gmem *r)
{
	struct vmq_ring_hdr *h = r->hva;

	return __atomic_load_n(&h->prod_msgs, __ATOMIC_ACQUIRE) - h->cons_msgs;
}

/* Deterministic payload bytes for message @n of sender @s. */
static inline void vmqt_fill(void *buf, u32 len, u32 s, u32 n)
{
	u8 *p = buf;
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(s * 131 + n * 31 + i * 7 + (i >> 8));
}

static inline bool vmqt_check_fill(const void *buf, u32 len, u32 s, u32 n)
{
	const u8 *p = buf;
	u32 i;

	for (i = 0; i < len; i++)
		if (p[i] != (u8)(s * 131 + n * 31 + i * 7 + (i >> 8)))
			return false;
	return true;
}

/* One vCPU statistic by name, from KVM's binary stats interface. */
static inline u64 vmqt_vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	u64 value = 0;
	int fd, i;
	bool found = false;

	fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &value, 1);
			found = true;
			break;
		}
	}
	free(descs);
	close(fd);
	TEST_ASSERT(found, "no vCPU stat %s", name);
	return value;
}

/* VMQ_HC_INFO from @g's guest, all four result registers. */
static inline struct vmqg_info vmqt_gvm_info(struct vmqt_gvm *g)
{
	struct vmqg_info info;
	s64 ret;

	g->cmd->op = OP_INFO;
	ret = vmqt_gvm_run(g);
	TEST_ASSERT(!ret, "VMQ_HC_INFO: %ld", (long)ret);
	info.abi_version = g->cmd->out[0];
	info.vm_id = g->cmd->out[1];
	info.features = g->cmd->out[2];
	info.max_msg = g->cmd->out[3];
	return info;
}

/*
 * KVM turns a static key on (preempt notifiers, patched into every context
 * switch) while any VM exists, and rewrites kernel text whenever the number
 * of VMs goes from 0 to 1 or back. In the sandbox (QEMU/TCG) that
 * cross-CPU text patching has livelocked both guest CPUs at the patched
 * branch in finish_task_switch() (soft lockup, RCU stall) in tests that
 * create and destroy many VMs. One idle VM, vmq never sees it, held for
 * the life of the test process keeps the key on and the text unpatched.
 * The sandbox runner holds such VMs for its whole run (kvm_anchor); this
 * covers a test started by hand.
 */
static inline void vmqt_hold_kvm(void)
{
	static struct kvm_vm *idle;

	if (!idle)
		idle = vm_create_barebones();
}

/* Run @fn as one TAP test point; a TEST_ASSERT failure ends it as failed. */
static inline void vmqt_run_case(const char *name, void (*fn)(void))
{
	pid_t pid;
	int status;

	vmqt_hold_kvm();
	/* Or the child prints the parent's buffered TAP lines again. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/*
		 * When the runner's timeout kills the test, the case goes
		 * too: a vCPU stuck in KVM_RUN would otherwise keep the
		 * test's output open and stall the whole run.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn();
		exit(KSFT_PASS);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
		ksft_test_result_skip("%s\n", name);
	else
		ksft_test_result(WIFEXITED(status) &&
				 WEXITSTATUS(status) == KSFT_PASS, "%s\n", name);
}

/* In a case of vmqt_run_case(): skip it, saying why. */
#define vmqt_case_skip(fmt, ...) do {					\
	ksft_print_msg("SKIP: " fmt "\n", ##__VA_ARGS__);		\
	exit(KSFT_SKIP);						\
} while (0)

static inline void vmqt_revoke(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_IOC_REVOKE, s, r);

	TEST_ASSERT(!ret, "VMQ_IOC_REVOKE %u->%u: %d", s, r, ret);
}

/* VMQ_IOC_VM_INFO for VM @id; 0 or -errno. */
static inline int __vmqt_info_of(u32 id, struct vmq_vm_info *i)
{
	memset(i, 0, sizeof(*i));
	i->id = id;
	return ioctl(vmqt_dev(), VMQ_IOC_VM_INFO, i) ? -errno : 0;
}

/* First guest-physical address above the VM's RAM (memslot 0, from 0). */
static inline u64 vmqt_ram_end(struct kvm_vm *vm)
{
	struct userspace_mem_region *r = memslot2region(vm, 0);

	return r->region.guest_phys_addr + r->region.memory_size;
}

static inline bool vmqt_ctr_is_error(int c)
{
	return (c >= VMQ_CTR_ERR_NODEST && c <= VMQ_CTR_ERR_PERM) ||
	       c == VMQ_CTR_ERR_QUOTA || c == VMQ_CTR_ERR_BUSY;
}

/*
 * Since @before: error counter @ctr of VM @id rose by @n (@ctr < 0: none
 * expected), every other error counter stayed put, and VMQ_CTR_HYPERCALLS
 * rose by @calls.
 */
static inline void vmqt_check_err_ctrs(u32 id, const struct vmq_vm_info *before,
				       int ctr, u64 n, u64 calls)
{
	struct vmq_vm_info now = vmqt_info_of(id);
	u64 d;
	int c;

	for (c = 0; c < VMQ_CTR_NR; c++) {
		d = now.counters[c] - before->counters[c];
		if (c == ctr)
			TEST_ASSERT(d == n, "VM %u counter %d rose by %lu, not %lu",
				    id, c, (unsigned long)d, (unsigned long)n);
		else if (vmqt_ctr_is_error(c))
			TEST_ASSERT(!d, "VM %u error counter %d rose by %lu",
				    id, c, (unsigned long)d);
	}
	d = now.counters[VMQ_CTR_HYPERCALLS] - before->counters[VMQ_CTR_HYPERCALLS];
	TEST_ASSERT(d == calls, "VM %u: %lu vmq hypercalls counted, not %lu",
		    id, (unsigned long)d, (unsigned long)calls);
}

/* VMQ_HC_SEND from @g's guest; returns RAX. */
static inline s64 vmqt_gvm_send(struct vmqt_gvm *g, u32 dest, u64 gpa, u32 len,
				u64 tag)
{
	return vmqt_gvm_hc(g, VMQ_HC_SEND, dest, gpa, len, tag);
}

/*
 * OP_SEND_LOOP: @n messages from @buf (guest memory of @g) to @dest, see
 * vmqt_send_loop_len(); returns the last VMQ_HC_SEND result, sets *@sent.
 */
static inline s64 vmqt_gvm_send_loop(struct vmqt_gvm *g, struct vmqt_gmem *buf,
				     u32 dest, u64 tag0, u32 n, u32 base_len,
				     u32 fill_id, u32 *sent)
{
	s64 ret;

	g->cmd->op = OP_SEND_LOOP;
	g->cmd->a[0] = dest;
	g->cmd->a[1] = buf->gva;
	g->cmd->a[2] = buf->gpa;
	g->cmd->a[3] = tag0;
	g->cmd->a[4] = n;
	g->cmd->x[0] = base_len;
	g->cmd->x[1] = fill_id;
	ret = vmqt_gvm_run(g);
	*sent = g->cmd->out[0];
	return ret;
}

/*
 * Take the oldest message off @r and check it: a DATA record from @sender
 * with @tag, @len bytes of vmqt_fill(@sender, @fill_n). Returns its seq.
 */
static inline u32 vmqt_host_expect(struct vmqt_gmem *r, u32 sender, u64 tag,
				   u32 len, u32 fill_n)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(r);
	u32 seq;

	TEST_ASSERT(m, "queue empty, expected tag 0x%lx from %u",
		    (unsigned long)tag, sender);
	TEST_ASSERT(m->type == VMQ_MSG_DATA && !m->flags && !m->reserved,
		    "type %u flags %u reserved %lu", m->type, m->flags,
		    (unsigned long)m->reserved);
	TEST_ASSERT(m->sender == sender, "sender %u, expected %u", m->sender,
		    sender);
	TEST_ASSERT(m->tag == tag, "tag 0x%lx, expected 0x%lx",
		    (unsigned long)m->tag, (unsigned long)tag);
	TEST_ASSERT(m->len == len, "len %u, expected %u (tag 0x%lx)", m->len,
		    len, (unsigned long)tag);
	TEST_ASSERT(vmqt_check_fill(vmqg_msg_payload(m), len, sender, fill_n),
		    "payload of tag 0x%lx (len %u) corrupt", (unsigned long)tag,
		    len);
	seq = m->seq;
	vmqt_host_consume(r, m);
	return seq;
}

/*
 * Wait for asynchronous teardown (VM destruction after the last fd is
 * closed may finish in a worker) until @done(@arg) holds; false if it
 * never does. Bounded by a count of tries, not by a deadline.
 */
static inline bool vmqt_settle(bool (*done)(void *arg), void *arg)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (done(arg))
			return true;
		usleep(10000);
	}
	return done(arg);
}

/*
 * The scheduler state of thread @tid of process @pid ('R', 'S', 'D', ...,
 * from /proc), or '?' when it cannot be read.
 */
static inline char vmqt_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Two fresh VMs exchange one message, checked byte for byte. */
static inline void vmqt_one_message(void)
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

/* Load vmq from $VMQ_KO (tests that unload it). */
static inline void vmqt_load_module(void)
{
	const char *ko = getenv("VMQ_KO");
	int fd, ret;

	TEST_ASSERT(ko, "VMQ_KO is not set");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open %s: %s", ko, strerror(errno));
	ret = syscall(__NR_finit_module, fd, "", 0);
	TEST_ASSERT(!ret, "finit_module(%s): %s", ko, strerror(errno));
	close(fd);
}

/* vmqt_settle() condition: vmq unloaded (nothing of ours holds it). */
static inline bool vmqt_unload_module(void *arg)
{
	return !syscall(__NR_delete_module, "vmq", 0);
}

/*
 * vmqt_settle() condition: every live-object count of VMQ_IOC_STATS is back
 * at the one in @arg (a struct vmq_stats).
 */
static inline bool vmqt_stats_live_at(void *arg)
{
	const struct vmq_stats *b = arg;
	struct vmq_stats s = vmqt_stats();

	return s.live_vms == b->live_vms && s.live_queues == b->live_queues &&
	       s.pinned_pages == b->pinned_pages &&
	       s.live_pairs == b->live_pairs &&
	       s.live_tx_rings == b->live_tx_rings &&
	       s.live_waits == b->live_waits &&
	       s.live_windows == b->live_windows &&
	       s.window_pages == b->window_pages &&
	       s.pages_in_flight == b->pages_in_flight;
}

/*
 * Guest RAM that the VMM keeps missing: anonymous memory registered with
 * userfaultfd, so that whatever touches it first (the host, for the guest)
 * sleeps in the fault until the test resolves it.
 */
struct vmqt_uffd {
	int fd;
	void *hva;
	u64 gpa, bytes;
};

/*
 * A case that needs userfaultfd skips where the kernel has none (the debug
 * kernel is built without CONFIG_USERFAULTFD).
 */
static inline void vmqt_require_uffd(void)
{
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == ENOSYS)
		vmqt_case_skip("this kernel has no userfaultfd");
	if (fd >= 0)
		close(fd);
}

static inline struct vmqt_uffd vmqt_uffd_slot(struct kvm_vm *vm, u32 memslot,
					      u64 gpa, u64 bytes)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct vmqt_uffd u = { .gpa = gpa, .bytes = bytes };

	u.fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	TEST_ASSERT(u.fd >= 0, "userfaultfd: %d", -errno);
	TEST_ASSERT(!ioctl(u.fd, UFFDIO_API, &api), "UFFDIO_API: %d", -errno);
	u.hva = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(u.hva != MAP_FAILED, "mmap: %d", -errno);
	reg.range.start = (uintptr_t)u.hva;
	reg.range.len = bytes;
	TEST_ASSERT(!ioctl(u.fd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %d",
		    -errno);
	vm_set_user_memory_region(vm, memslot, 0, gpa, bytes, u.hva);
	return u;
}

/* Block until something faults on @u; returns the faulting address. */
static inline u64 vmqt_uffd_wait_fault(struct vmqt_uffd *u)
{
	struct uffd_msg msg;

	TEST_ASSERT(read(u->fd, &msg, sizeof(msg)) == sizeof(msg),
		    "read userfaultfd: %d", -errno);
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT, "event %u", msg.event);
	return msg.arg.pagefault.address;
}

/* Back all of @u with zeroes and wake whoever waits for it. */
static inline void vmqt_uffd_resolve(struct vmqt_uffd *u)
{
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)u->hva, .len = u->bytes },
	};

	TEST_ASSERT(!ioctl(u->fd, UFFDIO_ZEROPAGE, &z), "UFFDIO_ZEROPAGE: %d",
		    -errno);
}

#endif /* _VMQ_UTIL_H */
