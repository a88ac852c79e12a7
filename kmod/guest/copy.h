/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_COPY_H
#define _VMQG_COPY_H

#include <linux/types.h>

struct vmq_dev_copy_req;
struct vmqg_sender;

bool vmqg_copy_supported(void);
/*
 * A blocking write() of @len bytes (above max_msg) to @dest: the bytes
 * that went, or a negative errno.
 */
ssize_t vmqg_copy_write(struct vmqg_sender *s, u32 dest, u64 tag,
			const void __user *ubuf, size_t len);
/*
 * Serve @req, a large write's request that read() took (and consumed) from
 * @sender's record @seq, into the reader's @ubuf of @count bytes (at least
 * a struct vmq_dev_msg). Returns what read() returns, or -EAGAIN when the
 * request brought nothing (declined, or given up by the writer): read()
 * goes on to the next message.
 */
ssize_t vmqg_copy_read(const struct vmq_dev_copy_req *req, u32 sender,
		       u32 seq, char __user *ubuf, size_t count);

#endif /* _VMQG_COPY_H */
