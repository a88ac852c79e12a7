// SPDX-License-Identifier: GPL-2.0
/*
 * hypercall.c: the guest-facing ABI (<linux/vmq.h>, Documentation/vmq/).
 * Layer: operations (see vmq.h); kvm_hooks.c hands it the hypercalls it
 * claims (->hypercall_is_ours, ->hypercall).
 *
 * Every argument comes from a guest and is treated as hostile: each is read
 * once from the vCPU's registers, checked, and only then used. Every failure
 * is a documented negative errno in RAX and a per-VM counter; nothing a
 * guest passes can make the host warn.
 */
#include <linux/kvm_host.h>

#include "acl.h"
#include "compat.h"
#include "copy.h"
#include "events.h"
#include "hypercall.h"
#include "lifetime.h"
#include "queue.h"
#include "send.h"
#include "tx.h"
#include "vm.h"
#include "wait.h"
#include "window.h"
#include "xlate.h"

struct vmq_hc_args {
	unsigned long nr;
	unsigned long a0, a1, a2, a3;
	bool op64;
};

static unsigned long vmq_hc_nr(struct kvm_vcpu *vcpu, bool op64)
{
	unsigned long nr = vmq_reg_read(vcpu, VCPU_REGS_RAX);

	return op64 ? nr : (u32)nr;
}

/* For hypercalls whose number's low half is in vmq's range (kvm_hooks.c). */
bool vmq_hypercall_is_ours(struct kvm_vcpu *vcpu)
{
	unsigned long nr;

	if (vmq_vcpu_hypercalls_foreign(vcpu))
		return false;
	nr = vmq_hc_nr(vcpu, vmq_hypercall_is_64bit(vcpu));
	return nr - VMQ_HC_BASE < VMQ_HC_RANGE;
}

static void vmq_hc_read_args(struct kvm_vcpu *vcpu, struct vmq_hc_args *a)
{
	a->op64 = vmq_hypercall_is_64bit(vcpu);
	a->nr = vmq_hc_nr(vcpu, a->op64);
	a->a0 = vmq_reg_read(vcpu, VCPU_REGS_RBX);
	a->a1 = vmq_reg_read(vcpu, VCPU_REGS_RCX);
	a->a2 = vmq_reg_read(vcpu, VCPU_REGS_RDX);
	a->a3 = vmq_reg_read(vcpu, VCPU_REGS_RSI);
	if (!a->op64) {
		a->a0 = (u32)a->a0;
		a->a1 = (u32)a->a1;
		a->a2 = (u32)a->a2;
		a->a3 = (u32)a->a3;
	}
}

static long vmq_hc_info(struct kvm_vcpu *vcpu, struct vmq_vm *vm)
{
	vmq_reg_write(vcpu, VCPU_REGS_RBX, VMQ_ABI_VERSION);
	vmq_reg_write(vcpu, VCPU_REGS_RCX, vm->id);
	vmq_reg_write(vcpu, VCPU_REGS_RDX, VMQ_FEAT_SEND | VMQ_FEAT_LAZY |
		      VMQ_FEAT_WAIT | VMQ_FEAT_NOTIFY | VMQ_FEAT_PAGES |
		      VMQ_FEAT_COPY);
	vmq_reg_write(vcpu, VCPU_REGS_RSI, READ_ONCE(vmq_max_msg_size));
	return 0;
}

/* Lazy sends published before an immediate one go first: program order. */
static void vmq_hc_flush_tx(struct kvm_vcpu *vcpu, struct vmq_vm *vm)
{
	struct vmq_vcpu *vcv = xa_load(&vm->vcpus, vcpu->vcpu_idx);

	if (vcv && vcv->tx.va)
		vmq_tx_flush(vcv);
}

static long vmq_hc_send(struct kvm_vcpu *vcpu, struct vmq_vm *vm,
			const struct vmq_hc_args *a)
{
	struct vmq_send_args sa = {
		.dest = a->a0 > U32_MAX ? 0 : a->a0,
		.gpa = a->a1,
		.tag = a->a3,
	};

	if (a->a2 > U32_MAX)
		return -EMSGSIZE;
	sa.len = a->a2;
	vmq_hc_flush_tx(vcpu, vm);
	return vmq_send(vm, vcpu->kvm, &sa, true);
}

/*
 * VMQ_HC_COPY: the byte count in RAX, and in RBX what stopped a copy that
 * did something (it is counted too); only 64-bit callers can pass the
 * packed arguments.
 */
static long vmq_hc_copy(struct kvm_vcpu *vcpu, struct vmq_vm *vm,
			const struct vmq_hc_args *a)
{
	long ret, err;

	if (!a->op64)
		return -EOPNOTSUPP;
	vmq_hc_flush_tx(vcpu, vm);
	/* Without its vmq state (no memory) the copy walks every time. */
	ret = vmq_copy(vcpu, vmq_vcpu_get(vm, vcpu), vm, a->a0, a->a1, a->a2,
		       a->a3, &err);
	if (ret >= 0) {
		vmq_reg_write(vcpu, VCPU_REGS_RBX, err);
		if (err)
			vmq_count_error(vm, err);
	}
	return ret;
}

static long vmq_hc_per_vcpu(struct kvm_vcpu *vcpu, struct vmq_vm *vm,
			    const struct vmq_hc_args *a, bool *halt)
{
	struct vmq_vcpu *vcv = vmq_vcpu_get(vm, vcpu);
	long ret;

	if (!vcv)
		return -ENOMEM;
	switch (a->nr) {
	case VMQ_HC_TX_REGISTER:
		return vmq_tx_register(vcv, a->a0, a->a1, a->a2);
	case VMQ_HC_TX_UNREGISTER:
		return vmq_tx_unregister(vcv);
	case VMQ_HC_TX_FLUSH:
		return vmq_tx_flush(vcv);
	case VMQ_HC_WAIT:
		/*
		 * What the vCPU published before it waits goes first: an
		 * answer in the transmit ring and a wait for the next
		 * question cost one exit (the exit's probe has usually
		 * drained the ring already; this is the guarantee).
		 */
		vmq_hc_flush_tx(vcpu, vm);
		ret = vmq_wait(vcv, a->a0);
		*halt = !ret && a->a0;
		return ret;
	}
	return -EOPNOTSUPP;
}

/*
 * vmq_vms_lock is held around kvm->lock (attaching a VM), and KVM may
 * wait for kvm->srcu readers while holding kvm->lock (setting an MSR
 * filter, for one). A vCPU must therefore not wait for vmq_vms_lock
 * inside its kvm->srcu read section: these two leave it for the wait.
 */
static struct vmq_vm *vmq_hc_adopt(struct kvm_vcpu *vcpu)
{
	struct vmq_vm *vm;

	kvm_vcpu_srcu_read_unlock(vcpu);
	vm = vmq_vm_adopt(vcpu);
	kvm_vcpu_srcu_read_lock(vcpu);
	return vm;
}

static int vmq_hc_resolve(struct kvm_vcpu *vcpu, const char *name, u32 *id)
{
	int ret;

	kvm_vcpu_srcu_read_unlock(vcpu);
	ret = vmq_vm_resolve(0, name, id);
	kvm_vcpu_srcu_read_lock(vcpu);
	return ret;
}

/* VMQ_HC_LOOKUP: a peer's id by name, only if the caller may send to it. */
static long vmq_hc_lookup(struct kvm_vcpu *vcpu, struct vmq_vm *vm,
			  const struct vmq_hc_args *a)
{
	char name[VMQ_NAME_MAX] = {};
	u32 id;
	int ret;

	if (!a->a1 || a->a1 >= VMQ_NAME_MAX)
		return -EINVAL;
	if (kvm_vcpu_read_guest(vcpu, a->a0, name, a->a1))
		return -EFAULT;
	if (strnlen(name, a->a1) != a->a1)
		return -EINVAL;
	ret = vmq_hc_resolve(vcpu, name, &id);
	if (ret || !vmq_acl_allowed(vm->id, id))
		return -ESRCH;
	return id;
}

static long vmq_hc_dispatch(struct kvm_vcpu *vcpu, struct vmq_vm *vm,
			    const struct vmq_hc_args *a, bool *halt)
{
	struct vmq_vcpu *vcv = xa_load(&vm->vcpus, vcpu->vcpu_idx);
	long ret;

	/*
	 * Every vmq hypercall is a coherency point of the vCPU's translation
	 * cache (a copy's is its start): pending patches are applied before
	 * their channels fill. Only this vCPU sets vcv->tc.
	 */
	if (vcv && vcv->tc)
		vmq_tcache_sync(vcv->tc);

	switch (a->nr) {
	case VMQ_HC_INFO:
		return vmq_hc_info(vcpu, vm);
	case VMQ_HC_QUEUE_REGISTER:
		ret = vmq_queue_register(&vm->rxq, vcpu, a->a0, a->a1, a->a2,
					 READ_ONCE(vm->quota_max_queue));
		/* Only the quota check answers -ENOSPC. */
		if (ret == -ENOSPC)
			vmq_event(VMQ_EVENT_QUOTA, vm->id, 0, ret);
		return ret;
	case VMQ_HC_QUEUE_UNREGISTER:
		return vmq_queue_unregister(&vm->rxq);
	case VMQ_HC_SEND:
		return vmq_hc_send(vcpu, vm, a);
	case VMQ_HC_LOOKUP:
		return vmq_hc_lookup(vcpu, vm, a);
	case VMQ_HC_WINDOW_BIND:
		return vmq_window_bind(vm, vcpu, a->a0, a->a1, a->a2);
	case VMQ_HC_PAGE_SEND:
		vmq_hc_flush_tx(vcpu, vm);
		return vmq_page_send(vm, a->a0, a->a1, a->a2);
	case VMQ_HC_PAGE_FREE:
		return vmq_page_free(vm, a->a0);
	case VMQ_HC_GRANT:
		if (!a->op64)
			return -EOPNOTSUPP;
		return vmq_grant(vcpu, vm, a->a0, a->a1, a->a2, a->a3);
	case VMQ_HC_GRANT_REVOKE:
		return vmq_grant_revoke(vm, a->a0);
	case VMQ_HC_COPY:
		return vmq_hc_copy(vcpu, vm, a);
	case VMQ_HC_TX_REGISTER:
	case VMQ_HC_TX_UNREGISTER:
	case VMQ_HC_TX_FLUSH:
	case VMQ_HC_WAIT:
		return vmq_hc_per_vcpu(vcpu, vm, a, halt);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * Handle a hypercall that vmq_hypercall_is_ours() claimed; returns what
 * kvm_emulate_hypercall() would (1: resume the guest, 0: exit to userspace).
 */
int vmq_hypercall(struct kvm_vcpu *vcpu)
{
	struct vmq_hc_args a;
	bool halt = false;
	struct vmq_vm *vm;
	long ret;
	int r;

	/* CPL > 0: #GP is queued and the instruction is not skipped. */
	if (!kvm_require_cpl(vcpu, 0)) {
		vm = vmq_vm_get_by_kvm(vcpu->kvm);
		if (vm) {
			vmq_count(vm, VMQ_CTR_ERR_PERM, 1);
			vmq_vm_put(vm);
		}
		return 1;
	}

	vmq_hc_read_args(vcpu, &a);
	vm = vmq_vm_get_by_kvm(vcpu->kvm);
	if (!vm)
		vm = vmq_hc_adopt(vcpu);
	if (IS_ERR(vm)) {
		ret = PTR_ERR(vm);
	} else {
		ret = vmq_hc_dispatch(vcpu, vm, &a, &halt);
		vmq_count(vm, VMQ_CTR_HYPERCALLS, 1);
		if (ret < 0)
			vmq_count_error(vm, ret);
		vmq_vm_put(vm);
	}

	vmq_reg_write(vcpu, VCPU_REGS_RAX, a.op64 ? ret : (u32)ret);
	++vcpu->stat.hypercalls;
	r = kvm_skip_emulated_instruction(vcpu);
	/*
	 * VMQ_HC_WAIT: KVM's run loop blocks the vCPU as after HLT; the one
	 * place vmq halts a vCPU (wait.c says why no wake-up is lost).
	 */
	if (halt)
		vmq_vcpu_set_halted(vcpu);
	return r;
}
