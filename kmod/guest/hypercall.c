// SPDX-License-Identifier: GPL-2.0
/*
 * hypercall.c: finding vmq, and the calls that need more than one register
 * or a buffer (Documentation/vmq/hypercalls.rst).
 * Layer: leaves (see guest.h).
 */
#include <linux/cc_platform.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/io.h>

#include "guest.h"
#include "hypercall.h"

/*
 * Is this a KVM guest whose host answers VMQ_HC_INFO as vmq's? Without
 * vmq, KVM answers -KVM_ENOSYS in RAX and leaves RBX alone, which we pass
 * as 0, so RBX == VMQ_ABI_VERSION with RAX == 0 is vmq's answer. On
 * another hypervisor, and in a guest whose registers the host cannot read
 * (SEV-ES, TDX), nothing is issued at all.
 */
int vmqg_hc_probe(struct vmqg_host *host)
{
	struct vmqg_regs r = { VMQ_HC_INFO, 0, 0, 0, 0 };

	if (!kvm_para_available())
		return -ENODEV;
	if (cc_platform_has(CC_ATTR_GUEST_STATE_ENCRYPT) ||
	    cpu_feature_enabled(X86_FEATURE_TDX_GUEST))
		return -ENODEV;
	vmqg_hc_regs(&r);
	if (r.ax || r.bx != VMQ_ABI_VERSION || !r.cx || r.cx > U32_MAX)
		return -ENODEV;
	host->abi_version = r.bx;
	host->vm_id = r.cx;
	host->features = r.dx;
	host->max_msg = r.si;
	if (!(host->features & VMQ_FEAT_SEND))
		return -ENODEV;
	return 0;
}

/* VMQ_HC_LOOKUP: the name must be in guest RAM the host can read. */
long vmqg_hc_lookup(const char *name)
{
	size_t len = strnlen(name, VMQ_NAME_MAX);
	char *buf;
	long ret;

	if (!len || len >= VMQ_NAME_MAX)
		return -EINVAL;
	buf = kmemdup(name, len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = vmqg_hc(VMQ_HC_LOOKUP, virt_to_phys(buf), len, 0, 0);
	kfree(buf);
	return ret;
}
