// SPDX-License-Identifier: GPL-2.0
/*
 * tx.c: one transmit ring per online CPU, for lazy sends (Documentation/
 * vmq/lazy-and-blocking.rst). Layer: transfer (see guest.h).
 *
 * A transmit ring belongs to the vCPU that registered it, so each CPU
 * registers its own from the CPU hotplug callbacks, which run on that CPU
 * (CPUHP_AP_ONLINE_DYN): online registers, offline unregisters (the host
 * delivers what was published first) and frees.
 *
 * Next to the descriptors, each CPU has a payload buffer: a lazy message
 * is copied there, because its bytes must stay put until the host
 * completed the descriptor, which may be long after write() returned. The
 * buffer is a byte ring; a descriptor's space comes back when the host's
 * cons passes it ("reclaim"), which is also when its result (status) is
 * accounted to the sender that posted it.
 *
 * The guest is the producer: descriptors are written, then prod is
 * store-released (pairs with the host's load-acquire); the host
 * store-releases cons after each status, which we load-acquire before
 * reading statuses. Everything that touches one CPU's ring runs on that
 * CPU under its local lock with interrupts off, so that a flush sent by
 * another CPU (an IPI) never meets a half-written descriptor.
 */
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/local_lock.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/io.h>

#include "guest.h"
#include "hypercall.h"
#include "tx.h"

/* One page of descriptors: 128 of them. */
#define VMQG_TX_DESC_PAGES	1
#define VMQG_TX_NR		(VMQG_TX_DESC_PAGES * PAGE_SIZE / \
				 sizeof(struct vmq_tx_desc))
#define VMQG_TX_BYTES		(VMQ_RING_HDR_SIZE + VMQG_TX_DESC_PAGES * PAGE_SIZE)

/* A ring's memory. */
struct vmqg_txmem {
	struct vmq_tx_hdr *hdr;		/* then the descriptors */
	u8 *buf;			/* payloads */
	u32 *buf_end;			/* per descriptor: buf_head after it */
	struct vmqg_lazy **owner;	/* per descriptor: its sender */
};

struct vmqg_txq {
	local_lock_t lock;
	bool live;			/* registered with the host */
	struct vmqg_txmem mem;		/* mem.hdr NULL: none allocated */
	struct vmq_tx_hdr *hdr;
	struct vmq_tx_desc *desc;
	u8 *buf;
	u32 *buf_end;
	struct vmqg_lazy **owner;
	u32 prod;			/* descriptors published */
	u32 done;			/* descriptors accounted */
	u32 buf_head, buf_tail;		/* free-running byte offsets */
};

static DEFINE_PER_CPU(struct vmqg_txq, vmqg_txqs) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

static int vmqg_tx_state = -1;

struct vmqg_lazy *vmqg_lazy_alloc(void)
{
	struct vmqg_lazy *lz = kzalloc(sizeof(*lz), GFP_KERNEL);

	if (!lz)
		return NULL;
	kref_init(&lz->ref);
	lz->last_cpu = -1;
	return lz;
}

static void vmqg_lazy_release(struct kref *ref)
{
	kfree(container_of(ref, struct vmqg_lazy, ref));
}

void vmqg_lazy_put(struct vmqg_lazy *lz)
{
	kref_put(&lz->ref, vmqg_lazy_release);
}

static void vmqg_lazy_account(struct vmqg_lazy *lz, int status)
{
	if (!status) {
		atomic_inc(&lz->sent);
	} else {
		atomic_inc(&lz->failed);
		atomic_cmpxchg(&lz->first_error, 0, status);
		vmqg_count(VMQG_CTR_LAZY_FAILED, 1);
	}
	atomic_dec(&lz->outstanding);
	vmqg_lazy_put(lz);
}

/*
 * Account every descriptor the host completed. With @all (the ring was
 * unregistered or is being given up), the rest too, as -ENOTCONN: the host
 * no longer reads them.
 */
static void vmqg_tx_reclaim(struct vmqg_txq *q, bool all)
{
	u32 cons = smp_load_acquire(&q->hdr->cons);	/* statuses after */
	u32 completed = cons - q->done;

	if (completed > q->prod - q->done)
		completed = 0;		/* a host that broke the contract */
	while (q->done != q->prod && (completed || all)) {
		u32 i = q->done & (VMQG_TX_NR - 1);
		int status = -ENOTCONN;

		if (completed) {
			status = READ_ONCE(q->desc[i].status);
			if (status == VMQ_TX_PENDING)
				status = -EPROTO;
			completed--;
		}
		vmqg_lazy_account(q->owner[i], status);
		q->owner[i] = NULL;
		q->buf_tail = q->buf_end[i];
		q->done++;
	}
}

/* Room for one payload of @len bytes: its offset in q->buf, or -ENOBUFS. */
static int vmqg_tx_reserve(struct vmqg_txq *q, u32 len, u32 *off)
{
	u32 size = vmqg_lazy_buf, need = ALIGN(len, 8);
	u32 used = q->buf_head - q->buf_tail;
	u32 at = q->buf_head & (size - 1);
	u32 skip = size - at < need ? size - at : 0;

	if (q->prod - q->done >= VMQG_TX_NR || size - used < skip + need)
		return -ENOBUFS;
	*off = skip ? 0 : at;
	q->buf_head += skip + need;
	return 0;
}

static void vmqg_tx_flush_locked(struct vmqg_txq *q)
{
	long ret = vmqg_hc(VMQ_HC_TX_FLUSH, 0, 0, 0, 0);

	vmqg_count(VMQG_CTR_FLUSHES, 1);
	if (ret < 0)
		pr_warn_ratelimited("VMQ_HC_TX_FLUSH: %ld\n", ret);
	vmqg_tx_reclaim(q, false);
}

/*
 * Post one lazy send on this CPU's ring: copies @len bytes of @buf.
 * Called with migration disabled. -ENODEV: this CPU has no ring;
 * -ENOBUFS: no room even after a flush. The caller then sends immediately
 * (VMQ_HC_SEND delivers this ring first, so the order holds).
 */
int vmqg_tx_post(struct vmqg_lazy *lz, u32 dest, const void *buf, u32 len,
		 u64 tag)
{
	struct vmq_tx_desc *d;
	struct vmqg_txq *q;
	unsigned long flags;
	u32 i, off;
	int ret;

	local_lock_irqsave(&vmqg_txqs.lock, flags);
	q = this_cpu_ptr(&vmqg_txqs);
	ret = -ENODEV;
	if (!q->live)
		goto out_unlock;
	vmqg_tx_reclaim(q, false);
	ret = vmqg_tx_reserve(q, len, &off);
	if (ret) {
		vmqg_tx_flush_locked(q);
		ret = vmqg_tx_reserve(q, len, &off);
		if (ret)
			goto out_unlock;
	}
	memcpy(q->buf + off, buf, len);
	i = q->prod & (VMQG_TX_NR - 1);
	d = &q->desc[i];
	d->dest = dest;
	d->len = len;
	d->gpa = virt_to_phys(q->buf + off);
	d->tag = tag;
	d->flags = 0;
	d->status = VMQ_TX_PENDING;
	kref_get(&lz->ref);
	atomic_inc(&lz->outstanding);
	WRITE_ONCE(lz->last_cpu, smp_processor_id());
	q->owner[i] = lz;
	q->buf_end[i] = q->buf_head;
	q->prod++;
	/* The descriptor, then prod: pairs with the host's load-acquire. */
	smp_store_release(&q->hdr->prod, q->prod);
out_unlock:
	local_unlock_irqrestore(&vmqg_txqs.lock, flags);
	return ret;
}

static void vmqg_tx_flush_fn(void *unused)
{
	struct vmqg_txq *q;
	unsigned long flags;

	local_lock_irqsave(&vmqg_txqs.lock, flags);
	q = this_cpu_ptr(&vmqg_txqs);
	if (q->live && q->prod != q->done)
		vmqg_tx_flush_locked(q);
	local_unlock_irqrestore(&vmqg_txqs.lock, flags);
}

/*
 * Deliver what @cpu's ring holds now (VMQ_HC_TX_FLUSH on that vCPU) and
 * account it. A CPU that went offline meanwhile delivered its ring when
 * it unregistered it.
 */
void vmqg_tx_flush_cpu(int cpu)
{
	smp_call_function_single(cpu, vmqg_tx_flush_fn, NULL, 1);
}

static void vmqg_txmem_free(struct vmqg_txmem *m)
{
	if (m->hdr)
		free_pages_exact(m->hdr, VMQG_TX_BYTES);
	if (m->buf)
		free_pages_exact(m->buf, vmqg_lazy_buf);
	kfree(m->buf_end);
	kfree(m->owner);
	memset(m, 0, sizeof(*m));
}

static int vmqg_tx_online(unsigned int cpu)
{
	struct vmqg_txq *q = per_cpu_ptr(&vmqg_txqs, cpu);
	struct vmqg_txmem m = {};
	unsigned long flags;
	long ret;

	m.hdr = alloc_pages_exact(VMQG_TX_BYTES, GFP_KERNEL | __GFP_ZERO);
	m.buf = alloc_pages_exact(vmqg_lazy_buf, GFP_KERNEL);
	m.buf_end = kcalloc(VMQG_TX_NR, sizeof(*m.buf_end), GFP_KERNEL);
	m.owner = kcalloc(VMQG_TX_NR, sizeof(*m.owner), GFP_KERNEL);
	if (!m.hdr || !m.buf || !m.buf_end || !m.owner) {
		vmqg_txmem_free(&m);
		pr_warn("cpu %u: no memory for a transmit ring\n", cpu);
		return 0;	/* the CPU sends immediately, that is all */
	}
	m.hdr->magic = VMQ_TX_MAGIC;

	local_lock_irqsave(&vmqg_txqs.lock, flags);
	WARN_ON_ONCE(smp_processor_id() != cpu);
	/* A predecessor's registration (an earlier load, kexec) goes first. */
	ret = vmqg_hc(VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	if (ret && ret != -ENOTCONN)
		pr_warn("cpu %u: unregistering an old transmit ring: %ld\n",
			cpu, ret);
	ret = vmqg_hc(VMQ_HC_TX_REGISTER, virt_to_phys(m.hdr), VMQG_TX_BYTES,
		      0, 0);
	if (!ret && READ_ONCE(m.hdr->nr_desc) != VMQG_TX_NR) {
		vmqg_hc(VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
		ret = -EPROTO;
	}
	if (!ret) {
		q->mem = m;
		q->hdr = m.hdr;
		q->desc = (struct vmq_tx_desc *)((u8 *)m.hdr + VMQ_RING_HDR_SIZE);
		q->buf = m.buf;
		q->buf_end = m.buf_end;
		q->owner = m.owner;
		q->prod = 0;
		q->done = 0;
		q->buf_head = 0;
		q->buf_tail = 0;
		q->live = true;
	}
	local_unlock_irqrestore(&vmqg_txqs.lock, flags);
	if (ret) {
		pr_warn("cpu %u: registering a transmit ring: %ld\n", cpu, ret);
		vmqg_txmem_free(&m);
	}
	return 0;
}

/* On this CPU, with its lock held: give the ring up. */
static bool vmqg_tx_unregister_locked(struct vmqg_txq *q)
{
	long ret;

	if (!q->live)
		return true;
	ret = vmqg_hc(VMQ_HC_TX_UNREGISTER, 0, 0, 0, 0);
	vmqg_tx_reclaim(q, true);
	q->live = false;
	if (ret && ret != -ENOTCONN) {
		pr_warn("transmit ring not unregistered (%ld): leaking it\n",
			ret);
		return false;
	}
	return true;
}

static int vmqg_tx_offline(unsigned int cpu)
{
	struct vmqg_txq *q = per_cpu_ptr(&vmqg_txqs, cpu);
	struct vmqg_txmem m = {};
	unsigned long flags;

	local_lock_irqsave(&vmqg_txqs.lock, flags);
	WARN_ON_ONCE(smp_processor_id() != cpu);
	if (vmqg_tx_unregister_locked(q))
		swap(m, q->mem);
	local_unlock_irqrestore(&vmqg_txqs.lock, flags);
	vmqg_txmem_free(&m);
	return 0;
}

static void vmqg_tx_shutdown_fn(void *unused)
{
	unsigned long flags;

	local_lock_irqsave(&vmqg_txqs.lock, flags);
	vmqg_tx_unregister_locked(this_cpu_ptr(&vmqg_txqs));
	local_unlock_irqrestore(&vmqg_txqs.lock, flags);
}

/* Before reboot or kexec: no ring of ours may outlive this kernel. */
void vmqg_tx_shutdown(void)
{
	if (vmqg_tx_state >= 0)
		on_each_cpu(vmqg_tx_shutdown_fn, NULL, 1);
}

int vmqg_tx_init(void)
{
	int ret;

	if (!(vmqg_host.features & VMQ_FEAT_LAZY))
		return 0;
	if (!is_power_of_2(vmqg_lazy_buf) || vmqg_lazy_buf < PAGE_SIZE ||
	    vmqg_lazy_buf > (4U << 20)) {
		pr_err("lazy_buf must be a power of two from 4 KiB to 4 MiB\n");
		return -EINVAL;
	}
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vmq_guest:tx",
				vmqg_tx_online, vmqg_tx_offline);
	if (ret < 0)
		return ret;
	vmqg_tx_state = ret;
	return 0;
}

void vmqg_tx_exit(void)
{
	if (vmqg_tx_state >= 0)
		cpuhp_remove_state(vmqg_tx_state);
	vmqg_tx_state = -1;
}

bool vmqg_tx_enabled(void)
{
	return vmqg_tx_state >= 0;
}
