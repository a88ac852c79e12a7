// SPDX-License-Identifier: GPL-2.0
/*
 * page_test - whole pages move between VMs through their page windows, with
 * no byte copied (VMQ_HC_WINDOW_BIND, VMQ_HC_PAGE_SEND, VMQ_HC_PAGE_FREE).
 *
 * For 4 KiB and 2 MiB windows: the receiver's guest reads exactly the bytes
 * the sender's guest wrote, at the address its VMQ_MSG_PAGE record names,
 * with the sender's id and tag; the sender reads zeroes at the old address;
 * the module's bytes_copied does not move; a 2 MiB page is mapped by KVM
 * with one 2 MiB entry (the VM's pages_2m statistic). A page forwarded
 * A -> B -> C arrives intact, a freed slot is where the next page lands, a
 * full window answers -EAGAIN and the page stays with its sender, a quota
 * answers -ENOSPC. A second vCPU of the sender that keeps reading the page
 * sees zeroes as soon as the send has returned: no stale translation
 * survives. Destroying VMs and windows with pages in flight returns every
 * page (module counters and MemFree). Whatever a donor writes to a pool
 * slot, before or after the background clear, never reaches a sender; a
 * send into a clean pool clears nothing. Page descriptors drained together
 * cost the sender's VM one TLB flush request per batch and the receiver's
 * none, and leave no stale view on a second vCPU of either VM.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vmqt.h"

#define WIN_GPA		0x40000000UL	/* identity-mapped in every guest */
#define WIN_MEMSLOT	20
#define WIN_SLOTS	4

/* The second vCPU: reads the page until it must see zeroes. */
static void spin_guest(u64 *page, u64 *sent, u64 *started)
{
	u64 reads = 0;

	for (;;) {
		u64 s = __atomic_load_n(sent, __ATOMIC_ACQUIRE);
		u64 v = READ_ONCE(*page);

		/* The first reads see the sender's data. */
		GUEST_ASSERT_1(reads || v, reads);
		/* The send returned before *sent was set: no stale view. */
		GUEST_ASSERT_2(!s || !v, v, reads);
		if (s)
			break;
		if (++reads == 1000)
			__atomic_store_n(started, 1, __ATOMIC_RELEASE);
	}
	GUEST_DONE();
}

struct pvm {
	struct vmqt_gvm g;
	struct vmqt_gmem rx;
	struct vmqt_win w;
	u8 *win;		/* w.map */
	u64 page_size;
};

/*
 * A VM with a page window: @w (mapped, not plugged in) or a new one, bound
 * with VMQ_HC_WINDOW_BIND @flags.
 */
static struct pvm pvm_create_bound(const char *name, u64 page_size,
				   const struct vmqt_win *w, u64 flags)
{
	struct pvm v = { .page_size = page_size };

	v.g = vmqt_gvm_create();
	vmqt_attach(&v.g, name);

	if (w) {
		v.w = *w;
		vmqt_window_plug(v.g.vm, &v.w, WIN_MEMSLOT, WIN_GPA);
	} else {
		v.w = vmqt_window_map(v.g.vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS,
				      page_size);
	}
	v.win = v.w.map;
	v.rx = vmqt_rx_setup(&v.g, 16384);
	TEST_ASSERT(!vmqt_gvm_hc(&v.g, VMQ_HC_WINDOW_BIND, WIN_GPA, v.w.size,
				 flags, 0), "VMQ_HC_WINDOW_BIND");
	return v;
}

static struct pvm pvm_create_with(const char *name, u64 page_size,
				  const struct vmqt_win *w)
{
	return pvm_create_bound(name, page_size, w, 0);
}

static struct pvm pvm_create(const char *name, u64 page_size)
{
	return pvm_create_with(name, page_size, NULL);
}

static void pvm_free(struct pvm *v)
{
	vmqt_window_unmap(&v->w);
	vmqt_gvm_free(&v->g);
}

static u64 slot_gpa(struct pvm *v, int slot)
{
	return WIN_GPA + slot * v->page_size;
}

/*
 * VMQT_OP_MEM_FILL or VMQT_OP_MEM_CHECK (@op) of @bytes at @gva in @v's
 * guest with pattern @seed.
 */
static s64 guest_mem(struct pvm *v, u64 op, u64 gva, u64 bytes, u64 seed)
{
	v->g.cmd->op = op;
	v->g.cmd->mem.gva = gva;
	v->g.cmd->mem.bytes = bytes;
	v->g.cmd->mem.seed = seed;
	return vmqt_gvm_run(&v->g);
}

/* A store-release of @value at @gva from @v's guest. */
static void guest_store(struct pvm *v, u64 gva, u64 value)
{
	v->g.cmd->op = VMQT_OP_STORE;
	v->g.cmd->store.gva = gva;
	v->g.cmd->store.value = value;
	vmqt_gvm_run(&v->g);
}

static s64 page_send(struct pvm *from, struct pvm *to, u64 gpa, u64 tag)
{
	return vmqt_gvm_hc(&from->g, VMQ_HC_PAGE_SEND, to->g.id, gpa, tag, 0);
}

/*
 * The next VMQ_MSG_PAGE record of @v's queue, from @sender: where the page
 * is, and its tag in *@tag.
 */
static u64 take_page_msg_tag(struct pvm *v, u32 sender, u64 *tag)
{
	const struct vmq_msg_hdr *m = vmqt_host_peek(&v->rx);
	struct vmq_page_msg pm;

	TEST_ASSERT(m, "no page message");
	TEST_ASSERT(m->type == VMQ_MSG_PAGE && m->len == sizeof(pm),
		    "record type %u len %u", m->type, m->len);
	TEST_ASSERT(m->sender == sender, "sender %u, want %u", m->sender,
		    sender);
	*tag = m->tag;
	memcpy(&pm, m + 1, sizeof(pm));
	vmqt_host_consume(&v->rx, m);
	TEST_ASSERT(pm.size == v->page_size, "page size %lu",
		    (unsigned long)pm.size);
	TEST_ASSERT(pm.gpa >= WIN_GPA && pm.gpa < WIN_GPA + v->w.size &&
		    !(pm.gpa % v->page_size), "page at %lx", (unsigned long)pm.gpa);
	return pm.gpa;
}

/* The next VMQ_MSG_PAGE record of @v's queue: where the page is. */
static u64 take_page_msg(struct pvm *v, u32 sender, u64 tag)
{
	u64 got, gpa = take_page_msg_tag(v, sender, &got);

	TEST_ASSERT(got == tag, "tag %lu, want %lu", (unsigned long)got,
		    (unsigned long)tag);
	return gpa;
}

static void expect_bytes(struct pvm *v, u64 gpa, u64 seed, const char *what)
{
	s64 r = guest_mem(v, VMQT_OP_MEM_CHECK, gpa, v->page_size, seed);
	const u64 *host = (const u64 *)(v->win + (gpa - WIN_GPA));
	u64 i;

	TEST_ASSERT(!r, "%s: guest word %ld differs", what, (long)r - 1);
	/* The VMM's mapping of the window shows the same page. */
	for (i = 0; i < v->page_size / 8; i++)
		TEST_ASSERT(host[i] == vmqt_pattern(seed, i),
			    "%s: host word %lu differs", what, (unsigned long)i);
}

static u64 vm_stat(struct kvm_vm *vm, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int fd = vm_get_stats_fd(vm), i;
	u64 value = 0;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name))
			read_stat_data(fd, &header, d, &value, 1);
	}
	free(descs);
	close(fd);
	return value;
}

static u64 page_size_arg = 4096;

/* VMQ_CMD_SET_VM with VMQ_A_QUOTA_MAX_PAGES, over generic netlink. */
static void set_page_quota(u32 id, u32 max_pages)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *q;
	int family, ret;

	TEST_ASSERT(sk && msg && !genl_connect(sk), "netlink socket");
	family = genl_ctrl_resolve(sk, VMQ_GENL_NAME);
	TEST_ASSERT(family >= 0, "vmq genl family: %d", family);
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST,
		    VMQ_CMD_SET_VM, VMQ_GENL_VERSION);
	nla_put_u32(msg, VMQ_A_VM_ID, id);
	q = nla_nest_start(msg, VMQ_A_VM_QUOTAS);
	nla_put_u32(msg, VMQ_A_QUOTA_MAX_PAGES, max_pages);
	nla_nest_end(msg, q);
	ret = nl_send_sync(sk, msg);	/* frees msg, waits for the ACK */
	TEST_ASSERT(!ret, "VMQ_CMD_SET_VM: %d", ret);
	nl_socket_free(sk);
}

/* A sends to B: bytes arrive, the sender sees zeroes, nothing is copied. */
static void test_transfer(void)
{
	struct pvm a = pvm_create("pa", page_size_arg);
	struct pvm b = pvm_create("pb", page_size_arg);
	struct vmqt_stats s0, s1;
	u64 gpa, pages_2m;
	int i;

	vmqt_allow(a.g.id, b.g.id);
	for (i = 0; i < WIN_SLOTS; i++)
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, i),
					 0, 0, 0), "PAGE_FREE");
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size, 7);
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 2), a.page_size, 8);

	s0 = vmqt_stats();
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 1), 42), "PAGE_SEND 1");
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 2), 43), "PAGE_SEND 2");
	s1 = vmqt_stats();
	TEST_ASSERT(s1.bytes_copied == s0.bytes_copied,
		    "bytes_copied moved by %lu", (unsigned long)(s1.bytes_copied - s0.bytes_copied));
	TEST_ASSERT(s1.pages_in_flight == s0.pages_in_flight + 2, "in flight");
	TEST_ASSERT(vmqt_info_of(a.g.id).pages_in_flight == 2, "A in flight");

	gpa = take_page_msg(&b, a.g.id, 42);
	expect_bytes(&b, gpa, 7, "first page at the receiver");
	gpa = take_page_msg(&b, a.g.id, 43);
	expect_bytes(&b, gpa, 8, "second page at the receiver");
	expect_bytes(&a, slot_gpa(&a, 1), 0, "sender's old slot 1");
	expect_bytes(&a, slot_gpa(&a, 2), 0, "sender's old slot 2");
	/* The sender's untouched slot is still its own. */
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_PAGES_TX) == 2, "PAGES_TX");
	TEST_ASSERT(vmqt_ctr(b.g.id, VMQ_CTR_PAGES_RX) == 2, "PAGES_RX");

	pages_2m = vm_stat(b.g.vm, "pages_2m");
	if (page_size_arg != 4096)
		TEST_ASSERT(pages_2m >= 1,
			    "receiver's 2 MiB page not mapped large (pages_2m %lu)",
			    (unsigned long)pages_2m);
	ksft_print_msg("page size %lu: receiver pages_2m %lu\n",
		       (unsigned long)page_size_arg, (unsigned long)pages_2m);
	pvm_free(&a);
	pvm_free(&b);
}

/* Publish one transmit descriptor from the guest; its index. */
static s64 tx_raw(struct pvm *v, u32 dest, u64 gpa, u32 len, u64 tag,
		  u32 flags)
{
	v->g.cmd->op = VMQT_OP_TX_DESC;
	v->g.cmd->desc.dest = dest;
	v->g.cmd->desc.gpa = gpa;
	v->g.cmd->desc.len = len;
	v->g.cmd->desc.tag = tag;
	v->g.cmd->desc.flags = flags;
	return vmqt_gvm_run(&v->g);
}

/*
 * Lazy page sends (VMQ_TX_F_PAGE descriptors): delivered after an ordinary
 * exit with no vmq hypercall, in ring order with copying descriptors, with
 * bad descriptors answered in their status.
 */
static void test_lazy_pages(void)
{
	struct pvm a = pvm_create("la", page_size_arg);
	struct pvm b = pvm_create("lb", page_size_arg);
	struct vmqt_gmem tx, buf;
	struct vmqt_stats s0, s1;
	const struct vmq_msg_hdr *m;
	u64 hcalls, gpa;
	s64 i0, i1, i2, i3;
	int spins;

	vmqt_allow(a.g.id, b.g.id);
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0),
		    "PAGE_FREE");
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 1), 0, 0, 0),
		    "PAGE_FREE");
	tx = vmqt_tx_setup(&a.g, 1);
	buf = vmqt_gmem_alloc(a.g.vm, 64);
	memset(buf.hva, 0x5a, 64);
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size, 11);

	/* One page descriptor; the SYNC exit after it is all it gets. */
	s0 = vmqt_stats();
	hcalls = vmqt_ctr(a.g.id, VMQ_CTR_HYPERCALLS);
	i0 = tx_raw(&a, b.g.id, slot_gpa(&a, 1), 0, 77, VMQ_TX_F_PAGE);
	/* A worker moves it: bounded, so a lost descriptor fails, not hangs. */
	for (spins = 0; vmqt_host_tx_status(&tx, i0) == VMQ_TX_PENDING && spins < 100000;
	     spins++)
		usleep(100);
	TEST_ASSERT(vmqt_host_tx_status(&tx, i0) == 0, "lazy page send status %d",
		    vmqt_host_tx_status(&tx, i0));
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_HYPERCALLS) == hcalls,
		    "a lazy page send made a hypercall");
	s1 = vmqt_stats();
	TEST_ASSERT(s1.bytes_copied == s0.bytes_copied, "bytes copied");
	gpa = take_page_msg(&b, a.g.id, 77);
	expect_bytes(&b, gpa, 11, "lazily sent page at the receiver");
	expect_bytes(&a, slot_gpa(&a, 1), 0, "sender's slot after a lazy send");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_LAZY_MSGS) == 1, "LAZY_MSGS");

	/* Page, then a copy, then two bad ones: TX_FLUSH keeps ring order. */
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 2), a.page_size, 12);
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 3), a.page_size, 13);
	i1 = tx_raw(&a, b.g.id, slot_gpa(&a, 2), 0, 78, VMQ_TX_F_PAGE);
	i2 = tx_raw(&a, b.g.id, buf.gpa, 64, 79, 0);
	/* A page send has no length; 2 is no flag. */
	i3 = tx_raw(&a, b.g.id, slot_gpa(&a, 3), 8, 80, VMQ_TX_F_PAGE);
	tx_raw(&a, b.g.id, slot_gpa(&a, 3), 0, 81, 2);
	TEST_ASSERT(vmqt_gvm_hc(&a.g, VMQ_HC_TX_FLUSH, 0, 0, 0, 0) >= 0, "flush");
	TEST_ASSERT(vmqt_host_tx_status(&tx, i1) == 0 && vmqt_host_tx_status(&tx, i2) == 0,
		    "statuses %d %d", vmqt_host_tx_status(&tx, i1), vmqt_host_tx_status(&tx, i2));
	TEST_ASSERT(vmqt_host_tx_status(&tx, i3) == -EINVAL &&
		    vmqt_host_tx_status(&tx, i3 + 1) == -EINVAL,
		    "bad descriptors: %d %d, want -EINVAL", vmqt_host_tx_status(&tx, i3),
		    vmqt_host_tx_status(&tx, i3 + 1));
	gpa = take_page_msg(&b, a.g.id, 78);
	expect_bytes(&b, gpa, 12, "second lazily sent page");
	m = vmqt_host_peek(&b.rx);
	TEST_ASSERT(m && m->type == VMQ_MSG_DATA && m->tag == 79 && m->len == 64,
		    "the copy after the page comes second");
	vmqt_host_consume(&b.rx, m);
	TEST_ASSERT(!vmqt_host_peek(&b.rx), "nothing from the bad descriptors");
	/* Slot 3 was never sent: still the sender's, still its bytes. */
	expect_bytes(&a, slot_gpa(&a, 3), 13, "slot of the refused descriptors");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_PAGES_TX) == 2, "PAGES_TX");
	pvm_free(&a);
	pvm_free(&b);
}

/* A -> B -> C; C frees the slot and the next page lands there. */
static void test_forward_and_reuse(void)
{
	struct pvm a = pvm_create("fa", page_size_arg);
	struct pvm b = pvm_create("fb", page_size_arg);
	struct pvm c = pvm_create("fc", page_size_arg);
	u64 gb, gc, gc2;

	vmqt_allow(a.g.id, b.g.id);
	vmqt_allow(b.g.id, c.g.id);
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 3), 0, 0, 0), "free");
	TEST_ASSERT(!vmqt_gvm_hc(&c.g, VMQ_HC_PAGE_FREE, slot_gpa(&c, 2), 0, 0, 0), "free");

	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 0), a.page_size, 11);
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 0), 1), "A->B");
	gb = take_page_msg(&b, a.g.id, 1);
	TEST_ASSERT(gb == slot_gpa(&b, 3), "landed in B's only free slot");
	TEST_ASSERT(!page_send(&b, &c, gb, 2), "B->C");
	gc = take_page_msg(&c, b.g.id, 2);
	TEST_ASSERT(gc == slot_gpa(&c, 2), "landed in C's only free slot");
	expect_bytes(&c, gc, 11, "forwarded page");
	expect_bytes(&b, gb, 0, "B after forwarding");
	/* The charge moved with the page: B's now, not A's. */
	TEST_ASSERT(vmqt_info_of(a.g.id).pages_in_flight == 0, "A charge");
	TEST_ASSERT(vmqt_info_of(b.g.id).pages_in_flight == 1, "B charge");

	/* C gives the page back; the next one lands in the same slot. */
	TEST_ASSERT(!vmqt_gvm_hc(&c.g, VMQ_HC_PAGE_FREE, gc, 0, 0, 0), "free");
	TEST_ASSERT(vmqt_info_of(b.g.id).pages_in_flight == 0, "freed");
	guest_mem(&b, VMQT_OP_MEM_FILL, slot_gpa(&b, 0), b.page_size, 12);
	TEST_ASSERT(!page_send(&b, &c, slot_gpa(&b, 0), 3), "B->C again");
	gc2 = take_page_msg(&c, b.g.id, 3);
	TEST_ASSERT(gc2 == gc, "pool slot reused");
	expect_bytes(&c, gc2, 12, "reused slot");
	pvm_free(&a);
	pvm_free(&b);
	pvm_free(&c);
}

/* Full window, quota, bad arguments: codes, counters, no page lost. */
static void test_errors(void)
{
	struct pvm a = pvm_create("ea", page_size_arg);
	struct pvm b = pvm_create("eb", page_size_arg);
	u64 full0 = vmqt_ctr(a.g.id, VMQ_CTR_ERR_FULL);
	struct vmqt_stats s0 = vmqt_stats();

	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 0), a.page_size, 21);
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 0), 1) == -EACCES, "denied");
	vmqt_allow(a.g.id, b.g.id);
	/* B freed nothing: its pool is empty. */
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 0), 1) == -EAGAIN, "full");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_FULL) == full0 + 1, "ERR_FULL");
	expect_bytes(&a, slot_gpa(&a, 0), 21, "page kept by the sender");
	TEST_ASSERT(!vmqt_host_peek(&b.rx), "no record for a refused page");

	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 0) + 64, 1) == -EINVAL,
		    "misaligned");
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, WIN_SLOTS), 1) == -EINVAL,
		    "outside the window");
	TEST_ASSERT(page_send(&a, &b, 0x1000, 1) == -EINVAL, "not the window");
	TEST_ASSERT(vmqt_gvm_hc(&a.g, VMQ_HC_PAGE_SEND, 999999, slot_gpa(&a, 0),
				0, 0) == -EACCES, "unknown VM");
	TEST_ASSERT(!vmqt_gvm_hc(&a.g, VMQ_HC_PAGE_FREE, slot_gpa(&a, 3), 0, 0, 0),
		    "free");
	TEST_ASSERT(vmqt_gvm_hc(&a.g, VMQ_HC_PAGE_FREE, slot_gpa(&a, 3), 0, 0, 0) ==
		    -EINVAL, "double free");
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 3), 1) == -EINVAL,
		    "sending a slot in the pool");
	TEST_ASSERT(vmqt_gvm_hc(&a.g, VMQ_HC_WINDOW_BIND, WIN_GPA,
				WIN_SLOTS * a.page_size, 0, 0) == -EBUSY, "rebind");
	TEST_ASSERT(vmqt_gvm_hc(&a.g, VMQ_HC_WINDOW_BIND, 0x100000, 4096, 0, 0) ==
		    -EFAULT, "bind ordinary RAM");

	/* Receiver queue full: the page stays with the sender. */
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0), "free");
	{
		struct vmq_ring_hdr *h = b.rx.hva;
		int n = 0;

		vmqt_allow(b.g.id, b.g.id);
		s64 r;

		/* Fill B's ring to the last byte with empty messages. */
		while (vmqt_gvm_hc(&b.g, VMQ_HC_SEND, b.g.id, slot_gpa(&b, 1),
				   0, 0) == 0)
			n++;
		TEST_ASSERT(n > 0 && h->prod_head - h->cons_tail == h->data_size,
			    "ring filled");
		r = page_send(&a, &b, slot_gpa(&a, 0), 5);
		TEST_ASSERT(r == -EAGAIN, "queue full: %ld", (long)r);
		expect_bytes(&a, slot_gpa(&a, 0), 21, "page kept, queue full");
		expect_bytes(&b, slot_gpa(&b, 0), 0, "B's free slot untouched");
	}
	TEST_ASSERT(vmqt_stats().pages_in_flight == s0.pages_in_flight, "nothing in flight");
	pvm_free(&a);
	pvm_free(&b);
}

/*
 * A guest may not register its receive ring or transmit ring on window
 * memory: the page under a ring would go to another VM with the next
 * VMQ_HC_PAGE_SEND, and vmq would go on writing the first VM's incoming
 * messages into it and executing the other VM's descriptors as the first
 * VM's sends. Both registrations answer -EFAULT and pin nothing; the slot
 * is then sent like any other.
 */
static void test_ring_in_window(void)
{
	struct pvm a = pvm_create("ra", page_size_arg);
	struct pvm b = pvm_create("rb", page_size_arg);
	u64 gpa = slot_gpa(&a, 1), size = 2 * 4096;
	u32 *hdr = (u32 *)(a.win + (gpa - WIN_GPA));
	u64 fault0 = vmqt_ctr(a.g.id, VMQ_CTR_ERR_FAULT);
	struct vmqt_stats s0, s1;
	s64 r;

	vmqt_allow(a.g.id, b.g.id);
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0),
		    "PAGE_FREE");
	TEST_ASSERT(!vmqt_gvm_hc(&a.g, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0),
		    "QUEUE_UNREGISTER");
	s0 = vmqt_stats();

	memset(hdr, 0, size);
	hdr[0] = VMQ_RING_MAGIC;
	r = vmqt_gvm_hc(&a.g, VMQ_HC_QUEUE_REGISTER, gpa, size, 0, 0);
	TEST_ASSERT(r == -EFAULT, "receive ring in a window slot: %ld", (long)r);
	hdr[0] = VMQ_TX_MAGIC;
	r = vmqt_gvm_hc(&a.g, VMQ_HC_TX_REGISTER, gpa, size, 0, 0);
	TEST_ASSERT(r == -EFAULT, "transmit ring in a window slot: %ld", (long)r);
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_FAULT) == fault0 + 2, "ERR_FAULT");
	s1 = vmqt_stats();
	TEST_ASSERT(s1.pinned_pages == s0.pinned_pages &&
		    s1.live_queues == s0.live_queues &&
		    s1.live_tx_rings == s0.live_tx_rings,
		    "pinned %lu -> %lu, queues %lu -> %lu, tx rings %lu -> %lu",
		    (unsigned long)s0.pinned_pages, (unsigned long)s1.pinned_pages,
		    (unsigned long)s0.live_queues, (unsigned long)s1.live_queues,
		    (unsigned long)s0.live_tx_rings,
		    (unsigned long)s1.live_tx_rings);

	/* The slot that held the would-be ring moves like any other page. */
	guest_mem(&a, VMQT_OP_MEM_FILL, gpa, a.page_size, 31);
	TEST_ASSERT(!page_send(&a, &b, gpa, 7), "PAGE_SEND");
	expect_bytes(&b, take_page_msg(&b, a.g.id, 7), 31, "page at the receiver");
	expect_bytes(&a, gpa, 0, "sender's old slot");
	pvm_free(&a);
	pvm_free(&b);
}

/* Pipes whose buffers hold references to pages of a VMM's window mapping. */
struct host_refs {
	int fd[2];
	u64 bytes;
};

/* vmsplice() 4 KiB of each slot in @slots of @v's window into a pipe. */
static struct host_refs host_ref_slots(struct pvm *v, u64 slots)
{
	struct host_refs h = { .bytes = 0 };
	struct iovec iov;
	int i;

	TEST_ASSERT(!pipe(h.fd), "pipe");
	for (i = 0; i < WIN_SLOTS; i++) {
		if (!(slots & (1ULL << i)))
			continue;
		iov.iov_base = v->win + i * v->page_size;
		iov.iov_len = 4096;
		TEST_ASSERT(vmsplice(h.fd[1], &iov, 1, 0) == 4096,
			    "vmsplice slot %d: %d", i, -errno);
		h.bytes += 4096;
	}
	return h;
}

/* Drain the pipe (its first 4 KiB into @first) and close it. */
static void host_unref(struct host_refs *h, void *first)
{
	static u8 buf[4096];
	u64 done = 0;

	while (done < h->bytes) {
		ssize_t n = read(h->fd[0], buf, sizeof(buf));

		TEST_ASSERT(n > 0, "read pipe: %d", -errno);
		if (!done && first)
			memcpy(first, buf, n);
		done += n;
	}
	close(h->fd[0]);
	close(h->fd[1]);
}

/*
 * A page that the host can still reach another way than through the
 * window's mappings does not move: here a pipe holds references to it
 * (vmsplice, as in-flight O_DIRECT I/O, VFIO or KVM's own maps would).
 * The send answers -EBUSY (VMQ_CTR_ERR_BUSY), the page stays where it was
 * on both sides, and once the references are gone the same send succeeds.
 * Checked for the sender's page and for the receiver's free page, which
 * would go to the sender.
 */
static void test_host_reference(void)
{
	struct pvm a = pvm_create("ha", page_size_arg);
	struct pvm b = pvm_create("hb", page_size_arg);
	u64 busy0 = vmqt_ctr(a.g.id, VMQ_CTR_ERR_BUSY);
	struct vmqt_stats s0 = vmqt_stats();
	u64 first[4096 / 8], gpa, held;
	struct host_refs h;
	int i;

	vmqt_allow(a.g.id, b.g.id);
	for (i = 0; i < WIN_SLOTS; i++)
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, i),
					 0, 0, 0), "PAGE_FREE");
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size, 51);
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 2), a.page_size, 52);

	/* The sender's page is referenced by the host. */
	h = host_ref_slots(&a, 1 << 1);
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 1), 1) == -EBUSY,
		    "referenced page sent");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_BUSY) == busy0 + 1, "ERR_BUSY");
	TEST_ASSERT(!vmqt_host_peek(&b.rx), "record for a refused page");
	TEST_ASSERT(vmqt_stats().pages_in_flight == s0.pages_in_flight,
		    "refused page in flight");
	expect_bytes(&a, slot_gpa(&a, 1), 51, "page kept by the sender");
	for (i = 0; i < WIN_SLOTS; i++)
		expect_bytes(&b, slot_gpa(&b, i), 0, "receiver's free slot");
	host_unref(&h, first);
	for (i = 0; i < 4096 / 8; i++)
		TEST_ASSERT(first[i] == vmqt_pattern(51, i),
			    "the pipe's view of the page, word %d", i);
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 1), 1), "send after unref");
	gpa = take_page_msg(&b, a.g.id, 1);
	expect_bytes(&b, gpa, 51, "page at the receiver");

	/* The receiver's free pages are referenced by the host. */
	held = (gpa - WIN_GPA) / b.page_size;
	h = host_ref_slots(&b, ((1ULL << WIN_SLOTS) - 1) & ~(1ULL << held));
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 2), 2) == -EBUSY,
		    "page sent onto a referenced free page");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_BUSY) == busy0 + 2, "ERR_BUSY");
	TEST_ASSERT(!vmqt_host_peek(&b.rx), "record for a refused page");
	expect_bytes(&a, slot_gpa(&a, 2), 52, "page kept by the sender");
	host_unref(&h, NULL);
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 2), 2), "send after unref");
	expect_bytes(&b, take_page_msg(&b, a.g.id, 2), 52, "second page");
	expect_bytes(&a, slot_gpa(&a, 2), 0, "sender's old slot");
	TEST_ASSERT(vmqt_stats().pages_in_flight == s0.pages_in_flight + 2,
		    "in flight");
	pvm_free(&a);
	pvm_free(&b);
}

/*
 * The VMM moves, then deletes, the memslot of a bound window: vmq unbinds
 * the window each time (page records would name guest-physical addresses
 * where the window no longer is), the VM's page calls and pages sent to it
 * answer -ENOTCONN until the guest binds the window where it now is.
 */
static void test_memslot_change(void)
{
	struct pvm a = pvm_create("ma", page_size_arg);
	struct pvm b = pvm_create("mb", page_size_arg);
	u64 moved = WIN_GPA + (1ULL << 30), size = a.w.size;
	s64 r;
	int i;

	vmqt_allow(a.g.id, b.g.id);
	vmqt_allow(b.g.id, a.g.id);
	for (i = 0; i < WIN_SLOTS - 1; i++)
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, i),
					 0, 0, 0), "PAGE_FREE");
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size, 61);

	/* Moved: same memory, another guest-physical address. */
	vm_set_user_memory_region(a.g.vm, WIN_MEMSLOT, 0, moved, size, a.w.map);
	r = page_send(&a, &b, slot_gpa(&a, 1), 1);
	TEST_ASSERT(r == -ENOTCONN, "send after the move: %ld", (long)r);
	r = page_send(&a, &b, moved + a.page_size, 1);
	TEST_ASSERT(r == -ENOTCONN, "send at the new address unbound: %ld",
		    (long)r);
	r = vmqt_gvm_hc(&a.g, VMQ_HC_PAGE_FREE, slot_gpa(&a, 0), 0, 0, 0);
	TEST_ASSERT(r == -ENOTCONN, "free after the move: %ld", (long)r);
	r = page_send(&b, &a, slot_gpa(&b, WIN_SLOTS - 1), 2);
	TEST_ASSERT(r == -ENOTCONN, "send to a VM whose window moved: %ld",
		    (long)r);
	TEST_ASSERT(!vmqt_host_peek(&b.rx) && !vmqt_host_peek(&a.rx),
		    "a record for a refused page");

	/* Bound again where it is now: the page goes, from its new address. */
	r = vmqt_gvm_hc(&a.g, VMQ_HC_WINDOW_BIND, moved, size, 0, 0);
	TEST_ASSERT(!r, "bind at the new address: %ld", (long)r);
	TEST_ASSERT(!page_send(&a, &b, moved + a.page_size, 3), "send");
	expect_bytes(&b, take_page_msg(&b, a.g.id, 3), 61, "page at the receiver");

	/* Deleted. */
	vm_set_user_memory_region(a.g.vm, WIN_MEMSLOT, 0, moved, 0, a.w.map);
	r = page_send(&a, &b, moved + 2 * a.page_size, 4);
	TEST_ASSERT(r == -ENOTCONN, "send after the delete: %ld", (long)r);
	r = vmqt_gvm_hc(&a.g, VMQ_HC_WINDOW_BIND, moved, size, 0, 0);
	TEST_ASSERT(r == -EFAULT, "bind without a memslot: %ld", (long)r);
	pvm_free(&a);
	pvm_free(&b);
}

/* VMQ_A_QUOTA_MAX_PAGES bounds the pages a VM has in flight. */
static void test_quota(void)
{
	struct pvm a = pvm_create("qa", page_size_arg);
	struct pvm b = pvm_create("qb", page_size_arg);
	u64 q0 = vmqt_ctr(a.g.id, VMQ_CTR_ERR_QUOTA);
	int i;

	vmqt_allow(a.g.id, b.g.id);
	for (i = 0; i < WIN_SLOTS; i++)
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, i),
					 0, 0, 0), "PAGE_FREE");
	set_page_quota(a.g.id, 2);
	TEST_ASSERT(vmqt_info_of(a.g.id).quota_max_pages == 2, "quota set");
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 2), a.page_size, 41);
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 0), 1), "first");
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 1), 2), "second");
	TEST_ASSERT(page_send(&a, &b, slot_gpa(&a, 2), 3) == -ENOSPC, "over quota");
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_QUOTA) == q0 + 1, "ERR_QUOTA");
	expect_bytes(&a, slot_gpa(&a, 2), 41, "page kept over quota");
	/* The receiver frees one: the sender may send again. */
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE,
				 take_page_msg(&b, a.g.id, 1), 0, 0, 0), "free");
	TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 2), 3), "after a free");
	take_page_msg(&b, a.g.id, 2);
	expect_bytes(&b, take_page_msg(&b, a.g.id, 3), 41, "third page");
	pvm_free(&a);
	pvm_free(&b);
}

#define RACERS		WIN_SLOTS

/*
 * One vCPU of a racing sender: binds the window first if @bind_size, then
 * sends the page at @gpa to @dest on every run.
 */
static void racer_guest(u64 bind_size, u64 dest, u64 gpa)
{
	if (bind_size)
		GUEST_SYNC(vmqg_hypercall(VMQ_HC_WINDOW_BIND, WIN_GPA, bind_size,
					  0, 0));
	for (;;)
		GUEST_SYNC(vmqg_hypercall(VMQ_HC_PAGE_SEND, dest, gpa, gpa, 0));
}

struct racer {
	struct kvm_vcpu *vcpu;
	s64 ret;
};

static void *run_racer(void *arg)
{
	struct racer *r = arg;

	r->ret = vmqt_vcpu_sync(r->vcpu);
	return NULL;
}

/*
 * VMQ_A_QUOTA_MAX_PAGES holds exactly with several vCPUs of one VM sending
 * at once: of four concurrent sends under a quota of two, two go and two
 * get -ENOSPC, round after round.
 */
static void test_quota_concurrent(void)
{
	struct pvm b = pvm_create("cb", page_size_arg);
	struct kvm_vcpu *vcpus[RACERS];
	struct racer r[RACERS];
	pthread_t t[RACERS];
	struct kvm_vm *vm;
	struct vmqt_win w;
	u32 aid;
	int i, round, sent, refused;

	vm = vm_create_with_vcpus(RACERS, racer_guest, vcpus);
	aid = vmqt_attach(&(struct vmqt_gvm){ .vm = vm }, "ca");
	w = vmqt_window_map(vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, page_size_arg);
	vmqt_allow(aid, b.g.id);
	set_page_quota(aid, 2);
	for (i = 0; i < RACERS; i++) {
		r[i].vcpu = vcpus[i];
		vcpu_args_set(vcpus[i], 3, i ? 0 : w.size, (u64)b.g.id,
			      WIN_GPA + i * page_size_arg);
	}
	TEST_ASSERT(!vmqt_vcpu_sync(vcpus[0]), "VMQ_HC_WINDOW_BIND");
	for (i = 0; i < WIN_SLOTS; i++)
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, i),
					 0, 0, 0), "PAGE_FREE");

	for (round = 0; round < 20; round++) {
		for (i = 0; i < RACERS; i++)
			TEST_ASSERT(!pthread_create(&t[i], NULL, run_racer, &r[i]),
				    "thread");
		sent = refused = 0;
		for (i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			TEST_ASSERT(!r[i].ret || r[i].ret == -ENOSPC,
				    "round %d vCPU %d: %ld", round, i,
				    (long)r[i].ret);
			sent += !r[i].ret;
			refused += r[i].ret == -ENOSPC;
		}
		TEST_ASSERT(sent == 2 && refused == 2 &&
			    vmqt_info_of(aid).pages_in_flight == 2,
			    "round %d: %d sent, %d refused, %u in flight",
			    round, sent, refused,
			    vmqt_info_of(aid).pages_in_flight);
		/* B gives both back: nothing of A's is in flight any more. */
		for (i = 0; i < 2; i++) {
			const struct vmq_msg_hdr *m = vmqt_host_peek(&b.rx);
			struct vmq_page_msg pm;

			TEST_ASSERT(m && m->type == VMQ_MSG_PAGE &&
				    m->sender == aid, "page record %d", i);
			memcpy(&pm, m + 1, sizeof(pm));
			vmqt_host_consume(&b.rx, m);
			TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, pm.gpa,
						 0, 0, 0), "PAGE_FREE");
		}
		TEST_ASSERT(!vmqt_host_peek(&b.rx), "round %d: extra record",
			    round);
	}
	vmqt_window_unmap(&w);
	kvm_vm_free(vm);
	pvm_free(&b);
}

struct spinner {
	struct kvm_vcpu *vcpu;
	bool ok;
};

static void *run_spinner(void *arg)
{
	struct spinner *sp = arg;
	struct ucall uc;

	vcpu_run(sp->vcpu);
	switch (get_ucall(sp->vcpu, &uc)) {
	case UCALL_DONE:
		sp->ok = true;
		break;
	case UCALL_ABORT:
		ksft_print_msg("spinner: %s at %s:%ld (0x%lx 0x%lx)\n",
			       (const char *)uc.args[0],
			       __FILE__, (long)uc.args[1],
			       (unsigned long)uc.args[2],
			       (unsigned long)uc.args[3]);
		break;
	default:
		ksft_print_msg("spinner: exit %u\n", sp->vcpu->run->exit_reason);
	}
	return NULL;
}

/* Another vCPU of the sender never sees the page after the send returned. */
static void test_no_stale_view(void)
{
	struct pvm a = pvm_create("sa", page_size_arg);
	struct pvm b = pvm_create("sb", page_size_arg);
	vm_vaddr_t flags = vm_vaddr_alloc_page(a.g.vm);
	u64 *hflags = addr_gva2hva(a.g.vm, flags);
	struct spinner sp = {};
	pthread_t t;
	int i;
	s64 r;

	vmqt_allow(a.g.id, b.g.id);
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0), "free");
	guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size, 31);
	hflags[0] = hflags[1] = 0;

	sp.vcpu = vm_vcpu_add(a.g.vm, 1, spin_guest);
	vcpu_args_set(sp.vcpu, 3, slot_gpa(&a, 1), flags, flags + 8);
	pthread_create(&t, NULL, run_spinner, &sp);
	/* Let the spinner have the page in its TLB first. */
	for (i = 0; i < 600000 && !__atomic_load_n(&hflags[1], __ATOMIC_ACQUIRE); i++)
		usleep(100);
	TEST_ASSERT(hflags[1], "spinner never started");

	/*
	 * The reader's refaults go through GUP-fast, whose speculative
	 * reference can make the exclusivity check answer -EBUSY for an
	 * instant (pages.rst): retry, as a guest would.
	 */
	for (i = 0; (r = page_send(&a, &b, slot_gpa(&a, 1), 9)) == -EBUSY &&
	     i < 1000; i++)
		;
	TEST_ASSERT(!r, "send under a reader: %ld", (long)r);
	guest_store(&a, flags, 1);
	pthread_join(t, NULL);
	TEST_ASSERT(sp.ok, "the second vCPU saw the old page after the send");
	expect_bytes(&b, take_page_msg(&b, a.g.id, 9), 31, "moved page");
	pvm_free(&a);
	pvm_free(&b);
}

/*
 * Wait until the receive pools of all windows hold @pages 4 KiB pages
 * cleared in the background (VMQ_STAT_POOL_CLEAN_PAGES), bounded.
 */
static void wait_pool_clean(u64 pages)
{
	int i;

	for (i = 0; i < 200000 && vmqt_stats().pool_clean_pages != pages; i++)
		usleep(100);
	TEST_ASSERT(vmqt_stats().pool_clean_pages == pages,
		    "pool_clean_pages %lu, want %lu",
		    (unsigned long)vmqt_stats().pool_clean_pages,
		    (unsigned long)pages);
}

/*
 * A donor's writes to a slot it gave to its receive pool never reach a
 * sender: whether they come before the background clear, after it (the
 * slot was clean: touching it makes it dirty again), or from the VMM's
 * own mapping, the sender's slot holds zeroes after the send. A send into
 * a clean pool clears nothing itself (VMQ_STAT_SEND_CLEARS).
 */
static void test_donor_writes(void)
{
	struct pvm a = pvm_create("da", page_size_arg);
	struct pvm b = pvm_create("db", page_size_arg);
	u64 clean0 = vmqt_stats().pool_clean_pages, clears0, gpa;
	u64 unit = page_size_arg / 4096;
	int round;

	vmqt_allow(a.g.id, b.g.id);
	for (round = 0; round < 4; round++) {
		u64 seed = 100 + round;

		guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, 1), a.page_size,
			  seed);
		guest_mem(&b, VMQT_OP_MEM_FILL, slot_gpa(&b, 0), b.page_size,
			  seed + 50);
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0),
					 0, 0, 0), "PAGE_FREE");
		switch (round) {
		case 0:	/* at once: the clear has not run yet, or has */
			guest_mem(&b, VMQT_OP_MEM_FILL, slot_gpa(&b, 0),
				  b.page_size, seed + 60);
			break;
		case 1:	/* the donor's vCPU, once the slot is clean */
			wait_pool_clean(clean0 + unit);
			guest_mem(&b, VMQT_OP_MEM_FILL, slot_gpa(&b, 0),
				  b.page_size, seed + 60);
			break;
		case 2:	/* the donor's VMM, once the slot is clean */
			wait_pool_clean(clean0 + unit);
			memset(b.win, 0x5a, b.page_size);
			break;
		case 3:	/* nobody touches it: the send clears nothing */
			wait_pool_clean(clean0 + unit);
			break;
		}
		clears0 = vmqt_stats().send_clears;
		TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 1), round),
			    "PAGE_SEND round %d", round);
		if (round == 3)
			TEST_ASSERT(vmqt_stats().send_clears == clears0,
				    "a send into a clean pool cleared a page");
		expect_bytes(&a, slot_gpa(&a, 1), 0, "sender's slot after a send");
		gpa = take_page_msg(&b, a.g.id, round);
		TEST_ASSERT(gpa == slot_gpa(&b, 0), "landed in the pool slot");
		expect_bytes(&b, gpa, seed, "page at the receiver");
		/* Send it back: B's slot 0 is B's again, A's slot 1 A's. */
		TEST_ASSERT(!vmqt_gvm_hc(&a.g, VMQ_HC_PAGE_FREE, slot_gpa(&a, 1),
					 0, 0, 0), "PAGE_FREE A");
		vmqt_allow(b.g.id, a.g.id);
		TEST_ASSERT(!page_send(&b, &a, gpa, 0), "PAGE_SEND back");
		TEST_ASSERT(take_page_msg(&a, b.g.id, 0) == slot_gpa(&a, 1),
			    "back in A's slot 1");
		expect_bytes(&b, gpa, 0, "receiver's slot after sending back");
	}
	pvm_free(&a);
	pvm_free(&b);
}

static void wait_pool_own(u64 pages)
{
	int i;

	for (i = 0; i < 200000 && vmqt_stats().pool_own_pages != pages; i++)
		usleep(100);
	TEST_ASSERT(vmqt_stats().pool_own_pages == pages,
		    "pool_own_pages %lu, want %lu",
		    (unsigned long)vmqt_stats().pool_own_pages,
		    (unsigned long)pages);
}

/* FilePmdMapped of this process's mapping at @addr, in KiB. */
static u64 pmd_mapped_kib(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, kib = 0;
	bool in = false, found = false;
	char line[512];

	TEST_ASSERT(f, "/proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (unsigned long)addr >= start &&
			     (unsigned long)addr < end;
			continue;
		}
		if (in && sscanf(line, "FilePmdMapped: %lu kB", &kib) == 1) {
			found = true;
			break;
		}
	}
	fclose(f);
	TEST_ASSERT(found, "no FilePmdMapped for the window in smaps");
	return kib;
}

/* @v fills its slot @slot with pattern @seed and sends it to @to. */
static void fill_and_send(struct pvm *v, struct pvm *to, int slot, u64 seed,
			  u64 tag)
{
	guest_mem(v, VMQT_OP_MEM_FILL, slot_gpa(v, slot), v->page_size, seed);
	TEST_ASSERT(!page_send(v, to, slot_gpa(v, slot), tag), "send %lu",
		    (unsigned long)tag);
}

/* @v takes the page @from sent with @tag and checks it holds @seed. */
static u64 take_checked(struct pvm *v, struct pvm *from, u64 tag, u64 seed)
{
	u64 gpa = take_page_msg(v, from->g.id, tag);

	expect_bytes(v, gpa, seed, "the page at the receiver");
	return gpa;
}

static void page_free(struct pvm *v, u64 gpa)
{
	TEST_ASSERT(!vmqt_gvm_hc(&v->g, VMQ_HC_PAGE_FREE, gpa, 0, 0, 0),
		    "PAGE_FREE");
}

/* Since @s0, sends cleared @clears pages and gave back @own uncleared. */
static void expect_clears(const struct vmqt_stats *s0, u64 clears, u64 own)
{
	struct vmqt_stats s1 = vmqt_stats();

	TEST_ASSERT(s1.send_clears - s0->send_clears == clears &&
		    s1.own_returns - s0->own_returns == own,
		    "send clears %lu (want %lu), own returns %lu (want %lu)",
		    (unsigned long)(s1.send_clears - s0->send_clears),
		    (unsigned long)clears,
		    (unsigned long)(s1.own_returns - s0->own_returns),
		    (unsigned long)own);
}

/*
 * VMQ_WINDOW_OWN_BYTES. A sends to B, B reads the page and frees it: the
 * page is kept for A by the free itself, and A's next send takes it back,
 * holding exactly what A sent, with no clear. A page that B wrote after reading it (the
 * write-notify path; a 2 MiB slot is still mapped by one PMD after it), or
 * that B's VMM wrote, comes back as zeroes; another VM with the flag never
 * gets A's bytes, even with no other page in the pool (its send clears the
 * page); a VM without the flag gets zeroes, and what it sent is cleared
 * when freed. Unknown bind flags are refused.
 */
static void test_own_bytes(void)
{
	struct pvm a = pvm_create_bound("oa", page_size_arg, NULL,
					VMQ_WINDOW_OWN_BYTES);
	struct pvm c = pvm_create_bound("oc", page_size_arg, NULL,
					VMQ_WINDOW_OWN_BYTES);
	struct pvm b = pvm_create("ob", page_size_arg);
	struct pvm d = pvm_create("od", page_size_arg);
	u64 clean0 = vmqt_stats().pool_clean_pages;
	u64 own0 = vmqt_stats().pool_own_pages;
	u64 unit = page_size_arg / 4096, gpa, pmd_kib;
	struct vmqt_stats s0;

	TEST_ASSERT(vmqt_gvm_hc(&d.g, VMQ_HC_WINDOW_BIND, WIN_GPA, d.w.size,
				2, 0) == -EINVAL, "unknown bind flag");
	vmqt_allow(a.g.id, b.g.id);
	vmqt_allow(c.g.id, b.g.id);
	vmqt_allow(d.g.id, b.g.id);
	/* B's pool is its slot 0 alone: every page lands there. */
	page_free(&b, slot_gpa(&b, 0));
	wait_pool_clean(clean0 + unit);

	/* Read only: A gets its bytes back, nothing is cleared. */
	fill_and_send(&a, &b, 1, 201, 1);
	expect_bytes(&a, slot_gpa(&a, 1), 0, "A's slot 1 from a clean pool");
	page_free(&b, take_checked(&b, &a, 1, 201));
	/* Kept by the free itself, not later by the background work. */
	TEST_ASSERT(vmqt_stats().pool_own_pages == own0 + unit,
		    "not kept at once: pool_own_pages %lu",
		    (unsigned long)vmqt_stats().pool_own_pages);
	TEST_ASSERT(vmqt_stats().pool_clean_pages == clean0,
		    "a kept page counted clean");
	s0 = vmqt_stats();
	fill_and_send(&a, &b, 2, 202, 2);
	expect_clears(&s0, 0, 1);
	expect_bytes(&a, slot_gpa(&a, 2), 201, "A's own page 1 back");
	TEST_ASSERT(vmqt_stats().pool_own_pages == own0, "own page taken");

	/* B's vCPU reads, then writes: A gets zeroes. */
	gpa = take_checked(&b, &a, 2, 202);
	guest_mem(&b, VMQT_OP_MEM_FILL, gpa, b.page_size, 250);
	if (page_size_arg != 4096) {
		pmd_kib = pmd_mapped_kib(b.win);
		TEST_ASSERT(pmd_kib >= 2048,
			    "B's slot is not PMD-mapped after read, then write (FilePmdMapped %lu kB)",
			    pmd_kib);
	}
	page_free(&b, gpa);
	wait_pool_clean(clean0 + unit);
	fill_and_send(&a, &b, 3, 203, 3);
	expect_bytes(&a, slot_gpa(&a, 3), 0, "A's slot 3 after B wrote page 2");

	/* B's VMM writes (with nothing read first): A gets zeroes. */
	gpa = take_page_msg(&b, a.g.id, 3);
	memset(b.win + (gpa - WIN_GPA), 0x5a, b.page_size);
	page_free(&b, gpa);
	wait_pool_clean(clean0 + unit);
	fill_and_send(&a, &b, 1, 204, 4);
	expect_bytes(&a, slot_gpa(&a, 1), 0, "A's slot 1 after B's VMM wrote");

	/* Kept for A: C, with the flag too, gets zeroes; its send clears. */
	page_free(&b, take_checked(&b, &a, 4, 204));
	wait_pool_own(own0 + unit);
	s0 = vmqt_stats();
	fill_and_send(&c, &b, 1, 205, 5);
	expect_clears(&s0, 1, 0);
	expect_bytes(&c, slot_gpa(&c, 1), 0, "C's slot with A's page kept");

	/* Now kept for C: D, without the flag, gets zeroes. */
	page_free(&b, take_checked(&b, &c, 5, 205));
	wait_pool_own(own0 + unit);
	fill_and_send(&d, &b, 1, 206, 6);
	expect_bytes(&d, slot_gpa(&d, 1), 0, "D's slot, D without the flag");
	/* What D sent, read only, is kept for nobody: cleared. */
	page_free(&b, take_checked(&b, &d, 6, 206));
	wait_pool_clean(clean0 + unit);
	TEST_ASSERT(vmqt_stats().pool_own_pages == own0, "kept for D");

	pvm_free(&a);
	pvm_free(&b);
	pvm_free(&c);
	pvm_free(&d);
}

#define BATCH		8
#define BATCH_SLOTS	(2 * BATCH)

/*
 * Another vCPU, round after round: read the first word of @n slots from
 * @first, @stride apart, until flags[0] is set (flags[1] says it has read
 * them a while), then each must be want[i]; GUEST_SYNC ends the round.
 */
static void batch_reader_guest(u64 first, u64 n, u64 stride, u64 *flags,
			       u64 *want)
{
	u64 i, v, reads, s;

	for (;;) {
		for (reads = 0;; reads++) {
			s = __atomic_load_n(&flags[0], __ATOMIC_ACQUIRE);
			for (i = 0; i < n; i++) {
				v = READ_ONCE(*(u64 *)(first + i * stride));
				if (s)
					GUEST_ASSERT_3(v == want[i], i, v,
						       want[i]);
			}
			if (s)
				break;
			if (reads == 100)
				__atomic_store_n(&flags[1], 1, __ATOMIC_RELEASE);
		}
		GUEST_SYNC(0);
	}
}

struct reader {
	struct kvm_vcpu *vcpu;
	u64 *flags, *want;	/* host views */
	pthread_t t;
	bool ok;
};

static void *run_reader(void *arg)
{
	struct reader *rd = arg;
	struct ucall uc;

	vcpu_run(rd->vcpu);
	switch (get_ucall(rd->vcpu, &uc)) {
	case UCALL_SYNC:
		rd->ok = true;
		break;
	case UCALL_ABORT:
		ksft_print_msg("reader: %s at line %ld: slot %lu read %lx, want %lx\n",
			       (const char *)uc.args[0], (long)uc.args[1],
			       (unsigned long)uc.args[2],
			       (unsigned long)uc.args[3],
			       (unsigned long)uc.args[4]);
		break;
	default:
		ksft_print_msg("reader: exit %u\n", rd->vcpu->run->exit_reason);
	}
	return NULL;
}

static void reader_add(struct reader *rd, struct pvm *v, u64 first)
{
	vm_vaddr_t f = vm_vaddr_alloc_page(v->g.vm);

	rd->flags = addr_gva2hva(v->g.vm, f);
	rd->want = rd->flags + 8;
	rd->vcpu = vm_vcpu_add(v->g.vm, 1, batch_reader_guest);
	vcpu_args_set(rd->vcpu, 5, first, (u64)BATCH, v->page_size, f, f + 64);
}

/* Start a round: the reader reads until reader_check(). */
static void reader_start(struct reader *rd)
{
	int i;

	rd->flags[0] = rd->flags[1] = 0;
	rd->ok = false;
	TEST_ASSERT(!pthread_create(&rd->t, NULL, run_reader, rd), "thread");
	for (i = 0; i < 600000 && !__atomic_load_n(&rd->flags[1], __ATOMIC_ACQUIRE);
	     i++)
		usleep(100);
	TEST_ASSERT(rd->flags[1], "reader never started");
}

/* End the round: every word it reads from now on must be @want's. */
static void reader_check(struct reader *rd, const u64 *want, const char *what)
{
	memcpy(rd->want, want, BATCH * sizeof(*want));
	__atomic_store_n(&rd->flags[0], 1, __ATOMIC_RELEASE);
	pthread_join(rd->t, NULL);
	TEST_ASSERT(rd->ok, "%s: a vCPU read a stale page", what);
}

/*
 * The host publishes BATCH page descriptors in @a's transmit ring at once,
 * slots @first.. of its window, then @a's vCPU flushes the ring: the
 * descriptors go as one batch. A descriptor that found its page referenced
 * for an instant (-EBUSY: a reader vCPU's refault holds GUP-fast's
 * speculative reference, pages.rst) is sent again with VMQ_HC_PAGE_SEND,
 * as a guest would; its record then comes after the batch's. Returns how
 * many sends that took.
 */
static int post_batch(struct pvm *a, struct vmqt_gmem *tx, u32 dest, int first,
		      u64 tag)
{
	s64 idx = a->g.cmd->tx_prod, r;
	int i, again = 0;

	for (i = 0; i < BATCH; i++)
		vmqt_tx_put(a->g.cmd, tx->hva, dest, slot_gpa(a, first + i), 0,
			    tag + i, VMQ_TX_F_PAGE);
	TEST_ASSERT(vmqt_gvm_hc(&a->g, VMQ_HC_TX_FLUSH, 0, 0, 0, 0) >= 0,
		    "VMQ_HC_TX_FLUSH");
	for (i = 0; i < BATCH; i++) {
		r = vmqt_host_tx_status(tx, idx + i);
		while (r == -EBUSY && again < 1000) {
			again++;
			r = vmqt_gvm_hc(&a->g, VMQ_HC_PAGE_SEND, dest,
					slot_gpa(a, first + i), tag + i, 0);
		}
		TEST_ASSERT(!r, "descriptor %d: %ld", i, (long)r);
	}
	if (again)
		ksft_print_msg("%d page sends again after -EBUSY\n", again);
	return again;
}

/*
 * Page descriptors drained together from a transmit ring move as one
 * batch: the sender's window mapping is invalidated once for the batch
 * (KVM's remote_tlb_flush_requests of the sender's VM grows by one, not by
 * one per page), and a clean receive pool needs no invalidation at all.
 * Yet no vCPU of either VM sees a stale page afterwards: a second vCPU of
 * the sender keeps reading the pages during the batch and must read
 * zeroes after it; a second vCPU of the receiver, which read its slots
 * before it gave them to its pool (clean path) or keeps reading its pool
 * slots during the batch (the slots are not clean then: the send clears
 * and zaps them itself), must read the new pages.
 */
static void test_batch(void)
{
	struct vmqt_win wa = vmqt_window_new(BATCH_SLOTS, page_size_arg);
	struct vmqt_win wb = vmqt_window_new(BATCH_SLOTS, page_size_arg);
	struct pvm a = pvm_create_with("ba", page_size_arg, &wa);
	struct pvm b = pvm_create_with("bb", page_size_arg, &wb);
	u64 clean0 = vmqt_stats().pool_clean_pages;
	u64 unit = page_size_arg / 4096, zero[BATCH] = {}, want[BATCH];
	u64 fa, fb, fa_n, landed[BATCH];
	struct reader ra = {}, rb = {};
	struct vmqt_gmem tx;
	int i, j, round, again;
	bool seen[BATCH];

	vmqt_allow(a.g.id, b.g.id);
	tx = vmqt_tx_setup(&a.g, 1);
	reader_add(&ra, &a, slot_gpa(&a, 0));
	reader_add(&rb, &b, slot_gpa(&b, 0));

	/* B's second vCPU has B's own slots in its TLB. */
	for (i = 0; i < BATCH; i++) {
		guest_mem(&b, VMQT_OP_MEM_FILL, slot_gpa(&b, i), b.page_size,
			  300 + i);
		want[i] = vmqt_pattern(300 + i, 0);
	}
	reader_start(&rb);
	reader_check(&rb, want, "the receiver's own slots");

	for (round = 0; round < 2; round++) {
		for (i = 0; i < BATCH; i++) {
			guest_mem(&a, VMQT_OP_MEM_FILL, slot_gpa(&a, i),
				  a.page_size, 200 + 10 * round + i);
			want[i] = vmqt_pattern(200 + 10 * round + i, 0);
			TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE,
						 slot_gpa(&b, i), 0, 0, 0),
				    "PAGE_FREE");
		}
		if (round == 0)
			wait_pool_clean(clean0 + BATCH * unit);
		reader_start(&ra);
		/* Round 1: B's second vCPU keeps touching its pool slots. */
		if (round == 1)
			reader_start(&rb);

		fa = vm_stat(a.g.vm, "remote_tlb_flush_requests");
		fb = vm_stat(b.g.vm, "remote_tlb_flush_requests");
		fa_n = vm_stat(a.g.vm, "remote_tlb_flush");
		again = post_batch(&a, &tx, b.g.id, 0, 10 * round);
		fa = vm_stat(a.g.vm, "remote_tlb_flush_requests") - fa;
		fb = vm_stat(b.g.vm, "remote_tlb_flush_requests") - fb;
		fa_n = vm_stat(a.g.vm, "remote_tlb_flush") - fa_n;

		reader_check(&ra, zero, "the sender after a batch");
		ksft_print_msg("round %d: %d pages: sender %lu flush requests (%lu flushes), receiver %lu\n",
			       round, BATCH, (unsigned long)fa,
			       (unsigned long)fa_n, (unsigned long)fb);
		/*
		 * One invalidation; KVM may flush once more if it yields its
		 * mmu_lock in the middle of the zap. One per page was BATCH.
		 * Each send made again is one more.
		 */
		TEST_ASSERT(fa >= 1 && fa <= 2 * (1 + again),
			    "sender: %lu TLB flush requests for one batch and %d sends",
			    (unsigned long)fa, again);
		TEST_ASSERT(fa_n <= fa, "more flushes than requests");
		if (round == 0)
			TEST_ASSERT(!fb, "receiver: %lu TLB flush requests for a clean pool",
				    (unsigned long)fb);

		/*
		 * Pages land in pool slots 0..BATCH-1, in any order; their
		 * records come in the batch's order, but for a page sent
		 * again after it.
		 */
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < BATCH; i++) {
			u64 t, gpa = take_page_msg_tag(&b, a.g.id, &t);
			u64 slot = (gpa - WIN_GPA) / b.page_size;

			TEST_ASSERT(t >= 10 * round && t < 10 * round + BATCH,
				    "record %d: tag %lu", i, (unsigned long)t);
			j = t - 10 * round;
			TEST_ASSERT(!seen[j] && (again || j == i),
				    "record %d: tag %lu", i, (unsigned long)t);
			seen[j] = true;
			TEST_ASSERT(slot < BATCH, "page %d at slot %lu", j,
				    (unsigned long)slot);
			landed[slot] = want[j];
			expect_bytes(&b, gpa, 200 + 10 * round + j, "batched page");
			expect_bytes(&a, slot_gpa(&a, j), 0, "sender's slot");
		}
		if (round == 0)
			reader_start(&rb);
		reader_check(&rb, landed, "the receiver after a batch");
	}
	pvm_free(&a);
	pvm_free(&b);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			ksft_print_msg("%s: %s\n", path, strerror(errno));
		close(fd);
	}
}

/*
 * Let the kernel give back what it merely keeps: shrinking every slab
 * cache empties its free slabs and, under KASAN, its quarantine of freed
 * objects (up to 1/32 of memory, freed VMs' objects among them).
 */
static void settle_memory(void)
{
	char path[300];
	struct dirent *e;
	DIR *d = opendir("/sys/kernel/slab");

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		write_file(path, "1");
	}
	if (d)
		closedir(d);
	write_file("/proc/sys/vm/drop_caches", "3");
}

/* /proc/meminfo, in KiB, once the kernel has settled. */
#define MEMINFO_MAX	64

struct meminfo {
	int n;
	char name[MEMINFO_MAX][32];
	long kib[MEMINFO_MAX];
	long free;	/* MemFree and the per-CPU free lists */
};

/*
 * MemFree leaves out the pages parked on the per-CPU free lists
 * (/proc/zoneinfo "count:"), which hold freed 2 MiB pages too: @free
 * counts them.
 */
static void meminfo_read(struct meminfo *m)
{
	unsigned long n, pcp = 0;
	char line[256];
	FILE *f;

	settle_memory();
	memset(m, 0, sizeof(*m));
	f = fopen("/proc/meminfo", "r");
	TEST_ASSERT(f, "/proc/meminfo");
	while (m->n < MEMINFO_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31[^:]: %ld", m->name[m->n],
			   &m->kib[m->n]) == 2)
			m->n++;
	fclose(f);
	f = fopen("/proc/zoneinfo", "r");
	TEST_ASSERT(f, "/proc/zoneinfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lu", &n) == 1)
			pcp += n;
	fclose(f);
	for (n = 0; n < (unsigned long)m->n; n++)
		if (!strcmp(m->name[n], "MemFree"))
			m->free = m->kib[n];
	m->free += pcp * (getpagesize() / 1024);
	if (m->n < MEMINFO_MAX) {
		strcpy(m->name[m->n], "per-CPU free lists");
		m->kib[m->n++] = pcp * (getpagesize() / 1024);
	}
}

/* What else moved by a megabyte or more: where the memory went. */
static void meminfo_print_changes(const struct meminfo *a,
				  const struct meminfo *b)
{
	int i;

	for (i = 0; i < a->n && i < b->n; i++)
		if (labs(b->kib[i] - a->kib[i]) >= 1024)
			ksft_print_msg("  %s: %+ld kB\n", a->name[i],
				       b->kib[i] - a->kib[i]);
}

#define TEARDOWN_ROUNDS	8
#define TEARDOWN_TRIES	3
/* Settled noise stays under 1 MiB; 2 MiB pages lost would cost 28 MiB. */
#define TEARDOWN_SLACK_KIB	8192

/*
 * TEARDOWN_ROUNDS times: two VMs, two pages sent from one to the other,
 * both VMs destroyed with the pages in flight (sender or receiver first)
 * and then their windows. Checks the module's counters; returns how much
 * less memory is free after the rounds than after the first one, in KiB
 * (@before and @after: /proc/meminfo then).
 */
static long teardown_rounds(struct meminfo *before, struct meminfo *after)
{
	struct vmqt_stats s0 = vmqt_stats(), s1;
	int round;

	for (round = 0; round < TEARDOWN_ROUNDS; round++) {
		struct pvm a, b;

		/*
		 * Round 0 pays what the first VMs and windows cost once (KVM
		 * and slab caches, the debug kernel's shadow memory); the
		 * free-memory check covers the rounds after it.
		 */
		if (round == 1)
			meminfo_read(before);
		a = pvm_create("ta", page_size_arg);
		b = pvm_create("tb", page_size_arg);
		vmqt_allow(a.g.id, b.g.id);
		vmqt_allow(b.g.id, a.g.id);
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0), "free");
		TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 1), 0, 0, 0), "free");
		TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 0), 1), "send");
		TEST_ASSERT(!page_send(&a, &b, slot_gpa(&a, 1), 2), "send");
		TEST_ASSERT(vmqt_stats().pages_in_flight == s0.pages_in_flight + 2,
			    "in flight");
		/* Even rounds: sender first; odd rounds: receiver first. */
		if (round % 2 == 0) {
			vmqt_gvm_free(&a.g);
			TEST_ASSERT(vmqt_stats().pages_in_flight ==
				    s0.pages_in_flight + 2, "receiver still holds them");
			vmqt_gvm_free(&b.g);
		} else {
			vmqt_gvm_free(&b.g);
			TEST_ASSERT(vmqt_stats().pages_in_flight == s0.pages_in_flight,
				    "receiver gone: nothing in flight");
			vmqt_gvm_free(&a.g);
		}
		/* The VMMs still map their windows: the pages are theirs. */
		TEST_ASSERT(vmqt_stats().live_windows == s0.live_windows + 2, "windows");
		vmqt_window_unmap(&a.w);
		vmqt_window_unmap(&b.w);
	}
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_windows == s0.live_windows, "live_windows %lu",
		    (unsigned long)s1.live_windows);
	TEST_ASSERT(s1.window_pages == s0.window_pages, "window_pages %lu",
		    (unsigned long)s1.window_pages);
	TEST_ASSERT(s1.pages_in_flight == s0.pages_in_flight, "pages_in_flight");
	TEST_ASSERT(s1.live_vms == s0.live_vms && s1.pinned_pages == s0.pinned_pages,
		    "VMs %lu pinned %lu", (unsigned long)s1.live_vms,
		    (unsigned long)s1.pinned_pages);
	meminfo_read(after);
	return before->free - after->free;
}

/* VMs and windows go away with pages in flight: every page comes back. */
static void test_teardown(void)
{
	struct meminfo before, after;
	long lost = 0;
	int try;

	/*
	 * The module's counters (teardown_rounds()) are the exact check;
	 * free memory shows that the pages really went back to the system,
	 * which no counter of vmq can: a reference someone else kept would
	 * not show there. With 2 MiB pages, losing just the two pages in
	 * flight of each measured round costs 28 MiB, and losing whole
	 * windows 112 MiB; once settled, the noise stays under 1 MiB, debug
	 * kernels included. (4 KiB pages are too small to see here.)
	 *
	 * But free memory is the whole system's: memory taken by anything
	 * else in between counts as lost too. khugepaged, for one, may
	 * collapse any process's sparse anonymous memory into 2 MiB pages
	 * (the sandbox kernels have transparent huge pages "always"): this
	 * process opts out for the rounds, and a loss must be seen on every
	 * try, as a leak is, not on one.
	 */
	TEST_ASSERT(!prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), "PR_SET_THP_DISABLE");
	for (try = 1; try <= TEARDOWN_TRIES; try++) {
		lost = teardown_rounds(&before, &after);
		ksft_print_msg("free memory over %d rounds: %ld kB\n",
			       TEARDOWN_ROUNDS - 1, -lost);
		if (lost <= TEARDOWN_SLACK_KIB)
			break;
		ksft_print_msg("what else changed:\n");
		meminfo_print_changes(&before, &after);
	}
	TEST_ASSERT(!prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0), "PR_SET_THP_DISABLE");
	TEST_ASSERT(lost <= TEARDOWN_SLACK_KIB, "%ld kB fewer free on each of %d tries",
		    lost, TEARDOWN_TRIES);
}

static void test_window_create_errors(void)
{
	struct vmq_window_create wc = { .size = 8192, .page_size = 4096 };
	void *p;

	wc.page_size = 8192;
	TEST_ASSERT(ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc) && errno == EINVAL,
		    "page size 8192");
	wc.page_size = 4096;
	wc.size = 6000;
	TEST_ASSERT(ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc) && errno == EINVAL,
		    "size not a multiple");
	wc.size = 8192;
	wc.flags = 1;
	TEST_ASSERT(ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc) && errno == EINVAL,
		    "flags");
	wc.flags = 0;
	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_WINDOW_CREATE, &wc), "create");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, wc.fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "private mapping refused");
	p = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, wc.fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "mapping past the end");
	close(wc.fd);
}

/*
 * Open a window node and map it the way QEMU's memory-backend-file does
 * (mem-path=/dev/vmq-window..., share=on, align=page size): the file has
 * no size and cannot be truncated, and the mapping is MAP_FIXED into an
 * aligned reservation.
 */
static struct vmqt_win node_window(u64 page_size, u64 size)
{
	const char *path = page_size == 4096 ? "/dev/vmq-window" :
			   "/dev/vmq-window-2m";
	struct vmqt_win w = { .size = size, .page_size = page_size };
	u8 *resv, *at;
	void *p;

	w.fd = open(path, O_RDWR | O_CLOEXEC);
	TEST_ASSERT(w.fd >= 0, "open %s: %d", path, -errno);
	TEST_ASSERT(lseek(w.fd, 0, SEEK_END) < 0 && errno == ESPIPE,
		    "a window node has no size");
	TEST_ASSERT(ftruncate(w.fd, size) && errno == EINVAL,
		    "a window node cannot be truncated");

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, w.fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "private mapping refused");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w.fd, page_size);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL,
		    "the first mapping must start at offset 0");

	resv = mmap(NULL, size + page_size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(resv != MAP_FAILED, "reserve: %d", -errno);
	at = (u8 *)(((uintptr_t)resv + page_size - 1) & ~(page_size - 1));
	w.map = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     w.fd, 0);
	TEST_ASSERT(w.map == at, "map %s: %d", path, -errno);
	if (at > resv)
		munmap(resv, at - resv);
	munmap(at + size, resv + page_size - at);

	/* Sized now: only what fits in that size maps. */
	p = mmap(NULL, size + page_size, PROT_READ, MAP_SHARED, w.fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "mapping past the end");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, w.fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "a second mapping: %d", -errno);
	munmap(p, size);
	return w;
}

/*
 * A window opened by path, as a stock QEMU would open it, works like one
 * from VMQ_IOC_WINDOW_CREATE: pages go out of it and into it intact, 2 MiB
 * ones mapped large, and closing it gives everything back.
 */
static void test_window_node(void)
{
	struct vmqt_stats s0 = vmqt_stats(), s1;
	u64 size = WIN_SLOTS * page_size_arg, gpa;
	struct vmqt_win w = node_window(page_size_arg, size);
	struct pvm q, b;

	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_windows == s0.live_windows + 1, "live_windows");
	TEST_ASSERT(s1.window_pages == s0.window_pages + size / 4096,
		    "window_pages %lu", (unsigned long)s1.window_pages);
	q = pvm_create_with("qn", page_size_arg, &w);
	b = pvm_create("qb", page_size_arg);
	vmqt_allow(q.g.id, b.g.id);
	vmqt_allow(b.g.id, q.g.id);
	TEST_ASSERT(!vmqt_gvm_hc(&b.g, VMQ_HC_PAGE_FREE, slot_gpa(&b, 0), 0, 0, 0),
		    "PAGE_FREE");
	TEST_ASSERT(!vmqt_gvm_hc(&q.g, VMQ_HC_PAGE_FREE, slot_gpa(&q, 3), 0, 0, 0),
		    "PAGE_FREE");

	guest_mem(&q, VMQT_OP_MEM_FILL, slot_gpa(&q, 1), q.page_size, 21);
	TEST_ASSERT(!page_send(&q, &b, slot_gpa(&q, 1), 61), "PAGE_SEND out");
	gpa = take_page_msg(&b, q.g.id, 61);
	expect_bytes(&b, gpa, 21, "page from the window node");
	expect_bytes(&q, slot_gpa(&q, 1), 0, "window node slot after sending");
	TEST_ASSERT(!page_send(&b, &q, gpa, 62), "PAGE_SEND back");
	gpa = take_page_msg(&q, b.g.id, 62);
	TEST_ASSERT(gpa == slot_gpa(&q, 3), "lands in the freed slot");
	expect_bytes(&q, gpa, 21, "page back in the window node");
	if (page_size_arg != 4096)
		TEST_ASSERT(vm_stat(q.g.vm, "pages_2m") >= 1,
			    "window node's 2 MiB page not mapped large");
	pvm_free(&q);
	pvm_free(&b);
	s1 = vmqt_stats();
	TEST_ASSERT(s1.live_windows == s0.live_windows &&
		    s1.window_pages == s0.window_pages &&
		    s1.pages_in_flight == s0.pages_in_flight,
		    "windows %lu, window pages %lu, in flight %lu after close",
		    (unsigned long)s1.live_windows,
		    (unsigned long)s1.window_pages,
		    (unsigned long)s1.pages_in_flight);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "transfer", test_transfer },
		{ "forward and reuse", test_forward_and_reuse },
		{ "lazy page sends through the transmit ring", test_lazy_pages },
		{ "full window, bad arguments", test_errors },
		{ "pages in flight quota", test_quota },
		{ "pages in flight quota, four vCPUs at once",
		  test_quota_concurrent },
		{ "rings refused on window pages", test_ring_in_window },
		{ "a page the host references does not move",
		  test_host_reference },
		{ "a window's memslot moved or deleted unbinds it",
		  test_memslot_change },
		{ "no stale view on another vCPU", test_no_stale_view },
		{ "a donor's writes to its pool never reach a sender",
		  test_donor_writes },
		{ "a batch: one flush, no stale view on any vCPU", test_batch },
		{ "own bytes back, never another's", test_own_bytes },
		{ "teardown with pages in flight", test_teardown },
		{ "a window opened by path, as QEMU does", test_window_node },
	};
	static const u64 sizes[] = { 4096, 2UL << 20 };
	char name[96];
	int s, i;

	ksft_print_header();
	ksft_set_plan(1 + ARRAY_SIZE(sizes) * ARRAY_SIZE(cases));
	vmqt_run_case("window creation errors", test_window_create_errors);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		page_size_arg = sizes[s];
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			snprintf(name, sizeof(name), "%s (%s pages)",
				 cases[i].name, s ? "2 MiB" : "4 KiB");
			vmqt_run_case(name, cases[i].fn);
		}
	}
	ksft_finished();
}
