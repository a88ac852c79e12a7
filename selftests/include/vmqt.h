/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt.h: everything of the vmq selftest library (lib/) but netlink
 * (vmqt_nl.h) and the demo (vmqt_demo.h), with the system and KVM
 * selftest headers a test usually needs.
 *
 * Names: the selftests' own helpers are vmqt_ (VMQT_ for constants); the
 * guest library is vmqg_ (<vmq_guest.h>), the UAPI vmq_/VMQ_
 * (<linux/vmq.h>), libvmq libvmq_. See Documentation/vmq/testing.rst.
 */
#ifndef SELFTEST_VMQT_H
#define SELFTEST_VMQT_H

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include <vmq_guest.h>

#include "vmqt_case.h"
#include "vmqt_ctl.h"
#include "vmqt_guest.h"
#include "vmqt_kvm.h"
#include "vmqt_pt.h"
#include "vmqt_qemu.h"
#include "vmqt_ring.h"
#include "vmqt_uffd.h"
#include "vmqt_window.h"

#endif /* SELFTEST_VMQT_H */
