/* SPDX-License-Identifier: GPL-2.0 */
/* wait.h: the blocking receive, and waking a VM when records arrive. */
#ifndef _VMQ_WAIT_H
#define _VMQ_WAIT_H

#include <linux/types.h>

struct vmq_vcpu;
struct vmq_vm;

void vmq_wait_init(struct vmq_vcpu *vcv);
void vmq_wait_release(struct vmq_vcpu *vcv);
long vmq_wait(struct vmq_vcpu *vcv, u64 timeout_ns);
void vmq_wait_end(struct vmq_vcpu *vcv);
void vmq_wake_waiters(struct vmq_vm *vm, struct vmq_vcpu *only);
void vmq_arrival(struct vmq_vm *vm, bool notify);

#endif /* _VMQ_WAIT_H */
