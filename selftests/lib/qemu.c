// SPDX-License-Identifier: GPL-2.0
/*
 * qemu.c: the host's QEMU, run from a test (vmqt_qemu.h).
 */
#include "vmqt.h"
#include "vmqt_nl.h"

static const char *vmqt_host_root(void)
{
	const char *r = getenv("VMQ_QEMU_ROOT");

	return r ? r : "/host";
}

char *vmqt_host_path(const char *path)
{
	const char *root = vmqt_host_root();
	char *s;

	TEST_ASSERT(asprintf(&s, "%s%s", strcmp(root, "/") ? root : "", path) > 0,
		    "asprintf");
	return s;
}

char *vmqt_beside_self(const char *name)
{
	char self[4096], *s;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	TEST_ASSERT(n > 0, "readlink /proc/self/exe");
	self[n] = 0;
	*strrchr(self, '/') = 0;
	TEST_ASSERT(asprintf(&s, "%s/%s", self, name) > 0, "asprintf");
	return s;
}

pid_t vmqt_spawn(char *const argv[])
{
	pid_t pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

void vmqt_qemu_argv(char *argv[VMQT_QEMU_ARGC])
{
	char *qemu = vmqt_host_path("/usr/bin/qemu-system-x86_64");
	char *libs;

	TEST_ASSERT(!access(qemu, X_OK), "no QEMU at %s", qemu);
	TEST_ASSERT(asprintf(&libs, "%s:%s", vmqt_host_path("/lib/x86_64-linux-gnu"),
			     vmqt_host_path("/usr/lib/x86_64-linux-gnu")) > 0, "asprintf");
	/* The host's loader runs the host's QEMU with the host's libraries. */
	argv[0] = vmqt_host_path("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	argv[1] = "--library-path";
	argv[2] = libs;
	argv[3] = qemu;
	argv[4] = "-L";
	argv[5] = vmqt_host_path("/usr/share/qemu");
	argv[6] = "-L";
	argv[7] = vmqt_host_path("/usr/share/seabios");
}

u32 vmqt_qemu_vm_id(pid_t pid)
{
	static struct vmqt_nl_vms vms;
	int i;

	if (vmqt_nl_dump(vmqt_ctl_nl(), &vms))
		return 0;
	for (i = 0; i < vms.n; i++)
		if (vms.vm[i].pid == pid)
			return vms.vm[i].id;
	return 0;
}
