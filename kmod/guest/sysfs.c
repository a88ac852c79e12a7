// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c: /sys/class/misc/vmq0/ (Documentation/vmq/guest-driver.rst).
 * Layer: entry points (see guest.h).
 *
 *   vm_id, abi_version, features, max_msg	what VMQ_HC_INFO said
 *   mode		irq, wait or poll (wait.c)
 *   rx_size, rx_pending	the receive queue: data area, messages
 *   peers		"<id> <name>" per peer the host introduced
 *   counters		"<name> <value>" per counter of the driver
 *   window		"<size> <page size> <pool> <free> <owned>", or none
 *   lazy_max		the largest lazy payload, 0: no transmit rings
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "guest.h"
#include "peers.h"
#include "rx.h"
#include "send.h"
#include "sysfs.h"
#include "wait.h"
#include "window.h"

static const char * const vmqg_ctr_names[VMQG_CTR_NR] = {
	[VMQG_CTR_TX_MSGS]	= "tx_msgs",
	[VMQG_CTR_TX_BYTES]	= "tx_bytes",
	[VMQG_CTR_LAZY_MSGS]	= "lazy_msgs",
	[VMQG_CTR_LAZY_BYTES]	= "lazy_bytes",
	[VMQG_CTR_LAZY_FAILED]	= "lazy_failed",
	[VMQG_CTR_LAZY_FALLBACK] = "lazy_fallback",
	[VMQG_CTR_FLUSHES]	= "flushes",
	[VMQG_CTR_TX_ERRORS]	= "tx_errors",
	[VMQG_CTR_TX_FULL]	= "tx_full",
	[VMQG_CTR_RX_MSGS]	= "rx_msgs",
	[VMQG_CTR_RX_BYTES]	= "rx_bytes",
	[VMQG_CTR_IDENTITIES]	= "identities",
	[VMQG_CTR_IRQS]		= "irqs",
	[VMQG_CTR_WAITS]	= "waits",
	[VMQG_CTR_PAGES_TX]	= "pages_tx",
	[VMQG_CTR_PAGES_RX]	= "pages_rx",
	[VMQG_CTR_COPY_TX]	= "copy_tx",
	[VMQG_CTR_COPY_TX_BYTES] = "copy_tx_bytes",
	[VMQG_CTR_COPY_RX]	= "copy_rx",
	[VMQG_CTR_COPY_RX_BYTES] = "copy_rx_bytes",
};

static ssize_t vm_id_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_host.vm_id);
}
static DEVICE_ATTR_RO(vm_id);

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_host.abi_version);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t features_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%x\n", vmqg_host.features);
}
static DEVICE_ATTR_RO(features);

static ssize_t max_msg_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_send_max());
}
static DEVICE_ATTR_RO(max_msg);

static ssize_t lazy_max_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_send_lazy_max());
}
static DEVICE_ATTR_RO(lazy_max);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", vmqg_wait_mode());
}
static DEVICE_ATTR_RO(mode);

static ssize_t rx_size_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_rx_size());
}
static DEVICE_ATTR_RO(rx_size);

static ssize_t rx_pending_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmqg_rx_pending());
}
static DEVICE_ATTR_RO(rx_pending);

static ssize_t peers_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	/* Identity records waiting at the head of the queue count too. */
	vmqg_rx_absorb();
	return vmqg_peers_show(buf);
}
static DEVICE_ATTR_RO(peers);

static ssize_t counters_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	int i, len = 0;

	for (i = 0; i < VMQG_CTR_NR; i++)
		len += sysfs_emit_at(buf, len, "%s %llu\n", vmqg_ctr_names[i],
				     (u64)atomic64_read(&vmqg_ctrs[i]));
	return len;
}
static DEVICE_ATTR_RO(counters);

static ssize_t window_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return vmqg_window_show(buf);
}
static DEVICE_ATTR_RO(window);

static struct attribute *vmqg_attrs[] = {
	&dev_attr_vm_id.attr,
	&dev_attr_abi_version.attr,
	&dev_attr_features.attr,
	&dev_attr_max_msg.attr,
	&dev_attr_lazy_max.attr,
	&dev_attr_mode.attr,
	&dev_attr_rx_size.attr,
	&dev_attr_rx_pending.attr,
	&dev_attr_peers.attr,
	&dev_attr_counters.attr,
	&dev_attr_window.attr,
	NULL,
};

static const struct attribute_group vmqg_group = {
	.attrs = vmqg_attrs,
};

const struct attribute_group *vmqg_groups[] = {
	&vmqg_group,
	NULL,
};
