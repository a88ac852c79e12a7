// SPDX-License-Identifier: GPL-2.0
/*
 * What the tests read from KVM itself. See vmqt_kvm.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#include "vmqt_kvm.h"

u64 vmqt_vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	u64 value = 0;
	int fd, i;
	bool found = false;

	fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &value, 1);
			found = true;
			break;
		}
	}
	free(descs);
	close(fd);
	TEST_ASSERT(found, "no vCPU stat %s", name);
	return value;
}

struct vmqt_exits vmqt_exits(struct kvm_vcpu *vcpu)
{
	struct vmqt_exits e = {
		.exits = vmqt_vcpu_stat(vcpu, "exits"),
		.io_exits = vmqt_vcpu_stat(vcpu, "io_exits"),
		.irq_exits = vmqt_vcpu_stat(vcpu, "irq_exits"),
		.hypercalls = vmqt_vcpu_stat(vcpu, "hypercalls"),
		.pf_taken = vmqt_vcpu_stat(vcpu, "pf_taken"),
		.halt_exits = vmqt_vcpu_stat(vcpu, "halt_exits"),
	};
	return e;
}

int vmqt_module_param(const char *path)
{
	char buf[16] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (buf[0] == 'Y' || buf[0] == 'y')
		return 1;
	if (buf[0] == 'N' || buf[0] == 'n')
		return 0;
	return atoi(buf);
}

bool vmqt_tables_shadowed(void)
{
	int npt = vmqt_module_param("/sys/module/kvm_amd/parameters/npt");

	if (npt < 0)
		npt = vmqt_module_param("/sys/module/kvm_intel/parameters/ept");
	return npt == 0;
}

u64 vmqt_ram_end(struct kvm_vm *vm)
{
	struct userspace_mem_region *r = memslot2region(vm, 0);

	return r->region.guest_phys_addr + r->region.memory_size;
}

/*
 * KVM turns a static key on (preempt notifiers, patched into every context
 * switch) while any VM exists, and rewrites kernel text whenever the number
 * of VMs goes from 0 to 1 or back. In the sandbox (QEMU/TCG) that
 * cross-CPU text patching has livelocked both guest CPUs at the patched
 * branch in finish_task_switch() (soft lockup, RCU stall) in tests that
 * create and destroy many VMs. One idle VM, vmq never sees it, held for
 * the life of the test process keeps the key on and the text unpatched.
 * The sandbox runner holds such VMs for its whole run (guards/kvm_anchor);
 * this covers a test started by hand.
 */
void vmqt_hold_kvm(void)
{
	static struct kvm_vm *idle;

	if (!idle)
		idle = vm_create_barebones();
}
