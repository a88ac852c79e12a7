// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_test - every command of the "vmq" generic netlink family, with raw
 * libnl-genl-3 calls (lib/nl.c), against real VMs: GET_VM do and dump,
 * SET_VM (name, quotas, and the quotas enforced), ALLOW, REVOKE, INTRODUCE,
 * RESET_COUNTERS, the "events" multicast group, and the refusals with their
 * extended-ACK text: unknown VM, bad attributes, missing attributes, and a
 * caller without CAP_NET_ADMIN.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vmqt.h"
#include "vmqt_nl.h"

#define PAYLOAD_BYTES	(4 * 4096)

static void open_nl(struct vmqt_nl *v)
{
	__TEST_REQUIRE(!vmqt_nl_open(v), "generic netlink family \"vmq\" not found");
}

#define EXPECT_ERR(v, call, err, text) do {				\
	int __r = (call);						\
									\
	TEST_ASSERT(__r == (err), "%s: %d, expected %d (%s) [%s]",	\
		    #call, __r, (err), strerror(-(err)), (v)->msg);	\
	TEST_ASSERT(vmqt_nl_msg_is(v, text), "%s: extack \"%s\", expected \"%s\"", \
		    #call, (v)->msg, text);				\
} while (0)

static bool has_peer(const struct vmqt_nl_vm *vm, u32 peer)
{
	int i;

	for (i = 0; i < vm->nr_peers; i++)
		if (vm->peers[i] == peer)
			return true;
	return false;
}

/* GET_VM do (by id and by name) and dump, checked against real VMs. */
static void case_get_vm(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-get-a", false, 8192, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-get-b", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm c = vmqt_tvm_new(NULL, false, 0, PAYLOAD_BYTES);
	struct vmqt_nl_vm va, vb, vc, byname;
	struct vmqt_nl_vms *vms = calloc(1, sizeof(*vms));
	struct vmq_vm_info ia;
	int h;
	bool seen_a = false, seen_b = false, seen_c = false;
	u32 prev = 0;
	struct vmqt_nl v;
	int i;

	open_nl(&v);
	vmqt_allow(a.g.id, b.g.id);
	vmqt_allow(a.g.id, c.g.id);
	for (i = 0; i < 3; i++)
		vmqt_tvm_send_ok(&a, b.g.id, 100 + i, i);

	va = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(va.id == a.g.id, "id %u", va.id);
	TEST_ASSERT(va.has_name && !strcmp(va.name, "nl-get-a"), "name %s",
		    va.name);
	TEST_ASSERT(va.pid == (u32)getpid(), "pid %u, expected %d", va.pid,
		    getpid());
	TEST_ASSERT(va.queue_size == 8192 && va.queue_bytes == 0 &&
		    va.queue_msgs == 0, "a's queue %u/%u/%u", va.queue_size,
		    va.queue_bytes, va.queue_msgs);
	TEST_ASSERT(va.has_peers && va.nr_peers == 2 && has_peer(&va, b.g.id) &&
		    has_peer(&va, c.g.id), "a's peers: %d", va.nr_peers);
	TEST_ASSERT(va.has_quotas && va.max_msg == 0 && va.max_queue == 0,
		    "a's quotas %u %u", va.max_msg, va.max_queue);
	TEST_ASSERT(va.has_counters && va.nr_ctr == VMQ_CTR_NR,
		    "a reports %d counters", va.nr_ctr);
	TEST_ASSERT(va.ctr[VMQ_CTR_TX_MSGS] == 3 &&
		    va.ctr[VMQ_CTR_TX_BYTES] == 100 + 101 + 102 &&
		    va.ctr[VMQ_CTR_RX_MSGS] == 0,
		    "a's counters tx %lu/%lu rx %lu",
		    (unsigned long)va.ctr[VMQ_CTR_TX_MSGS],
		    (unsigned long)va.ctr[VMQ_CTR_TX_BYTES],
		    (unsigned long)va.ctr[VMQ_CTR_RX_MSGS]);
	/* Registering the queue and three sends: four hypercalls. */
	TEST_ASSERT(va.ctr[VMQ_CTR_HYPERCALLS] == 4, "a's hypercalls %lu",
		    (unsigned long)va.ctr[VMQ_CTR_HYPERCALLS]);
	/* The VMM's view, through its VM handle, agrees. */
	h = vmqt_handle_of(a.g.vm);
	ia = vmqt_handle_info(h);
	close(h);
	TEST_ASSERT(ia.id == a.g.id && ia.nr_counters == VMQ_CTR_NR &&
		    !memcmp(ia.counters, va.ctr, sizeof(va.ctr)),
		    "netlink and the handle's VMQ_IOC_VM_INFO differ");

	vb = vmqt_nl_get_ok(&v, b.g.id);
	TEST_ASSERT(vb.queue_size == 4096 && vb.queue_msgs == 3 &&
		    vb.queue_bytes == VMQ_MSG_RECORD_SIZE(100) +
		    VMQ_MSG_RECORD_SIZE(101) + VMQ_MSG_RECORD_SIZE(102),
		    "b's queue %u/%u/%u", vb.queue_size, vb.queue_bytes,
		    vb.queue_msgs);
	TEST_ASSERT(vb.ctr[VMQ_CTR_RX_MSGS] == 3 &&
		    vb.ctr[VMQ_CTR_RX_BYTES] == 303 &&
		    vb.ctr[VMQ_CTR_TX_MSGS] == 0, "b's counters");
	TEST_ASSERT(vb.has_peers && vb.nr_peers == 0, "b's peers: %d",
		    vb.nr_peers);
	/* Consuming one message shows in the queue fill. */
	vmqt_host_consume(&b.rx, vmqt_host_peek(&b.rx));
	vb = vmqt_nl_get_ok(&v, b.g.id);
	TEST_ASSERT(vb.queue_msgs == 2 && vb.queue_bytes ==
		    VMQ_MSG_RECORD_SIZE(101) + VMQ_MSG_RECORD_SIZE(102),
		    "b's queue after consuming one: %u/%u", vb.queue_bytes,
		    vb.queue_msgs);

	vc = vmqt_nl_get_ok(&v, c.g.id);
	TEST_ASSERT(!vc.has_name, "unnamed VM reports a name \"%s\"", vc.name);
	TEST_ASSERT(vc.queue_size == 0 && vc.queue_msgs == 0, "c's queue");

	TEST_ASSERT(!vmqt_nl_get(&v, 0, "nl-get-b", &byname), "GET_VM by name: %s",
		    v.msg);
	TEST_ASSERT(byname.id == b.g.id && !strcmp(byname.name, "nl-get-b"),
		    "GET_VM by name found %u", byname.id);
	/* The id wins over the name. */
	TEST_ASSERT(!vmqt_nl_get(&v, a.g.id, "nl-get-b", &byname) &&
		    byname.id == a.g.id, "id and name: found %u", byname.id);

	TEST_ASSERT(!vmqt_nl_dump(&v, vms), "dump: %s", v.msg);
	for (i = 0; i < vms->n; i++) {
		struct vmqt_nl_vm *d = &vms->vm[i];

		TEST_ASSERT(d->id > prev, "dump not in id order: %u after %u",
			    d->id, prev);
		prev = d->id;
		if (d->id == a.g.id) {
			seen_a = true;
			TEST_ASSERT(!strcmp(d->name, "nl-get-a") &&
				    d->nr_peers == 2 &&
				    d->ctr[VMQ_CTR_TX_MSGS] == 3, "dumped a");
		} else if (d->id == b.g.id) {
			seen_b = true;
			TEST_ASSERT(!strcmp(d->name, "nl-get-b") &&
				    d->queue_msgs == 2 && d->queue_size == 4096,
				    "dumped b");
		} else if (d->id == c.g.id) {
			seen_c = true;
			TEST_ASSERT(!d->has_name && d->pid == (u32)getpid(),
				    "dumped c");
		}
	}
	TEST_ASSERT(seen_a && seen_b && seen_c, "dump of %d VMs misses ours",
		    vms->n);
	/* Exactly as many VMs as VMQ_CMD_GET_STATS says live. */
	TEST_ASSERT(vmqt_stats().live_vms == (u64)vms->n,
		    "dump has %d VMs, VMQ_STAT_LIVE_VMS says %lu", vms->n,
		    (unsigned long)vmqt_stats().live_vms);
	free(vms);
	vmqt_nl_close(&v);
}

/* SET_VM: rename, quotas, and the quotas enforced. */
static void case_set_vm(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-set-a", false, 8192, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-set-b", false, 8192, PAYLOAD_BYTES);
	struct vmqt_tvm c = vmqt_tvm_new("nl-set-c", false, 0, PAYLOAD_BYTES);
	struct vmqt_gmem ring;
	struct vmqt_nl_vm vm;
	struct vmqt_nl v;
	s64 r;

	open_nl(&v);
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, "nl-renamed", -1, -1), "rename: %s",
		    v.msg);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(!strcmp(vm.name, "nl-renamed"), "renamed to %s", vm.name);
	TEST_ASSERT(!strcmp(vmqt_info_of(a.g.id).name, "nl-renamed"),
		    "ioctl sees %s", vmqt_info_of(a.g.id).name);
	EXPECT_ERR(&v, vmqt_nl_get(&v, 0, "nl-set-a", NULL), -ESRCH,
		   "vmq: VM not found");
	TEST_ASSERT(!vmqt_nl_get(&v, 0, "nl-renamed", &vm) && vm.id == a.g.id,
		    "lookup by the new name");
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, "nl-set-b", -1, -1), -EEXIST,
		   "vmq: another VM has this name");
	/* A refused SET_VM changes nothing, quotas included. */
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, "nl-set-b", 32, 4096), -EEXIST,
		   "vmq: another VM has this name");
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(!strcmp(vm.name, "nl-renamed") && vm.max_msg == 0 &&
		    vm.max_queue == 0, "a refused SET_VM left quotas %u %u",
		    vm.max_msg, vm.max_queue);
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, "nl-other", 0xffffffffLL, -1),
		   -ERANGE, "vmq: quota above the module's max_msg_size");
	TEST_ASSERT(!strcmp(vmqt_nl_get_ok(&v, a.g.id).name, "nl-renamed"),
		    "a refused SET_VM renamed the VM");
	/* Name and quotas together. */
	TEST_ASSERT(!vmqt_nl_set(&v, b.g.id, "nl-set-b2", -1, 1 << 20),
		    "rename and quota: %s", v.msg);
	vm = vmqt_nl_get_ok(&v, b.g.id);
	TEST_ASSERT(!strcmp(vm.name, "nl-set-b2") && vm.max_queue == 1 << 20,
		    "rename and quota together: %s %u", vm.name, vm.max_queue);

	/* max-msg: a send above it fails, one at it passes. */
	vmqt_allow(a.g.id, b.g.id);
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, NULL, 64, -1), "quota: %s", v.msg);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.max_msg == 64 && vm.max_queue == 0, "quotas %u %u",
		    vm.max_msg, vm.max_queue);
	r = vmqt_tvm_send(&a, b.g.id, 65, 1);
	TEST_ASSERT(r == -EMSGSIZE, "send over max-msg: %ld", (long)r);
	vmqt_tvm_send_ok(&a, b.g.id, 64, 2);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.ctr[VMQ_CTR_ERR_QUOTA] == 1 &&
		    vm.ctr[VMQ_CTR_TX_MSGS] == 1, "quota counter %lu, tx %lu",
		    (unsigned long)vm.ctr[VMQ_CTR_ERR_QUOTA],
		    (unsigned long)vm.ctr[VMQ_CTR_TX_MSGS]);
	{
		const struct vmq_msg_hdr *m = vmqt_host_peek(&b.rx);

		TEST_ASSERT(m && m->len == 64 && m->sender == a.g.id &&
			    m->tag == 2 && vmqt_check_fill(m + 1, 64, a.g.id, 2),
			    "the message at the quota arrived wrong");
		vmqt_host_consume(&b.rx, m);
		TEST_ASSERT(!vmqt_host_peek(&b.rx), "the refused one arrived");
	}
	/* 0: back to the module's limit. */
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, NULL, 0, -1), "quota 0: %s", v.msg);
	vmqt_tvm_send_ok(&a, b.g.id, 200, 3);
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, NULL, 0xffffffffLL, -1), -ERANGE,
		   "vmq: quota above the module's max_msg_size");

	/* max-queue: a larger queue is refused, one at the limit accepted. */
	TEST_ASSERT(!vmqt_nl_set(&v, c.g.id, NULL, -1, 4096), "max-queue: %s",
		    v.msg);
	vm = vmqt_nl_get_ok(&v, c.g.id);
	TEST_ASSERT(vm.max_queue == 4096 && vm.max_msg == 0, "c's quotas");
	ring = vmqt_gmem_alloc(c.g.vm, VMQ_RING_HDR_SIZE + 8192);
	((struct vmq_ring_hdr *)ring.hva)->magic = VMQ_RING_MAGIC;
	r = vmqt_gvm_hc(&c.g, VMQ_HC_QUEUE_REGISTER, ring.gpa, ring.bytes, 0, 0);
	TEST_ASSERT(r == -ENOSPC, "queue over max-queue: %ld", (long)r);
	r = vmqt_gvm_hc(&c.g, VMQ_HC_QUEUE_REGISTER, ring.gpa,
			VMQ_RING_HDR_SIZE + 4096, 0, 0);
	TEST_ASSERT(!r, "queue at max-queue: %ld", (long)r);
	vm = vmqt_nl_get_ok(&v, c.g.id);
	TEST_ASSERT(vm.queue_size == 4096 && vm.ctr[VMQ_CTR_ERR_QUOTA] == 1,
		    "c: queue %u, quota refusals %lu", vm.queue_size,
		    (unsigned long)vm.ctr[VMQ_CTR_ERR_QUOTA]);
	vmqt_nl_close(&v);
}

/* ALLOW and REVOKE, by id and by name; the sends follow. */
static void case_allow_revoke(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-acl-a", false, 0, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-acl-b", false, 4096, PAYLOAD_BYTES);
	struct vmqt_nl_vm vm;
	struct vmqt_nl v;
	s64 r;

	open_nl(&v);
	r = vmqt_tvm_send(&a, b.g.id, 16, 1);
	TEST_ASSERT(r == -EACCES, "send before ALLOW: %ld", (long)r);
	TEST_ASSERT(!vmqt_nl_pair(&v, VMQ_CMD_ALLOW, 0, "nl-acl-a", 0, "nl-acl-b"),
		    "ALLOW by names: %s", v.msg);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.nr_peers == 1 && vm.peers[0] == b.g.id, "a's peers");
	vmqt_tvm_send_ok(&a, b.g.id, 16, 2);
	/* One direction only. */
	vm = vmqt_nl_get_ok(&v, b.g.id);
	TEST_ASSERT(vm.nr_peers == 0, "b got peers from a's ALLOW");
	/* Allowing twice is fine. */
	vmqt_nl_pair_ok(&v, VMQ_CMD_ALLOW, a.g.id, b.g.id);
	vmqt_nl_pair_ok(&v, VMQ_CMD_REVOKE, a.g.id, b.g.id);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.nr_peers == 0, "peers after REVOKE: %d", vm.nr_peers);
	r = vmqt_tvm_send(&a, b.g.id, 16, 3);
	TEST_ASSERT(r == -EACCES, "send after REVOKE: %ld", (long)r);
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_REVOKE, a.g.id, NULL, 0, "nl-acl-b"),
		   -ENOENT, "vmq: the pair was not allowed");
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.ctr[VMQ_CTR_ERR_DENIED] == 2 &&
		    vm.ctr[VMQ_CTR_TX_MSGS] == 1, "a: denied %lu, sent %lu",
		    (unsigned long)vm.ctr[VMQ_CTR_ERR_DENIED],
		    (unsigned long)vm.ctr[VMQ_CTR_TX_MSGS]);
	vmqt_nl_close(&v);
}

/*
 * INTRODUCE: identities delivered, both directions allowed. a was renamed
 * from a longer name first: neither its identity record nor VM_INFO may
 * carry a byte of the old one.
 */
static void case_introduce(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-intro-a-was-longer", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-intro-b", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm c = vmqt_tvm_new("nl-intro-c", false, 0, PAYLOAD_BYTES);
	struct vmqt_nl_vm vm;
	struct vmqt_nl v;
	int h;
	s64 r;

	open_nl(&v);
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, "nl-intro-a", -1, -1), "rename: %s",
		    v.msg);
	h = vmqt_handle_of(a.g.vm);
	TEST_ASSERT(vmqt_name_padded(vmqt_handle_info(h).name, "nl-intro-a"),
		    "VMQ_IOC_VM_INFO: stale bytes after the new name");
	close(h);
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, a.g.id, NULL, c.g.id,
				    NULL), -ENOTCONN,
		   "vmq: both VMs need a receive queue");
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.nr_peers == 0 && vmqt_host_pending(&a.rx) == 0,
		    "a failed INTRODUCE changed something");
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, a.g.id, NULL, a.g.id,
				    NULL), -EINVAL,
		   "vmq: a VM cannot be introduced to itself");

	TEST_ASSERT(!vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, 0, "nl-intro-a", 0,
				  "nl-intro-b"), "INTRODUCE: %s", v.msg);
	vmqt_host_expect_identity(&a.rx, b.g.id, "nl-intro-b");
	vmqt_host_expect_identity(&b.rx, a.g.id, "nl-intro-a");
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.nr_peers == 1 && vm.peers[0] == b.g.id, "a's peers");
	vm = vmqt_nl_get_ok(&v, b.g.id);
	TEST_ASSERT(vm.nr_peers == 1 && vm.peers[0] == a.g.id, "b's peers");
	vmqt_tvm_send_ok(&a, b.g.id, 40, 1);
	vmqt_tvm_send_ok(&b, a.g.id, 40, 2);
	r = vmqt_tvm_send(&c, a.g.id, 40, 3);
	TEST_ASSERT(r == -EACCES, "c was not introduced: %ld", (long)r);
	vmqt_nl_close(&v);
}

/* RESET_COUNTERS for one VM and for all. */
static void case_reset(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-rst-a", false, 0, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-rst-b", false, 4096, PAYLOAD_BYTES);
	struct vmqt_nl_vm vm;
	struct vmqt_nl v;
	int i;

	open_nl(&v);
	vmqt_allow(a.g.id, b.g.id);
	vmqt_tvm_send_ok(&a, b.g.id, 10, 1);
	TEST_ASSERT(vmqt_tvm_send(&b, a.g.id, 10, 2) == -EACCES, "b -> a");
	TEST_ASSERT(!vmqt_nl_reset(&v, b.g.id), "reset b: %s", v.msg);
	vm = vmqt_nl_get_ok(&v, b.g.id);
	for (i = 0; i < VMQ_CTR_NR; i++)
		TEST_ASSERT(!vm.ctr[i], "b's counter %d is %lu after reset", i,
			    (unsigned long)vm.ctr[i]);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.ctr[VMQ_CTR_TX_MSGS] == 1, "a was reset with b");
	TEST_ASSERT(!vmqt_nl_reset(&v, 0), "reset all: %s", v.msg);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	for (i = 0; i < VMQ_CTR_NR; i++)
		TEST_ASSERT(!vm.ctr[i], "a's counter %d is %lu after reset all",
			    i, (unsigned long)vm.ctr[i]);
	/* Counting goes on from zero. */
	vmqt_tvm_send_ok(&a, b.g.id, 10, 3);
	vm = vmqt_nl_get_ok(&v, a.g.id);
	TEST_ASSERT(vm.ctr[VMQ_CTR_TX_MSGS] == 1 && vm.ctr[VMQ_CTR_TX_BYTES] == 10,
		    "a after reset and one send");
	EXPECT_ERR(&v, vmqt_nl_reset(&v, 0x7fffff00), -ESRCH, "vmq: VM not found");
	vmqt_nl_close(&v);
}

static void expect_event(struct vmqt_nl_events *e, u32 ev, u32 vm, u32 peer,
			 s32 error)
{
	struct vmqt_nl_event *x = vmqt_nl_events_wait(e, ev, vm);

	TEST_ASSERT(x, "no event %u for VM %u (%d events seen)", ev, vm, e->n);
	TEST_ASSERT(x->peer == peer && x->has_peer == !!peer,
		    "event %u: peer %u, expected %u", ev, x->peer, peer);
	TEST_ASSERT(x->error == error && x->has_error == !!error,
		    "event %u: error %d, expected %d", ev, x->error, error);
	x->event = 0;	/* used up */
}

/* The events multicast group. */
static void case_events(void)
{
	struct vmqt_nl_events *e = calloc(1, sizeof(*e));
	struct vmqt_tvm a, b, c;
	u32 gone;
	s64 r;

	vmqt_nl_events_open(e);
	a = vmqt_tvm_new("nl-ev-a", false, 0, PAYLOAD_BYTES);
	b = vmqt_tvm_new("nl-ev-b", false, 4096, PAYLOAD_BYTES);
	c = vmqt_tvm_new("nl-ev-c", false, 0, PAYLOAD_BYTES);
	expect_event(e, VMQ_EVENT_VM_ATTACHED, a.g.id, 0, 0);
	expect_event(e, VMQ_EVENT_VM_ATTACHED, b.g.id, 0, 0);
	expect_event(e, VMQ_EVENT_VM_ATTACHED, c.g.id, 0, 0);

	r = vmqt_tvm_send(&a, b.g.id, 8, 1);
	TEST_ASSERT(r == -EACCES, "denied send: %ld", (long)r);
	expect_event(e, VMQ_EVENT_DENIED, a.g.id, b.g.id, -EACCES);

	vmqt_allow(a.g.id, c.g.id);
	r = vmqt_tvm_send(&a, c.g.id, 8, 2);
	TEST_ASSERT(r == -ENOTCONN, "send to no queue: %ld", (long)r);
	expect_event(e, VMQ_EVENT_DROP, a.g.id, c.g.id, -ENOTCONN);

	vmqt_allow(a.g.id, b.g.id);
	{
		struct vmqt_nl v;

		open_nl(&v);
		TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, NULL, 16, -1), "quota");
		TEST_ASSERT(!vmqt_nl_set(&v, c.g.id, NULL, -1, 4096), "quota");
		vmqt_nl_close(&v);
	}
	r = vmqt_tvm_send(&a, b.g.id, 17, 3);
	TEST_ASSERT(r == -EMSGSIZE, "send over quota: %ld", (long)r);
	expect_event(e, VMQ_EVENT_QUOTA, a.g.id, b.g.id, -EMSGSIZE);
	{
		struct vmqt_gmem ring = vmqt_gmem_alloc(c.g.vm,
							VMQ_RING_HDR_SIZE + 8192);

		((struct vmq_ring_hdr *)ring.hva)->magic = VMQ_RING_MAGIC;
		r = vmqt_gvm_hc(&c.g, VMQ_HC_QUEUE_REGISTER, ring.gpa,
				ring.bytes, 0, 0);
		TEST_ASSERT(r == -ENOSPC, "queue over quota: %ld", (long)r);
		expect_event(e, VMQ_EVENT_QUOTA, c.g.id, 0, -ENOSPC);
	}
	/* A successful send is no event. */
	vmqt_tvm_send_ok(&a, b.g.id, 8, 4);
	vmqt_nl_events_drain(e);
	TEST_ASSERT(!vmqt_nl_events_find(e, VMQ_EVENT_DROP, a.g.id) &&
		    !vmqt_nl_events_find(e, VMQ_EVENT_DENIED, a.g.id),
		    "a good send raised an event");

	gone = b.g.id;
	vmqt_gvm_free(&b.g);
	expect_event(e, VMQ_EVENT_VM_GONE, gone, 0, 0);
	vmqt_nl_events_close(e);
	free(e);
}

/* Refusals and their extended-ACK text. */
static void case_errors(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-err-a", false, 0, PAYLOAD_BYTES);
	struct nl_msg *msg;
	char long_name[VMQ_NAME_MAX + 8];
	struct vmqt_nl v;

	open_nl(&v);
	/* Unknown VM: by id, by name; unknown peer. */
	EXPECT_ERR(&v, vmqt_nl_get(&v, 0x7fffff00, NULL, NULL), -ESRCH,
		   "vmq: VM not found");
	TEST_ASSERT(v.offs > 0, "no attribute offset for the unknown id");
	EXPECT_ERR(&v, vmqt_nl_get(&v, 0, "nl-no-such-vm", NULL), -ESRCH,
		   "vmq: VM not found");
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_ALLOW, a.g.id, NULL, 0x7fffff00,
				    NULL), -ESRCH, "vmq: peer not found");
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_ALLOW, 0, "nl-no-such-vm", a.g.id,
				    NULL), -ESRCH, "vmq: VM not found");
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, a.g.id, NULL, 0,
				    "nl-no-such-peer"), -ESRCH,
		   "vmq: peer not found");
	EXPECT_ERR(&v, vmqt_nl_set(&v, 0x7fffff00, NULL, 0, -1), -ESRCH,
		   "vmq: VM not found");

	/* Missing attributes. */
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_ALLOW, a.g.id, NULL, 0, NULL),
		   -EINVAL,
		   "vmq: no peer given (VMQ_A_PEER_ID or VMQ_A_PEER_NAME)");
	EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_REVOKE, 0, NULL, a.g.id, NULL),
		   -EINVAL, "vmq: no VM given (VMQ_A_VM_ID or VMQ_A_VM_NAME)");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, vmqt_nl_msg(&v, VMQ_CMD_GET_VM, 0), NULL, NULL),
		   -EINVAL, "vmq: no VM given (VMQ_A_VM_ID or VMQ_A_VM_NAME)");
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, NULL, -1, -1), -EINVAL,
		   "vmq: nothing to set (VMQ_A_VM_NAME or VMQ_A_VM_QUOTAS)");
	EXPECT_ERR(&v, vmqt_nl_set(&v, 0, "nl-err-a", -1, -1), -EINVAL,
		   "vmq: renaming needs VMQ_A_VM_ID");

	/* Wrong type or length: a u16 id, id 0, a non-string name. */
	msg = vmqt_nl_msg(&v, VMQ_CMD_GET_VM, 0);
	TEST_ASSERT(!nla_put_u16(msg, VMQ_A_VM_ID, a.g.id), "put");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -EINVAL,
		   "invalid attribute length");
	TEST_ASSERT(v.offs > 0, "no attribute offset for the bad length");
	msg = vmqt_nl_msg(&v, VMQ_CMD_ALLOW, 0);
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_VM_ID, 0), "put");
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_PEER_ID, a.g.id), "put");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -ERANGE,
		   "integer out of range");
	msg = vmqt_nl_msg(&v, VMQ_CMD_GET_VM, 0);
	TEST_ASSERT(!nla_put(msg, VMQ_A_VM_NAME, 4, "abcd"), "put");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -EINVAL,
		   "Attribute failed policy validation");
	/* An attribute the command does not take; an unknown one. */
	msg = vmqt_nl_msg(&v, VMQ_CMD_GET_VM, 0);
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_VM_ID, a.g.id), "put");
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_EVENT, 1), "put");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -EINVAL,
		   "Unsupported attribute");
	msg = vmqt_nl_msg(&v, VMQ_CMD_GET_VM, 0);
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_VM_ID, a.g.id), "put");
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_MAX + 1, 1), "put");
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -EINVAL,
		   "Unknown attribute type");
	/* A quota nest with a u8 in it. */
	msg = vmqt_nl_msg(&v, VMQ_CMD_SET_VM, 0);
	TEST_ASSERT(!nla_put_u32(msg, VMQ_A_VM_ID, a.g.id), "put");
	{
		struct nlattr *n = nla_nest_start(msg, VMQ_A_VM_QUOTAS);

		TEST_ASSERT(n && !nla_put_u8(msg, VMQ_A_QUOTA_MAX_MSG, 1), "put");
		nla_nest_end(msg, n);
	}
	EXPECT_ERR(&v, vmqt_nl_xfer(&v, msg, NULL, NULL), -EINVAL,
		   "invalid attribute length");

	/* Names: too long for VMQ_NAME_MAX, by rename and by lookup. */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[VMQ_NAME_MAX] = '\0';		/* 32 characters: one too many */
	EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, long_name, -1, -1), -EINVAL,
		   "Attribute failed policy validation");
	TEST_ASSERT(v.offs > 0, "no attribute offset for the long name");
	EXPECT_ERR(&v, vmqt_nl_get(&v, 0, long_name, NULL), -EINVAL,
		   "Attribute failed policy validation");
	long_name[VMQ_NAME_MAX - 1] = '\0';	/* 31: the longest there is */
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, long_name, -1, -1),
		    "rename to 31 characters: %s", v.msg);
	TEST_ASSERT(!strcmp(vmqt_nl_get_ok(&v, a.g.id).name, long_name),
		    "31-character name");

	/* An empty name unnames the VM; it cannot be looked up by it. */
	TEST_ASSERT(!vmqt_nl_set(&v, a.g.id, "", -1, -1), "unname: %s", v.msg);
	TEST_ASSERT(!vmqt_nl_get_ok(&v, a.g.id).has_name, "still named");
	EXPECT_ERR(&v, vmqt_nl_get(&v, 0, "", NULL), -ESRCH, "vmq: VM not found");
	vmqt_nl_close(&v);
}

/*
 * Without CAP_NET_ADMIN nothing is readable (the VMs, their names, PIDs,
 * pairs and counters are other users' business), the events group cannot
 * be joined, and every change is refused; each refusal is explained.
 */
static void case_perm(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("nl-perm-a", false, 0, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("nl-perm-b", false, 0, PAYLOAD_BYTES);
	int status;
	pid_t pid;

	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		static struct vmqt_nl_vms vms;
		struct vmqt_nl_vm vm;
		struct vmqt_nl v;
		int grp, ret;

		TEST_ASSERT(!setresgid(65534, 65534, 65534) &&
			    !setresuid(65534, 65534, 65534), "setresuid: %s",
			    strerror(errno));
		open_nl(&v);
		EXPECT_ERR(&v, vmqt_nl_get(&v, a.g.id, NULL, &vm), -EPERM,
			   "vmq: reading vmq state needs CAP_NET_ADMIN");
		EXPECT_ERR(&v, vmqt_nl_dump(&v, &vms), -EPERM,
			   "vmq: reading vmq state needs CAP_NET_ADMIN");
		TEST_ASSERT(vms.n == 0, "dump without privilege: %d VMs", vms.n);
		grp = genl_ctrl_resolve_grp(v.sk, VMQ_GENL_NAME,
					    VMQ_GENL_MCGRP_EVENTS);
		TEST_ASSERT(grp >= 0, "events group: %s", nl_geterror(grp));
		ret = nl_socket_add_membership(v.sk, grp);
		TEST_ASSERT(ret == -NLE_PERM,
			    "joined the events group without privilege: %s",
			    nl_geterror(ret));
		EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, "nl-perm-x", -1, -1), -EPERM,
			   "vmq: changing vmq settings needs CAP_NET_ADMIN");
		EXPECT_ERR(&v, vmqt_nl_set(&v, a.g.id, NULL, 8, -1), -EPERM,
			   "vmq: changing vmq settings needs CAP_NET_ADMIN");
		EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_ALLOW, a.g.id, NULL,
					    b.g.id, NULL), -EPERM,
			   "vmq: changing vmq settings needs CAP_NET_ADMIN");
		EXPECT_ERR(&v, vmqt_nl_pair(&v, VMQ_CMD_INTRODUCE, a.g.id, NULL,
					    b.g.id, NULL), -EPERM,
			   "vmq: changing vmq settings needs CAP_NET_ADMIN");
		EXPECT_ERR(&v, vmqt_nl_reset(&v, 0), -EPERM,
			   "vmq: changing vmq settings needs CAP_NET_ADMIN");
		vmqt_nl_close(&v);
		exit(KSFT_PASS);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS,
		    "unprivileged child failed (status %#x)", status);
	/* Nothing changed. */
	{
		struct vmqt_nl v;
		struct vmqt_nl_vm vm;

		open_nl(&v);
		vm = vmqt_nl_get_ok(&v, a.g.id);
		TEST_ASSERT(!strcmp(vm.name, "nl-perm-a") && vm.max_msg == 0 &&
			    vm.nr_peers == 0, "the refused commands changed a");
		vmqt_nl_close(&v);
	}
}

static const struct vmqt_case cases[] = {
	{ "GET_VM do and dump", case_get_vm },
	{ "SET_VM name and quotas, quotas enforced", case_set_vm },
	{ "ALLOW and REVOKE", case_allow_revoke },
	{ "INTRODUCE", case_introduce },
	{ "RESET_COUNTERS", case_reset },
	{ "events multicast group", case_events },
	{ "errors with extended ACK", case_errors },
	{ "CAP_NET_ADMIN required to read, listen and change", case_perm },
};

int main(void)
{
	struct vmqt_nl v;

	ksft_print_header();
	vmqt_dev();
	if (vmqt_nl_open(&v))
		ksft_exit_skip("generic netlink family \"vmq\" not found\n");
	vmqt_nl_close(&v);
	/*
	 * A case that has not ended after 240 s (each takes a few seconds
	 * even under TCG) fails with a report of where it is stuck, rather
	 * than hanging the whole run.
	 */
	vmqt_set_watchdog(240);
	vmqt_run_cases(cases, ARRAY_SIZE(cases));
	ksft_finished();
}
