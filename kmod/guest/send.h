/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VMQG_SEND_H
#define _VMQG_SEND_H

#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct vmq_dev_flush;
struct vmqg_lazy;

/* One open file's sending side. */
struct vmqg_sender {
	struct mutex lock;		/* one send at a time, in order */
	struct vmqg_lazy *lazy;
	void *buf;			/* bounce buffer: the payload's gpa */
	size_t buf_size;
	bool full;			/* the last send met a full receiver */
	unsigned int backoff_us;
	struct hrtimer retry;		/* ends "full" after the back-off */
};

u32 vmqg_send_max(void);
u32 vmqg_send_lazy_max(void);
int vmqg_sender_init(struct vmqg_sender *s);
void vmqg_sender_release(struct vmqg_sender *s);
ssize_t vmqg_send_user(struct vmqg_sender *s, u32 dest, u64 tag, u32 flags,
		       const void __user *ubuf, size_t len, bool nonblock);
long vmqg_send_page(struct vmqg_sender *s, const void *owner, u64 offset,
		    u32 dest, u64 tag);
long vmqg_send_kernel(struct vmqg_sender *s, u32 dest, u64 tag,
		      const void *payload, u32 len);
void vmqg_send_flush(struct vmqg_sender *s, struct vmq_dev_flush *out);
bool vmqg_send_writable(struct vmqg_sender *s);

#endif /* _VMQG_SEND_H */
