// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime_test - VMs leave vmq without a trace, and vmq unloads cleanly.
 *
 * Proves that:
 *  - VMQ_CMD_GET_STATS counts what live VMs hold (VMs, receive queues, pinned
 *    ring pages, allowed pairs, transmit rings) exactly while they live;
 *  - destroying the VMs (kvm_vm_free) with undelivered messages still in
 *    their queues, pairs allowed and rings registered brings every live
 *    count back to its baseline, and vms_created/vms_destroyed advance by
 *    the number of VMs, adopted ones included;
 *  - a vCPU halted in VMQ_HC_WAIT counts in live_waits until a message
 *    releases it;
 *  - with /dev/vmq closed and no VM left, the module unloads
 *    (delete_module) and loads again (finit_module on $VMQ_KO), and a VM
 *    created afterwards sends and receives a message. The module is left
 *    loaded, as the sandbox expects;
 *  - a vCPU asleep inside KVM's own hypercall handling (a Hyper-V
 *    hypercall whose input page userfaultfd holds back) does not hold up
 *    the unload, which completes while it sleeps; the hypercall then ends
 *    with the answer KVM gives it without any sleep. (With the ftrace_ops
 *    redirect vmq had before, KVM's own hypercalls returned through vmq's
 *    text and the unload had to wait for them.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "vmqt.h"

#define NR_VMS	3

static struct vmqt_stats base;

static bool stats_at_base(void *arg)
{
	const struct vmqt_stats *b = arg;
	struct vmqt_stats s = vmqt_stats();

	return vmqt_stats_live_at(arg) &&
	       s.vms_destroyed - b->vms_destroyed ==
	       s.vms_created - b->vms_created;
}

static void print_stats(const char *what, const struct vmqt_stats *s)
{
	ksft_print_msg("%s: vms %llu queues %llu pinned %llu pairs %llu tx %llu\n",
		       what, s->live_vms, s->live_queues, s->pinned_pages,
		       s->live_pairs, s->live_tx_rings);
	ksft_print_msg("%s: waits %llu created %llu destroyed %llu\n", what,
		       s->live_waits, s->vms_created, s->vms_destroyed);
}

static void test_destroy(void)
{
	struct vmqt_gvm g[NR_VMS];
	struct vmqt_gmem ring[NR_VMS], buf, tx;
	struct vmqt_stats s;
	u32 i, j, pages = 0;
	s64 ret;

	base = vmqt_stats();
	print_stats("baseline", &base);

	for (i = 0; i < NR_VMS; i++)
		g[i] = vmqt_gvm_create();
	/* Two attached, the last one adopted by its first hypercall. */
	vmqt_attach(&g[0], NULL);
	vmqt_attach(&g[1], NULL);
	g[2].id = vmqt_gvm_info(&g[2]).vm_id;
	for (i = 0; i < NR_VMS; i++) {
		ring[i] = vmqt_rx_setup(&g[i], 4096 << i);
		pages += ring[i].bytes / 4096;
		for (j = 0; j < NR_VMS; j++)
			if (j != i)
				vmqt_allow(g[i].id, g[j].id);
	}
	/* A transmit ring on one vCPU: header page + one page of descriptors. */
	tx = vmqt_gmem_alloc(g[0].vm, 2 * 4096);
	((struct vmq_tx_hdr *)tx.hva)->magic = VMQ_TX_MAGIC;
	ret = vmqt_gvm_hc(&g[0], VMQ_HC_TX_REGISTER, tx.gpa, tx.bytes, 0, 0);
	TEST_ASSERT(!ret, "VMQ_HC_TX_REGISTER: %ld", (long)ret);
	pages += 2;

	/* Undelivered messages everywhere. */
	buf = vmqt_gmem_alloc(g[0].vm, 4096);
	for (i = 1; i < NR_VMS; i++)
		for (j = 0; j < 5; j++) {
			ret = vmqt_gvm_send(&g[0], g[i].id, buf.gpa, 100 * j, j);
			TEST_ASSERT(!ret, "send to %u: %ld", i, (long)ret);
		}
	for (i = 1; i < NR_VMS; i++) {
		ret = vmqt_gvm_send(&g[i], g[0].id, 0, 10, i);
		TEST_ASSERT(!ret, "send from %u: %ld", i, (long)ret);
	}

	s = vmqt_stats();
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
		vmqt_gvm_free(&g[i]);
	/* The ids are gone with them. */
	for (i = 0; i < NR_VMS; i++) {
		struct vmq_vm_info vi;

		TEST_ASSERT(__vmqt_info_of(g[i].id, &vi) == -ESRCH,
			    "VM %u still known", g[i].id);
	}
	TEST_ASSERT(vmqt_settle(stats_at_base, &base), "stats never returned to baseline");
	s = vmqt_stats();
	print_stats("after", &s);
	TEST_ASSERT(s.vms_created == base.vms_created + NR_VMS &&
		    s.vms_destroyed == base.vms_destroyed + NR_VMS,
		    "created %llu destroyed %llu", s.vms_created, s.vms_destroyed);
}

struct waiter {
	struct vmqt_gvm *g;
	s64 ret;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = vmqt_gvm_hc(w->g, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS, 0, 0, 0);
	return NULL;
}

static bool one_waiting(void *arg)
{
	return vmqt_stats().live_waits == base.live_waits + 1;
}

/* A vCPU halted in VMQ_HC_WAIT is counted until a message releases it. */
static void test_wait(void)
{
	struct vmqt_gvm a = vmqt_gvm_create(), b = vmqt_gvm_create();
	struct waiter w = { .g = &b };
	struct vmqt_gmem rb, buf;
	pthread_t t;
	s64 ret;

	base = vmqt_stats();
	vmqt_attach(&a, NULL);
	vmqt_attach(&b, NULL);
	vmqt_allow(a.id, b.id);
	rb = vmqt_rx_setup(&b, 4096);
	buf = vmqt_gmem_alloc(a.vm, 4096);

	TEST_ASSERT(!pthread_create(&t, NULL, wait_thread, &w), "pthread_create");
	TEST_ASSERT(vmqt_settle(one_waiting, NULL), "live_waits never rose: %llu",
		    vmqt_stats().live_waits);
	vmqt_fill(buf.hva, 50, a.id, 3);
	ret = vmqt_gvm_send(&a, b.id, buf.gpa, 50, 3);
	TEST_ASSERT(!ret, "send: %ld", (long)ret);
	pthread_join(t, NULL);
	TEST_ASSERT(w.ret == 0, "VMQ_HC_WAIT after a halt: %ld", (long)w.ret);
	TEST_ASSERT(vmqt_stats().live_waits == base.live_waits, "live_waits %llu",
		    vmqt_stats().live_waits);
	TEST_ASSERT(vmqt_ctr(b.id, VMQ_CTR_WAITS) == 1, "WAITS counter");
	TEST_ASSERT(vmqt_host_expect(&rb, a.id, 3, 50, 3) == 0, "the message");

	/* With a message waiting, WAIT returns the count and does not halt. */
	ret = vmqt_gvm_send(&a, b.id, buf.gpa, 50, 3);
	TEST_ASSERT(!ret, "send: %ld", (long)ret);
	ret = vmqt_gvm_hc(&b, VMQ_HC_WAIT, VMQ_WAIT_MAX_NS, 0, 0, 0);
	TEST_ASSERT(ret == 1 && vmqt_ctr(b.id, VMQ_CTR_WAITS) == 1,
		    "WAIT with one message: %ld", (long)ret);
	vmqt_gvm_free(&a);
	vmqt_gvm_free(&b);
	TEST_ASSERT(vmqt_settle(stats_at_base, &base), "stats never returned to baseline");
}




static void test_reload(void)
{
	struct vmqt_stats s;

	/* Nothing of ours may hold the module: no /dev/vmq, no VM. */
	vmqt_dev_close();
	TEST_ASSERT(vmqt_settle(vmqt_unload_module, NULL), "delete_module(vmq): %s",
		    strerror(errno));
	TEST_ASSERT(access("/dev/vmq", F_OK), "/dev/vmq survived the unload");

	vmqt_load_module();

	/* A fresh module: nothing live, nothing created yet. */
	s = vmqt_stats();
	TEST_ASSERT(!s.live_vms && !s.live_queues && !s.pinned_pages &&
		    !s.live_pairs && !s.vms_created && !s.vms_destroyed,
		    "stats of a fresh module");
	vmqt_one_message();
	s = vmqt_stats();
	TEST_ASSERT(s.vms_created == 2, "vms_created %llu", s.vms_created);
	TEST_ASSERT(vmqt_settle(stats_at_base, &(struct vmqt_stats){}),
		    "fresh module: stats never returned to zero");
}

#define HV_X64_MSR_GUEST_OS_ID		0x40000000
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE 0x0002
#define UFFD_GPA			0x60000000UL
#define UFFD_MEMSLOT			30

/*
 * A Hyper-V guest: its hypercalls are KVM's (vmq lets them through at the
 * entry of kvm_emulate_hypercall()), and a "slow" one reads its input from
 * guest memory, in the vCPU thread, inside that call.
 */
static void hv_guest(u64 ingpa)
{
	struct vmqg_hc_regs r = {
		.rcx = HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE,
		.rdx = ingpa,
	};

	wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x1234);
	vmqg_hypercall_regs(&r);
	GUEST_SYNC(r.rax);
	GUEST_DONE();
}

static s64 hv_status;

static void *run_vcpu(void *arg)
{
	hv_status = vmqt_vcpu_sync(arg);
	return NULL;
}

static int unload_rc = 1;

static void *unload_thread(void *arg)
{
	int ret = syscall(__NR_delete_module, "vmq", 0);

	__atomic_store_n(&unload_rc, ret ? -errno : 0, __ATOMIC_RELEASE);
	return NULL;
}

static bool unloaded(void *arg)
{
	return __atomic_load_n(&unload_rc, __ATOMIC_ACQUIRE) != 1;
}

/* What KVM answers hv_guest's hypercall when its input page is at hand. */
static s64 hv_status_plain(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	s64 r;

	vm = vm_create_with_one_vcpu(&vcpu, hv_guest);
	vcpu_set_hv_cpuid(vcpu);
	vcpu_args_set(vcpu, 1, addr_gva2gpa(vm, vm_vaddr_alloc_page(vm)));
	r = vmqt_vcpu_sync(vcpu);
	kvm_vm_free(vm);
	return r;
}

/*
 * rmmod while a vCPU sleeps inside kvm_emulate_hypercall() in a hypercall
 * of KVM's own: vmq's code ran only at the function's entry, so nothing
 * of vmq's is on the vCPU's stack and the unload does not wait for it.
 * Once let go, the hypercall ends as KVM would end it.
 */
static void test_unload_during_kvm_hypercall(void)
{
	s64 want = hv_status_plain();
	struct kvm_vcpu *vcpu;
	pthread_t vt, ut;
	struct vmqt_uffd u;
	struct kvm_vm *vm;

	vmqt_require_uffd();
	vm = vm_create_with_one_vcpu(&vcpu, hv_guest);
	vcpu_set_hv_cpuid(vcpu);
	u = vmqt_uffd_slot(vm, UFFD_MEMSLOT, UFFD_GPA, 4096);
	vcpu_args_set(vcpu, 1, UFFD_GPA);
	vmqt_dev_close();

	TEST_ASSERT(!pthread_create(&vt, NULL, run_vcpu, vcpu), "vCPU thread");
	/* KVM reads the hypercall's input: the vCPU sleeps in the fault. */
	TEST_ASSERT(vmqt_uffd_wait_fault(&u) == (uintptr_t)u.hva,
		    "fault elsewhere");
	TEST_ASSERT(!pthread_create(&ut, NULL, unload_thread, NULL), "rmmod");
	TEST_ASSERT(vmqt_settle(unloaded, NULL),
		    "the unload waits for a vCPU in KVM's own hypercall");
	TEST_ASSERT(!pthread_join(ut, NULL), "join rmmod");
	TEST_ASSERT(!unload_rc, "delete_module(vmq): %d", unload_rc);
	vmqt_uffd_resolve(&u);
	TEST_ASSERT(!pthread_join(vt, NULL), "join vCPU");
	TEST_ASSERT(hv_status == want,
		    "KVM's hypercall ended with %#lx after the unload, not %#lx",
		    (unsigned long)hv_status, (unsigned long)want);
	kvm_vm_free(vm);
	vmqt_load_module();
	vmqt_one_message();
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(5);
	vmqt_run_case("destroyed VMs leave every live count at baseline", test_destroy);
	vmqt_run_case("a vCPU in VMQ_HC_WAIT counts in live_waits until released", test_wait);
	vmqt_run_case("a VM works before the reload", vmqt_one_message);
	if (!getenv("VMQ_KO")) {
		ksft_test_result_skip("unload and reload: VMQ_KO is not set\n");
		ksft_test_result_skip("unload under KVM's hypercall: VMQ_KO is not set\n");
	} else {
		vmqt_run_case("unload, reload, a fresh VM works", test_reload);
		vmqt_run_case("unload does not wait for a vCPU inside KVM's own hypercall",
			      test_unload_during_kvm_hypercall);
	}
	ksft_finished();
}
