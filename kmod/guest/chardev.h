/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_CHARDEV_H
#define _VMQG_CHARDEV_H

int vmqg_chardev_init(void);
void vmqg_chardev_exit(void);

#endif /* _VMQG_CHARDEV_H */
