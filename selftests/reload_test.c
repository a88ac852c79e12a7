// SPDX-License-Identifier: GPL-2.0
/*
 * reload_test - vmq unloads and loads again, over and over, while VMs use
 * it, and the host stays clean.
 *
 * Two VMs of two vCPUs each, never attached (adopted on their first
 * hypercall, as a stock QEMU is), keep sending to themselves: immediate
 * sends, lazy sends through each vCPU's transmit ring, flushes, and short
 * blocking waits, cross-guest copies into grants of their own (so that
 * every unload finds grants to take down), and vCPU 0 drains the receive
 * queue. Whenever VMQ_HC_INFO
 * shows a new id (vmq came back and adopted the VM afresh), the guest
 * registers its rings again. The guests check nothing: between an unload
 * and the next load their hypercalls are KVM's (-KVM_ENOSYS). Meanwhile the
 * host, for VMQ_RELOAD_CYCLES rounds (default 6; "make reload-cycles" runs
 * 100 on the debug kernel), waits until both guests made progress under
 * the current module, allows their self-pairs, and unloads vmq with their
 * rings, transmit rings, waiting vCPUs and sends in flight; every other
 * round it destroys one VM at the same moment as the unload, so that KVM's
 * destruction of a VM and the module's exit race. Then it loads vmq again.
 * At the end, with the VMs gone, every live count is zero and two fresh VMs
 * exchange a message. The sandbox checks the kernel log for any report.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "vmqt.h"

#define NR_VMS		2
#define NR_VCPUS	2
#define RX_BYTES	(VMQ_RING_HDR_SIZE + 16384)
#define TX_BYTES	(VMQ_RING_HDR_SIZE + 4096)
#define MSG_LEN		64

/* One page per vCPU, shared with the host. */
struct rl {
	u64 vcpu;
	u64 rx_gva, rx_gpa, tx_gva, tx_gpa, buf_gpa, buf_gva, grant_gva;
	u64 stop;
	/* out */
	u64 id;			/* the VM id vmq gave it last */
	u64 progress;		/* rounds under a loaded vmq */
};

static void reload_guest(struct rl *p)
{
	struct vmqg_rx rx = { 0 };
	struct vmqg_tx tx = { 0 };
	struct vmqg_info info;
	u64 last = 0, n = 0;
	s64 r, grant = 0;
	__s64 err;

	while (!READ_ONCE(p->stop)) {
		r = vmqg_info(&info);
		if (r) {
			/* -KVM_ENOSYS: vmq is not there; start over later. */
			last = 0;
			WRITE_ONCE(p->id, 0);
			rx.size = 0;
			tx.nr = 0;
			continue;
		}
		WRITE_ONCE(p->id, info.vm_id);
		if (info.vm_id != last) {
			if (!p->vcpu &&
			    vmqg_rx_register(&rx, (void *)p->rx_gva, p->rx_gpa,
					     RX_BYTES))
				rx.size = 0;
			if (vmqg_tx_register(&tx, (void *)p->tx_gva, p->tx_gpa,
					     TX_BYTES))
				tx.nr = 0;
			/* A grant to itself, alive when vmq goes. */
			grant = vmqg_grant(p->grant_gva, 4096, 0, info.vm_id);
			last = info.vm_id;
		}
		if (grant > 0)
			vmqg_copy(last, grant, 0, p->buf_gva, MSG_LEN, 0, &err);
		vmqg_send(last, p->buf_gpa, MSG_LEN, n);
		if (tx.nr && vmqg_tx_inflight(&tx) < tx.nr)
			vmqg_tx_post(&tx, last, p->buf_gpa, MSG_LEN, n);
		if (n % 4 == 0)
			vmqg_tx_flush();
		if (p->vcpu)
			vmqg_wait(10000);
		if (rx.size) {
			const struct vmq_msg_hdr *m;

			while ((m = vmqg_rx_peek(&rx)))
				vmqg_rx_consume(&rx, m);
		}
		n++;
		WRITE_ONCE(p->progress, p->progress + 1);
		/*
		 * Back to the VMM now and then, as a real guest's I/O takes
		 * it: a vCPU that never leaves KVM_RUN nor halts holds up
		 * RCU Tasks on a fully preemptible kernel, and with it
		 * every unload of a module that used ftrace.
		 */
		if (n % 16 == 0)
			GUEST_SYNC(n);
	}
	GUEST_DONE();
}

struct rvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu[NR_VCPUS];
	struct rl *p[NR_VCPUS];
	pthread_t t[NR_VCPUS];
};

static void *run_vcpu(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			continue;
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			/* A signal or an interrupt window: go on. */
			if (vcpu->run->exit_reason == KVM_EXIT_INTR)
				continue;
			TEST_FAIL("unexpected exit %u", vcpu->run->exit_reason);
		}
	}
}

static void rvm_start(struct rvm *v)
{
	struct vmqt_gmem rx, buf, dst;
	int c;

	v->vm = vm_create_with_vcpus(NR_VCPUS, reload_guest, v->vcpu);
	rx = vmqt_gmem_alloc(v->vm, RX_BYTES);
	buf = vmqt_gmem_alloc(v->vm, 4096);
	dst = vmqt_gmem_alloc(v->vm, 4096 * NR_VCPUS);
	for (c = 0; c < NR_VCPUS; c++) {
		struct vmqt_gmem tx = vmqt_gmem_alloc(v->vm, TX_BYTES);
		vm_vaddr_t gva = vm_vaddr_alloc_page(v->vm);
		struct rl *p = addr_gva2hva(v->vm, gva);

		memset(p, 0, sizeof(*p));
		p->vcpu = c;
		p->rx_gva = rx.gva;
		p->rx_gpa = rx.gpa;
		p->tx_gva = tx.gva;
		p->tx_gpa = tx.gpa;
		p->buf_gpa = buf.gpa;
		p->buf_gva = buf.gva;
		p->grant_gva = dst.gva + c * 4096;
		v->p[c] = p;
		vcpu_args_set(v->vcpu[c], 1, gva);
	}
	for (c = 0; c < NR_VCPUS; c++)
		TEST_ASSERT(!pthread_create(&v->t[c], NULL, run_vcpu,
					    v->vcpu[c]), "vCPU thread");
}

static void rvm_stop(struct rvm *v)
{
	int c;

	for (c = 0; c < NR_VCPUS; c++)
		WRITE_ONCE(v->p[c]->stop, 1);
	for (c = 0; c < NR_VCPUS; c++)
		TEST_ASSERT(!pthread_join(v->t[c], NULL), "join");
}

static void *free_vm(void *arg)
{
	kvm_vm_free(arg);
	return NULL;
}

static struct rvm vms[NR_VMS];
static u64 mark[NR_VMS][NR_VCPUS];

/* Every vCPU of every VM went 20 rounds further under the loaded vmq. */
static bool progressed(void *arg)
{
	int v, c;

	for (v = 0; v < NR_VMS; v++)
		for (c = 0; c < NR_VCPUS; c++)
			if (READ_ONCE(vms[v].p[c]->progress) < mark[v][c] + 20 ||
			    !READ_ONCE(vms[v].p[c]->id))
				return false;
	return true;
}



static void cycle(int i)
{
	pthread_t killer;
	struct rvm *doomed = NULL;
	int v, c;

	for (v = 0; v < NR_VMS; v++)
		for (c = 0; c < NR_VCPUS; c++)
			mark[v][c] = READ_ONCE(vms[v].p[c]->progress);
	TEST_ASSERT(vmqt_settle(progressed, NULL),
		    "cycle %d: the guests make no progress", i);
	/* Let each VM's sends through, so that rings fill and flow. */
	for (v = 0; v < NR_VMS; v++) {
		u32 id = READ_ONCE(vms[v].p[0]->id);
		int ret = __vmqt_pair(VMQ_CMD_ALLOW, id, id);

		TEST_ASSERT(!ret || ret == -ESRCH, "allow %u: %d", id, ret);
	}
	/* Every vCPU made progress, so granted first: the unload meets grants. */
	TEST_ASSERT(vmqt_stats().live_grants >= NR_VMS * NR_VCPUS,
		    "cycle %d: %llu live grants", i,
		    (unsigned long long)vmqt_stats().live_grants);
	vmqt_dev_close();

	if (i % 2) {
		doomed = &vms[i / 2 % NR_VMS];
		rvm_stop(doomed);
		TEST_ASSERT(!pthread_create(&killer, NULL, free_vm, doomed->vm),
			    "destroyer");
	}
	TEST_ASSERT(vmqt_settle(vmqt_unload_module, NULL), "cycle %d: delete_module: %s", i,
		    strerror(errno));
	if (doomed) {
		TEST_ASSERT(!pthread_join(killer, NULL), "join destroyer");
		rvm_start(doomed);
	}
	vmqt_load_module();
}

static void test_reload_cycles(void)
{
	const char *env = getenv("VMQ_RELOAD_CYCLES");
	int cycles = env ? atoi(env) : 6;
	struct vmqt_stats s;
	int v, i;

	for (v = 0; v < NR_VMS; v++)
		rvm_start(&vms[v]);
	for (i = 0; i < cycles; i++)
		cycle(i);
	for (v = 0; v < NR_VMS; v++) {
		rvm_stop(&vms[v]);
		kvm_vm_free(vms[v].vm);
	}
	TEST_ASSERT(vmqt_settle(vmqt_stats_live_at, &(struct vmqt_stats){ 0 }),
		    "live objects left after the VMs are gone");
	s = vmqt_stats();
	ksft_print_msg("%d cycles; last module: %llu VMs adopted, %llu released\n",
		       cycles, s.vms_created, s.vms_destroyed);
}


int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	if (!getenv("VMQ_KO")) {
		ksft_test_result_skip("reload cycles: VMQ_KO is not set\n");
		ksft_test_result_skip("fresh VMs after the cycles\n");
		ksft_finished();
	}
	vmqt_run_case("unload and reload while VMs use vmq", test_reload_cycles);
	vmqt_run_case("fresh VMs after the cycles", vmqt_one_message);
	ksft_finished();
}
