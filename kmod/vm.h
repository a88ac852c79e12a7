/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm.h: struct vmq_vm, vmq's view of one VM, and struct vmq_vcpu, of one of
 * its vCPUs. Layer: VM core (see vmq.h).
 *
 * Lifetime of a struct vmq_vm (lifetime.c): created when a VMM attaches the
 * VM or when the VM makes its first vmq hypercall; referenced by the
 * indexes (one kref) and by whoever looked it up (hypercalls, ioctls,
 * handles); taken out of the indexes when KVM destroys the VM or when the
 * module unloads; freed after an RCU grace period once the last reference
 * is gone, because lookups by id or by struct kvm run under RCU.
 */
#ifndef _VMQ_VM_H
#define _VMQ_VM_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/vmq.h>

#include "guest_mem.h"
#include "kvm_hooks.h"
#include "queue.h"
#include "vmq.h"

struct eventfd_ctx;
struct kvm;
struct kvm_vcpu;
struct vmq_window;
struct vmq_xlate;
struct vmq_page_req;
struct vmq_tcache;

struct vmq_vm {
	struct kref ref;
	u32 id;
	/* Never reused, unlike @id: names whose bytes a window page holds. */
	u64 serial;
	pid_t pid;
	/*
	 * The VM while KVM keeps it alive; NULL once it is gone. Only ever
	 * compared or dereferenced under vmq_vms_lock, or by a vCPU of this
	 * very VM (which keeps it alive).
	 */
	struct kvm *kvm;
	/* The same VM, never cleared: only used while holding a reference. */
	struct kvm *owner_kvm;
	struct vmq_kvm_hook hook;	/* lifetime hook, memslot watch */
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
	char name[VMQ_NAME_MAX];	/* under vmq_vms_lock */
	u32 quota_max_msg;		/* 0: vmq_max_msg_size */
	u32 quota_max_queue;		/* 0: no limit */
	u32 quota_max_pages;		/* 0: no limit */
	atomic_t pages_in_flight;	/* sent pages that receivers hold */
	u32 quota_max_grants;		/* 0: VMQ_GRANTS_MAX */
	struct xarray grants;		/* struct vmq_grant by id (copy.c) */
	atomic_t nr_grants;
	u32 next_grant;
	struct vmq_xlate __rcu *xlate;	/* translation caches (xlate.c) */
	struct mutex xlate_lock;
	struct vmq_window *window;	/* bound page window (window.c) */
	struct hlist_node kvm_node;	/* index by struct kvm */
	struct work_struct hook_work;	/* installs the hook for adopted VMs */
	struct vmq_queue rxq;
	atomic64_t ctr[VMQ_CTR_NR];
	struct rcu_head rcu;
};

/*
 * One vCPU's vmq state, created on its first per-vCPU hypercall
 * (lifetime.c); its parts belong to tx.c and wait.c.
 */
struct vmq_vcpu {
	struct vmq_vm *vm;
	struct kvm_vcpu *vcpu;

	/*
	 * Transmit ring. VMQ_VCPU_TX_BUSY is the right to touch it: the exit
	 * hook tries it and leaves the ring to its holder; the hypercalls and
	 * tx_work sleep for it.
	 */
	unsigned long flags;
	struct vmq_gbuf tx;		/* tx.va == NULL: no ring */
	struct vmq_tx_hdr *txh;
	struct vmq_tx_desc *txd;
	u32 tx_nr;			/* descriptors, a power of two */
	u32 tx_cons;			/* the host's own consumer index */
	u32 tx_cons_exit;		/* tx_cons at the vCPU's last exit */
	bool tx_broken;			/* prod ran ahead; stopped */
	struct work_struct tx_work;	/* finishes what the hook could not */
	/* Page descriptors moved as one batch (tx.c), with the ring. */
	struct vmq_page_req *tx_pages;

	/* Its translations of guest-virtual addresses, for copies. */
	struct vmq_tcache *tc;

	/* Blocking receive: on vm->waiters while halted in VMQ_HC_WAIT. */
	struct list_head wait_node;
	struct hrtimer timer;
};

#define VMQ_VCPU_TX_BUSY	0

/* Serialises changes to both indexes, names, and lifetime hooks. */
extern struct mutex vmq_vms_lock;

static inline void vmq_count(struct vmq_vm *vm, enum vmq_counter c, u64 n)
{
	atomic64_add(n, &vm->ctr[c]);
}

void vmq_count_error(struct vmq_vm *vm, long err);

struct vmq_vm *vmq_vm_create(struct kvm *kvm);
void vmq_vm_publish(struct vmq_vm *vm);
void vmq_vm_unpublish(struct vmq_vm *vm);
void vmq_vm_put(struct vmq_vm *vm);

struct vmq_vm *vmq_vm_get(u32 id);
struct vmq_vm *vmq_vm_get_by_kvm(struct kvm *kvm);
struct vmq_vm *vmq_vm_find_rcu(struct kvm *kvm);
struct vmq_vm *vmq_vm_find_locked(u32 id);
struct vmq_vm *vmq_vm_next_locked(unsigned long *index);
bool vmq_vm_name_taken(const char *name, struct vmq_vm *except);
int vmq_vm_resolve(u32 id, const char *name, u32 *out);

struct kvm *vmq_vm_get_kvm(struct vmq_vm *vm);
void vmq_vm_put_kvm(struct vmq_vm *vm, struct kvm *kvm);

#endif /* _VMQ_VM_H */
