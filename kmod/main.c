// SPDX-License-Identifier: GPL-2.0
/*
 * vmq: VM queues for KVM. Module entry points and tunables. Layer: entry
 * points (see vmq.h); it also wires KVM's events to the files that handle
 * them (vmq_kvm_cb), which is what lets kvm_hooks.c sit at the bottom.
 *
 * Start-up order matters: everything a hypercall may touch exists before the
 * hypercall hook goes live, and on the way out the hook goes first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

#include "acl.h"
#include "chardev.h"
#include "hypercall.h"
#include "kvm_hooks.h"
#include "lifetime.h"
#include "netlink.h"
#include "tx.h"
#include "vmq.h"
#include "window.h"

atomic64_t vmq_stats[VMQ_STAT_NR];
struct workqueue_struct *vmq_wq;

/* The largest payload VMQ_HC_SEND accepts; a record is at most half a ring. */
unsigned int vmq_max_msg_size = 64 * 1024;
#define VMQ_MAX_MSG_LIMIT	(VMQ_RING_DATA_MAX / 2 - VMQ_MSG_ALIGN)

static int vmq_set_max_msg_size(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n < 1 || n > VMQ_MAX_MSG_LIMIT)
		return -EINVAL;
	WRITE_ONCE(vmq_max_msg_size, n);
	return 0;
}

static const struct kernel_param_ops vmq_max_msg_size_ops = {
	.set = vmq_set_max_msg_size,
	.get = param_get_uint,
};
module_param_cb(max_msg_size, &vmq_max_msg_size_ops, &vmq_max_msg_size, 0644);
MODULE_PARM_DESC(max_msg_size,
		 "largest message payload in bytes (default 65536, at most 8 MiB - 32)");

static const struct vmq_kvm_callbacks vmq_kvm_cb = {
	.hypercall_is_ours = vmq_hypercall_is_ours,
	.hypercall = vmq_hypercall,
	.vcpu_exit = vmq_tx_vcpu_exit,
	.exits_wanted = vmq_tx_exits_wanted,
	.vm_destroyed = vmq_vm_destroyed,
	.memslot_gone = vmq_vm_memslot_gone,
	.pt_write = vmq_vm_pt_write,
};

static int __init vmq_init(void)
{
	int ret;

	vmq_wq = alloc_workqueue("vmq", WQ_UNBOUND, 0);
	if (!vmq_wq)
		return -ENOMEM;
	ret = vmq_acl_init();
	if (ret)
		goto err_destroy_wq;
	ret = vmq_window_init();
	if (ret)
		goto err_acl_exit;
	ret = vmq_netlink_init();
	if (ret)
		goto err_window_exit;
	ret = vmq_chardev_init();
	if (ret)
		goto err_netlink_exit;
	ret = vmq_kvm_hooks_init(&vmq_kvm_cb);
	if (ret)
		goto err_chardev_exit;
	pr_info("VM queues ready (ABI %d)\n", VMQ_ABI_VERSION);
	return 0;

err_chardev_exit:
	vmq_chardev_exit();
err_netlink_exit:
	vmq_netlink_exit();
err_window_exit:
	vmq_window_exit();
err_acl_exit:
	vmq_acl_exit();
err_destroy_wq:
	destroy_workqueue(vmq_wq);
	return ret;
}

static void __exit vmq_exit(void)
{
	vmq_kvm_hooks_exit();
	vmq_chardev_exit();
	flush_workqueue(vmq_wq);
	vmq_lifetime_exit();
	vmq_netlink_exit();
	vmq_acl_exit();
	/* Window files pin the module: none is left once we get here. */
	vmq_window_exit();
	destroy_workqueue(vmq_wq);
	/* vmq_vm and ACL entries are freed by RCU callbacks */
	vmq_kvm_hooks_drain();
}

module_init(vmq_init);
module_exit(vmq_exit);
MODULE_DESCRIPTION("VM queues: hypervisor-mediated messages between KVM guests");
MODULE_AUTHOR("vmq developers");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: kvm");
