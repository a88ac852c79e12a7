/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_PEERS_H
#define _VMQG_PEERS_H

#include <linux/types.h>
#include <linux/vmq.h>

void vmqg_peers_add(const struct vmq_identity *id);
ssize_t vmqg_peers_show(char *buf);
void vmqg_peers_exit(void);

#endif /* _VMQG_PEERS_H */
