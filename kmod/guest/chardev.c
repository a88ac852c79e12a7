// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c: /dev/vmq0, the guest's message device (<linux/vmq_guest_dev.h>,
 * Documentation/vmq/guest-driver.rst). Layer: entry points (see guest.h).
 *
 * Every open file is a sender of its own (destination, tag, mode, lazy
 * results) and an owner of window slots; all files read the VM's one
 * receive queue.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmq_guest_dev.h>

#include "chardev.h"
#include "copy.h"
#include "guest.h"
#include "hypercall.h"
#include "rx.h"
#include "send.h"
#include "sysfs.h"
#include "tx.h"
#include "wait.h"
#include "window.h"

struct vmqg_file {
	struct vmqg_sender snd;
	/* write()'s destination, set by VMQ_DEV_IOC_CONNECT, under snd.lock */
	u32 dest;
	u32 flags;
	u64 tag;
};

static int vmqg_open(struct inode *inode, struct file *file)
{
	struct vmqg_file *f = kzalloc(sizeof(*f), GFP_KERNEL);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = vmqg_sender_init(&f->snd);
	if (ret) {
		kfree(f);
		return ret;
	}
	file->private_data = f;
	return stream_open(inode, file);
}

static int vmqg_release(struct inode *inode, struct file *file)
{
	struct vmqg_file *f = file->private_data;

	vmqg_window_release(f);
	vmqg_sender_release(&f->snd);
	kfree(f);
	return 0;
}

/*
 * Copy @m, the message at the head of the queue, out as a struct
 * vmq_dev_msg and its payload, and consume it. Under vmqg_rx_lock().
 */
static ssize_t vmqg_deliver(struct vmqg_file *f, const struct vmq_msg_hdr *m,
			    char __user *ubuf, size_t count)
{
	struct vmq_dev_msg h = {
		.len = m->len,
		.type = m->type,
		.sender = m->sender,
		.seq = m->seq,
		.tag = m->tag,
	};
	const void *payload = m + 1;
	struct vmq_dev_page pg;

	if (m->type == VMQ_MSG_PAGE) {
		struct vmq_page_msg pm = {};

		memcpy(&pm, payload, min_t(u32, m->len, sizeof(pm)));
		vmqg_window_arrived(pm.gpa, pm.size, &pg);
		payload = &pg;
		h.len = sizeof(pg);
	}
	if (count < sizeof(h) + h.len)
		return -EMSGSIZE;
	if (copy_to_user(ubuf, &h, sizeof(h)) ||
	    copy_to_user(ubuf + sizeof(h), payload, h.len))
		return -EFAULT;
	if (m->type == VMQ_MSG_PAGE)
		vmqg_window_take(f, &pg);
	vmqg_rx_consume(m);
	vmqg_count(VMQG_CTR_RX_MSGS, 1);
	vmqg_count(VMQG_CTR_RX_BYTES, h.len);
	return sizeof(h) + h.len;
}

/*
 * A large write's request at the head: take it off the queue (the data
 * belongs at its place, which this read() holds) and serve it unlocked.
 */
static ssize_t vmqg_read_copy(const struct vmq_msg_hdr *m, char __user *ubuf,
			      size_t count)
{
	struct vmq_dev_copy_req req;
	u32 sender = m->sender, seq = m->seq;

	memcpy(&req, m + 1, sizeof(req));
	vmqg_rx_consume(m);
	vmqg_rx_unlock();
	return vmqg_copy_read(&req, sender, seq, ubuf, count);
}

static ssize_t vmqg_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct vmqg_file *f = file->private_data;
	const struct vmq_msg_hdr *m;
	ssize_t ret;

	if (count < sizeof(struct vmq_dev_msg))
		return -EINVAL;
	for (;;) {
		if (vmqg_rx_lock())
			return -ERESTARTSYS;
		m = vmqg_rx_peek();
		if (!IS_ERR_OR_NULL(m) && m->type == VMQ_MSG_DATA &&
		    m->tag == VMQ_DEV_CTL_REQ) {
			ret = vmqg_read_copy(m, ubuf, count);
			if (ret != -EAGAIN)
				return ret;
			continue;
		}
		if (IS_ERR(m))
			ret = PTR_ERR(m);
		else if (m)
			ret = vmqg_deliver(f, m, ubuf, count);
		vmqg_rx_unlock();
		if (m)
			return ret;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = vmqg_wait_readable();
		if (ret)
			return ret;
	}
}

static ssize_t vmqg_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct vmqg_file *f = file->private_data;
	u32 dest, flags;
	u64 tag;

	mutex_lock(&f->snd.lock);
	dest = f->dest;
	flags = f->flags;
	tag = f->tag;
	mutex_unlock(&f->snd.lock);
	if (!dest)
		return -EDESTADDRREQ;
	if (count > vmqg_send_max() && !(file->f_flags & O_NONBLOCK) &&
	    vmqg_copy_supported())
		return vmqg_copy_write(&f->snd, dest, tag, ubuf, count);
	return vmqg_send_user(&f->snd, dest, tag, flags, ubuf, count,
			      file->f_flags & O_NONBLOCK);
}

/* Is a message (not only padding or identities) at the head? */
static bool vmqg_readable(void)
{
	const struct vmq_msg_hdr *m;

	if (!vmqg_rx_ready())
		return false;
	/* A reader holds the queue: it will tell. */
	if (vmqg_rx_lock())
		return true;
	m = vmqg_rx_peek();
	vmqg_rx_unlock();
	return m;
}

static __poll_t vmqg_poll(struct file *file, poll_table *pt)
{
	struct vmqg_file *f = file->private_data;
	__poll_t mask = 0;

	/* Take identity records first, so that an empty queue waits. */
	vmqg_readable();
	vmqg_wait_poll(file, pt);
	if (vmqg_readable())
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!vmqg_rx_live())
		mask |= EPOLLERR;
	if (vmqg_send_writable(&f->snd))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static long vmqg_ioc_info(void __user *arg)
{
	struct vmq_dev_info info = {
		.abi_version = vmqg_host.abi_version,
		.vm_id = vmqg_host.vm_id,
		.features = vmqg_host.features,
		.max_msg = vmqg_send_max(),
		.rx_size = vmqg_rx_size(),
		.lazy_max = vmqg_send_lazy_max(),
	};

	if (vmqg_wait_irq())
		info.flags |= VMQ_DEV_INFO_IRQ;
	else
		info.flags |= VMQ_DEV_INFO_WAIT;
	if (vmqg_window_info(&info.window_size, &info.window_page_size))
		info.flags |= VMQ_DEV_INFO_WINDOW;
	if (vmqg_tx_enabled())
		info.flags |= VMQ_DEV_INFO_LAZY;
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vmqg_ioc_connect(struct vmqg_file *f, void __user *arg)
{
	struct vmq_dev_connect c;
	long id;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~VMQ_DEV_LAZY)
		return -EINVAL;
	id = c.id;
	if (!id) {
		if (!memchr(c.name, 0, sizeof(c.name)))
			return -EINVAL;
		id = vmqg_hc_lookup(c.name);
		if (id < 0)
			return id;
		if (!id || id > U32_MAX)
			return -EPROTO;
		c.id = id;
	}
	if (c.tag & VMQ_DEV_TAG_DRIVER)
		return -EINVAL;
	mutex_lock(&f->snd.lock);
	f->dest = c.id;
	f->flags = c.flags;
	f->tag = c.tag;
	mutex_unlock(&f->snd.lock);
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long vmqg_ioc_send(struct vmqg_file *f, struct file *file,
			  void __user *arg)
{
	struct vmq_dev_send s;
	ssize_t ret;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if ((s.flags & ~VMQ_DEV_LAZY) || s.reserved)
		return -EINVAL;
	if (!s.dest) {
		mutex_lock(&f->snd.lock);
		s.dest = f->dest;
		mutex_unlock(&f->snd.lock);
		if (!s.dest)
			return -EDESTADDRREQ;
	}
	ret = vmqg_send_user(&f->snd, s.dest, s.tag, s.flags,
			     u64_to_user_ptr(s.addr), s.len,
			     file->f_flags & O_NONBLOCK);
	return ret < 0 ? ret : 0;
}

static long vmqg_ioc_page_send(struct vmqg_file *f, void __user *arg)
{
	struct vmq_dev_page_send p;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (p.flags)
		return -EINVAL;
	if (!p.dest) {
		mutex_lock(&f->snd.lock);
		p.dest = f->dest;
		mutex_unlock(&f->snd.lock);
		if (!p.dest)
			return -EDESTADDRREQ;
	}
	return vmqg_send_page(&f->snd, f, p.offset, p.dest, p.tag);
}

static long vmqg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vmqg_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct vmq_dev_flush fl = {};
	u64 offset;
	long ret;

	switch (cmd) {
	case VMQ_DEV_IOC_INFO:
		return vmqg_ioc_info(uarg);
	case VMQ_DEV_IOC_CONNECT:
		return vmqg_ioc_connect(f, uarg);
	case VMQ_DEV_IOC_SEND:
		return vmqg_ioc_send(f, file, uarg);
	case VMQ_DEV_IOC_FLUSH:
		vmqg_send_flush(&f->snd, &fl);
		return copy_to_user(uarg, &fl, sizeof(fl)) ? -EFAULT : 0;
	case VMQ_DEV_IOC_PAGE_ALLOC:
		ret = vmqg_window_alloc(f, &offset);
		if (ret)
			return ret;
		if (put_user(offset, (u64 __user *)uarg)) {
			vmqg_window_free(f, offset);
			return -EFAULT;
		}
		return 0;
	case VMQ_DEV_IOC_PAGE_SEND:
		return vmqg_ioc_page_send(f, uarg);
	case VMQ_DEV_IOC_PAGE_FREE:
		if (get_user(offset, (u64 __user *)uarg))
			return -EFAULT;
		return vmqg_window_free(f, offset);
	default:
		return -ENOTTY;
	}
}

static int vmqg_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vmqg_window_mmap(vma);
}

static const struct file_operations vmqg_fops = {
	.owner = THIS_MODULE,
	.open = vmqg_open,
	.release = vmqg_release,
	.read = vmqg_read,
	.write = vmqg_write,
	.poll = vmqg_poll,
	.unlocked_ioctl = vmqg_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmqg_mmap,
	.llseek = no_llseek,
};

static struct miscdevice vmqg_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmq0",
	.fops = &vmqg_fops,
	.groups = vmqg_groups,
	.mode = 0600,
};

int vmqg_chardev_init(void)
{
	return misc_register(&vmqg_misc);
}

void vmqg_chardev_exit(void)
{
	misc_deregister(&vmqg_misc);
}
