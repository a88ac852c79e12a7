// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c: /dev/vmq, through which the host (the VMM, or an administrator)
 * attaches VMs, gives them arrival eventfds and creates page windows: what
 * hands over a file descriptor. Who may send to whom, names, quotas and
 * reading VMs are netlink's (netlink.c). Every ioctl is documented in
 * <linux/vmq.h>. Layer: entry points (see vmq.h): it checks
 * who asks and calls control.c and lifetime.c.
 *
 * What a descriptor may do depends on who opened it: with CAP_SYS_ADMIN
 * everything, on every VM; without it only VMQ_IOC_ATTACH_VM for a VM handle
 * (handle.c), for which the caller proves with the VM's KVM file descriptor
 * that the VM is its own. The node's mode decides who may open it at all.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "chardev.h"
#include "handle.h"
#include "lifetime.h"
#include "vm.h"
#include "window.h"

static int vmq_dev_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

/* Whoever opened @file had CAP_SYS_ADMIN (a passed descriptor keeps it). */
static bool vmq_dev_admin(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
}

static long vmq_ioctl_attach(struct file *file, struct vmq_attach __user *uarg)
{
	struct vmq_attach arg;
	struct vmq_vm *vm;
	struct fd f;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~VMQ_ATTACH_HANDLE) || arg.handle ||
	    strnlen(arg.name, sizeof(arg.name)) == sizeof(arg.name))
		return -EINVAL;
	/* Without privilege: a handle for one's own VM, and no name. */
	if (!vmq_dev_admin(file) &&
	    (!(arg.flags & VMQ_ATTACH_HANDLE) || arg.name[0]))
		return -EPERM;

	f = fdget(arg.vm_fd);
	if (!f.file)
		return -EBADF;
	ret = -EINVAL;
	if (!file_is_kvm(f.file))
		goto out_fdput;
	/* The open VM fd keeps the VM alive for the duration of the call. */
	vm = vmq_vm_attach(f.file->private_data, arg.name);
	if (IS_ERR(vm)) {
		ret = PTR_ERR(vm);
		goto out_fdput;
	}
	arg.id = vm->id;
	if (arg.flags & VMQ_ATTACH_HANDLE) {
		/* The handle takes over our reference. */
		ret = vmq_handle_create(vm);
		if (ret < 0)
			goto out_fdput;
		arg.handle = ret;
	} else {
		vmq_vm_put(vm);
	}
	/* The fd is installed: on a fault here the caller still owns it. */
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
out_fdput:
	fdput(f);
	return ret;
}

static long vmq_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (cmd == VMQ_IOC_ATTACH_VM)
		return vmq_ioctl_attach(file, uarg);
	if (!vmq_dev_admin(file))
		return -EPERM;
	/* Only what hands over a file descriptor: the rest is netlink's. */
	switch (cmd) {
	case VMQ_IOC_SET_NOTIFY:
		return vmq_ioctl_set_notify(uarg, 0);
	case VMQ_IOC_WINDOW_CREATE:
		return vmq_window_create_ioctl(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmq_dev_fops = {
	.owner = THIS_MODULE,
	.open = vmq_dev_open,
	.unlocked_ioctl = vmq_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice vmq_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmq",
	.fops = &vmq_dev_fops,
	.mode = 0600,
};

int vmq_chardev_init(void)
{
	return misc_register(&vmq_miscdev);
}

void vmq_chardev_exit(void)
{
	misc_deregister(&vmq_miscdev);
}
