// SPDX-License-Identifier: GPL-2.0
/*
 * vmq-ivshmem-server: connect one stock QEMU to vmq through QEMU's
 * ivshmem-doorbell device, and name its VM. See
 * Documentation/vmq/guest-driver.rst.
 *
 *	vmq-ivshmem-server --name A --socket /run/vmq-A.sock [options]
 *	qemu-system-x86_64 -accel kvm ... \
 *		-chardev socket,path=/run/vmq-A.sock,id=vmq \
 *		-device ivshmem-doorbell,chardev=vmq,vectors=1
 *
 * It speaks the server side of QEMU's ivshmem client-server protocol
 * (QEMU's docs/specs/ivshmem-spec.rst): every message is one little-endian
 * int64, some with a file descriptor (SCM_RIGHTS). To the QEMU that
 * connects it sends the protocol version (0), the client's id (0: every
 * VM has a server of its own, so there are no peers), -1 with the shared
 * memory, and the client's id again once per vector with that vector's
 * eventfd, which QEMU turns into the device's MSI-X interrupt.
 *
 * The shared memory is a vmq page window (VMQ_IOC_WINDOW_CREATE): it
 * becomes the device's BAR 2, which the guest driver binds as its window.
 * Vector 0's eventfd is also handed to vmq as the VM's arrival
 * notification (VMQ_IOC_SET_NOTIFY), so that a message landing in the
 * guest's empty queue raises the interrupt.
 *
 * Then it binds the QEMU process to its vmq identity: it learns QEMU's pid
 * from the socket (SO_PEERCRED), waits for QEMU's KVM VM descriptor
 * ("anon_inode:kvm-vm" in /proc/PID/fd; QEMU connects chardevs before it
 * creates the VM), copies it with pidfd_getfd(2) and attaches it to vmq
 * under --name (VMQ_IOC_ATTACH_VM). With --peer, it allows the pairs both
 * ways as soon as the peer exists, and introduces the two VMs once both
 * guests registered their receive queues.
 *
 * One QEMU at a time: a second connection is refused. When QEMU goes
 * away, the server waits for the next one (a restarted QEMU is a new VM),
 * or exits with --once.
 *
 * Needs root (CAP_SYS_ADMIN for /dev/vmq, CAP_SYS_PTRACE over QEMU for
 * pidfd_getfd, CAP_NET_ADMIN for --peer).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/vmq.h>

#include "libvmq.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd		438
#endif

#define MAX_VECTORS		64
#define MAX_PEERS		16
#define VM_FD_TIMEOUT_MS	60000
#define RETRY_MS		500

static const char usage_text[] =
	"Usage: vmq-ivshmem-server --name NAME --socket PATH [options]\n"
	"\n"
	"Serve one QEMU ivshmem-doorbell device: its shared memory is a vmq page\n"
	"window, its vector 0 is the VM's vmq arrival interrupt, and its VM is\n"
	"attached to vmq as NAME.\n"
	"\n"
	"  -n, --name NAME         the VM's vmq name (required)\n"
	"  -S, --socket PATH       UNIX socket QEMU connects to (required)\n"
	"  -l, --window-size SIZE  page window bytes, a power of two (default 16M)\n"
	"  -p, --page-size SIZE    window page size, 4k or 2m (default 2m)\n"
	"  -v, --vectors N         interrupt vectors, as QEMU's vectors= (default 1)\n"
	"  -P, --peer NAME         allow NAME both ways, introduce once both have\n"
	"                          queues (repeatable)\n"
	"  -1, --once              exit when QEMU goes away\n"
	"  -q, --quiet             only errors\n"
	"  -h, --help              this text\n"
	"\n"
	"Then: qemu-system-x86_64 -accel kvm ... -chardev socket,path=PATH,id=vmq \\\n"
	"        -device ivshmem-doorbell,chardev=vmq,vectors=N\n";

static const char *opt_name;
static const char *opt_socket;
static uint64_t opt_window_size = 16ULL << 20;
static uint32_t opt_page_size = 2U << 20;
static int opt_vectors = 1;
static const char *opt_peers[MAX_PEERS];
static int nr_peers;
static bool opt_once;
static bool opt_quiet;

static volatile sig_atomic_t stopping;
static int listen_sock = -1;

static void info(const char *fmt, ...)
{
	va_list ap;

	if (opt_quiet)
		return;
	va_start(ap, fmt);
	printf("vmq-ivshmem-server: %s: ", opt_name);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

static void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vmq-ivshmem-server: %s: ", opt_name ? opt_name : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One protocol message: @value (little endian), and @fd when >= 0. */
static int send_msg(int sock, int64_t value, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(le))
		return n < 0 ? -errno : -EIO;
	return 0;
}

/* The descriptor number of QEMU's KVM VM in /proc/@pid/fd, or -1. */
static int find_vm_fd(pid_t pid)
{
	char path[64], link[64];
	struct dirent *de;
	int found = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm")) {
			found = atoi(de->d_name);
			break;
		}
	}
	closedir(d);
	return found;
}

/* Is our copy really a KVM VM descriptor (not a reused number)? */
static bool is_vm_fd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:kvm-vm");
}

/*
 * Has the client hung up? Waits up to @ms (-1: until it does). A second
 * QEMU that connects meanwhile is turned away at once: left waiting, it
 * would hang in the device's start-up, which waits for our messages.
 */
static bool client_gone(int sock, int ms)
{
	struct pollfd p[2] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = listen_sock, .events = POLLIN },
	};
	char c;

	if (poll(p, 2, ms) <= 0)
		return false;
	if (p[1].revents & POLLIN) {
		int extra = accept4(listen_sock, NULL, NULL, SOCK_CLOEXEC);

		if (extra >= 0) {
			err("a second QEMU connected: refused (one VM per server)");
			close(extra);
		}
	}
	if (p[0].revents & (POLLHUP | POLLERR))
		return true;
	/* QEMU never writes; a readable socket is an EOF. */
	return (p[0].revents & POLLIN) && recv(sock, &c, 1, MSG_DONTWAIT) <= 0;
}

/*
 * Copy QEMU's VM descriptor: QEMU connects its chardevs before it creates
 * the KVM VM, so wait for it (as long as QEMU stays connected).
 */
static int grab_vm_fd(int sock, pid_t pid)
{
	long long deadline = now_ms() + VM_FD_TIMEOUT_MS;
	int pidfd, target, fd;

	for (;;) {
		target = find_vm_fd(pid);
		if (target >= 0)
			break;
		if (stopping || client_gone(sock, 50))
			return -ECONNRESET;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
	if (fd < 0) {
		fd = -errno;
		close(pidfd);
		return fd;
	}
	close(pidfd);
	if (!is_vm_fd(fd)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

struct peer_state {
	const char *name;
	bool allowed;
	bool introduced;
};

/*
 * Allow each peer both ways once it exists (so that the guests can look
 * each other up), introduce once both have receive queues. Returns true
 * when nothing is left to do.
 */
static bool do_peers(struct libvmq_ctx *nl, uint32_t id,
		     struct peer_state *ps)
{
	struct libvmq_ref self = LIBVMQ_REF_ID(id);
	bool done = true;
	int i, ret;

	for (i = 0; i < nr_peers; i++) {
		struct libvmq_ref peer = LIBVMQ_REF_NAME(ps[i].name);

		if (!ps[i].allowed) {
			ret = libvmq_allow(nl, &self, &peer);
			if (!ret)
				ret = libvmq_allow(nl, &peer, &self);
			if (!ret) {
				ps[i].allowed = true;
				info("allowed %s <-> %s", opt_name, ps[i].name);
			} else if (ret != -ESRCH) {
				err("allowing %s: %s (%s)", ps[i].name,
				    strerror(-ret), libvmq_last_error_msg(nl));
				ps[i].allowed = ps[i].introduced = true;
			}
		}
		if (ps[i].allowed && !ps[i].introduced) {
			ret = libvmq_introduce(nl, &self, &peer);
			if (!ret) {
				ps[i].introduced = true;
				info("introduced %s and %s", opt_name,
				     ps[i].name);
			} else if (ret != -ENOTCONN && ret != -EAGAIN &&
				   ret != -ESRCH) {
				err("introducing %s: %s (%s)", ps[i].name,
				    strerror(-ret), libvmq_last_error_msg(nl));
				ps[i].introduced = true;
			}
		}
		if (!ps[i].allowed || !ps[i].introduced)
			done = false;
	}
	return done;
}

/* Serve one connected QEMU until it goes away. */
static int serve(int dev, struct libvmq_ctx *nl, int sock)
{
	struct vmq_window_create wc = {
		.size = opt_window_size,
		.page_size = opt_page_size,
	};
	struct peer_state ps[MAX_PEERS] = {};
	int efd[MAX_VECTORS], i, ret, vm_fd;
	struct vmq_notify n = {};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint32_t id;
	bool peers_done;

	for (i = 0; i < opt_vectors; i++)
		efd[i] = -1;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		err("SO_PEERCRED: %s", strerror(errno));
		return -errno;
	}
	info("QEMU pid %d connected", (int)cred.pid);

	if (ioctl(dev, VMQ_IOC_WINDOW_CREATE, &wc)) {
		ret = -errno;
		err("VMQ_IOC_WINDOW_CREATE (%" PRIu64 " bytes of %u): %s",
		    opt_window_size, opt_page_size, strerror(errno));
		return ret;
	}
	for (i = 0; i < opt_vectors; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd[i] < 0) {
			ret = -errno;
			err("eventfd: %s", strerror(errno));
			goto out_close;
		}
	}

	/* The protocol: version, id, shared memory, our vectors. */
	ret = send_msg(sock, 0, -1);
	if (!ret)
		ret = send_msg(sock, 0, -1);
	if (!ret)
		ret = send_msg(sock, -1, wc.fd);
	for (i = 0; !ret && i < opt_vectors; i++)
		ret = send_msg(sock, 0, efd[i]);
	if (ret) {
		err("talking to QEMU: %s", strerror(-ret));
		goto out_close;
	}

	vm_fd = grab_vm_fd(sock, cred.pid);
	if (vm_fd < 0) {
		ret = vm_fd;
		err("QEMU's KVM VM descriptor: %s", strerror(-ret));
		goto out_close;
	}
	/*
	 * A QEMU that restarted fast may find its predecessor's VM still
	 * holding the name for a moment: KVM destroys it when the last
	 * reference to it goes.
	 */
	for (i = 0; i < 100; i++) {
		ret = libvmq_attach_vm_fd(dev, vm_fd, opt_name, &id);
		if (ret != -EEXIST || stopping || client_gone(sock, 100))
			break;
	}
	/* vmq holds no reference on the VM: neither may we. */
	close(vm_fd);
	if (ret) {
		err("VMQ_IOC_ATTACH_VM as %s: %s", opt_name, strerror(-ret));
		goto out_close;
	}
	n.id = id;
	n.eventfd = efd[0];
	if (ioctl(dev, VMQ_IOC_SET_NOTIFY, &n)) {
		ret = -errno;
		err("VMQ_IOC_SET_NOTIFY: %s", strerror(errno));
		goto out_close;
	}
	info("QEMU pid %d is VM %u, named %s; %" PRIu64 " byte window of %u byte pages, %d vector(s)",
	     (int)cred.pid, id, opt_name, opt_window_size, opt_page_size,
	     opt_vectors);

	for (i = 0; i < nr_peers; i++)
		ps[i].name = opt_peers[i];
	peers_done = !nr_peers || !nl;
	while (!stopping) {
		if (!peers_done)
			peers_done = do_peers(nl, id, ps);
		if (client_gone(sock, peers_done ? -1 : RETRY_MS))
			break;
	}
	info("QEMU pid %d (VM %u) went away", (int)cred.pid, id);
	ret = 0;

out_close:
	close(wc.fd);
	for (i = 0; i < opt_vectors; i++)
		if (efd[i] >= 0)
			close(efd[i]);
	return ret;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err("socket path too long");
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* A stale socket of an earlier run; never anything else. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s, 4)) {
		err("%s: %s", path, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 'S' },
		{ "window-size", required_argument, NULL, 'l' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "vectors", required_argument, NULL, 'v' },
		{ "peer", required_argument, NULL, 'P' },
		{ "once", no_argument, NULL, '1' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct libvmq_ctx *nl = NULL;
	int c, dev, lsock, ret = 0;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "n:S:l:p:v:P:1qh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt_name = optarg;
			break;
		case 'S':
			opt_socket = optarg;
			break;
		case 'l':
			if (parse_size(optarg, &opt_window_size))
				goto usage;
			break;
		case 'p':
			if (parse_size(optarg, &v) ||
			    (v != 4096 && v != (2U << 20)))
				goto usage;
			opt_page_size = v;
			break;
		case 'v':
			opt_vectors = atoi(optarg);
			if (opt_vectors < 1 || opt_vectors > MAX_VECTORS)
				goto usage;
			break;
		case 'P':
			if (nr_peers == MAX_PEERS)
				goto usage;
			opt_peers[nr_peers++] = optarg;
			break;
		case '1':
			opt_once = true;
			break;
		case 'q':
			opt_quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc || !opt_name || !opt_socket || !*opt_name ||
	    strlen(opt_name) >= VMQ_NAME_MAX)
		goto usage;
	/* QEMU's BAR 2 is the window, and a PCI BAR is a power of two. */
	if (opt_window_size < opt_page_size ||
	    (opt_window_size & (opt_window_size - 1))) {
		err("--window-size must be a power of two, at least the page size");
		return 2;
	}

	dev = open("/dev/vmq", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		err("/dev/vmq: %s (is vmq loaded, and are we root?)",
		    strerror(errno));
		return 1;
	}
	if (nr_peers) {
		ret = libvmq_open(&nl);
		if (ret) {
			err("vmq netlink: %s", strerror(-ret));
			return 1;
		}
	}
	lsock = listen_on(opt_socket);
	if (lsock < 0)
		return 1;
	listen_sock = lsock;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	info("listening on %s", opt_socket);

	while (!stopping) {
		int s = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			err("accept: %s", strerror(errno));
			ret = 1;
			break;
		}
		ret = serve(dev, nl, s) ? 1 : 0;
		close(s);
		if (opt_once)
			break;
	}
	close(lsock);
	unlink(opt_socket);
	if (nl)
		libvmq_close(nl);
	close(dev);
	return ret;
usage:
	fputs(usage_text, stderr);
	return 2;
}
