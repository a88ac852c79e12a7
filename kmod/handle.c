// SPDX-License-Identifier: GPL-2.0
/*
 * handle.c: VM handles, a VMM's file descriptor for its own VM. Layer:
 * entry points (see vmq.h).
 *
 * The administrator reaches every VM: netlink (CAP_NET_ADMIN) allows any
 * pair and reads any VM, /dev/vmq (CAP_SYS_ADMIN) names VMs and points any
 * VM's arrival eventfd anywhere. A VMM needs far less, and a compromised
 * VMM must not get more: so
 * VMQ_IOC_ATTACH_VM with VMQ_ATTACH_HANDLE returns a handle that acts on
 * the attached VM only. Handing in the VM's KVM file descriptor is what
 * proves that the caller runs that VM, so attaching for a handle needs no
 * privilege beyond opening /dev/vmq. The handle can set the VM's arrival
 * notification, read the VM's own VMQ_IOC_VM_INFO and create page windows
 * (memory charged to the caller): nothing that reaches another VM. Who may
 * talk to whom, names, quotas and introductions stay with the
 * administrator (/dev/vmq with CAP_SYS_ADMIN, netlink with CAP_NET_ADMIN).
 *
 * The handle holds a reference on the struct vmq_vm, not on the VM: once
 * KVM destroys the VM its calls answer -ESRCH.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "control.h"
#include "handle.h"
#include "vm.h"
#include "window.h"

static int vmq_handle_release(struct inode *inode, struct file *file)
{
	vmq_vm_put(file->private_data);
	return 0;
}

/*
 * VMQ_IOC_SET_NOTIFY, for the handle's VM (@only) or, from /dev/vmq, for
 * any VM (@only 0). In a handle's call an id of 0 names its own VM.
 */
long vmq_ioctl_set_notify(struct vmq_notify __user *uarg, u32 only)
{
	struct vmq_notify n;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (only && n.id && n.id != only)
		return -EPERM;
	if (n.eventfd < -1)
		return -EINVAL;
	return vmq_ctl_set_notify(only ?: n.id, n.eventfd);
}

/* VMQ_IOC_VM_INFO: a handle's own VM (@only) and no other. */
static long vmq_ioctl_vm_info(struct vmq_vm_info __user *uarg, u32 only)
{
	struct vmq_vm_info *info;
	long ret;

	info = memdup_user(uarg, sizeof(*info));
	if (IS_ERR(info))
		return PTR_ERR(info);
	ret = -EINVAL;
	if (info->flags)
		goto out_free;
	ret = -EPERM;
	if (info->id && info->id != only)
		goto out_free;
	info->id = only;
	ret = vmq_ctl_vm_info(info, false);
	if (!ret && copy_to_user(uarg, info, sizeof(*info)))
		ret = -EFAULT;
out_free:
	kfree(info);
	return ret;
}

static long vmq_handle_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vmq_vm *vm = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMQ_IOC_SET_NOTIFY:
		return vmq_ioctl_set_notify(uarg, vm->id);
	case VMQ_IOC_VM_INFO:
		return vmq_ioctl_vm_info(uarg, vm->id);
	case VMQ_IOC_WINDOW_CREATE:
		return vmq_window_create_ioctl(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmq_handle_fops = {
	.owner = THIS_MODULE,
	.release = vmq_handle_release,
	.unlocked_ioctl = vmq_handle_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/*
 * A new handle for @vm, whose reference it takes over, as a close-on-exec
 * file descriptor; on failure the reference is dropped.
 */
int vmq_handle_create(struct vmq_vm *vm)
{
	int fd = anon_inode_getfd("[vmq-vm]", &vmq_handle_fops, vm,
				  O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vmq_vm_put(vm);
	return fd;
}
