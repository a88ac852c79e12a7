// SPDX-License-Identifier: GPL-2.0
/*
 * gtool: linux_guest_test's probe inside a Linux guest. Each command does
 * one precise thing with /dev/vmq0 and prints one line the test checks;
 * vmq-cat moves the bulk data. Exit status 0 when the command saw what
 * it was meant to, 1 otherwise.
 *
 *	gtool nbread		O_NONBLOCK read of an empty queue: "EAGAIN"
 *	gtool write PEER [FILE]	one 8-byte message: "ok" or the errno's name;
 *				with FILE, once that exists, a second one
 *				through the same open file
 *	gtool send PEER N SIZE	N messages of SIZE bytes, each carrying its
 *				sequence number: "sent N" or "ERRNO at I"
 *	gtool recv PEER N SIZE	N messages from PEER, blocking, checked for
 *				sender, length, order and contents:
 *				"received N in order" or what was wrong
 *	gtool pollread		poll() for EPOLLIN, then read one message:
 *				"got LEN bytes from SENDER"
 *	gtool nbwrite PEER LEN	one O_NONBLOCK write() of LEN zero bytes: "ok"
 *				or "write: ERRNO"
 *	gtool bigsend PEER BLOCK	standard input to PEER in write()s of BLOCK
 *				bytes (large writes: the cross-guest copy),
 *				then an empty message: "sent BYTES in N writes"
 *	gtool bigrecv PEER BLOCK	PEER's messages, read() with room for BLOCK
 *				bytes, to standard output until an empty one;
 *				"received BYTES in N reads" on stderr
 *	gtool gen MIB		MIB MiB of pseudo-random bytes to stdout: the
 *				test's data, without waiting for the guest's
 *				entropy pool as /dev/urandom may
 *
 * The guest_stream/guest_ping benchmarks' probes, for vmq and for the TCP
 * baseline alike (times from the guest's clock):
 *	gtool sink [PORT]	read standard input (or the one connection
 *				accepted on TCP PORT) to its end: "BYTES bytes
 *				in SECONDS s", timed from the first byte
 *	gtool tcp-send ADDR PORT	standard input to TCP ADDR:PORT
 *	gtool tcp-echo PORT	echo what the connection accepted on PORT
 *				sends, until it closes
 *	gtool tcp-ping ADDR PORT N SIZE
 *				N round trips of SIZE bytes through ADDR:PORT's
 *				echo: "rtt min/avg/max = A/B/C ms"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/vmq_guest_dev.h>

#define DEV		"/dev/vmq0"
#define MAX_SIZE	65536

static uint8_t buf[sizeof(struct vmq_dev_msg) + MAX_SIZE];

static int fail(const char *what)
{
	printf("%s: %s\n", what, strerrorname_np(errno) ?: strerror(errno));
	return 1;
}

/* Open the device and connect it to @peer by name; the peer's id. */
static int open_peer(const char *peer, int flags, uint32_t *id)
{
	struct vmq_dev_connect c = { 0 };
	int fd = open(DEV, O_RDWR | flags);

	if (fd < 0)
		exit(fail("open " DEV));
	strncpy(c.name, peer, sizeof(c.name) - 1);
	if (ioctl(fd, VMQ_DEV_IOC_CONNECT, &c))
		exit(fail("connect"));
	*id = c.id;
	return fd;
}

/* Message @seq's contents: its number, then a pattern derived from it. */
static void fill(uint8_t *p, uint32_t seq, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(seq * 7 + i);
	if (size >= sizeof(seq))
		memcpy(p, &seq, sizeof(seq));
}

static int cmd_send(const char *peer, uint32_t n, uint32_t size)
{
	uint8_t *p = buf;
	uint32_t id, i;
	int fd = open_peer(peer, 0, &id);

	for (i = 0; i < n; i++) {
		fill(p, i, size);
		if (write(fd, p, size) != (ssize_t)size) {
			printf("%s at %u\n", strerrorname_np(errno) ?: "short", i);
			return 1;
		}
	}
	printf("sent %u\n", n);
	return 0;
}

static int cmd_recv(const char *peer, uint32_t n, uint32_t size)
{
	const struct vmq_dev_msg *m = (const void *)buf;
	static uint8_t want[MAX_SIZE];
	uint32_t id, i;
	int fd = open_peer(peer, 0, &id);
	ssize_t r;

	for (i = 0; i < n; i++) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0)
			return fail("read");
		fill(want, i, size);
		if (m->type != VMQ_MSG_DATA || m->sender != id ||
		    m->len != size || r != (ssize_t)(sizeof(*m) + size)) {
			printf("message %u: type %u sender %u len %u (want %u from %u)\n",
			       i, m->type, m->sender, m->len, size, id);
			return 1;
		}
		if (memcmp(m + 1, want, size)) {
			uint32_t got = 0;

			memcpy(&got, m + 1, size < 4 ? size : 4);
			printf("message %u: carries sequence %u or wrong bytes\n",
			       i, got);
			return 1;
		}
	}
	printf("received %u in order\n", n);
	return 0;
}

static int cmd_write(const char *peer, const char *then)
{
	uint32_t id;
	int fd = open_peer(peer, 0, &id);

	if (write(fd, "vmq-test", 8) != 8)
		return fail("write");
	printf("ok\n");
	if (!then)
		return 0;
	while (access(then, F_OK))
		usleep(10000);
	if (write(fd, "vmq-test", 8) != 8)
		return fail("write");
	printf("ok\n");
	return 0;
}

static int cmd_bigsend(const char *peer, size_t block)
{
	unsigned long long bytes = 0, writes = 0;
	uint8_t *p = malloc(block);
	size_t have, off;
	uint32_t id;
	ssize_t r;
	int fd = open_peer(peer, 0, &id);

	if (!p)
		return fail("malloc");
	for (;;) {
		/* A whole block from the pipe, so that each write() is large. */
		for (have = 0; have < block; have += r) {
			r = read(0, p + have, block - have);
			if (r < 0)
				return fail("read");
			if (!r)
				break;
		}
		if (!have)
			break;
		for (off = 0; off < have; off += r, writes++) {
			r = write(fd, p + off, have - off);
			if (r <= 0)
				return fail("write");
		}
		bytes += have;
		if (have < block)
			break;
	}
	if (write(fd, p, 0) != 0)
		return fail("write");
	printf("sent %llu in %llu writes\n", bytes, writes);
	return 0;
}

static int cmd_bigrecv(const char *peer, size_t block)
{
	unsigned long long bytes = 0, reads = 0;
	struct vmq_dev_msg *m = malloc(sizeof(*m) + block);
	uint32_t id;
	ssize_t r;
	int fd = open_peer(peer, 0, &id);

	if (!m)
		return fail("malloc");
	for (;;) {
		r = read(fd, m, sizeof(*m) + block);
		if (r < 0)
			return fail("read");
		if (m->type != VMQ_MSG_DATA || m->sender != id ||
		    r != (ssize_t)(sizeof(*m) + m->len)) {
			fprintf(stderr, "read %zd: type %u sender %u len %u\n", r,
				m->type, m->sender, m->len);
			return 1;
		}
		if (!m->len)
			break;
		if (write(1, m + 1, m->len) != m->len)
			return fail("write");
		bytes += m->len;
		reads++;
	}
	fprintf(stderr, "received %llu in %llu reads\n", bytes, reads);
	return 0;
}

/* One O_NONBLOCK write() of @len bytes: "ok" or the errno's name. */
static int cmd_nbwrite(const char *peer, size_t len)
{
	uint8_t *p = calloc(1, len);
	uint32_t id;
	int fd = open_peer(peer, O_NONBLOCK, &id);

	if (!p)
		return fail("calloc");
	if (write(fd, p, len) != (ssize_t)len)
		return fail("write");
	printf("ok\n");
	return 0;
}

static int cmd_nbread(void)
{
	int fd = open(DEV, O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return fail("open " DEV);
	if (read(fd, buf, sizeof(buf)) >= 0) {
		printf("a message was queued\n");
		return 1;
	}
	printf("%s\n", strerrorname_np(errno) ?: strerror(errno));
	return errno != EAGAIN;
}

static int cmd_pollread(void)
{
	const struct vmq_dev_msg *m = (const void *)buf;
	struct pollfd p = { .events = POLLIN };

	p.fd = open(DEV, O_RDONLY);
	if (p.fd < 0)
		return fail("open " DEV);
	if (poll(&p, 1, -1) != 1 || !(p.revents & POLLIN))
		return fail("poll");
	if (read(p.fd, buf, sizeof(buf)) < 0)
		return fail("read");
	printf("got %u bytes from %u\n", m->len, m->sender);
	return 0;
}

static int cmd_gen(uint32_t mib)
{
	static uint64_t block[65536 / sizeof(uint64_t)];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint32_t n, i;

	for (n = 0; n < mib * 16; n++) {
		for (i = 0; i < sizeof(block) / sizeof(block[0]); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			block[i] = x;
		}
		if (write(1, block, sizeof(block)) != sizeof(block))
			return fail("write");
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The one connection accepted on TCP @port, without Nagle's delay. */
static int tcp_accept(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), fd;

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 1))
		exit(fail("listen"));
	fd = accept(l, NULL, NULL);
	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		exit(fail("accept"));
	close(l);
	return fd;
}

/* Connect to @addr:@port, retrying while the listener is not up yet. */
static int tcp_connect(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int one = 1, tries, fd;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		printf("%s: not an IPv4 address\n", addr);
		exit(2);
	}
	for (tries = 0; tries < 100; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			exit(fail("socket"));
		if (!connect(fd, (void *)&a, sizeof(a)))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		exit(fail("connect"));
	return fd;
}

static int cmd_sink(int port)
{
	int fd = port ? tcp_accept(port) : 0;
	unsigned long long bytes = 0;
	double t0 = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (!bytes)
			t0 = now_s();
		bytes += r;
	}
	if (r < 0)
		return fail("read");
	printf("%llu bytes in %.6f s\n", bytes, bytes ? now_s() - t0 : 0);
	return 0;
}

/* All of @len bytes of @p through @fd. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t w;

	for (; len; p += w, len -= w) {
		w = write(fd, p, len);
		if (w <= 0)
			return -1;
	}
	return 0;
}

static int cmd_tcp_send(const char *addr, int port)
{
	int fd = tcp_connect(addr, port);
	ssize_t r;

	while ((r = read(0, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, r))
			return fail("send");
	if (r < 0)
		return fail("read");
	return close(fd) ? fail("close") : 0;
}

static int cmd_tcp_echo(int port)
{
	int fd = tcp_accept(port);
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, r))
			return fail("echo");
	return r < 0 ? fail("read") : 0;
}

static int cmd_tcp_ping(const char *addr, int port, uint32_t n, uint32_t size)
{
	double min = 1e9, max = 0, sum = 0;
	int fd = tcp_connect(addr, port);
	uint32_t i;

	for (i = 0; i < n; i++) {
		double t0 = now_s(), rtt;
		size_t got;
		ssize_t r;

		fill(buf, i, size);
		if (write_all(fd, buf, size))
			return fail("send");
		for (got = 0; got < size; got += r) {
			r = read(fd, buf + size + got, size - got);
			if (r < 0)
				return fail("read");
			if (!r) {
				printf("the echo closed the connection\n");
				return 1;
			}
		}
		if (memcmp(buf, buf + size, size)) {
			printf("round trip %u: the echo differs\n", i);
			return 1;
		}
		rtt = (now_s() - t0) * 1e3;
		sum += rtt;
		min = rtt < min ? rtt : min;
		max = rtt > max ? rtt : max;
	}
	printf("%u round trips, rtt min/avg/max = %.3f/%.3f/%.3f ms\n", n, min,
	       n ? sum / n : 0, max);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "nbread"))
		return cmd_nbread();
	if (argc == 2 && !strcmp(argv[1], "pollread"))
		return cmd_pollread();
	if (argc == 3 && !strcmp(argv[1], "gen"))
		return cmd_gen(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "nbwrite") && atoi(argv[3]) > 0)
		return cmd_nbwrite(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "bigsend") && atoi(argv[3]) > 0)
		return cmd_bigsend(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "bigrecv") && atoi(argv[3]) > 0)
		return cmd_bigrecv(argv[2], atoi(argv[3]));
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "sink"))
		return cmd_sink(argc == 3 ? atoi(argv[2]) : 0);
	if (argc == 4 && !strcmp(argv[1], "tcp-send"))
		return cmd_tcp_send(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "tcp-echo"))
		return cmd_tcp_echo(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "tcp-ping") &&
	    atoi(argv[5]) > 0 && atoi(argv[5]) <= MAX_SIZE / 2)
		return cmd_tcp_ping(argv[2], atoi(argv[3]), atoi(argv[4]),
				    atoi(argv[5]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "write"))
		return cmd_write(argv[2], argv[3]);
	if (argc == 5 && atoi(argv[4]) <= MAX_SIZE) {
		if (!strcmp(argv[1], "send"))
			return cmd_send(argv[2], atoi(argv[3]), atoi(argv[4]));
		if (!strcmp(argv[1], "recv"))
			return cmd_recv(argv[2], atoi(argv[3]), atoi(argv[4]));
	}
	fprintf(stderr, "usage: gtool nbread|pollread|gen MIB|write PEER [FILE]|send PEER N SIZE|recv PEER N SIZE\n"
		"       gtool nbwrite PEER LEN|bigsend PEER BLOCK|bigrecv PEER BLOCK\n"
		"       gtool sink [PORT]|tcp-send ADDR PORT|tcp-echo PORT|tcp-ping ADDR PORT N SIZE\n");
	return 2;
}
