// SPDX-License-Identifier: GPL-2.0
/*
 * control.c: what the host may do to VMs: who may send to whom,
 * introductions, names, quotas, counters, the arrival notification, and
 * reading a VM's state. Layer: operations (see vmq.h). The interfaces
 * (chardev.c, handle.c, netlink.c) check who is asking and translate; the
 * operations themselves, and their errors, are the same whichever asks.
 *
 * Every operation names VMs by id and holds vmq_vms_lock while it looks at
 * them, so it acts on VMs that are published (vm.c) for its whole length.
 */
#include <linux/eventfd.h>
#include <linux/string.h>

#include "acl.h"
#include "control.h"
#include "send.h"
#include "vm.h"
#include "xlate.h"

/*
 * Pairs are only ever added between VMs that are still published:
 * releasing a VM (lifetime.c) unpublishes it first and purges its pairs
 * after, so no pair can outlive its VMs.
 */
int vmq_ctl_allow(u32 sender, u32 receiver)
{
	int ret = -ESRCH;

	mutex_lock(&vmq_vms_lock);
	if (vmq_vm_find_locked(sender) && vmq_vm_find_locked(receiver))
		ret = vmq_acl_allow(sender, receiver);
	mutex_unlock(&vmq_vms_lock);
	return ret;
}

/* -ESRCH when either VM is unknown, -ENOENT when the pair was not allowed. */
int vmq_ctl_revoke(u32 sender, u32 receiver)
{
	int ret = -ESRCH;

	mutex_lock(&vmq_vms_lock);
	if (vmq_vm_find_locked(sender) && vmq_vm_find_locked(receiver))
		ret = vmq_acl_revoke(sender, receiver);
	mutex_unlock(&vmq_vms_lock);
	return ret;
}

int vmq_ctl_rename(u32 id, const char *name)
{
	struct vmq_vm *vm;
	int ret = -ESRCH;

	mutex_lock(&vmq_vms_lock);
	vm = vmq_vm_find_locked(id);
	if (vm) {
		ret = -EEXIST;
		if (!name[0] || !vmq_vm_name_taken(name, vm)) {
			/* No byte of an older, longer name may reach a peer. */
			strscpy_pad(vm->name, name, sizeof(vm->name));
			ret = 0;
		}
	}
	mutex_unlock(&vmq_vms_lock);
	return ret;
}

/* NULL leaves a quota as it is. */
/*
 * Set the quotas of VM @id whose bit (BIT(VMQ_A_QUOTA_*)) is in @set to
 * @val[VMQ_A_QUOTA_*]; the others stay as they are.
 */
int vmq_ctl_set_quotas(u32 id, unsigned long set,
		       const u32 val[VMQ_A_QUOTA_MAX + 1])
{
	struct vmq_vm *vm;

	mutex_lock(&vmq_vms_lock);
	vm = vmq_vm_find_locked(id);
	if (vm && (set & BIT(VMQ_A_QUOTA_MAX_MSG)))
		WRITE_ONCE(vm->quota_max_msg, val[VMQ_A_QUOTA_MAX_MSG]);
	if (vm && (set & BIT(VMQ_A_QUOTA_MAX_QUEUE)))
		WRITE_ONCE(vm->quota_max_queue, val[VMQ_A_QUOTA_MAX_QUEUE]);
	if (vm && (set & BIT(VMQ_A_QUOTA_MAX_PAGES)))
		WRITE_ONCE(vm->quota_max_pages, val[VMQ_A_QUOTA_MAX_PAGES]);
	if (vm && (set & BIT(VMQ_A_QUOTA_MAX_GRANTS)))
		WRITE_ONCE(vm->quota_max_grants, val[VMQ_A_QUOTA_MAX_GRANTS]);
	mutex_unlock(&vmq_vms_lock);
	return vm ? 0 : -ESRCH;
}

static void vmq_vm_zero_counters(struct vmq_vm *vm)
{
	int i;

	for (i = 0; i < VMQ_CTR_NR; i++)
		atomic64_set(&vm->ctr[i], 0);
}

/* @id 0: every VM. */
int vmq_ctl_reset_counters(u32 id)
{
	struct vmq_vm *vm;
	unsigned long index;
	int ret = 0;

	mutex_lock(&vmq_vms_lock);
	if (id) {
		vm = vmq_vm_find_locked(id);
		if (vm)
			vmq_vm_zero_counters(vm);
		else
			ret = -ESRCH;
	} else {
		for (index = 0; (vm = vmq_vm_next_locked(&index)); index++)
			vmq_vm_zero_counters(vm);
	}
	mutex_unlock(&vmq_vms_lock);
	return ret;
}

/*
 * Let @a and @b talk both ways and tell each about the other. If the
 * identities cannot both be delivered, the pairs are left as they were.
 */
int vmq_ctl_introduce(u32 a, u32 b)
{
	struct vmq_vm *va, *vb;
	bool ab, ba;
	int ret;

	if (a == b)
		return -EINVAL;
	mutex_lock(&vmq_vms_lock);
	va = vmq_vm_find_locked(a);
	vb = vmq_vm_find_locked(b);
	ret = -ESRCH;
	if (!va || !vb)
		goto out_unlock;
	ab = vmq_acl_allowed(a, b);
	ba = vmq_acl_allowed(b, a);
	ret = vmq_acl_allow(a, b);
	if (ret)
		goto out_unlock;
	ret = vmq_acl_allow(b, a);
	if (ret)
		goto err_revoke_ab;
	ret = vmq_introduce(va, vb);
	if (ret)
		goto err_revoke_ba;
	mutex_unlock(&vmq_vms_lock);
	return 0;

err_revoke_ba:
	if (!ba)
		vmq_acl_revoke(b, a);
err_revoke_ab:
	if (!ab)
		vmq_acl_revoke(a, b);
out_unlock:
	mutex_unlock(&vmq_vms_lock);
	return ret;
}

/* The arrival eventfd of VM @id (see wait.c); @fd < 0 removes it. */
int vmq_ctl_set_notify(u32 id, int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;
	unsigned long flags;
	struct vmq_vm *vm;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&vmq_vms_lock);
	vm = vmq_vm_find_locked(id);
	if (!vm) {
		mutex_unlock(&vmq_vms_lock);
		if (ctx)
			eventfd_ctx_put(ctx);
		return -ESRCH;
	}
	spin_lock_irqsave(&vm->lock, flags);
	old = vm->notify;
	vm->notify = ctx;
	spin_unlock_irqrestore(&vm->lock, flags);
	mutex_unlock(&vmq_vms_lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/* VM @info->id, or with @next the one with the next higher id. */
int vmq_ctl_vm_info(struct vmq_vm_info *info, bool next)
{
	unsigned long index = info->id;
	struct vmq_vm *vm;
	int i;

	mutex_lock(&vmq_vms_lock);
	if (next) {
		index++;
		vm = vmq_vm_next_locked(&index);
	} else {
		vm = vmq_vm_find_locked(index);
	}
	if (!vm) {
		mutex_unlock(&vmq_vms_lock);
		return -ESRCH;
	}
	info->id = vm->id;
	info->pid = vm->pid;
	memcpy(info->name, vm->name, sizeof(info->name));
	info->quota_max_msg = vm->quota_max_msg;
	info->quota_max_queue = vm->quota_max_queue;
	info->quota_max_pages = vm->quota_max_pages;
	info->pages_in_flight = atomic_read(&vm->pages_in_flight);
	vmq_queue_fill_info(&vm->rxq, info);
	BUILD_BUG_ON(VMQ_CTR_NR > VMQ_CTR_SLOTS);
	info->nr_counters = VMQ_CTR_NR;
	info->quota_max_grants = vm->quota_max_grants;
	for (i = 0; i < VMQ_CTR_NR; i++)
		info->counters[i] = atomic64_read(&vm->ctr[i]);
	for (; i < VMQ_CTR_SLOTS; i++)
		info->counters[i] = 0;
	mutex_unlock(&vmq_vms_lock);
	return 0;
}

/* The module-wide statistics (VMQ_CMD_GET_STATS), by enum vmq_stat. */
void vmq_ctl_stats(u64 s[VMQ_STAT_NR])
{
	int i;

	for (i = 0; i < VMQ_STAT_NR; i++)
		s[i] = atomic64_read(&vmq_stats[i]);
}

/*
 * Visit the write-tracked page tables of VM @id (vmq_xlate_visit_tables()).
 * -ESRCH when there is no such VM.
 */
int vmq_ctl_visit_tables(u32 id, unsigned long skip,
			 int (*fn)(void *arg, const struct vmq_table_info *t),
			 void *arg)
{
	struct vmq_vm *vm = vmq_vm_get(id);
	int ret;

	if (!vm)
		return -ESRCH;
	ret = vmq_xlate_visit_tables(vm, skip, fn, arg);
	vmq_vm_put(vm);
	return ret;
}
