// SPDX-License-Identifier: GPL-2.0
/*
 * send.c: putting a message into another VM's queue. Layer: transfer (see
 * vmq.h), the bottom of it: page transfer (window.c) and lazy sends (tx.c)
 * come through here.
 *
 * The policy lives here: the sender is who the host says it is (its VM's
 * id, never a guest-supplied value), the pair must be allowed (acl.c), the
 * length must be within the module's and the sender's limits, and a full
 * queue is an error the sender sees (-EAGAIN), never a silent drop. The
 * ring itself (queue.c) knows nothing of this; every delivery ends in
 * vmq_arrival() (wait.c), which wakes or notifies the receiver.
 */
#include <linux/kvm_host.h>

#include "acl.h"
#include "events.h"
#include "guest_mem.h"
#include "queue.h"
#include "send.h"
#include "trace.h"
#include "vm.h"
#include "wait.h"

/*
 * The VM that @src wants to reach, referenced, if the host allows the pair;
 * else ERR_PTR(-EACCES), announced as VMQ_EVENT_DENIED. A VM that does not
 * exist gets the same answer as one that may not be reached: a guest
 * learns nothing about VMs it may not send to (VMQ_HC_LOOKUP keeps the same
 * rule). Pairs only ever name published VMs (control.c), so the ACL is
 * asked first; a VM that went away since is not found, and refused alike.
 */
struct vmq_vm *vmq_dest_get(struct vmq_vm *src, u64 dest_id)
{
	struct vmq_vm *dest = NULL;

	if (dest_id && dest_id <= U32_MAX && vmq_acl_allowed(src->id, dest_id))
		dest = vmq_vm_get(dest_id);
	if (!dest) {
		vmq_event(VMQ_EVENT_DENIED, src->id,
			  dest_id <= U32_MAX ? dest_id : 0, -EACCES);
		return ERR_PTR(-EACCES);
	}
	return dest;
}

static long __vmq_send(struct vmq_vm *src, struct kvm *src_kvm,
		       const struct vmq_send_args *a, bool can_sleep)
{
	struct vmq_vm *dest;
	bool notify = false;
	int tries = 0;
	long ret;

	u32 quota = READ_ONCE(src->quota_max_msg);

	if (a->len > READ_ONCE(vmq_max_msg_size))
		return -EMSGSIZE;
	if (quota && a->len > quota) {
		vmq_count(src, VMQ_CTR_ERR_QUOTA, 1);
		vmq_event(VMQ_EVENT_QUOTA, src->id, a->dest, -EMSGSIZE);
		return -EMSGSIZE;
	}
	dest = vmq_dest_get(src, a->dest);
	if (IS_ERR(dest))
		return PTR_ERR(dest);

	for (;;) {
		ret = vmq_queue_write_guest(&dest->rxq, src->id, a->tag,
					    src_kvm, a->gpa, a->len, &notify);
		if (ret != -VMQ_ENOTRESIDENT || !can_sleep)
			break;
		/* A page that keeps going away is not worth chasing forever. */
		ret = -EFAULT;
		if (++tries > 3 || vmq_fault_in_guest(src_kvm, a->gpa, a->len))
			break;
	}
	if (ret) {
		if (ret != -EAGAIN && ret != -VMQ_ENOTRESIDENT)
			vmq_event(VMQ_EVENT_DROP, src->id, dest->id, ret);
		goto out_put;
	}

	atomic64_add(a->len, &vmq_stats[VMQ_STAT_BYTES_COPIED]);
	vmq_count(src, VMQ_CTR_TX_MSGS, 1);
	vmq_count(src, VMQ_CTR_TX_BYTES, a->len);
	vmq_count(dest, VMQ_CTR_RX_MSGS, 1);
	vmq_count(dest, VMQ_CTR_RX_BYTES, a->len);
	trace_vmq_deliver(dest->id, src->id, VMQ_MSG_DATA, a->len, a->tag,
			  notify);
	vmq_arrival(dest, notify);
out_put:
	vmq_vm_put(dest);
	return ret;
}

/*
 * Send one message from @src, whose memory is the current mm and whose
 * kvm->srcu the caller holds. Returns 0 or a documented negative error;
 * -VMQ_ENOTRESIDENT only when !@can_sleep and the payload must be faulted in.
 */
long vmq_send(struct vmq_vm *src, struct kvm *src_kvm,
	      const struct vmq_send_args *a, bool can_sleep)
{
	long ret = __vmq_send(src, src_kvm, a, can_sleep);

	/* One event per send: not for a try that will be made again. */
	if (ret != -VMQ_ENOTRESIDENT)
		trace_vmq_send(src->id, a->dest, a->len, a->tag, ret);
	return ret;
}

/*
 * Write a record whose payload the host made (@payload, @len bytes) into
 * @dest's queue, and wake or notify the guest. Returns 0 or a
 * VMQ_HC_SEND error; a failure leaves the ring as it was.
 */
int vmq_post(struct vmq_vm *dest, u16 type, u32 sender, u64 tag,
	     const void *payload, u32 len)
{
	bool notify = false;
	int ret;

	ret = vmq_queue_write(&dest->rxq, type, sender, tag, payload, len,
			      &notify);
	if (!ret) {
		trace_vmq_deliver(dest->id, sender, type, len, tag, notify);
		vmq_arrival(dest, notify);
	}
	return ret;
}

static void vmq_identity_of(struct vmq_vm *vm, struct vmq_identity *id)
{
	lockdep_assert_held(&vmq_vms_lock);
	memset(id, 0, sizeof(*id));
	id->id = vm->id;
	memcpy(id->name, vm->name, sizeof(id->name));
}

/*
 * Convey each VM's identity into the other's queue: both records or
 * neither. Both queue locks are held together, lower id first. Caller
 * holds vmq_vms_lock (names are stable).
 */
int vmq_introduce(struct vmq_vm *a, struct vmq_vm *b)
{
	struct vmq_vm *first = a->id < b->id ? a : b;
	struct vmq_vm *second = first == a ? b : a;
	struct vmq_identity ida, idb;
	struct vmq_slot sa, sb;
	bool na, nb;
	int ret;

	lockdep_assert_held(&vmq_vms_lock);
	vmq_identity_of(a, &ida);
	vmq_identity_of(b, &idb);

	spin_lock(&first->rxq.lock);
	spin_lock_nested(&second->rxq.lock, SINGLE_DEPTH_NESTING);
	ret = vmq_queue_reserve(&a->rxq, sizeof(idb), &sa);
	if (!ret)
		ret = vmq_queue_reserve(&b->rxq, sizeof(ida), &sb);
	if (!ret) {
		memcpy(vmq_slot_payload(&a->rxq, &sa), &idb, sizeof(idb));
		memcpy(vmq_slot_payload(&b->rxq, &sb), &ida, sizeof(ida));
		na = vmq_queue_commit(&a->rxq, &sa, VMQ_MSG_IDENTITY, 0, 0,
				      sizeof(idb));
		nb = vmq_queue_commit(&b->rxq, &sb, VMQ_MSG_IDENTITY, 0, 0,
				      sizeof(ida));
	}
	spin_unlock(&second->rxq.lock);
	spin_unlock(&first->rxq.lock);
	if (ret)
		return ret;

	trace_vmq_deliver(a->id, 0, VMQ_MSG_IDENTITY, sizeof(idb), 0, na);
	trace_vmq_deliver(b->id, 0, VMQ_MSG_IDENTITY, sizeof(ida), 0, nb);
	vmq_arrival(a, na);
	vmq_arrival(b, nb);
	return 0;
}
