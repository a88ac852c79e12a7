// SPDX-License-Identifier: GPL-2.0
/*
 * main.c: the vmq guest driver for Linux guests of a vmq host
 * (Documentation/vmq/guest-driver.rst). Layer: entry points (see guest.h).
 *
 * Loading asks the host VMQ_HC_INFO. A host without vmq (or no KVM at all)
 * makes the module load quietly and do nothing ("vmq: not present").
 * Otherwise it registers the receive queue, starts the wait thread,
 * registers a transmit ring on every online CPU (and on CPUs that come
 * online later), creates /dev/vmq0 and binds the ivshmem device that
 * carries the page window and the arrival interrupt. Unloading undoes it
 * all; reboot and kexec unregister the rings first, because a registration
 * outlives the guest OS (Documentation/vmq/ring.rst).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>

#include "chardev.h"
#include "guest.h"
#include "hypercall.h"
#include "ivshmem.h"
#include "peers.h"
#include "rx.h"
#include "tx.h"
#include "wait.h"

struct vmqg_host vmqg_host;
atomic64_t vmqg_ctrs[VMQG_CTR_NR];

unsigned int vmqg_rx_bytes = 256 * 1024;
module_param_named(rx_bytes, vmqg_rx_bytes, uint, 0444);
MODULE_PARM_DESC(rx_bytes, "receive queue data area in bytes, a power of two (default 256 KiB)");

unsigned int vmqg_lazy_buf = 64 * 1024;
module_param_named(lazy_buf, vmqg_lazy_buf, uint, 0444);
MODULE_PARM_DESC(lazy_buf, "per-CPU payload buffer of lazy sends, a power of two (default 64 KiB)");

unsigned int vmqg_lazy_max = 16 * 1024;
module_param_named(lazy_max, vmqg_lazy_max, uint, 0644);
MODULE_PARM_DESC(lazy_max, "largest lazy payload; larger lazy writes go immediately (default 16 KiB)");

bool vmqg_use_irq = true;
module_param_named(use_irq, vmqg_use_irq, bool, 0444);
MODULE_PARM_DESC(use_irq, "wake readers by the ivshmem MSI-X interrupt when there is one (default on)");

unsigned int vmqg_window_page_size;
module_param_named(window_page_size, vmqg_window_page_size, uint, 0444);
MODULE_PARM_DESC(window_page_size, "page window slot size, 4096 or 2097152 (default 0: probe)");

static bool vmqg_present;

static int vmqg_reboot(struct notifier_block *nb, unsigned long action,
		       void *data)
{
	vmqg_tx_shutdown();
	vmqg_wait_set_irq(false);
	vmqg_rx_shutdown();
	return NOTIFY_DONE;
}

static struct notifier_block vmqg_reboot_nb = {
	.notifier_call = vmqg_reboot,
};

static int __init vmqg_init(void)
{
	int ret;

	if (vmqg_hc_probe(&vmqg_host)) {
		pr_info("not present\n");
		return 0;
	}
	pr_info("ABI %u, VM id %u, features %#x, max_msg %u\n",
		vmqg_host.abi_version, vmqg_host.vm_id, vmqg_host.features,
		vmqg_host.max_msg);

	ret = vmqg_rx_init();
	if (ret)
		return ret;
	ret = vmqg_wait_init();
	if (ret)
		goto err_rx_exit;
	ret = vmqg_tx_init();
	if (ret)
		goto err_wait_exit;
	ret = register_reboot_notifier(&vmqg_reboot_nb);
	if (ret)
		goto err_tx_exit;
	ret = vmqg_chardev_init();
	if (ret)
		goto err_unregister_reboot;
	ret = vmqg_ivshmem_init();
	if (ret)
		goto err_chardev_exit;
	vmqg_present = true;
	return 0;

err_chardev_exit:
	vmqg_chardev_exit();
err_unregister_reboot:
	unregister_reboot_notifier(&vmqg_reboot_nb);
err_tx_exit:
	vmqg_tx_exit();
err_wait_exit:
	vmqg_wait_exit();
err_rx_exit:
	vmqg_rx_exit();
	return ret;
}

static void __exit vmqg_exit(void)
{
	if (!vmqg_present)
		return;
	vmqg_ivshmem_exit();
	vmqg_chardev_exit();
	unregister_reboot_notifier(&vmqg_reboot_nb);
	vmqg_tx_exit();
	vmqg_wait_exit();
	vmqg_rx_exit();
	vmqg_peers_exit();
}

module_init(vmqg_init);
module_exit(vmqg_exit);

MODULE_DESCRIPTION("vmq guest driver: VM queues for Linux guests of a vmq host");
MODULE_LICENSE("GPL");
