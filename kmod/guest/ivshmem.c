// SPDX-License-Identifier: GPL-2.0
/*
 * ivshmem.c: the ivshmem PCI device (1af4:1110) that a stock QEMU gives
 * the guest, as vmq's page window and arrival interrupt (Documentation/
 * vmq/guest-driver.rst). Layer: entry points (see guest.h).
 *
 * QEMU's ivshmem-doorbell gets its shared memory and one eventfd per
 * MSI-X vector from an ivshmem server; vmq-ivshmem-server hands it a vmq
 * page window as the memory, and as vector 0's eventfd the one it also
 * gives vmq with VMQ_IOC_SET_NOTIFY. So BAR 2 is the page window, and
 * vector 0 fires when a message lands in the empty receive queue. An
 * ivshmem-plain device (no MSI-X) is a window only.
 *
 * The driver binds only a device whose BAR 2 the host accepts as a vmq
 * window of this VM (VMQ_HC_WINDOW_BIND): any other ivshmem device is
 * somebody else's shared memory and stays free for its own driver. One
 * device at most, since a VM binds one window.
 */
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "guest.h"
#include "ivshmem.h"
#include "wait.h"
#include "window.h"

#define VMQG_IVSHMEM_DEVICE	0x1110
#define VMQG_WINDOW_BAR		2

static DEFINE_MUTEX(vmqg_ivshmem_lock);
static struct pci_dev *vmqg_ivshmem_dev;	/* the one bound */
static bool vmqg_ivshmem_irq_on;

static irqreturn_t vmqg_ivshmem_irq(int irq, void *data)
{
	vmqg_wait_arrival();
	return IRQ_HANDLED;
}

/* MSI-X vector 0 as the arrival interrupt; 0 or a negative errno. */
static int vmqg_ivshmem_setup_irq(struct pci_dev *pdev)
{
	int ret;

	if (!vmqg_use_irq || !pdev->msix_cap)
		return -ENODEV;
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), vmqg_ivshmem_irq, 0,
			  "vmq-arrival", pdev);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	return 0;
}

static int vmqg_ivshmem_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	resource_size_t base, len;
	int ret;

	mutex_lock(&vmqg_ivshmem_lock);
	ret = -EBUSY;
	if (vmqg_ivshmem_dev)
		goto out_unlock;
	ret = pcim_enable_device(pdev);
	if (ret)
		goto out_unlock;
	base = pci_resource_start(pdev, VMQG_WINDOW_BAR);
	len = pci_resource_len(pdev, VMQG_WINDOW_BAR);
	ret = -ENODEV;
	if (!len || !(pci_resource_flags(pdev, VMQG_WINDOW_BAR) & IORESOURCE_MEM))
		goto out_unlock;
	ret = vmqg_window_bind(base, len);
	if (ret) {
		dev_info(&pdev->dev, "BAR 2 is no vmq window (%d): not ours\n",
			 ret);
		ret = -ENODEV;
		goto out_unlock;
	}
	/* pcim_enable_device() makes this managed: released on unbind. */
	ret = pci_request_region(pdev, VMQG_WINDOW_BAR, "vmq_guest");
	if (ret)
		goto err_unbind_window;

	vmqg_ivshmem_irq_on = !vmqg_ivshmem_setup_irq(pdev);
	if (vmqg_ivshmem_irq_on)
		vmqg_wait_set_irq(true);
	dev_info(&pdev->dev, "vmq page window bound; arrivals by %s\n",
		 vmqg_ivshmem_irq_on ? "MSI-X interrupt" : "VMQ_HC_WAIT");
	vmqg_ivshmem_dev = pdev;
	mutex_unlock(&vmqg_ivshmem_lock);
	return 0;

err_unbind_window:
	vmqg_window_unbind();
out_unlock:
	mutex_unlock(&vmqg_ivshmem_lock);
	return ret;
}

static void vmqg_ivshmem_remove(struct pci_dev *pdev)
{
	mutex_lock(&vmqg_ivshmem_lock);
	if (vmqg_ivshmem_irq_on) {
		/* Readers go back to the wait thread before the vector goes. */
		vmqg_wait_set_irq(false);
		free_irq(pci_irq_vector(pdev, 0), pdev);
		pci_free_irq_vectors(pdev);
		vmqg_ivshmem_irq_on = false;
	}
	vmqg_window_unbind();
	vmqg_ivshmem_dev = NULL;
	mutex_unlock(&vmqg_ivshmem_lock);
}

static const struct pci_device_id vmqg_ivshmem_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, VMQG_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmqg_ivshmem_ids);

static struct pci_driver vmqg_ivshmem_driver = {
	.name = "vmq_guest",
	.id_table = vmqg_ivshmem_ids,
	.probe = vmqg_ivshmem_probe,
	.remove = vmqg_ivshmem_remove,
};

int vmqg_ivshmem_init(void)
{
	return pci_register_driver(&vmqg_ivshmem_driver);
}

void vmqg_ivshmem_exit(void)
{
	pci_unregister_driver(&vmqg_ivshmem_driver);
}
