/* SPDX-License-Identifier: GPL-2.0 */
/* handle.h: a VMM's file descriptor for its own VM, and nothing else. */
#ifndef _VMQ_HANDLE_H
#define _VMQ_HANDLE_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct vmq_vm;

struct vmq_notify;

int vmq_handle_create(struct vmq_vm *vm);
long vmq_ioctl_set_notify(struct vmq_notify __user *uarg, u32 only);

#endif /* _VMQ_HANDLE_H */
