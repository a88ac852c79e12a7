/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_qemu.h: running the host's own, unmodified QEMU from a test, as
 * qemu_test and linux_guest_test do. In the sandbox the host's root is
 * shared read-only at /host (9p); VMQ_QEMU_ROOT names another root ("/"
 * on a real host).
 */
#ifndef SELFTEST_VMQT_QEMU_H
#define SELFTEST_VMQT_QEMU_H

/* @path (absolute) inside the host's root. */
char *vmqt_host_path(const char *path);

/* A file installed next to the running program. */
char *vmqt_beside_self(const char *name);

/*
 * The start of the command line that runs the host's qemu-system-x86_64
 * with the host's loader and libraries and the host's firmware: fills
 * argv[0..VMQT_QEMU_ARGC - 1]; the caller appends QEMU's options. Asserts
 * that QEMU is there.
 */
#define VMQT_QEMU_ARGC	8
void vmqt_qemu_argv(char *argv[VMQT_QEMU_ARGC]);

/*
 * Run @argv (argv[0] looked up in PATH) in a child that dies with the
 * test; its pid.
 */
pid_t vmqt_spawn(char *const argv[]);

/* The vmq id of the VM that QEMU process @pid created; 0 while it has none. */
u32 vmqt_qemu_vm_id(pid_t pid);

#endif /* SELFTEST_VMQT_QEMU_H */
