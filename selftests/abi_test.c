// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test - the binary interface of <linux/vmq.h> does not move by
 * accident.
 *
 * Pins the size and every field offset of each structure that crosses the
 * guest or user boundary (rings, descriptors, records, ioctl arguments),
 * the ioctl numbers (which encode their argument's size), the hypercall
 * numbers, the ring magics, the indexes of the per-VM counters and of the
 * module-wide statistics, and the netlink command and attribute numbers. A change
 * to any of them fails here, where it must be a deliberate ABI change
 * (VMQ_ABI_VERSION, the documentation) rather than a side effect: adding a
 * counter, for one, must leave VMQ_IOC_VM_INFO's number alone, which is
 * why struct vmq_vm_info has room for VMQ_CTR_SLOTS counters.
 */
#include <stddef.h>

#include "kselftest.h"
#include <linux/vmq.h>

struct pin {
	const char *what;
	unsigned long long have, want;
};

#define SIZE(t, n)	{ "sizeof(struct " #t ")", sizeof(struct t), n }
#define OFF(t, f, n)	{ "offsetof(" #t ", " #f ")", offsetof(struct t, f), n }
#define IOC(c, n)	{ #c, c, n }
#define VAL(c, n)	{ #c, c, n }

static const struct pin pins[] = {
	SIZE(vmq_ring_hdr, 192),
	OFF(vmq_ring_hdr, magic, 0),
	OFF(vmq_ring_hdr, data_size, 4),
	OFF(vmq_ring_hdr, prod_head, 64),
	OFF(vmq_ring_hdr, prod_msgs, 68),
	OFF(vmq_ring_hdr, cons_tail, 128),
	OFF(vmq_ring_hdr, cons_msgs, 132),
	OFF(vmq_ring_hdr, cons_flags, 136),
	SIZE(vmq_tx_hdr, 192),
	OFF(vmq_tx_hdr, magic, 0),
	OFF(vmq_tx_hdr, nr_desc, 4),
	OFF(vmq_tx_hdr, prod, 64),
	OFF(vmq_tx_hdr, cons, 128),
	SIZE(vmq_tx_desc, 32),
	OFF(vmq_tx_desc, dest, 0),
	OFF(vmq_tx_desc, len, 4),
	OFF(vmq_tx_desc, gpa, 8),
	OFF(vmq_tx_desc, tag, 16),
	OFF(vmq_tx_desc, status, 24),
	OFF(vmq_tx_desc, flags, 28),
	SIZE(vmq_msg_hdr, 32),
	OFF(vmq_msg_hdr, len, 0),
	OFF(vmq_msg_hdr, type, 4),
	OFF(vmq_msg_hdr, flags, 6),
	OFF(vmq_msg_hdr, sender, 8),
	OFF(vmq_msg_hdr, seq, 12),
	OFF(vmq_msg_hdr, tag, 16),
	OFF(vmq_msg_hdr, reserved, 24),
	SIZE(vmq_page_msg, 16),
	OFF(vmq_page_msg, gpa, 0),
	OFF(vmq_page_msg, size, 8),
	SIZE(vmq_copy_msg, 24),
	OFF(vmq_copy_msg, grant, 0),
	OFF(vmq_copy_msg, reserved, 4),
	OFF(vmq_copy_msg, offset, 8),
	OFF(vmq_copy_msg, len, 16),
	SIZE(vmq_identity, 40),
	OFF(vmq_identity, id, 0),
	OFF(vmq_identity, reserved, 4),
	OFF(vmq_identity, name, 8),
	SIZE(vmq_attach, 48),
	OFF(vmq_attach, vm_fd, 0),
	OFF(vmq_attach, flags, 4),
	OFF(vmq_attach, id, 8),
	OFF(vmq_attach, handle, 12),
	OFF(vmq_attach, name, 16),
	SIZE(vmq_vm_info, 592),
	OFF(vmq_vm_info, id, 0),
	OFF(vmq_vm_info, flags, 4),
	OFF(vmq_vm_info, pid, 8),
	OFF(vmq_vm_info, queue_size, 12),
	OFF(vmq_vm_info, queue_bytes, 16),
	OFF(vmq_vm_info, queue_msgs, 20),
	OFF(vmq_vm_info, name, 24),
	OFF(vmq_vm_info, quota_max_msg, 56),
	OFF(vmq_vm_info, quota_max_queue, 60),
	OFF(vmq_vm_info, quota_max_pages, 64),
	OFF(vmq_vm_info, pages_in_flight, 68),
	OFF(vmq_vm_info, nr_counters, 72),
	OFF(vmq_vm_info, quota_max_grants, 76),
	OFF(vmq_vm_info, counters, 80),
	SIZE(vmq_notify, 8),
	OFF(vmq_notify, id, 0),
	OFF(vmq_notify, eventfd, 4),
	SIZE(vmq_window_create, 24),
	OFF(vmq_window_create, size, 0),
	OFF(vmq_window_create, page_size, 8),
	OFF(vmq_window_create, flags, 12),
	OFF(vmq_window_create, fd, 16),
	OFF(vmq_window_create, reserved, 20),
	/* 0x4008b801, 0x4008b802 and 0x8100b804 are retired, never reused. */
	IOC(VMQ_IOC_ATTACH_VM, 0xc030b800),
	IOC(VMQ_IOC_VM_INFO, 0xc250b803),
	IOC(VMQ_IOC_SET_NOTIFY, 0x4008b805),
	IOC(VMQ_IOC_WINDOW_CREATE, 0xc018b806),
	VAL(VMQ_ABI_VERSION, 1),
	VAL(VMQ_HC_BASE, 0x564d5100),
	VAL(VMQ_HC_RANGE, 256),
	VAL(VMQ_HC_INFO, 0x564d5100),
	VAL(VMQ_HC_SEND, 0x564d5103),
	VAL(VMQ_HC_WAIT, 0x564d5107),
	VAL(VMQ_HC_PAGE_FREE, 0x564d510b),
	VAL(VMQ_RING_MAGIC, 0x52514d56),
	VAL(VMQ_TX_MAGIC, 0x54514d56),
	VAL(VMQ_RING_HDR_SIZE, 4096),
	VAL(VMQ_MSG_ALIGN, 32),
	VAL(VMQ_NAME_MAX, 32),
	VAL(VMQ_CTR_SLOTS, 64),
	VAL(VMQ_CTR_TX_MSGS, 0),
	VAL(VMQ_CTR_ERR_NODEST, 4),
	VAL(VMQ_CTR_ERR_PERM, 12),
	VAL(VMQ_CTR_HYPERCALLS, 13),
	VAL(VMQ_CTR_ERR_QUOTA, 18),
	VAL(VMQ_CTR_PAGES_RX, 20),
	VAL(VMQ_CTR_ERR_BUSY, 21),
	VAL(VMQ_CTR_LAZY_DEFERRED, 22),
	VAL(VMQ_GENL_VERSION, 1),
	VAL(VMQ_CMD_GET_VM, 1),
	VAL(VMQ_CMD_RESET_COUNTERS, 6),
	VAL(VMQ_CMD_EVENT, 7),
	VAL(VMQ_CMD_GET_STATS, 8),
	VAL(VMQ_A_VM_ID, 1),
	VAL(VMQ_A_VM_COUNTERS, 9),
	VAL(VMQ_A_PEER_ID, 10),
	VAL(VMQ_A_EVENT_ERROR, 13),
	VAL(VMQ_A_PAD, 14),
	VAL(VMQ_A_VM_PAGES_IN_FLIGHT, 15),
	VAL(VMQ_A_STATS, 16),
	VAL(VMQ_CMD_GET_TABLES, 9),
	VAL(VMQ_A_TABLE, 17),
	VAL(VMQ_A_TABLE_GPA, 1),
	VAL(VMQ_A_TABLE_WRITES, 7),
	VAL(VMQ_A_TABLE_PAD, 8),
	VAL(VMQ_A_QUOTA_MAX_PAGES, 3),
	VAL(VMQ_EVENT_QUOTA, 5),
	VAL(VMQ_STAT_LIVE_VMS, 0),
	VAL(VMQ_STAT_BYTES_COPIED, 8),
	VAL(VMQ_STAT_PAGES_IN_FLIGHT, 11),
	VAL(VMQ_STAT_LIVE_GRANTS, 12),
	VAL(VMQ_STAT_TRACKED_TABLES, 13),
	VAL(VMQ_STAT_POOL_CLEAN_PAGES, 14),
	VAL(VMQ_STAT_SEND_CLEARS, 15),
	VAL(VMQ_STAT_OWN_RETURNS, 16),
	VAL(VMQ_STAT_POOL_OWN_PAGES, 17),
	VAL(VMQ_STAT_NR, 18),
	VAL(VMQ_CTR_TC_HITS, 29),
	VAL(VMQ_CTR_TC_MISSES, 30),
	VAL(VMQ_CTR_PT_WRITES, 31),
	VAL(VMQ_CTR_PATCHES, 32),
	VAL(VMQ_CTR_PATCHES_APPLIED, 33),
	VAL(VMQ_CTR_PATCHES_INVALID, 34),
	VAL(VMQ_CTR_TC_OVERFLOWS, 35),
	VAL(VMQ_CTR_PT_RELEASED, 36),
	VAL(VMQ_CTR_NR, 37),
	VAL(VMQ_A_QUOTA_MAX_GRANTS, 4),
	VAL(VMQ_HC_GRANT, 0x564d510c),
	VAL(VMQ_HC_GRANT_REVOKE, 0x564d510d),
	VAL(VMQ_HC_COPY, 0x564d510e),
	VAL(VMQ_FEAT_COPY, 0x20),
	VAL(VMQ_GRANT_USER, 1),
	VAL(VMQ_GRANT_RECORD, 2),
	VAL(VMQ_GRANT_MAX, 0x40000000),
	VAL(VMQ_GRANTS_MAX, 1024),
	VAL(VMQ_COPY_USER, 1),
	VAL(VMQ_COPY_MAX, 0x1000000),
	VAL(VMQ_MSG_COPY, 4),
	VAL(VMQ_CTR_COPIES, 23),
	VAL(VMQ_CTR_ERR_PROT, 28),
};

int main(void)
{
	unsigned int i, bad = 0;

	ksft_print_header();
	ksft_set_plan(2);
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		if (pins[i].have == pins[i].want)
			continue;
		ksft_print_msg("%s is %#llx, the ABI says %#llx\n",
			       pins[i].what, pins[i].have, pins[i].want);
		bad++;
	}
	ksft_test_result(!bad, "%u structure sizes, offsets, ioctl and hypercall numbers as pinned\n",
			 i);
	ksft_test_result(VMQ_CTR_NR <= VMQ_CTR_SLOTS,
			 "%d counters fit in struct vmq_vm_info's %d slots\n",
			 VMQ_CTR_NR, VMQ_CTR_SLOTS);
	ksft_finished();
}
