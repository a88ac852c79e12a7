/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_WAIT_H
#define _VMQG_WAIT_H

#include <linux/poll.h>
#include <linux/types.h>

int vmqg_wait_init(void);
void vmqg_wait_exit(void);

int vmqg_wait_readable(void);
int vmqg_wait_word(const u32 *word, u32 want, unsigned int timeout_us);
void vmqg_wait_poll(struct file *file, poll_table *pt);
void vmqg_wait_wake_writers(void);

void vmqg_wait_arrival(void);
void vmqg_wait_set_irq(bool on);
bool vmqg_wait_irq(void);
const char *vmqg_wait_mode(void);

#endif /* _VMQG_WAIT_H */
