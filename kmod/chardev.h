/* SPDX-License-Identifier: GPL-2.0 */
/* chardev.h: /dev/vmq, the host's ioctl interface. */
#ifndef _VMQ_CHARDEV_H
#define _VMQ_CHARDEV_H

int vmq_chardev_init(void);
void vmq_chardev_exit(void);

#endif /* _VMQ_CHARDEV_H */
