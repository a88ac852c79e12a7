// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_guest - the guest of qemu_test: a 32-bit multiboot kernel that a
 * stock qemu-system-x86_64 boots with -kernel. Built -m32 -ffreestanding.
 *
 * QEMU's ivshmem-plain device shows a vmq window node as its BAR 2 (SeaBIOS
 * has assigned and enabled it by the time we run). The guest binds that BAR
 * as its page window, registers a receive queue, waits until the host
 * allows it to reach the peer named QG_PEER, sends it the first page of
 * its window filled with qg_pattern(QG_SEED_OUT), gives its second slot to
 * its pool and waits for the peer's page, which must hold
 * qg_pattern(QG_SEED_BACK). It reports on the serial port and leaves QEMU
 * through isa-debug-exit: QG_EXIT_OK or QG_EXIT_FAIL.
 *
 * Paging is off: guest-physical addresses are the pointers themselves.
 */
#include <linux/errno.h>
#include <linux/vmq.h>
#include <vmq_guest.h>

#include "qemu_guest.h"

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

__attribute__((section(".multiboot"), used, aligned(4)))
static const __u32 multiboot_header[3] = {
	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS),
};

__u8 qg_stack[16384] __attribute__((aligned(16)));
static __u8 ring[VMQ_RING_HDR_SIZE + 8192] __attribute__((aligned(4096)));
static const char peer[] = QG_PEER;

static inline void outb(__u16 port, __u8 v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(__u16 port, __u32 v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline __u32 inl(__u16 port)
{
	__u32 v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_puts(const char *s)
{
	while (*s)
		outb(0x3f8, *s++);
}

static void putx(__u32 v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		outb(0x3f8, "0123456789abcdef"[(v >> i) & 0xf]);
}

static void say(const char *what, __u32 v)
{
	serial_puts("qemu_guest: ");
	serial_puts(what);
	serial_puts(" ");
	putx(v);
	serial_puts("\n");
}

static void __attribute__((noreturn)) leave(__u8 code)
{
	outb(QG_EXIT_PORT, code);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static void __attribute__((noreturn)) fail(const char *what, __u32 v)
{
	say(what, v);
	leave(QG_EXIT_FAIL);
}

/* The 32-bit form of the calling convention: upper halves are zero. */
static __s32 hc(__u32 nr, __u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	__u32 ebx = a0, ecx = a1, edx = a2, esi = a3;

	if (vmqg_cpu_is_amd())
		__asm__ __volatile__("vmmcall"
				     : "+a"(nr), "+b"(ebx), "+c"(ecx), "+d"(edx),
				       "+S"(esi) : : "memory");
	else
		__asm__ __volatile__("vmcall"
				     : "+a"(nr), "+b"(ebx), "+c"(ecx), "+d"(edx),
				       "+S"(esi) : : "memory");
	return (__s32)nr;
}

static __u32 pci_read(__u32 dev, __u32 off)
{
	outl(0xcf8, 0x80000000 | dev << 11 | off);
	return inl(0xcfc);
}

static void pci_write(__u32 dev, __u32 off, __u32 v)
{
	outl(0xcf8, 0x80000000 | dev << 11 | off);
	outl(0xcfc, v);
}

/* BAR 2 of the ivshmem device on bus 0, memory decoding on. */
static __u32 ivshmem_bar2(void)
{
	__u32 dev, bar;

	for (dev = 0; dev < 32; dev++) {
		if (pci_read(dev, 0) != (QG_IVSHMEM_DEVICE << 16 | QG_IVSHMEM_VENDOR))
			continue;
		bar = pci_read(dev, 0x18);
		/* A 64-bit BAR: SeaBIOS puts a small one below 4 GiB. */
		if (pci_read(dev, 0x1c))
			fail("BAR 2 above 4 GiB", pci_read(dev, 0x1c));
		pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x2);
		return bar & ~0xfU;
	}
	fail("no ivshmem device", 0);
}

static void pause_a_while(void)
{
	volatile __u32 i;

	for (i = 0; i < 1000000; i++)
		__asm__ __volatile__("pause");
}

void qg_main(void)
{
	struct vmq_ring_hdr *hdr = (struct vmq_ring_hdr *)ring;
	const struct vmq_msg_hdr *m;
	struct vmq_page_msg pm;
	struct vmqg_rx rx = {
		.hdr = hdr,
		.data = ring + VMQ_RING_HDR_SIZE,
	};
	__u32 *page, bar, i, tries;
	__s32 r, peer_id;

	bar = ivshmem_bar2();
	say("window at", bar);

	hdr->magic = VMQ_RING_MAGIC;
	r = hc(VMQ_HC_QUEUE_REGISTER, (__u32)ring, sizeof(ring), 0, 0);
	if (r)
		fail("QUEUE_REGISTER", r);
	rx.size = hdr->data_size;
	r = hc(VMQ_HC_WINDOW_BIND, bar, QG_WINDOW_SIZE, 0, 0);
	if (r)
		fail("WINDOW_BIND", r);

	/* The host allows us once it has seen us: until then, -ESRCH. */
	for (tries = 0;; tries++) {
		peer_id = hc(VMQ_HC_LOOKUP, (__u32)peer, sizeof(peer) - 1, 0, 0);
		if (peer_id > 0)
			break;
		if (peer_id != -ESRCH || tries == 100000)
			fail("LOOKUP", peer_id);
		pause_a_while();
	}
	say("peer", peer_id);

	page = (__u32 *)bar;
	for (i = 0; i < QG_PAGE_SIZE / 4; i++)
		page[i] = qg_pattern(QG_SEED_OUT, i);
	r = hc(VMQ_HC_PAGE_SEND, peer_id, bar, QG_TAG_OUT, 0);
	if (r)
		fail("PAGE_SEND", r);
	for (i = 0; i < QG_PAGE_SIZE / 4; i++)
		if (page[i])
			fail("sent slot not zeroed at word", i);
	r = hc(VMQ_HC_PAGE_FREE, bar + QG_PAGE_SIZE, 0, 0, 0);
	if (r)
		fail("PAGE_FREE", r);
	say("sent, waiting for", QG_TAG_BACK);

	for (tries = 0; !(m = vmqg_rx_peek(&rx)); tries++) {
		if (tries == 100000)
			fail("no page came back", tries);
		pause_a_while();
	}
	if (m->type != VMQ_MSG_PAGE || m->sender != (__u32)peer_id ||
	    m->tag != QG_TAG_BACK || m->len != sizeof(pm))
		fail("unexpected record of type", m->type);
	__builtin_memcpy(&pm, vmqg_msg_payload(m), sizeof(pm));
	vmqg_rx_consume(&rx, m);
	if (pm.gpa != bar + QG_PAGE_SIZE || pm.size != QG_PAGE_SIZE)
		fail("page arrived at", pm.gpa);
	page = (__u32 *)(__u32)pm.gpa;
	for (i = 0; i < QG_PAGE_SIZE / 4; i++)
		if (page[i] != qg_pattern(QG_SEED_BACK, i))
			fail("returned page differs at word", i);
	serial_puts("qemu_guest: ok\n");
	leave(QG_EXIT_OK);
}

/* Multiboot entry: protected mode, flat segments, no stack of our own. */
__asm__(".globl _start\n"
	"_start:\n"
	"	mov $qg_stack + 16384, %esp\n"
	"	call qg_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n");
