/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h: vmq's tracepoints, events/vmq/ in tracefs, beside KVM's own
 * (perf trace -e 'vmq:*', trace-cmd record -e vmq). One per thing vmq does
 * for a guest: a send and its delivery, a send that failed, a page move, a
 * lazy drain, and a blocking wait's start and end. Tracepoints run in any
 * context (the exit probe is atomic): they record numbers only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmq

#if !defined(_VMQ_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMQ_TRACE_H

#include <linux/tracepoint.h>

/* A message put into a receive queue: a send, or a record of the host's. */
TRACE_EVENT(vmq_deliver,
	    TP_PROTO(u32 dest, u32 sender, u16 type, u32 len, u64 tag,
		     bool notify),
	    TP_ARGS(dest, sender, type, len, tag, notify),
	    TP_STRUCT__entry(__field(u32, dest)
			     __field(u32, sender)
			     __field(u16, type)
			     __field(u32, len)
			     __field(u64, tag)
			     __field(bool, notify)
	    ),
	    TP_fast_assign(__entry->dest = dest;
			   __entry->sender = sender;
			   __entry->type = type;
			   __entry->len = len;
			   __entry->tag = tag;
			   __entry->notify = notify;
	    ),
	    TP_printk("dest=%u sender=%u type=%u len=%u tag=%llu notify=%d",
		      __entry->dest, __entry->sender, __entry->type, __entry->len,
		      __entry->tag, __entry->notify)
);

/* A send from a guest (hypercall or transmit ring), and how it ended. */
TRACE_EVENT(vmq_send,
	    TP_PROTO(u32 sender, u64 dest, u32 len, u64 tag, int ret),
	    TP_ARGS(sender, dest, len, tag, ret),
	    TP_STRUCT__entry(__field(u32, sender)
			     __field(u64, dest)
			     __field(u32, len)
			     __field(u64, tag)
			     __field(int, ret)
	    ),
	    TP_fast_assign(__entry->sender = sender;
			   __entry->dest = dest;
			   __entry->len = len;
			   __entry->tag = tag;
			   __entry->ret = ret;
	    ),
	    TP_printk("sender=%u dest=%llu len=%u tag=%llu ret=%d",
		      __entry->sender, __entry->dest, __entry->len, __entry->tag,
		      __entry->ret)
);

/* A send or page move refused or failed (enum vmq_event, errno). */
TRACE_EVENT(vmq_drop,
	    TP_PROTO(u32 event, u32 vm, u32 peer, int err),
	    TP_ARGS(event, vm, peer, err),
	    TP_STRUCT__entry(__field(u32, event)
			     __field(u32, vm)
			     __field(u32, peer)
			     __field(int, err)
	    ),
	    TP_fast_assign(__entry->event = event;
			   __entry->vm = vm;
			   __entry->peer = peer;
			   __entry->err = err;
	    ),
	    TP_printk("event=%u vm=%u peer=%u err=%d", __entry->event,
		      __entry->vm, __entry->peer, __entry->err)
);

/* A page moved from a slot of the sender's window to the receiver's. */
TRACE_EVENT(vmq_page_move,
	    TP_PROTO(u32 src, u32 dest, u64 src_gpa, u64 dest_gpa, u64 size,
		     u64 tag),
	    TP_ARGS(src, dest, src_gpa, dest_gpa, size, tag),
	    TP_STRUCT__entry(__field(u32, src)
			     __field(u32, dest)
			     __field(u64, src_gpa)
			     __field(u64, dest_gpa)
			     __field(u64, size)
			     __field(u64, tag)
	    ),
	    TP_fast_assign(__entry->src = src;
			   __entry->dest = dest;
			   __entry->src_gpa = src_gpa;
			   __entry->dest_gpa = dest_gpa;
			   __entry->size = size;
			   __entry->tag = tag;
	    ),
	    TP_printk("src=%u dest=%u src_gpa=0x%llx dest_gpa=0x%llx size=%llu tag=%llu",
		      __entry->src, __entry->dest, __entry->src_gpa,
		      __entry->dest_gpa, __entry->size, __entry->tag)
);

/* A vCPU's transmit ring drained: descriptors completed, and by whom. */
TRACE_EVENT(vmq_lazy_drain,
	    TP_PROTO(u32 vm, u32 vcpu, long done, bool at_exit),
	    TP_ARGS(vm, vcpu, done, at_exit),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(long, done)
			     __field(bool, at_exit)
	    ),
	    TP_fast_assign(__entry->vm = vm;
			   __entry->vcpu = vcpu;
			   __entry->done = done;
			   __entry->at_exit = at_exit;
	    ),
	    TP_printk("vm=%u vcpu=%u done=%ld at_exit=%d", __entry->vm,
		      __entry->vcpu, __entry->done, __entry->at_exit)
);

/* VMQ_HC_WAIT: pending messages at once, or the vCPU halts (ret 0). */
TRACE_EVENT(vmq_wait,
	    TP_PROTO(u32 vm, u32 vcpu, u64 timeout_ns, long ret),
	    TP_ARGS(vm, vcpu, timeout_ns, ret),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(u64, timeout_ns)
			     __field(long, ret)
	    ),
	    TP_fast_assign(__entry->vm = vm;
			   __entry->vcpu = vcpu;
			   __entry->timeout_ns = timeout_ns;
			   __entry->ret = ret;
	    ),
	    TP_printk("vm=%u vcpu=%u timeout_ns=%llu ret=%ld", __entry->vm,
		      __entry->vcpu, __entry->timeout_ns, __entry->ret)
);

/* A halted waiter woken: by an arrival (1) or its timer (0). */
TRACE_EVENT(vmq_wake,
	    TP_PROTO(u32 vm, u32 vcpu, bool arrival),
	    TP_ARGS(vm, vcpu, arrival),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(bool, arrival)
	    ),
	    TP_fast_assign(__entry->vm = vm;
			   __entry->vcpu = vcpu;
			   __entry->arrival = arrival;
	    ),
	    TP_printk("vm=%u vcpu=%u arrival=%d", __entry->vm, __entry->vcpu,
		      __entry->arrival)
);

#endif /* _VMQ_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
