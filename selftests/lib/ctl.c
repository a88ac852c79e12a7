// SPDX-License-Identifier: GPL-2.0
/*
 * The host's control of vmq, through /dev/vmq and netlink. See vmqt_ctl.h.
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
#include "vmqt_nl.h"

static int dev_fd = -1;
static struct vmqt_nl ctl_nl;

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
	vmqt_nl_close(&ctl_nl);
}

struct vmqt_nl *vmqt_ctl_nl(void)
{
	if (!ctl_nl.sk)
		__TEST_REQUIRE(!vmqt_nl_open(&ctl_nl),
			       "vmq's netlink family not found (is vmq loaded?)");
	return &ctl_nl;
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

int vmqt_handle_of(struct kvm_vm *vm)
{
	struct vmq_attach a = {
		.vm_fd = vm->fd,
		.flags = VMQ_ATTACH_HANDLE,
	};

	TEST_ASSERT(!ioctl(vmqt_dev(), VMQ_IOC_ATTACH_VM, &a) && a.handle >= 0,
		    "VMQ_IOC_ATTACH_VM for a handle: %d", -errno);
	return a.handle;
}

struct vmq_vm_info vmqt_handle_info(int h)
{
	struct vmq_vm_info i = { 0 };

	TEST_ASSERT(!ioctl(h, VMQ_IOC_VM_INFO, &i), "VMQ_IOC_VM_INFO: %d",
		    -errno);
	return i;
}

int __vmqt_pair(u8 cmd, u32 s, u32 r)
{
	return vmqt_nl_pair(vmqt_ctl_nl(), cmd, s, NULL, r, NULL);
}

void vmqt_allow(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_CMD_ALLOW, s, r);

	TEST_ASSERT(!ret, "VMQ_CMD_ALLOW %u->%u: %d", s, r, ret);
}

void vmqt_revoke(u32 s, u32 r)
{
	int ret = __vmqt_pair(VMQ_CMD_REVOKE, s, r);

	TEST_ASSERT(!ret, "VMQ_CMD_REVOKE %u->%u: %d", s, r, ret);
}

int __vmqt_info_of(u32 id, struct vmq_vm_info *i)
{
	struct vmqt_nl_vm vm;
	int c, ret;

	memset(i, 0, sizeof(*i));
	/* Id 0 would be a request without a VM: never what a caller means. */
	if (!id)
		return -ESRCH;
	ret = vmqt_nl_get(vmqt_ctl_nl(), id, NULL, &vm);
	if (ret)
		return ret;
	TEST_ASSERT(vm.has_quotas && vm.has_counters,
		    "GET_VM %u: no quotas or counters", id);
	i->id = vm.id;
	i->pid = vm.pid;
	i->queue_size = vm.queue_size;
	i->queue_bytes = vm.queue_bytes;
	i->queue_msgs = vm.queue_msgs;
	memcpy(i->name, vm.name, sizeof(i->name));
	i->quota_max_msg = vm.max_msg;
	i->quota_max_queue = vm.max_queue;
	i->quota_max_pages = vm.max_pages;
	i->quota_max_grants = vm.max_grants;
	i->pages_in_flight = vm.pages_in_flight;
	i->nr_counters = vm.nr_ctr;
	for (c = 0; c < VMQ_CTR_NR; c++)
		i->counters[c] = vm.ctr[c];
	return 0;
}

struct vmq_vm_info vmqt_info_of(u32 id)
{
	struct vmq_vm_info i;
	int ret = __vmqt_info_of(id, &i);

	TEST_ASSERT(!ret, "VMQ_CMD_GET_VM %u: %d", id, ret);
	return i;
}

u64 vmqt_ctr(u32 id, enum vmq_counter c)
{
	return vmqt_info_of(id).counters[c];
}

bool vmqt_ctr_is_error(int c)
{
	return (c >= VMQ_CTR_ERR_NODEST && c <= VMQ_CTR_ERR_PERM) ||
	       c == VMQ_CTR_ERR_QUOTA || c == VMQ_CTR_ERR_BUSY ||
	       c == VMQ_CTR_ERR_NOGRANT || c == VMQ_CTR_ERR_PROT;
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

struct vmqt_stats vmqt_stats(void)
{
	u64 st[VMQ_STAT_NR];
	int ret = vmqt_nl_stats(vmqt_ctl_nl(), st);

	TEST_ASSERT(!ret, "VMQ_CMD_GET_STATS: %d", ret);
	return (struct vmqt_stats){
		.live_vms = st[VMQ_STAT_LIVE_VMS],
		.live_queues = st[VMQ_STAT_LIVE_QUEUES],
		.pinned_pages = st[VMQ_STAT_PINNED_PAGES],
		.live_pairs = st[VMQ_STAT_LIVE_PAIRS],
		.vms_created = st[VMQ_STAT_VMS_CREATED],
		.vms_destroyed = st[VMQ_STAT_VMS_DESTROYED],
		.live_tx_rings = st[VMQ_STAT_LIVE_TX_RINGS],
		.live_waits = st[VMQ_STAT_LIVE_WAITS],
		.bytes_copied = st[VMQ_STAT_BYTES_COPIED],
		.live_windows = st[VMQ_STAT_LIVE_WINDOWS],
		.window_pages = st[VMQ_STAT_WINDOW_PAGES],
		.pages_in_flight = st[VMQ_STAT_PAGES_IN_FLIGHT],
		.live_grants = st[VMQ_STAT_LIVE_GRANTS],
		.tracked_tables = st[VMQ_STAT_TRACKED_TABLES],
		.pool_clean_pages = st[VMQ_STAT_POOL_CLEAN_PAGES],
		.send_clears = st[VMQ_STAT_SEND_CLEARS],
		.own_returns = st[VMQ_STAT_OWN_RETURNS],
		.pool_own_pages = st[VMQ_STAT_POOL_OWN_PAGES],
	};
}

bool vmqt_stats_live_at(void *arg)
{
	const struct vmqt_stats *b = arg;
	struct vmqt_stats s = vmqt_stats();

	return s.live_vms == b->live_vms && s.live_queues == b->live_queues &&
	       s.pinned_pages == b->pinned_pages &&
	       s.live_pairs == b->live_pairs &&
	       s.live_tx_rings == b->live_tx_rings &&
	       s.live_waits == b->live_waits &&
	       s.live_windows == b->live_windows &&
	       s.window_pages == b->window_pages &&
	       s.pages_in_flight == b->pages_in_flight &&
	       s.live_grants == b->live_grants &&
	       s.tracked_tables == b->tracked_tables;
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
