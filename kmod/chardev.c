// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c: /dev/vmq, through which the host (the VMM, or an administrator)
 * attaches VMs, names them and decides who may send to whom. Every ioctl is
 * documented in <linux/vmq.h>.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "acl.h"
#include "chardev.h"
#include "registry.h"
#include "window.h"

static int vmq_dev_open(struct inode *inode, struct file *file)
{
	/* The device node is 0600; also refuse root without the capability. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static long vmq_ioctl_attach(struct vmq_attach __user *uarg)
{
	struct vmq_attach arg;
	struct vmq_vm *vm;
	struct fd f;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved ||
	    strnlen(arg.name, sizeof(arg.name)) == sizeof(arg.name))
		return -EINVAL;

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
	vmq_vm_put(vm);
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
out_fdput:
	fdput(f);
	return ret;
}

static long vmq_ioctl_pair(unsigned int cmd, struct vmq_pair __user *uarg)
{
	struct vmq_pair pair;

	if (copy_from_user(&pair, uarg, sizeof(pair)))
		return -EFAULT;
	if (!pair.sender || !pair.receiver)
		return -EINVAL;
	if (cmd == VMQ_IOC_ALLOW)
		return vmq_vm_allow_pair(pair.sender, pair.receiver);
	return vmq_vm_revoke_pair(pair.sender, pair.receiver);
}

static long vmq_ioctl_vm_info(struct vmq_vm_info __user *uarg)
{
	struct vmq_vm_info *info;
	long ret;

	info = memdup_user(uarg, sizeof(*info));
	if (IS_ERR(info))
		return PTR_ERR(info);
	ret = -EINVAL;
	if (info->flags & ~VMQ_INFO_NEXT)
		goto out_free;
	ret = vmq_vm_fill_info(info);
	if (!ret && copy_to_user(uarg, info, sizeof(*info)))
		ret = -EFAULT;
out_free:
	kfree(info);
	return ret;
}

static long vmq_ioctl_set_notify(struct vmq_notify __user *uarg)
{
	struct vmq_notify n;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.eventfd < -1)
		return -EINVAL;
	return vmq_vm_set_notify(n.id, n.eventfd);
}

static long vmq_ioctl_stats(struct vmq_stats __user *uarg)
{
	struct vmq_stats s = {
		.live_vms = atomic64_read(&vmq_stats.live_vms),
		.live_queues = atomic64_read(&vmq_stats.live_queues),
		.pinned_pages = atomic64_read(&vmq_stats.pinned_pages),
		.live_pairs = atomic64_read(&vmq_stats.live_pairs),
		.vms_created = atomic64_read(&vmq_stats.vms_created),
		.vms_destroyed = atomic64_read(&vmq_stats.vms_destroyed),
		.live_tx_rings = atomic64_read(&vmq_stats.live_tx_rings),
		.live_waits = atomic64_read(&vmq_stats.live_waits),
		.bytes_copied = atomic64_read(&vmq_stats.bytes_copied),
		.live_windows = atomic64_read(&vmq_stats.live_windows),
		.window_pages = atomic64_read(&vmq_stats.window_pages),
		.pages_in_flight = atomic64_read(&vmq_stats.pages_in_flight),
	};

	return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long vmq_ioctl_window_create(struct vmq_window_create __user *uarg)
{
	struct vmq_window_create wc;
	long fd;

	if (copy_from_user(&wc, uarg, sizeof(wc)))
		return -EFAULT;
	if (wc.reserved)
		return -EINVAL;
	fd = vmq_window_create_fd(wc.size, wc.page_size, wc.flags);
	if (fd < 0)
		return fd;
	/* The fd is installed: on a fault here the caller still owns it. */
	if (put_user((s32)fd, &uarg->fd))
		return -EFAULT;
	return 0;
}

static long vmq_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMQ_IOC_ATTACH_VM:
		return vmq_ioctl_attach(uarg);
	case VMQ_IOC_ALLOW:
	case VMQ_IOC_REVOKE:
		return vmq_ioctl_pair(cmd, uarg);
	case VMQ_IOC_VM_INFO:
		return vmq_ioctl_vm_info(uarg);
	case VMQ_IOC_STATS:
		return vmq_ioctl_stats(uarg);
	case VMQ_IOC_SET_NOTIFY:
		return vmq_ioctl_set_notify(uarg);
	case VMQ_IOC_WINDOW_CREATE:
		return vmq_ioctl_window_create(uarg);
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
