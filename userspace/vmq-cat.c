// SPDX-License-Identifier: GPL-2.0
/*
 * vmq-cat: a guest's standard input to a peer VM, and what the peer sends
 * to standard output, through the vmq guest driver's /dev/vmq0; or round
 * trip times (--ping). See Documentation/vmq/guest-driver.rst.
 *
 *	vmq-cat [-s|-r] [--lazy] [--pages] PEER     (PEER: VM id or name)
 *	vmq-cat --ping [-c COUNT] [-i SECONDS] [--size BYTES] PEER
 *
 * Framing. Every message's tag is kind << 56 | session << 32 | seq: the
 * kind (below), the sending run's random session number, and a sequence
 * number per kind of stream. A stream starts with HELLO; the receiver
 * follows the session of the last HELLO from the peer and checks that
 * data arrives in sequence, so that nothing lost or reordered goes
 * unnoticed, and messages a previous run left in the queue are skipped.
 * EOF carries the stream's byte count, which the receiver checks.
 * With --pages, data travels as whole window pages (no byte copied): every
 * page is full but the last, whose length the EOF's byte count gives.
 *
 * Any vmq-cat that reads (not -s) answers PING with PONG.
 *
 * Exit status: 0 when the streams ended cleanly, 1 on an error, 2 on a
 * usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vmq_guest_dev.h>

enum kind {
	K_HELLO = 1,
	K_DATA,
	K_EOF,
	K_PING,
	K_PONG,
	K_PAGE,
};

#define TAG(k, sess, seq)	((uint64_t)(k) << 56 | (uint64_t)(sess) << 32 | (uint32_t)(seq))
#define TAG_KIND(t)		((unsigned int)((t) >> 56))
#define TAG_SESSION(t)		((uint32_t)((t) >> 32) & 0xffffff)
#define TAG_SEQ(t)		((uint32_t)(t))

static const char usage_text[] =
	"Usage: vmq-cat [options] PEER\n"
	"       vmq-cat --ping [-c COUNT] [-i SECONDS] [--size BYTES] PEER\n"
	"\n"
	"Send standard input to PEER (a VM id or name) and write what PEER sends\n"
	"to standard output, through /dev/vmq0.\n"
	"\n"
	"  -s, --send-only      only send; exit once the end of input is delivered\n"
	"  -r, --recv-only      only receive; exit at the end of PEER's stream\n"
	"  -L, --lazy           lazy sends (transmit ring); fails if PEER falls behind\n"
	"  -P, --pages          send whole page-window pages instead of messages\n"
	"  -b, --block BYTES    payload per message (default: 32768 or max_msg)\n"
	"  -p, --ping           print round-trip times to PEER (a reading vmq-cat)\n"
	"  -c, --count N        pings to send (default 10)\n"
	"  -i, --interval SEC   between pings (default 1)\n"
	"      --size BYTES     ping payload (default 64)\n"
	"  -d, --device PATH    default /dev/vmq0\n"
	"  -v, --verbose        report the stream's progress on standard error\n"
	"  -h, --help           this text\n";

static const char *opt_dev = "/dev/vmq0";
static bool opt_send_only, opt_recv_only, opt_lazy, opt_pages, opt_ping;
static bool opt_verbose;
static uint32_t opt_block;
static int opt_count = 10;
static double opt_interval = 1.0;
static uint32_t opt_size = 64;

static int dev = -1;
static struct vmq_dev_info info;
static uint32_t peer;
static uint32_t session;
static uint8_t *rbuf;
static size_t rbuf_size;
static uint8_t *window;
static volatile sig_atomic_t interrupted;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmq-cat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (time_t)s) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR && !interrupted)
		;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Send one message tagged @tag; -EAGAIN when the peer is full. */
static int send_tagged(uint64_t tag, const void *buf, uint32_t len)
{
	struct vmq_dev_send s = {
		.dest = peer,
		.flags = opt_lazy ? VMQ_DEV_LAZY : 0,
		.tag = tag,
		.addr = (uintptr_t)buf,
		.len = len,
	};

	return ioctl(dev, VMQ_DEV_IOC_SEND, &s) ? -errno : 0;
}

static int send_msg(enum kind k, uint32_t seq, const void *buf, uint32_t len)
{
	return send_tagged(TAG(k, session, seq), buf, len);
}

/* Wait until a send may be tried again (EPOLLOUT), or a message came. */
static void wait_writable(void)
{
	struct pollfd p = { .fd = dev, .events = POLLOUT };

	poll(&p, 1, 100);
}

/*
 * Blocking send of a control message (HELLO, EOF, PING, PONG). A peer
 * with no receive queue yet (its driver still loading) gets a while.
 */
static void send_ctl_tagged(uint64_t tag, const void *buf, uint32_t len)
{
	double give_up = 0;
	int ret;

	for (;;) {
		ret = send_tagged(tag, buf, len);
		if (ret == -EAGAIN && !interrupted) {
			wait_writable();
			continue;
		}
		if (ret != -ENOTCONN || interrupted)
			break;
		if (!give_up) {
			fprintf(stderr, "vmq-cat: VM %u has no receive queue yet: waiting\n",
				peer);
			give_up = now_s() + 30;
		} else if (now_s() > give_up) {
			break;
		}
		sleep_s(0.1);
	}
	if (ret && !interrupted)
		die("sending to VM %u: %s", peer, strerror(-ret));
}

static void send_ctl(enum kind k, uint32_t seq, const void *buf, uint32_t len)
{
	send_ctl_tagged(TAG(k, session, seq), buf, len);
}

/* Lazy sends: collect their results; any refusal is fatal (no retry). */
static void lazy_check(void)
{
	struct vmq_dev_flush f;

	if (!opt_lazy)
		return;
	if (ioctl(dev, VMQ_DEV_IOC_FLUSH, &f))
		die("VMQ_DEV_IOC_FLUSH: %s", strerror(errno));
	if (f.failed)
		die("%u lazy sends refused (first: %s): the receiver fell behind; try without --lazy",
		    f.failed, strerror(-f.first_error));
}

/* One message from the queue: its header, payload in rbuf after it. */
static int recv_msg(struct vmq_dev_msg **m)
{
	ssize_t n = read(dev, rbuf, rbuf_size);

	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(**m))
		die("short read from %s", opt_dev);
	*m = (struct vmq_dev_msg *)rbuf;
	return 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("writing output: %s", strerror(errno));
		}
		p += n;
		len -= n;
	}
}

static size_t read_full(int fd, void *buf, size_t len, bool *eof)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("reading input: %s", strerror(errno));
		}
		if (!n) {
			*eof = true;
			break;
		}
		got += n;
		/* Messages: send what a pipe had; pages: fill the page. */
		if (!opt_pages)
			break;
	}
	return got;
}

/* The receiving side of a stream. */
struct rx_state {
	bool started, done;
	uint32_t session;
	uint32_t next_seq;
	uint64_t bytes;
	int64_t held_page;	/* offset of a page not yet written, -1 */
	uint64_t page_size;
};

static void page_free(uint64_t off)
{
	if (ioctl(dev, VMQ_DEV_IOC_PAGE_FREE, &off))
		fprintf(stderr, "vmq-cat: VMQ_DEV_IOC_PAGE_FREE: %s\n",
			strerror(errno));
}

static void flush_held_page(struct rx_state *rs, uint64_t len)
{
	if (rs->held_page < 0)
		return;
	write_all(STDOUT_FILENO, window + rs->held_page, len);
	rs->bytes += len;
	page_free(rs->held_page);
	rs->held_page = -1;
}

/* Handle one message from the peer. */
static void handle(struct vmq_dev_msg *m, struct rx_state *rs)
{
	const uint8_t *payload = (const uint8_t *)(m + 1);
	unsigned int kind = TAG_KIND(m->tag);
	uint32_t seq = TAG_SEQ(m->tag);
	uint64_t total;

	if (m->sender != peer) {
		fprintf(stderr, "vmq-cat: dropped a message from VM %u\n",
			m->sender);
		if (m->type == VMQ_MSG_PAGE)
			page_free(((struct vmq_dev_page *)payload)->offset);
		return;
	}
	if (kind == K_PING) {
		/* The answer carries the pinger's session and sequence. */
		if (!opt_send_only)
			send_ctl_tagged(TAG(K_PONG, TAG_SESSION(m->tag), seq),
					payload, m->len);
		return;
	}
	if (kind == K_HELLO) {
		if (rs->held_page >= 0)
			page_free(rs->held_page);
		memset(rs, 0, sizeof(*rs));
		rs->held_page = -1;
		rs->started = true;
		rs->session = TAG_SESSION(m->tag);
		return;
	}
	if (kind == K_PONG)
		return;		/* a late answer to an earlier ping run */
	if (!rs->started || TAG_SESSION(m->tag) != rs->session || rs->done) {
		if (m->type == VMQ_MSG_PAGE)
			page_free(((struct vmq_dev_page *)payload)->offset);
		return;		/* a previous run's */
	}
	if (seq != rs->next_seq)
		die("message %u arrived where %u was due: lost or reordered",
		    seq, rs->next_seq);
	rs->next_seq++;
	switch (kind) {
	case K_DATA:
		if (m->type != VMQ_MSG_DATA)
			die("a data message of type %u", m->type);
		write_all(STDOUT_FILENO, payload, m->len);
		rs->bytes += m->len;
		break;
	case K_PAGE: {
		const struct vmq_dev_page *pg = (const void *)payload;

		if (m->type != VMQ_MSG_PAGE || !window ||
		    pg->offset >= info.window_size)
			die("a page that is not in the window");
		flush_held_page(rs, pg->size);
		rs->held_page = pg->offset;
		rs->page_size = pg->size;
		break;
	}
	case K_EOF:
		if (m->len != sizeof(total))
			die("a malformed end of stream");
		memcpy(&total, payload, sizeof(total));
		if (rs->held_page >= 0) {
			if (total < rs->bytes || total - rs->bytes > rs->page_size)
				die("stream length %" PRIu64 " does not fit", total);
			flush_held_page(rs, total - rs->bytes);
		}
		if (total != rs->bytes)
			die("the stream had %" PRIu64 " bytes, %" PRIu64 " arrived",
			    total, rs->bytes);
		rs->done = true;
		if (opt_verbose)
			fprintf(stderr, "vmq-cat: received %" PRIu64 " bytes\n",
				total);
		break;
	default:
		fprintf(stderr, "vmq-cat: unknown message kind %u\n", kind);
	}
}

/* Read everything queued now. */
static void drain(struct rx_state *rs)
{
	struct vmq_dev_msg *m;
	int ret;

	while (!(ret = recv_msg(&m)))
		handle(m, rs);
	if (ret != -EAGAIN && ret != -EINTR)
		die("reading %s: %s", opt_dev, strerror(-ret));
}

/* The sending side. */
struct tx_state {
	bool eof_in, eof_sent, hello_sent;
	uint8_t *buf;
	uint32_t len;		/* bytes of a message waiting to go */
	bool pending;
	int64_t page;		/* its page, with --pages */
	uint32_t seq;
	uint64_t bytes;
	unsigned int sends;
};

/* Try to send the pending message: true when it went. */
static bool tx_try(struct tx_state *ts)
{
	int ret;

	if (opt_pages) {
		struct vmq_dev_page_send ps = {
			.offset = ts->page,
			.dest = peer,
			.tag = TAG(K_PAGE, session, ts->seq),
		};

		ret = ioctl(dev, VMQ_DEV_IOC_PAGE_SEND, &ps) ? -errno : 0;
		/* -EBUSY: something held the page an instant; retry. */
		if (ret == -EBUSY)
			ret = -EAGAIN;
	} else {
		ret = send_msg(K_DATA, ts->seq, ts->buf, ts->len);
	}
	if (ret == -EAGAIN)
		return false;
	if (ret)
		die("sending to VM %u: %s", peer, strerror(-ret));
	ts->seq++;
	ts->bytes += ts->len;
	ts->pending = false;
	if (opt_lazy && !(++ts->sends % 64))
		lazy_check();
	return true;
}

/* Take the next block of input into a pending message. */
static void tx_fill(struct tx_state *ts)
{
	uint8_t *dst = ts->buf;
	size_t room = opt_block;

	if (opt_pages) {
		uint64_t off;

		if (ioctl(dev, VMQ_DEV_IOC_PAGE_ALLOC, &off))
			die("VMQ_DEV_IOC_PAGE_ALLOC: %s", strerror(errno));
		ts->page = off;
		dst = window + off;
		room = info.window_page_size;
	}
	ts->len = read_full(STDIN_FILENO, dst, room, &ts->eof_in);
	if (!ts->len) {
		if (opt_pages)
			page_free(ts->page);
		return;
	}
	ts->pending = true;
}

static void stream(void)
{
	struct rx_state rs = { .held_page = -1 };
	struct tx_state ts = { .page = -1 };
	bool sending = !opt_recv_only, receiving = !opt_send_only;
	unsigned int backoff_us = 50;

	ts.buf = malloc(opt_block);
	if (!ts.buf)
		die("out of memory");
	if (sending) {
		send_ctl(K_HELLO, 0, NULL, 0);
		ts.hello_sent = true;
	}
	while (!interrupted) {
		struct pollfd p[2] = {
			{ .fd = dev },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		int nfds = 1, timeout = -1;

		if (sending && !ts.eof_sent) {
			if (ts.pending && !tx_try(&ts)) {
				if (opt_pages) {
					timeout = backoff_us / 1000 + 1;
					backoff_us = backoff_us < 10000 ?
						     backoff_us * 2 : 10000;
				} else {
					p[0].events |= POLLOUT;
				}
			} else {
				backoff_us = 50;
			}
			if (!ts.pending && ts.eof_in) {
				uint64_t total = ts.bytes;

				lazy_check();
				send_ctl(K_EOF, ts.seq, &total, sizeof(total));
				lazy_check();
				ts.eof_sent = true;
				if (opt_verbose)
					fprintf(stderr, "vmq-cat: sent %" PRIu64 " bytes\n",
						total);
				continue;
			}
			if (!ts.pending)
				nfds = 2;
		}
		if (receiving)
			p[0].events |= POLLIN;
		if ((!sending || ts.eof_sent) && (!receiving || rs.done))
			break;
		if (poll(p, nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (receiving && (p[0].revents & POLLIN))
			drain(&rs);
		if (p[0].revents & POLLERR)
			die("%s: the receive queue is gone", opt_dev);
		if (nfds == 2 && (p[1].revents & (POLLIN | POLLHUP)))
			tx_fill(&ts);
	}
	free(ts.buf);
	if (interrupted)
		exit(1);
}

static void ping(void)
{
	struct rx_state rs = { .held_page = -1 };
	double min = INFINITY, max = 0, sum = 0;
	uint8_t *buf = calloc(1, opt_size < 8 ? 8 : opt_size);
	int i, received = 0;

	if (!buf)
		die("out of memory");
	for (i = 0; i < opt_count && !interrupted; i++) {
		double t0 = now_s(), deadline = t0 + 1.0, rtt = -1;

		memcpy(buf, &t0, sizeof(t0));
		send_ctl(K_PING, i, buf, opt_size);
		while (rtt < 0 && !interrupted) {
			struct pollfd p = { .fd = dev, .events = POLLIN };
			double left = deadline - now_s();
			struct vmq_dev_msg *m;

			if (left <= 0)
				break;
			if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
				continue;
			while (!recv_msg(&m)) {
				if (m->sender == peer &&
				    TAG_KIND(m->tag) == K_PONG &&
				    TAG_SESSION(m->tag) == session &&
				    TAG_SEQ(m->tag) == (uint32_t)i) {
					rtt = (now_s() - t0) * 1e3;
					break;
				}
				handle(m, &rs);
			}
		}
		if (rtt < 0) {
			printf("seq=%d: no answer within 1 s\n", i);
		} else {
			received++;
			sum += rtt;
			min = rtt < min ? rtt : min;
			max = rtt > max ? rtt : max;
			printf("%u bytes from VM %u: seq=%d time=%.3f ms\n",
			       opt_size, peer, i, rtt);
		}
		fflush(stdout);
		if (i + 1 < opt_count)
			sleep_s(opt_interval);
	}
	printf("--- VM %u: %d sent, %d received", peer, i, received);
	if (received)
		printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", min,
		       sum / received, max);
	printf("\n");
	free(buf);
	exit(received == i && i ? 0 : 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "send-only", no_argument, NULL, 's' },
		{ "recv-only", no_argument, NULL, 'r' },
		{ "lazy", no_argument, NULL, 'L' },
		{ "pages", no_argument, NULL, 'P' },
		{ "block", required_argument, NULL, 'b' },
		{ "ping", no_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 'z' },
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct vmq_dev_connect c = {};
	const char *target;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "srLPb:pc:i:d:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			opt_send_only = true;
			break;
		case 'r':
			opt_recv_only = true;
			break;
		case 'L':
			opt_lazy = true;
			break;
		case 'P':
			opt_pages = true;
			break;
		case 'b':
			opt_block = strtoul(optarg, &end, 0);
			if (*end || !opt_block)
				goto usage;
			break;
		case 'p':
			opt_ping = true;
			break;
		case 'c':
			opt_count = atoi(optarg);
			if (opt_count < 1)
				goto usage;
			break;
		case 'i':
			opt_interval = strtod(optarg, &end);
			if (*end || opt_interval < 0)
				goto usage;
			break;
		case 'z':
			opt_size = strtoul(optarg, &end, 0);
			if (*end)
				goto usage;
			break;
		case 'd':
			opt_dev = optarg;
			break;
		case 'v':
			opt_verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || (opt_send_only && opt_recv_only))
		goto usage;
	target = argv[optind];

	dev = open(opt_dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dev < 0)
		die("%s: %s (is vmq_guest loaded, and is vmq present?)",
		    opt_dev, strerror(errno));
	if (ioctl(dev, VMQ_DEV_IOC_INFO, &info))
		die("VMQ_DEV_IOC_INFO: %s", strerror(errno));

	c.id = strtoul(target, &end, 10);
	if (*end || !*target) {
		c.id = 0;
		if (strlen(target) >= sizeof(c.name))
			die("%s: name too long", target);
		strcpy(c.name, target);
	}
	if (ioctl(dev, VMQ_DEV_IOC_CONNECT, &c))
		die("%s: %s%s", target, strerror(errno),
		    errno == ESRCH ? " (no such peer that this VM may reach)" : "");
	peer = c.id;

	if (!opt_block)
		opt_block = info.max_msg < 32768 ? info.max_msg : 32768;
	if (opt_block > info.max_msg)
		die("--block %u exceeds max_msg %u", opt_block, info.max_msg);
	if (opt_ping && opt_size > info.max_msg)
		die("--size %u exceeds max_msg %u", opt_size, info.max_msg);
	if (opt_lazy && !(info.flags & VMQ_DEV_INFO_LAZY))
		die("no transmit rings: lazy sends are not available");
	rbuf_size = sizeof(struct vmq_dev_msg) + info.max_msg;
	rbuf = malloc(rbuf_size);
	if (!rbuf)
		die("out of memory");
	if (opt_pages && !(info.flags & VMQ_DEV_INFO_WINDOW))
		die("no page window (an ivshmem device bound by vmq_guest)");
	/* A receiver takes pages whether or not it sends them itself. */
	if (opt_pages || (!opt_send_only && !opt_ping &&
			  (info.flags & VMQ_DEV_INFO_WINDOW))) {
		window = mmap(NULL, info.window_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, dev, 0);
		if (window == MAP_FAILED)
			die("mmap of the page window: %s", strerror(errno));
	}

	srandom(getpid() ^ (unsigned int)(now_s() * 1e6));
	session = (uint32_t)random() & 0xffffff;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opt_ping)
		ping();
	stream();
	return 0;
usage:
	fputs(usage_text, stderr);
	return 2;
}
