/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_SYSFS_H
#define _VMQG_SYSFS_H

#include <linux/sysfs.h>

extern const struct attribute_group *vmqg_groups[];

#endif /* _VMQG_SYSFS_H */
