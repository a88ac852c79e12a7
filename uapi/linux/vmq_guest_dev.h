/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vmq_guest_dev.h: the Linux guest driver's device, /dev/vmq0.
 *
 * A Linux guest of a vmq host loads vmq_guest.ko. The driver owns the VM's
 * receive queue and one transmit ring per online CPU, and gives programs
 * one character device, /dev/vmq0, that speaks in messages. The hypercall
 * ABI underneath is <linux/vmq.h>; nothing here changes it. The prose
 * version of this page is Documentation/vmq/guest-driver.rst.
 *
 * Opening
 * -------
 * /dev/vmq0 exists only when the host answered VMQ_HC_INFO as vmq's. Every
 * open() is an independent sender (its own destination, tag and send mode)
 * and an independent page owner; all opens share the VM's one receive
 * queue.
 *
 * Sending: write()
 * ----------------
 * A file is given a destination with VMQ_DEV_IOC_CONNECT, by VM id or by
 * name (resolved by the host with VMQ_HC_LOOKUP: only peers the host lets
 * this VM send to are found). Then every write() of N bytes sends one
 * message of N bytes (N may be 0) with the file's tag, and returns N once
 * the message is in the receiver's queue (immediate mode) or in this CPU's
 * transmit ring (lazy mode, VMQ_DEV_LAZY). A write() of up to max_msg
 * bytes never sends part of a buffer; a larger one is a large write
 * (below). Errors are the host's (Documentation/vmq/hypercalls.rst):
 *   EDESTADDRREQ	no destination connected
 *   EACCES		the host does not allow this VM to reach the peer
 *   EMSGSIZE		N above half the receiver's ring (and not a large
 *			write)
 *   ENOTCONN		the peer has no receive queue (no driver loaded)
 *   EAGAIN		the peer's queue is full: returned with O_NONBLOCK;
 *			without it the write sleeps and retries (back-off:
 *			the host does not signal room)
 *   EPIPE		the peer's ring is corrupt
 * VMQ_DEV_IOC_SEND sends one message to an explicit destination with an
 * explicit tag and mode, for programs that talk to several peers.
 *
 * Lazy sends (VMQ_DEV_LAZY) are copied into the current CPU's transmit
 * ring and delivered by the host at that vCPU's next VM exit, with no exit
 * of their own. Their result is known only later: VMQ_DEV_IOC_FLUSH
 * delivers the file's lazy sends now and reports how many failed, and
 * with which error first. A file's messages reach each receiver in the
 * order of its write() calls, lazy and immediate mixed, even when the
 * writer moves between CPUs (the driver flushes the old CPU's ring first).
 * Lazy messages above lazy_max (module parameter) are sent immediately.
 *
 * Large writes
 * ------------
 * A blocking write() of more than max_msg bytes, when the host has
 * VMQ_FEAT_COPY, goes straight from the writer's buffer into the buffer of
 * the reader's read(), in one cross-guest copy (VMQ_HC_COPY), at its place
 * in the file's order of messages: the writer's driver sends a request,
 * the read() that takes it grants its own buffer (after room for the
 * struct vmq_dev_msg) and answers, the writer's driver copies and says
 * done. The reader gets one VMQ_MSG_DATA message with the writer's tag;
 * the writer's write() returns how many bytes went, at most the reader's
 * room and VMQ_COPY_MAX (16 MiB): a short count, as from a pipe, when the
 * reader's buffer was smaller. A reader that has no room (a buffer of just
 * the header) declines, and the write() fails with EMSGSIZE. Further
 * errors: ECONNRESET, the reader gave the transfer up (a signal); EACCES
 * or ENOTCONN from the host when the peer went away meanwhile. With
 * O_NONBLOCK a write() above max_msg is EMSGSIZE, as without the copy.
 * The drivers' messages carry tags with bit 63 set (VMQ_DEV_TAG_DRIVER,
 * the protocol below); a program's own tag must not set it (EINVAL).
 *
 * Receiving: read()
 * -----------------
 * read() takes the oldest message of the VM's receive queue, whoever sent
 * it, and returns a struct vmq_dev_msg followed by the payload: len bytes
 * for VMQ_MSG_DATA, a struct vmq_dev_page for VMQ_MSG_PAGE, a struct
 * vmq_copy_msg for VMQ_MSG_COPY. The buffer must hold the whole message:
 * a shorter one gets EMSGSIZE and the message stays queued (a buffer of
 * sizeof(struct vmq_dev_msg) + max_msg always suffices). An empty queue
 * sleeps, or gives EAGAIN with O_NONBLOCK. Identity records
 * (VMQ_MSG_IDENTITY: a peer the host introduced) are not returned: the
 * driver keeps them, and sysfs shows them.
 *
 * Readiness: poll(), select(), epoll
 * ----------------------------------
 * EPOLLIN: a message is queued. EPOLLOUT: a write() would not block on a
 * full receiver. The host does not say when a full receiver makes room,
 * so after EAGAIN EPOLLOUT comes back after a short back-off (at most
 * 10 ms), and a write then tries again. Waiting for EPOLLIN sleeps until
 * the arrival interrupt (ivshmem-doorbell's MSI-X vector) or, without an
 * interrupt, until VMQ_HC_WAIT returns in the driver's wait thread.
 *
 * Pages: mmap()
 * -------------
 * When the VM has a page window (an ivshmem BAR 2 that the host backs with
 * a vmq window), mmap(MAP_SHARED) of /dev/vmq0 maps it: offset 0 is the
 * window's first byte. The window is an array of slots of
 * VMQ_DEV_IOC_INFO's window_page_size bytes. A slot is either the
 * host's (in the receive pool, where arriving pages land) or the guest's;
 * the driver hands the guest's slots to files:
 *   VMQ_DEV_IOC_PAGE_ALLOC	takes a free slot for this file: its offset
 *   VMQ_DEV_IOC_PAGE_SEND	moves the page in a slot this file owns to a
 *				peer (no byte copied); the slot then holds
 *				a zeroed page and is free again
 *   VMQ_DEV_IOC_PAGE_FREE	gives a slot this file owns to the receive
 *				pool; its contents must not be used any more
 * read() returns an arrived page as a VMQ_MSG_PAGE message whose payload
 * is a struct vmq_dev_page (its offset in the mapping); the slot then
 * belongs to the file that read it. Slots a file still owns when it is
 * closed go to the receive pool.
 *
 * Ioctls return 0 (or the documented value) or -1 with errno. The
 * structures have the same layout for 32-bit and 64-bit callers.
 */
#ifndef _UAPI_LINUX_VMQ_GUEST_DEV_H
#define _UAPI_LINUX_VMQ_GUEST_DEV_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vmq.h>

/* What read() returns before the payload; 32 bytes. */
struct vmq_dev_msg {
	__u32 len;		/* payload bytes that follow */
	__u16 type;		/* VMQ_MSG_DATA, VMQ_MSG_PAGE, VMQ_MSG_COPY */
	__u16 flags;		/* zero */
	__u32 sender;		/* the sender's VM id, stamped by the host */
	__u32 seq;		/* the receive queue's record sequence number */
	__u64 tag;		/* the sender's tag */
	__u64 reserved;
};

/* Payload of a VMQ_MSG_PAGE message: where the page is in the mapping. */
struct vmq_dev_page {
	__u64 offset;		/* in the mmap() of /dev/vmq0 */
	__u64 size;		/* 4096 or 2 MiB */
};

/* VMQ_DEV_IOC_INFO */
#define VMQ_DEV_INFO_IRQ	_BITUL(0)	/* arrivals raise an interrupt */
#define VMQ_DEV_INFO_WAIT	_BITUL(1)	/* else VMQ_HC_WAIT blocks */
#define VMQ_DEV_INFO_WINDOW	_BITUL(2)	/* a page window is bound */
#define VMQ_DEV_INFO_LAZY	_BITUL(3)	/* transmit rings registered */

struct vmq_dev_info {
	__u32 abi_version;	/* VMQ_HC_INFO's */
	__u32 vm_id;		/* this VM's id */
	__u32 features;		/* VMQ_FEAT_* */
	__u32 max_msg;		/* largest payload write() may send */
	__u32 rx_size;		/* receive ring data area, bytes */
	__u32 flags;		/* VMQ_DEV_INFO_* */
	__u64 window_size;	/* bytes that mmap() maps, 0: none */
	__u32 window_page_size;	/* slot size */
	__u32 lazy_max;		/* largest lazy payload */
	__u32 reserved[8];
};

/* VMQ_DEV_IOC_CONNECT flags; also VMQ_DEV_IOC_SEND's */
#define VMQ_DEV_LAZY		_BITUL(0)	/* through the transmit ring */

/*
 * VMQ_DEV_IOC_CONNECT: the destination of write(). @id non-zero names the
 * peer, else @name does (looked up by the host). Out: @id.
 */
struct vmq_dev_connect {
	__u32 id;		/* in/out */
	__u32 flags;		/* in: VMQ_DEV_LAZY or zero */
	__u64 tag;		/* in: carried by every write() */
	char name[VMQ_NAME_MAX];	/* in: NUL-terminated, when @id is 0 */
};

/* VMQ_DEV_IOC_SEND: one message, everything explicit. */
struct vmq_dev_send {
	__u32 dest;		/* VM id, 0: the connected peer */
	__u32 flags;		/* VMQ_DEV_LAZY or zero */
	__u64 tag;
	__u64 addr;		/* payload */
	__u32 len;
	__u32 reserved;
};

/* VMQ_DEV_IOC_FLUSH: results of this file's lazy sends since the last. */
struct vmq_dev_flush {
	__u32 sent;		/* lazy messages delivered */
	__u32 failed;		/* lazy messages the host refused */
	__s32 first_error;	/* the first refusal's negative errno, or 0 */
	__u32 reserved;
};

/* VMQ_DEV_IOC_PAGE_SEND */
struct vmq_dev_page_send {
	__u64 offset;		/* a slot this file owns */
	__u32 dest;		/* VM id, 0: the connected peer */
	__u32 flags;		/* zero */
	__u64 tag;
};

/*
 * The drivers' protocol for large writes, between two Linux guests' drivers
 * (the host sees ordinary messages and copies). W writes, R reads:
 *  1. W grants R a struct vmq_dev_copy_reply in W's kernel memory and sends
 *     VMQ_DEV_CTL_REQ, a struct vmq_dev_copy_req, through the writing file's
 *     own order of messages.
 *  2. The read() in R that takes the request grants W its user buffer (past
 *     the struct vmq_dev_msg) and a struct vmq_dev_copy_done, copies the
 *     reply into W's grant (@xid last: a reply with W's @xid is complete)
 *     and sends VMQ_DEV_CTL_WAKE; data 0 declines.
 *  3. W copies the data into R's buffer, then the done (@xid last) into R's
 *     grant, and sends VMQ_DEV_CTL_WAKE.
 * Each side sleeps until its peer's @xid lands, woken by the WAKE message's
 * arrival interrupt (the record itself is skipped by readers), or by a
 * back-off of at most 10 ms when no interrupt comes (a queue that was not
 * empty raises none); while waiting it sends a WAKE now and then, whose
 * refusal (EACCES, ENOTCONN) ends the transfer: the peer is gone.
 */
#define VMQ_DEV_TAG_DRIVER	_BITULL(63)
#define VMQ_DEV_CTL_REQ		(VMQ_DEV_TAG_DRIVER | 1)
#define VMQ_DEV_CTL_WAKE	(VMQ_DEV_TAG_DRIVER | 2)

struct vmq_dev_copy_req {
	__u64 tag;		/* the writing file's tag, for the reader */
	__u64 len;		/* bytes offered, at most VMQ_COPY_MAX */
	__u32 reply;		/* W's grant of its struct vmq_dev_copy_reply */
	__u32 xid;		/* W's number for the transfer, non-zero */
};

struct vmq_dev_copy_reply {
	__u32 data;		/* R's grant of its buffer; 0: declined */
	__u32 done;		/* R's grant of its struct vmq_dev_copy_done */
	__u64 len;		/* bytes granted */
	__u32 xid;		/* the request's; written last */
	__u32 reserved;
};

struct vmq_dev_copy_done {
	__u64 len;		/* bytes copied */
	__u32 xid;		/* the request's; written last */
	__u32 reserved;
};

#define VMQ_DEV_IOC_MAGIC	0xB9
#define VMQ_DEV_IOC_INFO	_IOR(VMQ_DEV_IOC_MAGIC, 0x00, struct vmq_dev_info)
#define VMQ_DEV_IOC_CONNECT	_IOWR(VMQ_DEV_IOC_MAGIC, 0x01, struct vmq_dev_connect)
#define VMQ_DEV_IOC_SEND	_IOW(VMQ_DEV_IOC_MAGIC, 0x02, struct vmq_dev_send)
#define VMQ_DEV_IOC_FLUSH	_IOR(VMQ_DEV_IOC_MAGIC, 0x03, struct vmq_dev_flush)
#define VMQ_DEV_IOC_PAGE_ALLOC	_IOR(VMQ_DEV_IOC_MAGIC, 0x04, __u64)
#define VMQ_DEV_IOC_PAGE_SEND	_IOW(VMQ_DEV_IOC_MAGIC, 0x05, struct vmq_dev_page_send)
#define VMQ_DEV_IOC_PAGE_FREE	_IOW(VMQ_DEV_IOC_MAGIC, 0x06, __u64)

#endif /* _UAPI_LINUX_VMQ_GUEST_DEV_H */
