/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_IVSHMEM_H
#define _VMQG_IVSHMEM_H

int vmqg_ivshmem_init(void);
void vmqg_ivshmem_exit(void);

#endif /* _VMQG_IVSHMEM_H */
