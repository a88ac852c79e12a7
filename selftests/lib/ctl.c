// SPDX-License-Identifier: GPL-2.0
/*
 * The host's control of vmq through /dev/vmq. See vmqt_ctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_util.h"

#include "vmqt_ctl.h"

static int dev_fd = -1;

int vmqt_dev(void)
{
	if (dev_fd < 0) {
		dev_fd = open("/dev/vmq", O_RDWR);
		__TEST_REQUIRE(dev_fd >= 0,
			       "/dev/vmq not available (is vmq loaded?)");
	}
	return dev_fd;
}

void vmqt_dev_close(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -1;
}

int __vmqt_attach(struct kvm_vm *vm, const char *name, u32 *id)
{
	struct vmq_attach a = { .vm_fd = vm->fd };

	if (name)
		snprintf(a.name, sizeof(a.name), "%s", name);
	if (ioctl(vmqt_dev(), VMQ_IOC_ATTACH_VM, &a))
		return -errno;
	*id = a.id;
	return 0;
}

u32 vmqt_attach(struct vmqt_gvm *g, const char *name)
{
	int ret = __vmqt_attach(g->vm, name, &g->id);

	TEST_ASSERT(!ret, "VMQ_IOC_ATTACH_VM: %d", ret);
	return g->id;
}

int __vmqt_pair(unsigned long cmd, u32 s, u32 r)
{
	struct vmq_pair p = { s, r };

	return ioctl(vmqt_dev(), cmd, &p) ? -errno : 0;
}

void vmqt_allow(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_IOC_ALLOW, s, r);

	TEST_ASSERT(!ret, "VMQ_IOC_ALLOW %u->%u: %d", s, r, ret);
}

void vmqt_revoke(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_IOC_REVOKE, s, r);

	TEST_ASSERT(!ret, "VMQ_IOC_REVOKE %u->%u: %d", s, r, ret);
}

int __vmqt_info_of(u32 id, struct vmq_vm_info *i)
{
	memset(i, 0, sizeof(*i));
	i->id = id;
	return ioctl(vmqt_dev(), VMQ_IOC_VM_INFO, i) ? -errno : 0;
}

struct vmq_vm_info vmqt_info_of(u32 id)
{
	struct vmq_vm_info i = { .id = id };

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_VM_INFO, &i),
		    "VMQ_IOC_VM_INFO %u: %d", id, -errno);
	return i;
}

u64 vmqt_ctr(u32 id, enum vmq_counter c)
{
	return vmqt_info_of(id).counters[c];
}

bool vmqt_ctr_is_error(int c)
{
	return (c >= VMQ_CTR_ERR_NODEST && c <= VMQ_CTR_ERR_PERM) ||
	       c == VMQ_CTR_ERR_QUOTA || c == VMQ_CTR_ERR_BUSY;
}

void vmqt_check_err_ctrs(u32 id, const struct vmq_vm_info *before, int ctr,
			 u64 n, u64 calls)
{
	struct vmq_vm_info now = vmqt_info_of(id);
	u64 d;
	int c;

	for (c = 0; c < VMQ_CTR_NR; c++) {
		d = now.counters[c] - before->counters[c];
		if (c == ctr)
			TEST_ASSERT(d == n, "VM %u counter %d rose by %lu, not %lu",
				    id, c, (unsigned long)d, (unsigned long)n);
		else if (vmqt_ctr_is_error(c))
			TEST_ASSERT(!d, "VM %u error counter %d rose by %lu",
				    id, c, (unsigned long)d);
	}
	d = now.counters[VMQ_CTR_HYPERCALLS] - before->counters[VMQ_CTR_HYPERCALLS];
	TEST_ASSERT(d == calls, "VM %u: %lu vmq hypercalls counted, not %lu",
		    id, (unsigned long)d, (unsigned long)calls);
}

struct vmq_stats vmqt_stats(void)
{
	struct vmq_stats s;

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_STATS, &s), "VMQ_IOC_STATS");
	return s;
}

bool vmqt_stats_live_at(void *arg)
{
	const struct vmq_stats *b = arg;
	struct vmq_stats s = vmqt_stats();

	return s.live_vms == b->live_vms && s.live_queues == b->live_queues &&
	       s.pinned_pages == b->pinned_pages &&
	       s.live_pairs == b->live_pairs &&
	       s.live_tx_rings == b->live_tx_rings &&
	       s.live_waits == b->live_waits &&
	       s.live_windows == b->live_windows &&
	       s.window_pages == b->window_pages &&
	       s.pages_in_flight == b->pages_in_flight;
}

void vmqt_load_module(void)
{
	const char *ko = getenv("VMQ_KO");
	int fd, ret;

	TEST_ASSERT(ko, "VMQ_KO is not set");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open %s: %s", ko, strerror(errno));
	ret = syscall(__NR_finit_module, fd, "", 0);
	TEST_ASSERT(!ret, "finit_module(%s): %s", ko, strerror(errno));
	close(fd);
}

bool vmqt_unload_module(void *arg)
{
	return !syscall(__NR_delete_module, "vmq", 0);
}
