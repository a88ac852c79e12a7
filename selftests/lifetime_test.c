// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime_test - VMs leave vmq without a trace, and vmq unloads cleanly.
 *
 * Proves that:
 *  - VMQ_IOC_STATS counts what live VMs hold (VMs, receive queues, pinned
 *    ring pages, allowed pairs, transmit rings) exactly while they live;
 *  - destroying the VMs (kvm_vm_free) with undelivered messages still in
 *    their queues, pairs allowed and rings registered brings every live
 *    count back to its baseline, and vms_created/vms_destroyed advance by
 *    the number of VMs, adopted ones included;
 *  - with /dev/vmq closed and no VM left, the module unloads
 *    (delete_module) and loads again (finit_module on $VMQ_KO), and a VM
 *    created afterwards sends and receives a message. The module is left
 *    loaded, as the sandbox expects.
 */
#include <sys/syscall.h>

#include "vmq_util.h"

#define NR_VMS	3

static struct vmq_stats base;

static bool stats_at_base(void *arg)
{
	const struct vmq_stats *b = arg;
	struct vmq_stats s = vmq_stats();

	return s.live_vms == b->live_vms && s.live_queues == b->live_queues &&
	       s.pinned_pages == b->pinned_pages &&
	       s.live_pairs == b->live_pairs &&
	       s.live_tx_rings == b->live_tx_rings &&
	       s.live_waits == b->live_waits &&
	       s.live_windows == b->live_windows &&
	       s.window_pages == b->window_pages &&
	       s.pages_in_flight == b->pages_in_flight &&
	       s.vms_destroyed - b->vms_destroyed ==
	       s.vms_created - b->vms_created;
}

static void print_stats(const char *what, const struct vmq_stats *s)
{
	ksft_print_msg("%s: vms %llu queues %llu pinned %llu pairs %llu tx %llu waits %llu created %llu destroyed %llu\n",
		       what, s->live_vms, s->live_queues, s->pinned_pages,
		       s->live_pairs, s->live_tx_rings, s->live_waits,
		       s->vms_created, s->vms_destroyed);
}

static void test_destroy(void)
{
	struct vmq_gvm g[NR_VMS];
	struct vmq_gmem ring[NR_VMS], buf, tx;
	struct vmq_stats s;
	u32 i, j, pages = 0;
	s64 ret;

	base = vmq_stats();
	print_stats("baseline", &base);

	for (i = 0; i < NR_VMS; i++)
		g[i] = vmq_gvm_create();
	/* Two attached, the last one adopted by its first hypercall. */
	vmq_attach(&g[0], NULL);
	vmq_attach(&g[1], NULL);
	g[2].id = vmq_gvm_info(&g[2]).vm_id;
	for (i = 0; i < NR_VMS; i++) {
		ring[i] = vmq_rx_setup(&g[i], 4096 << i);
		pages += ring[i].bytes / 4096;
		for (j = 0; j < NR_VMS; j++)
			if (j != i)
				vmq_allow(g[i].id, g[j].id);
	}
	/* A transmit ring on one vCPU: header page + one page of descriptors. */
	tx = vmq_gmem_alloc(g[0].vm, 2 * 4096);
	((struct vmq_tx_hdr *)tx.hva)->magic = VMQ_TX_MAGIC;
	ret = vmq_gvm_hc(&g[0], VMQ_HC_TX_REGISTER, tx.gpa, tx.bytes, 0, 0);
	TEST_ASSERT(!ret, "VMQ_HC_TX_REGISTER: %ld", (long)ret);
	pages += 2;

	/* Undelivered messages everywhere. */
	buf = vmq_gmem_alloc(g[0].vm, 4096);
	for (i = 1; i < NR_VMS; i++)
		for (j = 0; j < 5; j++) {
			ret = vmq_gvm_send(&g[0], g[i].id, buf.gpa, 100 * j, j);
			TEST_ASSERT(!ret, "send to %u: %ld", i, (long)ret);
		}
	for (i = 1; i < NR_VMS; i++) {
		ret = vmq_gvm_send(&g[i], g[0].id, 0, 10, i);
		TEST_ASSERT(!ret, "send from %u: %ld", i, (long)ret);
	}

	s = vmq_stats();
	print_stats("with VMs", &s);
	TEST_ASSERT(s.live_vms == base.live_vms + NR_VMS &&
		    s.live_queues == base.live_queues + NR_VMS &&
		    s.pinned_pages == base.pinned_pages + pages &&
		    s.live_pairs == base.live_pairs + NR_VMS * (NR_VMS - 1) &&
		    s.live_tx_rings == base.live_tx_rings + 1 &&
		    s.vms_created == base.vms_created + NR_VMS &&
		    s.vms_destroyed == base.vms_destroyed,
		    "live counts while the VMs live (pinned want +%u)", pages);

	for (i = 0; i < NR_VMS; i++)
		vmq_gvm_free(&g[i]);
	/* The ids are gone with them. */
	for (i = 0; i < NR_VMS; i++) {
		struct vmq_vm_info vi = { .id = g[i].id };

		TEST_ASSERT(ioctl(vmq_dev(), VMQ_IOC_VM_INFO, &vi) && errno == ESRCH,
			    "VM %u still known", g[i].id);
	}
	TEST_ASSERT(vmq_settle(stats_at_base, &base), "stats never returned to baseline");
	s = vmq_stats();
	print_stats("after", &s);
	TEST_ASSERT(s.vms_created == base.vms_created + NR_VMS &&
		    s.vms_destroyed == base.vms_destroyed + NR_VMS,
		    "created %llu destroyed %llu", s.vms_created, s.vms_destroyed);
}

/* A fresh pair of VMs exchanges one message. */
static void one_message(void)
{
	struct vmq_gvm a = vmq_gvm_create(), b = vmq_gvm_create();
	struct vmq_gmem rb, buf;
	s64 ret;

	vmq_attach(&a, NULL);
	vmq_attach(&b, NULL);
	vmq_allow(a.id, b.id);
	rb = vmq_rx_setup(&b, 4096);
	buf = vmq_gmem_alloc(a.vm, 4096);
	vmq_fill(buf.hva, 333, a.id, 1);
	ret = vmq_gvm_send(&a, b.id, buf.gpa, 333, 0xabcdef);
	TEST_ASSERT(!ret, "send: %ld", (long)ret);
	TEST_ASSERT(vmq_host_expect(&rb, a.id, 0xabcdef, 333, 1) == 0, "seq");
	TEST_ASSERT(!vmq_host_peek(&rb), "extra message");
	vmq_gvm_free(&a);
	vmq_gvm_free(&b);
}

static bool unload(void *arg)
{
	return !syscall(__NR_delete_module, "vmq", 0);
}

static void test_reload(void)
{
	const char *ko = getenv("VMQ_KO");
	struct vmq_stats s;
	int fd, ret;

	/* Nothing of ours may hold the module: no /dev/vmq, no VM. */
	vmq_dev_close();
	TEST_ASSERT(vmq_settle(unload, NULL), "delete_module(vmq): %s",
		    strerror(errno));
	TEST_ASSERT(access("/dev/vmq", F_OK), "/dev/vmq survived the unload");

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open %s: %s", ko, strerror(errno));
	ret = syscall(__NR_finit_module, fd, "", 0);
	TEST_ASSERT(!ret, "finit_module(%s): %s", ko, strerror(errno));
	close(fd);

	/* A fresh module: nothing live, nothing created yet. */
	s = vmq_stats();
	TEST_ASSERT(!s.live_vms && !s.live_queues && !s.pinned_pages &&
		    !s.live_pairs && !s.vms_created && !s.vms_destroyed,
		    "stats of a fresh module");
	one_message();
	s = vmq_stats();
	TEST_ASSERT(s.vms_created == 2, "vms_created %llu", s.vms_created);
	TEST_ASSERT(vmq_settle(stats_at_base, &(struct vmq_stats){}),
		    "fresh module: stats never returned to zero");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(3);
	vmq_run_case("destroyed VMs leave every live count at baseline", test_destroy);
	vmq_run_case("a VM works before the reload", one_message);
	if (!getenv("VMQ_KO"))
		ksft_test_result_skip("unload and reload: VMQ_KO is not set\n");
	else
		vmq_run_case("unload, reload, a fresh VM works", test_reload);
	ksft_finished();
}
