/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_uffd.h: guest RAM that the VMM keeps missing: anonymous memory
 * registered with userfaultfd, so that whatever touches it first (the
 * host, for the guest) sleeps in the fault until the test resolves it.
 */
#ifndef SELFTEST_VMQT_UFFD_H
#define SELFTEST_VMQT_UFFD_H

#include "kvm_util.h"

struct vmqt_uffd {
	int fd;
	void *hva;
	u64 gpa, bytes;
};

/*
 * In a case of vmqt_run_case(): skip it where the kernel has no
 * userfaultfd (the debug kernel is built without CONFIG_USERFAULTFD).
 */
void vmqt_require_uffd(void);
/* @bytes of missing memory as memslot @memslot at @gpa of @vm. */
struct vmqt_uffd vmqt_uffd_slot(struct kvm_vm *vm, u32 memslot, u64 gpa,
				u64 bytes);
/* Block until something faults on @u; returns the faulting address. */
u64 vmqt_uffd_wait_fault(struct vmqt_uffd *u);
/* Back all of @u with zeroes and wake whoever waits for it. */
void vmqt_uffd_resolve(struct vmqt_uffd *u);

#endif /* SELFTEST_VMQT_UFFD_H */
