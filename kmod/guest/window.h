/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_WINDOW_H
#define _VMQG_WINDOW_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct vmq_dev_page;

int vmqg_window_bind(phys_addr_t base, u64 size);
void vmqg_window_unbind(void);
bool vmqg_window_info(u64 *size, u32 *page_size);
ssize_t vmqg_window_show(char *buf);

int vmqg_window_mmap(struct vm_area_struct *vma);
long vmqg_window_alloc(const void *owner, u64 *offset);
long vmqg_window_send(const void *owner, u64 offset, u32 dest, u64 tag);
long vmqg_window_free(const void *owner, u64 offset);
void vmqg_window_arrived(u64 gpa, u64 size, struct vmq_dev_page *out);
void vmqg_window_take(const void *owner, const struct vmq_dev_page *pg);
void vmqg_window_release(const void *owner);

#endif /* _VMQG_WINDOW_H */
