/* SPDX-License-Identifier: GPL-2.0 */
/* handle.h: a VMM's file descriptor for its own VM, and nothing else. */
#ifndef _VMQ_HANDLE_H
#define _VMQ_HANDLE_H

struct vmq_vm;

int vmq_handle_create(struct vmq_vm *vm);

#endif /* _VMQ_HANDLE_H */
