/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq.h: the objects every part of the module shares.
 *
 * Lifetime of a struct vmq_vm: created when a VMM attaches the VM or when the
 * VM makes its first vmq hypercall; referenced by the registry (one kref) and
 * by whoever looked it up (hypercalls, ioctls); dropped from the registry when
 * KVM destroys the VM (kvm_hooks.c) or when the module unloads; freed after an
 * RCU grace period once the last reference is gone, because lookups by id or
 * by struct kvm run under RCU.
 */
#ifndef _VMQ_H
#define _VMQ_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/vmq.h>
#include <linux/kvm_host.h>

#include "gmem.h"

struct eventfd_ctx;
struct kvm;
struct kvm_device;
struct vmq_window;

/*
 * A VM's receive queue: a ring in the VM's own memory, pinned by vmq.
 * Producers may run in atomic context (the VM-exit hook), hence a spinlock;
 * registration, which pins and maps, happens outside it and is serialised
 * by reg_lock.
 */
struct vmq_queue {
	struct mutex reg_lock;		/* (un)registration */
	spinlock_t lock;		/* producers; hdr and the fields below */
	struct vmq_ring_hdr *hdr;	/* NULL: no queue registered */
	u8 *data;			/* data area, hdr + VMQ_RING_HDR_SIZE */
	u32 size;			/* data area bytes, a power of two */
	u32 head;			/* the host's own producer offset */
	u32 msgs;			/* DATA records produced */
	u32 seq;			/* next sequence number */
	struct vmq_gbuf buf;
};

struct vmq_vm {
	struct kref ref;
	u32 id;
	pid_t pid;
	/*
	 * The VM while KVM keeps it alive; NULL once it is gone. Only ever
	 * compared or dereferenced under vmq_registry_lock, or by a vCPU of
	 * this very VM (which keeps it alive).
	 */
	struct kvm *kvm;
	/* The same VM, never cleared: only used while holding a reference. */
	struct kvm *owner_kvm;
	struct kvm_device *kdev;	/* lifetime hook, freed with the VM */
	bool hooked;			/* kdev is on kvm->devices */
	/*
	 * Cross-VM wake-ups (waiters, notify) take @lock, under which vm->kvm
	 * is only cleared, and pin the VM with kvm_get_kvm_safe() before
	 * touching its vCPUs. References that cannot be dropped where they
	 * were taken (atomic context) are dropped by @put_work.
	 */
	spinlock_t lock;
	struct list_head waiters;	/* struct vmq_vcpu, halted in WAIT */
	struct eventfd_ctx *notify;	/* arrival notification, or NULL */
	atomic_t deferred_puts;
	struct work_struct put_work;
	struct xarray vcpus;		/* struct vmq_vcpu by vcpu_idx */
	bool gone;
	char name[VMQ_NAME_MAX];	/* under vmq_registry_lock */
	u32 quota_max_msg;		/* 0: vmq_max_msg_size */
	u32 quota_max_queue;		/* 0: no limit */
	u32 quota_max_pages;		/* 0: no limit */
	atomic_t pages_in_flight;	/* sent pages that receivers hold */
	struct vmq_window *window;	/* bound page window (window.c) */
	/* Memslot changes, watched once a window is bound (kvm_hooks.c). */
	struct mutex track_lock;
	bool tracking;
	struct kvm_page_track_notifier_node track;
	struct hlist_node kvm_node;	/* vmq_vm_by_kvm */
	struct work_struct hook_work;	/* installs kdev for adopted VMs */
	struct vmq_queue rxq;
	atomic64_t ctr[VMQ_CTR_NR];
	struct rcu_head rcu;
};

/* Module-wide live-object counters (struct vmq_stats). */
struct vmq_global_stats {
	atomic64_t live_vms;
	atomic64_t live_queues;
	atomic64_t pinned_pages;
	atomic64_t live_pairs;
	atomic64_t vms_created;
	atomic64_t vms_destroyed;
	atomic64_t live_tx_rings;
	atomic64_t live_waits;
	atomic64_t bytes_copied;
	atomic64_t live_windows;
	atomic64_t window_pages;
	atomic64_t pages_in_flight;
};

extern struct vmq_global_stats vmq_stats;
extern struct workqueue_struct *vmq_wq;
extern unsigned int vmq_max_msg_size;

static inline void vmq_count(struct vmq_vm *vm, enum vmq_counter c, u64 n)
{
	atomic64_add(n, &vm->ctr[c]);
}

void vmq_count_error(struct vmq_vm *vm, long err);

#endif /* _VMQ_H */
