// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hooks.c: every place where vmq hooks into KVM.
 *
 * vmq runs on an unmodified distribution kernel, so it cannot add calls to
 * KVM; it attaches at two points, both through exported interfaces only.
 *
 * 1. Hypercalls: an ftrace_ops with IPMODIFY on the exported
 *    kvm_emulate_hypercall() sends every hypercall of every VM to
 *    vmq_emulate_hypercall(). That function claims only numbers in vmq's
 *    range (hypercall.c) and calls the original for everything else. The
 *    ftrace callback lets calls that come from inside this module through,
 *    which is how the original is reached. That test looks at the return
 *    address, so the call to the original must return into vmq: were it
 *    compiled as a tail call, the return address would be KVM's again, the
 *    call would be redirected back to vmq, and the vCPU would spin forever.
 *    Kbuild builds this file with -fno-optimize-sibling-calls, and the
 *    barrier() after the call makes the same point in the code.
 *
 * 2. VM lifetime: KVM destroys the struct kvm_device objects on kvm->devices
 *    from kvm_destroy_vm() by calling their ->destroy() method. vmq puts one
 *    such device of its own (never exposed to userspace) on every VM it
 *    knows, under kvm->lock as KVM does, and learns from its ->destroy()
 *    that the VM is gone; vmq holds no reference on the VM, so a VM's life
 *    is not changed by vmq. Hooking kvm_put_kvm() instead would not work:
 *    KVM inlines it into kvm_vcpu_release().
 *
 * 3. VM exits: a probe on KVM's exported kvm_exit tracepoint delivers lazy
 *    sends (vcpu.c) at every exit of every vCPU. Tracepoint probes run with
 *    preemption disabled (on VMX also with interrupts off and outside
 *    kvm->srcu), so the probe does atomic work only.
 *
 * Unloading: the ftrace_ops and the probe are unregistered first, so no new
 * hypercall or exit enters vmq; vmq_hc_srcu then waits for handlers already
 * running, tracepoint_synchronize_unregister() for probes, and
 * synchronize_rcu_tasks() for the few instructions after their
 * srcu_read_unlock(). Only then does the registry detach from the VMs.
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/rcupdate_wait.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/tracepoint.h>

#include "compat.h"
#include "hypercall.h"
#include "kvm_hooks.h"
#include "registry.h"
#include "vcpu.h"

/* Exported by kvm.ko: the tracepoint of every VM exit. */
extern struct tracepoint __tracepoint_kvm_exit;

DEFINE_STATIC_SRCU(vmq_hc_srcu);

static int vmq_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	int idx, ret;

	if (!vmq_hypercall_is_ours(vcpu)) {
		ret = kvm_emulate_hypercall(vcpu);
		barrier();	/* no tail call: see the top of this file */
		return ret;
	}

	idx = srcu_read_lock(&vmq_hc_srcu);
	ret = vmq_hypercall(vcpu);
	srcu_read_unlock(&vmq_hc_srcu, idx);
	return ret;
}

static void notrace vmq_ftrace_redirect(unsigned long ip,
					unsigned long parent_ip,
					struct ftrace_ops *ops,
					struct ftrace_regs *fregs)
{
	if (!within_module(parent_ip, THIS_MODULE))
		ftrace_instruction_pointer_set(fregs,
					       (unsigned long)vmq_emulate_hypercall);
}

static struct ftrace_ops vmq_hypercall_ops = {
	.func = vmq_ftrace_redirect,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_RECURSION,
};

static void vmq_exit_probe(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	vmq_vcpu_on_exit(vcpu, isa == VMQ_KVM_ISA_SVM);
}

static void vmq_kvm_dev_destroy(struct kvm_device *dev)
{
	struct vmq_vm *vm = dev->private;

	kfree(dev);
	vmq_vm_release(vm);
}

static const struct kvm_device_ops vmq_kvm_dev_ops = {
	.name = "vmq",
	.destroy = vmq_kvm_dev_destroy,
};

/*
 * Have KVM tell vmq when @vm's VM is destroyed. The caller holds
 * vmq_registry_lock and keeps vm->kvm alive.
 */
int vmq_kvm_watch_vm(struct vmq_vm *vm)
{
	struct kvm *kvm = vm->kvm;
	struct kvm_device *dev;

	lockdep_assert_held(&vmq_registry_lock);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->ops = &vmq_kvm_dev_ops;
	dev->kvm = kvm;
	dev->private = vm;

	mutex_lock(&kvm->lock);
	list_add(&dev->vm_node, vmq_kvm_devices(kvm));
	mutex_unlock(&kvm->lock);
	vm->kdev = dev;
	return 0;
}

/*
 * Take the lifetime hook off a VM that lives on (module unload). The caller
 * holds vmq_registry_lock and a reference on vm->kvm.
 */
void vmq_kvm_unwatch_vm(struct vmq_vm *vm)
{
	struct kvm *kvm = vm->kvm;

	lockdep_assert_held(&vmq_registry_lock);
	if (!vm->kdev)
		return;
	mutex_lock(&kvm->lock);
	list_del(&vm->kdev->vm_node);
	mutex_unlock(&kvm->lock);
	kfree(vm->kdev);
	vm->kdev = NULL;
}

int vmq_kvm_hooks_init(void)
{
	int ret;

	ret = ftrace_set_filter_ip(&vmq_hypercall_ops,
				   (unsigned long)kvm_emulate_hypercall, 0, 0);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(&__tracepoint_kvm_exit, vmq_exit_probe,
					NULL);
	if (ret)
		goto err_filter;
	ret = register_ftrace_function(&vmq_hypercall_ops);
	if (ret)
		goto err_probe;
	return 0;

err_probe:
	tracepoint_probe_unregister(&__tracepoint_kvm_exit, vmq_exit_probe,
				    NULL);
	tracepoint_synchronize_unregister();
err_filter:
	ftrace_set_filter_ip(&vmq_hypercall_ops,
			     (unsigned long)kvm_emulate_hypercall, 1, 0);
	return ret;
}

void vmq_kvm_hooks_exit(void)
{
	unregister_ftrace_function(&vmq_hypercall_ops);
	ftrace_set_filter_ip(&vmq_hypercall_ops,
			     (unsigned long)kvm_emulate_hypercall, 1, 0);
	tracepoint_probe_unregister(&__tracepoint_kvm_exit, vmq_exit_probe,
				    NULL);
	tracepoint_synchronize_unregister();
	synchronize_srcu(&vmq_hc_srcu);
	synchronize_rcu_tasks();
}
