/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_RX_H
#define _VMQG_RX_H

#include <linux/types.h>
#include <linux/vmq.h>

int vmqg_rx_init(void);
void vmqg_rx_exit(void);
void vmqg_rx_shutdown(void);

bool vmqg_rx_live(void);
bool vmqg_rx_ready(void);
u32 vmqg_rx_size(void);
u32 vmqg_rx_pending(void);
void vmqg_rx_set_notify(bool on);

int vmqg_rx_lock(void);
void vmqg_rx_unlock(void);
const struct vmq_msg_hdr *vmqg_rx_peek(void);
void vmqg_rx_consume(const struct vmq_msg_hdr *m);
void vmqg_rx_absorb(void);

#endif /* _VMQG_RX_H */
