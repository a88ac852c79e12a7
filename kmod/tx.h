/* SPDX-License-Identifier: GPL-2.0 */
/* tx.h: lazy sends, through each vCPU's transmit ring. */
#ifndef _VMQ_TX_H
#define _VMQ_TX_H

#include <linux/types.h>

struct kvm_vcpu;
struct vmq_vcpu;

void vmq_tx_init(struct vmq_vcpu *vcv);
void vmq_tx_release(struct vmq_vcpu *vcv);
long vmq_tx_register(struct vmq_vcpu *vcv, u64 gpa, u64 size, u64 flags);
long vmq_tx_unregister(struct vmq_vcpu *vcv);
long vmq_tx_flush(struct vmq_vcpu *vcv);
bool vmq_tx_exits_wanted(void);
void vmq_tx_vcpu_exit(struct kvm_vcpu *vcpu, bool can_read_guest);

#endif /* _VMQ_TX_H */
