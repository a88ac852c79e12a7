// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_test - a stock qemu-system-x86_64 (the distribution's, unchanged)
 * gets a vmq page window through /dev/vmq-window-2m and moves 2 MiB pages
 * with a VM of this test, zero copy, both ways.
 *
 * QEMU runs with -accel kvm and
 *
 *   -object memory-backend-file,mem-path=/dev/vmq-window-2m,share=on,align=2M
 *   -device ivshmem-plain
 *
 * and boots qemu_guest.elf (a 32-bit multiboot kernel, qemu_guest/) with
 * -kernel. QEMU knows nothing of vmq: its VM is adopted on the guest's
 * first hypercall. The test finds that VM by QEMU's pid, allows both
 * directions between it and its own VM named QG_PEER, checks the page the
 * guest sends, sends one back and waits for QEMU to exit with the guest's
 * verdict (isa-debug-exit).
 * The window, its pages and the pages in flight must all be gone after.
 *
 * In the sandbox the host's root is at /host (9p) and QEMU runs from there
 * with the host's own dynamic loader and libraries; VMQ_QEMU_ROOT names
 * another root ("/" on a real host).
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "vmqt.h"
#include "vmqt_nl.h"
#include "qemu_guest/qemu_guest.h"

#define WIN_GPA		0x40000000ULL
#define WIN_MEMSLOT	20
#define WIN_SLOTS	4
/*
 * Nested KVM inside TCG, maybe on a debug kernel: about two minutes there.
 * Below kselftest's limit (settings) so that a stall is reported as what
 * it is, with the guest's serial output, instead of as a killed test.
 */
#define TIMEOUT_S	240

static pid_t start_qemu(const char *serial)
{
	char *kernel = vmqt_beside_self("qemu_guest.elf"), *mem, *ser;
	char *argv[VMQT_QEMU_ARGC + 32];

	vmqt_qemu_argv(argv);
	TEST_ASSERT(asprintf(&mem, "memory-backend-file,id=vmqwin,mem-path=/dev/vmq-window-2m,size=%u,share=on,align=%u",
			     QG_WINDOW_SIZE, QG_PAGE_SIZE) > 0, "asprintf");
	TEST_ASSERT(asprintf(&ser, "file:%s", serial) > 0, "asprintf");
	TEST_ASSERT(!access(kernel, R_OK), "no guest kernel at %s", kernel);
	{
		char *opts[] = {
			"-accel", "kvm", "-cpu", "host", "-m", "64", "-smp", "1",
			"-nodefaults", "-display", "none", "-no-reboot",
			"-serial", ser,
			"-device", "isa-debug-exit,iobase=0xf4,iosize=1",
			"-object", mem, "-device", "ivshmem-plain,memdev=vmqwin",
			"-kernel", kernel, NULL,
		};

		_Static_assert(sizeof(opts) <= sizeof(argv) - VMQT_QEMU_ARGC * sizeof(char *),
			       "argv too short");
		memcpy(argv + VMQT_QEMU_ARGC, opts, sizeof(opts));
	}

	return vmqt_spawn(argv);
}

static void show_serial(const char *serial)
{
	char line[256];
	FILE *f = fopen(serial, "r");

	while (f && fgets(line, sizeof(line), f))
		ksft_print_msg("guest: %s", line);
	if (f)
		fclose(f);
}

int main(void)
{
	const char *serial = "/tmp/qemu_test.serial";
	struct vmqt_stats s0, s1;
	const struct vmq_msg_hdr *m;
	struct vmq_page_msg pm;
	struct vmqt_gmem rx;
	struct vmqt_win w;
	struct vmqt_gvm b;
	time_t t0;
	u32 q = 0, i, *page;
	int status = 0, r;
	bool exited = false, ok;
	pid_t pid;

	ksft_print_header();
	ksft_set_plan(4);
	vmqt_dev();
	s0 = vmqt_stats();

	/* Our VM: a window whose slot 0 is free, slot 1 holds the reply. */
	b = vmqt_gvm_create();
	vmqt_attach(&b, QG_PEER);
	rx = vmqt_rx_setup(&b, 16384);
	w = vmqt_window_map(b.vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, QG_PAGE_SIZE);
	TEST_ASSERT(!vmqt_gvm_hc(&b, VMQ_HC_WINDOW_BIND, WIN_GPA, w.size, 0, 0),
		    "VMQ_HC_WINDOW_BIND");
	TEST_ASSERT(!vmqt_gvm_hc(&b, VMQ_HC_PAGE_FREE, WIN_GPA, 0, 0, 0),
		    "VMQ_HC_PAGE_FREE");
	page = (u32 *)((u8 *)w.map + QG_PAGE_SIZE);
	for (i = 0; i < QG_PAGE_SIZE / 4; i++)
		page[i] = qg_pattern(QG_SEED_BACK, i);

	unlink(serial);
	pid = start_qemu(serial);
	t0 = time(NULL);

	/* QEMU's VM is adopted on the guest's first hypercall. */
	while (!q && time(NULL) - t0 < TIMEOUT_S) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			break;
		}
		q = vmqt_qemu_vm_id(pid);
		if (!q)
			usleep(100000);
	}
	ksft_print_msg("%lds: %s\n", (long)(time(NULL) - t0),
		       q ? "QEMU's guest made its first hypercall" :
		       exited ? "QEMU exited" : "still no hypercall from QEMU's guest");
	if (q) {
		vmqt_allow(q, b.id);
		vmqt_allow(b.id, q);
	}
	ksft_test_result(q, "QEMU's VM adopted as %u, allowed to reach %s (%u)\n",
			 q, QG_PEER, b.id);

	/* Its first page arrives in our slot 0, as the guest wrote it. */
	while (q && !exited && !(m = vmqt_host_peek(&rx)) &&
	       time(NULL) - t0 < TIMEOUT_S) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		else
			usleep(100000);
	}
	m = q ? vmqt_host_peek(&rx) : NULL;
	if (q)
		ksft_print_msg("%lds: %s\n", (long)(time(NULL) - t0),
			       m ? "a message arrived" : "no message arrived");
	ok = m && m->type == VMQ_MSG_PAGE && m->sender == q &&
	     m->tag == QG_TAG_OUT && m->len == sizeof(pm);
	if (ok) {
		memcpy(&pm, m + 1, sizeof(pm));
		vmqt_host_consume(&rx, m);
		ok = pm.gpa == WIN_GPA && pm.size == QG_PAGE_SIZE;
		for (i = 0; ok && i < QG_PAGE_SIZE / 4; i++)
			ok = ((u32 *)w.map)[i] == qg_pattern(QG_SEED_OUT, i);
	}
	ksft_test_result(ok, "a 2 MiB page from the QEMU guest, intact\n");

	/* Ours goes back once the guest has given a slot to its pool. */
	r = -EAGAIN;
	while (ok && !exited && r == -EAGAIN && time(NULL) - t0 < TIMEOUT_S) {
		r = vmqt_gvm_hc(&b, VMQ_HC_PAGE_SEND, q, WIN_GPA + QG_PAGE_SIZE,
				QG_TAG_BACK, 0);
		if (r == -EAGAIN)
			usleep(100000);
	}
	if (!exited) {
		while (waitpid(pid, &status, WNOHANG) != pid) {
			if (time(NULL) - t0 >= TIMEOUT_S) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				break;
			}
			usleep(100000);
		}
	}
	ksft_print_msg("%lds: QEMU is gone\n", (long)(time(NULL) - t0));
	show_serial(serial);
	ksft_test_result(!r && WIFEXITED(status) &&
			 WEXITSTATUS(status) == (QG_EXIT_OK << 1 | 1),
			 "the guest got our page intact (send %d, QEMU status %#x)\n",
			 r, status);

	vmqt_window_unmap(&w);
	vmqt_gvm_free(&b);
	/* VM teardown may finish in a worker: look a bounded number of times. */
	for (i = 0; i < 200; i++) {
		s1 = vmqt_stats();
		if (s1.live_windows == s0.live_windows && s1.live_vms == s0.live_vms)
			break;
		usleep(10000);
	}
	ksft_test_result(s1.live_windows == s0.live_windows &&
			 s1.window_pages == s0.window_pages &&
			 s1.pages_in_flight == s0.pages_in_flight &&
			 s1.live_vms == s0.live_vms,
			 "windows %lu, window pages %lu, in flight %lu, VMs %lu: back at baseline\n",
			 (unsigned long)s1.live_windows,
			 (unsigned long)s1.window_pages,
			 (unsigned long)s1.pages_in_flight,
			 (unsigned long)s1.live_vms);
	ksft_finished();
}
