// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM that the VMM keeps missing. See vmqt_uffd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "test_util.h"

#include "vmqt_case.h"
#include "vmqt_uffd.h"

void vmqt_require_uffd(void)
{
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == ENOSYS)
		vmqt_case_skip("this kernel has no userfaultfd");
	if (fd >= 0)
		close(fd);
}

struct vmqt_uffd vmqt_uffd_slot(struct kvm_vm *vm, u32 memslot, u64 gpa,
				u64 bytes)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct vmqt_uffd u = { .gpa = gpa, .bytes = bytes };

	u.fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	TEST_ASSERT(u.fd >= 0, "userfaultfd: %d", -errno);
	TEST_ASSERT(!ioctl(u.fd, UFFDIO_API, &api), "UFFDIO_API: %d", -errno);
	u.hva = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(u.hva != MAP_FAILED, "mmap: %d", -errno);
	reg.range.start = (uintptr_t)u.hva;
	reg.range.len = bytes;
	TEST_ASSERT(!ioctl(u.fd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %d",
		    -errno);
	vm_set_user_memory_region(vm, memslot, 0, gpa, bytes, u.hva);
	return u;
}

u64 vmqt_uffd_wait_fault(struct vmqt_uffd *u)
{
	struct uffd_msg msg;

	TEST_ASSERT(read(u->fd, &msg, sizeof(msg)) == sizeof(msg),
		    "read userfaultfd: %d", -errno);
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT, "event %u", msg.event);
	return msg.arg.pagefault.address;
}

void vmqt_uffd_resolve(struct vmqt_uffd *u)
{
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)u->hva, .len = u->bytes },
	};

	TEST_ASSERT(!ioctl(u->fd, UFFDIO_ZEROPAGE, &z), "UFFDIO_ZEROPAGE: %d",
		    -errno);
}
