// SPDX-License-Identifier: GPL-2.0
/*
 * vmqctl_test - vmqctl(8) end to end: real VMs (attached by ioctl, named or
 * not, and one adopted by its first hypercall) send messages, then the test
 * runs vmqctl (/usr/bin/vmqctl, or $VMQCTL) and parses what it printed:
 * list, dump, show, stats and --json against what the VMs did and against
 * VMQ_CMD_GET_VM; name, allow/revoke (checked with real sends), introduce
 * (the identity records in both rings), quota (enforced), reset; failures
 * (exit status and the stderr text naming the VM); and monitor, in the
 * background, against a scripted scenario of events.
 */
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vmqt.h"

extern char **environ;

static const char *vmqctl_path;

#define PAYLOAD_BYTES	4096

#define SEND_EXPECT(t, dest, len, n, want) do {				\
	s64 __r = vmqt_tvm_send(t, dest, len, n);			\
									\
	TEST_ASSERT(__r == (want), "send %u -> %u (%u bytes): %ld, expected %d", \
		    (t)->g.id, dest, len, (long)__r, (int)(want));	\
} while (0)

/* ---- running vmqctl ------------------------------------------------------ */

struct ctl_out {
	int status;		/* exit status, 128 + signal when killed */
	char *out;
	char *err;
};

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_init(struct buf *b)
{
	b->cap = 8192;
	b->len = 0;
	b->p = malloc(b->cap);
	TEST_ASSERT(b->p, "malloc");
	b->p[0] = '\0';
}

static void buf_read(struct buf *b, int fd, bool *open)
{
	ssize_t n;

	if (b->cap - b->len < 4096) {
		b->cap = b->cap * 2 + 8192;
		b->p = realloc(b->p, b->cap);
		TEST_ASSERT(b->p, "realloc");
	}
	n = read(fd, b->p + b->len, b->cap - b->len - 1);
	TEST_ASSERT(n >= 0 || errno == EINTR, "read from vmqctl: %d", errno);
	if (n > 0)
		b->len += n;
	else if (!n)
		*open = false;
	b->p[b->len] = '\0';
}

static pid_t ctl_spawn(char **argv, int *out_fd, int *err_fd)
{
	posix_spawn_file_actions_t fa;
	int o[2], e[2] = { -1, -1 };
	pid_t pid;
	int ret;

	TEST_ASSERT(!pipe(o), "pipe");
	TEST_ASSERT(!err_fd || !pipe(e), "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_addclose(&fa, o[0]);
	posix_spawn_file_actions_addclose(&fa, o[1]);
	if (err_fd) {
		posix_spawn_file_actions_adddup2(&fa, e[1], 2);
		posix_spawn_file_actions_addclose(&fa, e[0]);
		posix_spawn_file_actions_addclose(&fa, e[1]);
	}
	ret = posix_spawn(&pid, vmqctl_path, &fa, NULL, argv, environ);
	TEST_ASSERT(!ret, "posix_spawn %s: %s", vmqctl_path, strerror(ret));
	posix_spawn_file_actions_destroy(&fa);
	close(o[1]);
	*out_fd = o[0];
	if (err_fd) {
		close(e[1]);
		*err_fd = e[0];
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Run vmqctl with the NULL-terminated arguments; collect stdout/stderr. */
static struct ctl_out ctl_v(const char *arg0, va_list ap)
{
	struct buf ob = { 0 }, eb = { 0 };
	bool o_open = true, e_open = true;
	struct ctl_out r;
	char *argv[16];
	int n = 0, ofd, efd;
	pid_t pid;

	argv[n++] = "vmqctl";
	for (argv[n] = (char *)arg0; argv[n]; argv[n] = va_arg(ap, char *)) {
		n++;
		TEST_ASSERT(n < 15, "too many arguments");
	}
	pid = ctl_spawn(argv, &ofd, &efd);
	buf_init(&ob);
	buf_init(&eb);
	while (o_open || e_open) {
		struct pollfd p[2] = {
			{ .fd = o_open ? ofd : -1, .events = POLLIN },
			{ .fd = e_open ? efd : -1, .events = POLLIN },
		};

		TEST_ASSERT(poll(p, 2, -1) >= 0 || errno == EINTR, "poll");
		if (p[0].revents)
			buf_read(&ob, ofd, &o_open);
		if (p[1].revents)
			buf_read(&eb, efd, &e_open);
	}
	close(ofd);
	close(efd);
	r.status = wait_status(pid);
	r.out = ob.p;
	r.err = eb.p;
	return r;
}

static struct ctl_out ctl(const char *arg0, ...)
{
	struct ctl_out r;
	va_list ap;

	va_start(ap, arg0);
	r = ctl_v(arg0, ap);
	va_end(ap);
	return r;
}

static void ctl_free(struct ctl_out *r)
{
	free(r->out);
	free(r->err);
}

/* vmqctl ARGS... must succeed, print nothing on stderr; returns stdout. */
static char *ctl_ok(const char *arg0, ...)
{
	struct ctl_out r;
	va_list ap;

	va_start(ap, arg0);
	r = ctl_v(arg0, ap);
	va_end(ap);
	TEST_ASSERT(r.status == 0 && !r.err[0],
		    "vmqctl %s ...: exit %d, stderr: %s", arg0, r.status, r.err);
	free(r.err);
	return r.out;
}

/* vmqctl ARGS... must exit with @status and say @text on stderr. */
#define CTL_FAILS(status_, text, ...) do {				\
	struct ctl_out __r = ctl(__VA_ARGS__, NULL);			\
									\
	TEST_ASSERT(__r.status == (status_),				\
		    "vmqctl %s: exit %d, expected %d (stderr: %s)",	\
		    #__VA_ARGS__, __r.status, status_, __r.err);	\
	TEST_ASSERT(strstr(__r.err, text),				\
		    "vmqctl %s: stderr \"%s\" lacks \"%s\"",		\
		    #__VA_ARGS__, __r.err, text);			\
	TEST_ASSERT(!__r.out[0], "vmqctl %s: printed \"%s\" on failure", \
		    #__VA_ARGS__, __r.out);				\
	ctl_free(&__r);							\
} while (0)

static char *u32s(u32 v)
{
	static char bufs[8][16];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 16, "%u", v);
	return b;
}

/* ---- a small JSON reader ----------------------------------------------------- */

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt t;
	long long num;
	char *str;
	int n;
	struct jv *items;
	char **keys;
};

static const char *jp;

static void jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\t' || *jp == '\r')
		jp++;
}

static char *jstr(void)
{
	char *s = malloc(strlen(jp) + 1), *d = s;

	TEST_ASSERT(*jp == '"', "JSON: string expected at \"%.20s\"", jp);
	jp++;
	while (*jp != '"') {
		TEST_ASSERT(*jp && (unsigned char)*jp >= 0x20,
			    "JSON: bad string");
		if (*jp == '\\') {
			jp++;
			switch (*jp) {
			case '"': case '\\': case '/':
				*d++ = *jp;
				break;
			case 'n':
				*d++ = '\n';
				break;
			case 't':
				*d++ = '\t';
				break;
			case 'u': {
				unsigned int c;

				TEST_ASSERT(sscanf(jp + 1, "%4x", &c) == 1,
					    "JSON: bad \\u");
				*d++ = c < 0x80 ? c : '?';
				jp += 4;
				break;
			}
			default:
				TEST_FAIL("JSON: bad escape \\%c", *jp);
			}
			jp++;
		} else {
			*d++ = *jp++;
		}
	}
	jp++;
	*d = '\0';
	return s;
}

static void jval(struct jv *v)
{
	memset(v, 0, sizeof(*v));
	jws();
	if (*jp == '{' || *jp == '[') {
		bool obj = *jp == '{';
		char close = obj ? '}' : ']';

		v->t = obj ? J_OBJ : J_ARR;
		jp++;
		jws();
		if (*jp == close) {
			jp++;
			return;
		}
		for (;;) {
			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
			v->keys[v->n] = NULL;
			if (obj) {
				jws();
				v->keys[v->n] = jstr();
				jws();
				TEST_ASSERT(*jp == ':', "JSON: ':' expected");
				jp++;
			}
			jval(&v->items[v->n++]);
			jws();
			if (*jp == ',') {
				jp++;
				continue;
			}
			TEST_ASSERT(*jp == close, "JSON: '%c' expected at \"%.20s\"",
				    close, jp);
			jp++;
			return;
		}
	} else if (*jp == '"') {
		v->t = J_STR;
		v->str = jstr();
	} else if (!strncmp(jp, "null", 4)) {
		v->t = J_NULL;
		jp += 4;
	} else if (!strncmp(jp, "true", 4) || !strncmp(jp, "false", 5)) {
		v->t = J_BOOL;
		v->num = *jp == 't';
		jp += v->num ? 4 : 5;
	} else {
		char *end;

		v->t = J_NUM;
		errno = 0;
		v->num = strtoll(jp, &end, 10);
		TEST_ASSERT(end != jp && !errno && *end != '.' && *end != 'e',
			    "JSON: integer expected at \"%.20s\"", jp);
		jp = end;
	}
}

/* Parse a whole document (one value, then only white space). */
static struct jv json_parse(const char *s)
{
	struct jv v;

	jp = s;
	jval(&v);
	jws();
	TEST_ASSERT(!*jp, "JSON: trailing text \"%.20s\"", jp);
	return v;
}

static struct jv *jget(struct jv *o, const char *key)
{
	int i;

	TEST_ASSERT(o->t == J_OBJ, "JSON: object expected for \"%s\"", key);
	for (i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	TEST_FAIL("JSON: no key \"%s\"", key);
	return NULL;
}

static long long jnum(struct jv *o, const char *key)
{
	struct jv *v = jget(o, key);

	TEST_ASSERT(v->t == J_NUM, "JSON: \"%s\" is not a number", key);
	return v->num;
}

/* The object in array @a whose "id" is @id. */
static struct jv *jfind_id(struct jv *a, u32 id)
{
	int i;

	TEST_ASSERT(a->t == J_ARR, "JSON: array expected");
	for (i = 0; i < a->n; i++)
		if (jnum(&a->items[i], "id") == id)
			return &a->items[i];
	TEST_FAIL("JSON: no VM with id %u", id);
	return NULL;
}

/* ---- expectations ------------------------------------------------------------ */

/* Everything vmqctl must report about one VM, from the test's own account. */
struct want {
	u32 id;
	const char *name;	/* NULL: unnamed */
	u32 queue_size, queue_bytes, queue_msgs;
	u32 peers[4];
	int nr_peers;
};

/* The counter index of @name, or -1. */
static int ctr_index(const char *name)
{
	static const char *const names[] = {
		"tx_msgs", "tx_bytes", "rx_msgs", "rx_bytes", "err_nodest",
		"err_denied", "err_toobig", "err_fault", "err_noqueue",
		"err_full", "err_broken", "err_inval", "err_perm",
		"hypercalls", "lazy_msgs", "lazy_exits", "waits", "notifies",
		"err_quota", "pages_tx", "pages_rx", "err_busy", "lazy_deferred",
		"copies", "copy_tx_bytes", "copy_rx_bytes", "gpt_walks",
		"err_nogrant", "err_prot", "tc_hits", "tc_misses", "pt_writes",
		"patches", "patches_applied", "patches_invalid", "tc_overflows",
		"pt_released",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], name))
			return i < VMQ_CTR_NR ? (int)i : -1;
	return -1;
}

/* "tx_msgs=3,tx_bytes=300,..." holds every counter of @vi. */
static void check_counter_list(const char *list, const struct vmq_vm_info *vi)
{
	char *copy = strdup(list), *save, *tok;
	bool seen[VMQ_CTR_NR] = { 0 };
	int c;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		TEST_ASSERT(eq, "counter \"%s\" without '='", tok);
		*eq = '\0';
		c = ctr_index(tok);
		TEST_ASSERT(c >= 0, "unknown counter \"%s\"", tok);
		TEST_ASSERT(strtoull(eq + 1, NULL, 10) == vi->counters[c],
			    "VM %u counter %s: vmqctl %s, ioctl %lu", vi->id,
			    tok, eq + 1, (unsigned long)vi->counters[c]);
		seen[c] = true;
	}
	for (c = 0; c < VMQ_CTR_NR; c++)
		TEST_ASSERT(seen[c], "VM %u: counter %d missing", vi->id, c);
	free(copy);
}

static void check_json_vm(struct jv *o, const struct want *w)
{
	struct vmq_vm_info vi = vmqt_info_of(w->id);
	struct jv *name = jget(o, "name"), *peers = jget(o, "peers");
	struct jv *ctrs = jget(o, "counters");
	int i, c;

	TEST_ASSERT(jnum(o, "id") == w->id, "JSON id");
	if (w->name)
		TEST_ASSERT(name->t == J_STR && !strcmp(name->str, w->name),
			    "JSON VM %u: name is not \"%s\"", w->id, w->name);
	else
		TEST_ASSERT(name->t == J_NULL, "JSON VM %u: name not null",
			    w->id);
	TEST_ASSERT(jnum(o, "pid") == getpid(), "JSON VM %u: pid %lld",
		    w->id, jnum(o, "pid"));
	TEST_ASSERT(jnum(o, "queue_size") == w->queue_size &&
		    jnum(o, "queue_bytes") == w->queue_bytes &&
		    jnum(o, "queue_msgs") == w->queue_msgs,
		    "JSON VM %u: queue %lld/%lld/%lld, expected %u/%u/%u", w->id,
		    jnum(o, "queue_size"), jnum(o, "queue_bytes"),
		    jnum(o, "queue_msgs"), w->queue_size, w->queue_bytes,
		    w->queue_msgs);
	TEST_ASSERT(peers->t == J_ARR && peers->n == w->nr_peers,
		    "JSON VM %u: %d peers, expected %d", w->id, peers->n,
		    w->nr_peers);
	for (i = 0; i < w->nr_peers; i++)
		TEST_ASSERT(peers->items[i].t == J_NUM &&
			    peers->items[i].num == w->peers[i],
			    "JSON VM %u: peer %d", w->id, i);
	TEST_ASSERT(jnum(o, "max_msg") == vi.quota_max_msg &&
		    jnum(o, "max_queue") == vi.quota_max_queue, "JSON quotas");
	TEST_ASSERT(ctrs->t == J_OBJ && ctrs->n >= VMQ_CTR_NR,
		    "JSON VM %u: counters", w->id);
	for (i = 0; i < ctrs->n; i++) {
		c = ctr_index(ctrs->keys[i]);
		TEST_ASSERT(c >= 0, "JSON: unknown counter %s", ctrs->keys[i]);
		TEST_ASSERT(ctrs->items[i].num == (long long)vi.counters[c],
			    "JSON VM %u %s: %lld, ioctl %lu", w->id,
			    ctrs->keys[i], ctrs->items[i].num,
			    (unsigned long)vi.counters[c]);
	}
}

/* The dump line of VM @id, split into its 10 fields (in @fields). */
static bool dump_find(char *dump, u32 id, char **fields)
{
	char *save, *line;

	for (line = strtok_r(dump, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s2, *f;
		int n = 0;

		for (f = strtok_r(line, "\t", &s2); f; f = strtok_r(NULL, "\t", &s2)) {
			TEST_ASSERT(n < 10, "dump line with more than 10 fields");
			fields[n++] = f;
		}
		TEST_ASSERT(n == 10, "dump line with %d fields", n);
		if (strtoul(fields[0], NULL, 10) == id)
			return true;
	}
	return false;
}

static void check_dump(const char *dump, const struct want *w)
{
	struct vmq_vm_info vi = vmqt_info_of(w->id);
	char *copy = strdup(dump), *f[10], peers[64] = "";
	int i;

	TEST_ASSERT(dump_find(copy, w->id, f), "dump lacks VM %u:\n%s", w->id,
		    dump);
	TEST_ASSERT(!strcmp(f[1], w->name ? w->name : "-"),
		    "dump VM %u name \"%s\"", w->id, f[1]);
	TEST_ASSERT(atoi(f[2]) == getpid(), "dump VM %u pid %s", w->id, f[2]);
	TEST_ASSERT(strtoul(f[3], NULL, 10) == w->queue_size &&
		    strtoul(f[4], NULL, 10) == w->queue_bytes &&
		    strtoul(f[5], NULL, 10) == w->queue_msgs,
		    "dump VM %u queue %s/%s/%s, expected %u/%u/%u", w->id, f[3],
		    f[4], f[5], w->queue_size, w->queue_bytes, w->queue_msgs);
	for (i = 0; i < w->nr_peers; i++)
		snprintf(peers + strlen(peers), sizeof(peers) - strlen(peers),
			 "%s%u", i ? "," : "", w->peers[i]);
	TEST_ASSERT(!strcmp(f[6], w->nr_peers ? peers : "-"),
		    "dump VM %u peers \"%s\", expected \"%s\"", w->id, f[6],
		    w->nr_peers ? peers : "-");
	TEST_ASSERT(strtoul(f[7], NULL, 10) == vi.quota_max_msg &&
		    strtoul(f[8], NULL, 10) == vi.quota_max_queue,
		    "dump VM %u quotas %s %s", w->id, f[7], f[8]);
	check_counter_list(f[9], &vi);
	free(copy);
}

/* "key: value" of a show output, or NULL. */
static char *show_field(const char *show, const char *key)
{
	static char val[128];
	const char *p = show;
	size_t kl = strlen(key);

	while (p && *p) {
		const char *s = p;

		while (*s == ' ')
			s++;
		if (!strncmp(s, key, kl) && s[kl] == ':') {
			const char *v = s + kl + 1, *e = strchr(v, '\n');

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s",
				 (int)(e ? e - v : (long)strlen(v)), v);
			return val;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* "  NAME   VALUE" counter lines of show/stats, checked against the ioctl. */
static void check_counter_lines(const char *text, u32 id)
{
	struct vmq_vm_info vi = vmqt_info_of(id);
	const char *p = text;
	int seen = 0;

	while (p && *p) {
		char name[32];
		unsigned long long v;
		int c;

		c = -1;
		if (sscanf(p, " %31[a-z_] %llu", name, &v) == 2)
			c = ctr_index(name);
		if (c >= 0) {
			TEST_ASSERT(v == vi.counters[c],
				    "VM %u %s: vmqctl %llu, ioctl %lu", id, name,
				    v, (unsigned long)vi.counters[c]);
			seen++;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	TEST_ASSERT(seen == VMQ_CTR_NR, "VM %u: %d counter lines, expected %d",
		    id, seen, VMQ_CTR_NR);
}

/* ---- test cases ---------------------------------------------------------------- */

static void test_views(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("ctl-a", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("ctl-b", false, 8192, PAYLOAD_BYTES);
	struct vmqt_tvm c = vmqt_tvm_new(NULL, false, 0, PAYLOAD_BYTES);
	struct vmqt_tvm d = vmqt_tvm_new(NULL, true, 4096, PAYLOAD_BYTES);
	struct want wa, wb, wc, wd;
	char *out, *line, *save, exp[64];
	struct jv j, *o;
	int i, rows = 0;

	vmqt_allow(a.g.id, b.g.id);
	vmqt_allow(d.g.id, b.g.id);
	for (i = 0; i < 3; i++)
		SEND_EXPECT(&a, b.g.id, 100, i, 0);
	SEND_EXPECT(&a, c.g.id, 10, 9, -EACCES);
	SEND_EXPECT(&d, b.g.id, 50, 0, 0);
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_TX_MSGS) == 3 &&
		    vmqt_ctr(a.g.id, VMQ_CTR_ERR_DENIED) == 1 &&
		    vmqt_ctr(b.g.id, VMQ_CTR_RX_BYTES) == 350, "sends not counted");

	wa = (struct want){ a.g.id, "ctl-a", 4096, 0, 0, { b.g.id }, 1 };
	wb = (struct want){ b.g.id, "ctl-b", 8192,
			    3 * VMQ_MSG_RECORD_SIZE(100) + VMQ_MSG_RECORD_SIZE(50),
			    4, { 0 }, 0 };
	wc = (struct want){ c.g.id, NULL, 0, 0, 0, { 0 }, 0 };
	wd = (struct want){ d.g.id, NULL, 4096, 0, 0, { b.g.id }, 1 };

	/* dump: stable tab-separated lines, every field checked. */
	out = ctl_ok("dump", NULL);
	check_dump(out, &wa);
	check_dump(out, &wb);
	check_dump(out, &wc);
	check_dump(out, &wd);
	free(out);

	/* list: a header, then one row per VM; peers with their names. */
	snprintf(exp, sizeof(exp), "%u(ctl-b)", b.g.id);
	out = ctl_ok("list", NULL);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int id, qs, qb, qm;
		char name[64], peers[128];
		int pid;

		if (!rows++) {
			TEST_ASSERT(!strncmp(line, "ID", 2), "list header: %s", line);
			continue;
		}
		TEST_ASSERT(sscanf(line, "%u %63s %d %u %u %u %127s", &id, name,
				   &pid, &qs, &qb, &qm, peers) == 7,
			    "list row: %s", line);
		if (id == a.g.id) {
			TEST_ASSERT(!strcmp(name, "ctl-a") && pid == getpid() &&
				    qs == 4096 && qm == 0 && !strcmp(peers, exp),
				    "list row of ctl-a: %s", line);
		} else if (id == b.g.id) {
			TEST_ASSERT(!strcmp(name, "ctl-b") && qs == 8192 &&
				    qb == wb.queue_bytes && qm == 4 &&
				    !strcmp(peers, "-"), "list row of ctl-b: %s",
				    line);
		} else if (id == d.g.id) {
			TEST_ASSERT(!strcmp(name, "-") && qs == 4096 &&
				    !strcmp(peers, exp), "list row of VM %u: %s",
				    id, line);
		}
	}
	/* Other tests' VMs may still be going away: at least ours. */
	TEST_ASSERT(rows >= 5, "list printed %d lines, expected 5", rows);
	free(out);

	/* --numeric: peers as bare ids. */
	out = ctl_ok("--numeric", "list", NULL);
	snprintf(exp, sizeof(exp), "%u", b.g.id);
	line = strstr(out, "ctl-a");
	TEST_ASSERT(line, "numeric list lacks ctl-a");
	*strchrnul(line, '\n') = '\0';
	TEST_ASSERT(!strcmp(strrchr(line, ' ') + 1, exp),
		    "numeric list row: %s", line);
	free(out);

	/* show, by name and by id. */
	out = ctl_ok("show", "ctl-b", NULL);
	TEST_ASSERT(!strcmp(show_field(out, "vm"), u32s(b.g.id)), "show vm");
	TEST_ASSERT(!strcmp(show_field(out, "name"), "ctl-b"), "show name");
	TEST_ASSERT(atoi(show_field(out, "pid")) == getpid(), "show pid");
	TEST_ASSERT(!strcmp(show_field(out, "queue size"), "8192"), "show size");
	TEST_ASSERT(!strcmp(show_field(out, "queue msgs"), "4"), "show msgs");
	TEST_ASSERT(!strcmp(show_field(out, "queue bytes"), u32s(wb.queue_bytes)),
		    "show bytes");
	TEST_ASSERT(!strcmp(show_field(out, "peers"), "-"), "show peers");
	check_counter_lines(out, b.g.id);
	free(out);
	out = ctl_ok("show", u32s(a.g.id), NULL);
	TEST_ASSERT(!strcmp(show_field(out, "name"), "ctl-a"), "show by id");
	snprintf(exp, sizeof(exp), "%u(ctl-b)", b.g.id);
	TEST_ASSERT(!strcmp(show_field(out, "peers"), exp), "show peers of a");
	check_counter_lines(out, a.g.id);
	free(out);
	out = ctl_ok("show", u32s(c.g.id), NULL);
	TEST_ASSERT(!strcmp(show_field(out, "name"), "-") &&
		    !strcmp(show_field(out, "queue size"), "0"), "show unnamed");
	free(out);

	/* stats, for one VM and for all. */
	out = ctl_ok("stats", "ctl-a", NULL);
	snprintf(exp, sizeof(exp), "vm: %u (ctl-a)\n", a.g.id);
	TEST_ASSERT(!strncmp(out, exp, strlen(exp)), "stats header: %s", out);
	check_counter_lines(out, a.g.id);
	free(out);

	/* --json list, dump, show and stats. */
	out = ctl_ok("--json", "list", NULL);
	j = json_parse(out);
	TEST_ASSERT(j.t == J_ARR && j.n >= 4, "JSON list: %d VMs", j.n);
	check_json_vm(jfind_id(&j, a.g.id), &wa);
	check_json_vm(jfind_id(&j, b.g.id), &wb);
	check_json_vm(jfind_id(&j, c.g.id), &wc);
	check_json_vm(jfind_id(&j, d.g.id), &wd);
	free(out);
	out = ctl_ok("--json", "dump", NULL);
	j = json_parse(out);
	check_json_vm(jfind_id(&j, d.g.id), &wd);
	free(out);
	out = ctl_ok("--json", "show", "ctl-a", NULL);
	j = json_parse(out);
	check_json_vm(&j, &wa);
	free(out);
	out = ctl_ok("--json", "stats", NULL);
	j = json_parse(out);
	TEST_ASSERT(j.t == J_ARR && j.n >= 4, "JSON stats: %d VMs", j.n);
	o = jfind_id(&j, b.g.id);
	TEST_ASSERT(jget(o, "name")->t == J_STR &&
		    !strcmp(jget(o, "name")->str, "ctl-b"), "JSON stats name");
	TEST_ASSERT(jnum(jget(o, "counters"), "rx_msgs") == 4 &&
		    jnum(jget(o, "counters"), "rx_bytes") == 350,
		    "JSON stats counters of ctl-b");
	o = jfind_id(&j, a.g.id);
	TEST_ASSERT(jnum(jget(o, "counters"), "tx_msgs") == 3 &&
		    jnum(jget(o, "counters"), "tx_bytes") == 300 &&
		    jnum(jget(o, "counters"), "err_denied") == 1,
		    "JSON stats counters of ctl-a");
	free(out);

	vmqt_gvm_free(&a.g);
	vmqt_gvm_free(&b.g);
	vmqt_gvm_free(&c.g);
	vmqt_gvm_free(&d.g);
}

/* The oldest record of @r must be an identity of @id/@name from the host. */
static void test_changes(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("chg-a", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("chg-b", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm c = vmqt_tvm_new("chg-c", false, 0, PAYLOAD_BYTES);
	struct vmq_vm_info vi;
	char *out;
	int i;

	/* name: rename, refuse a taken name, unname, by id and by name. */
	free(ctl_ok("name", "chg-a", "chg-a2", NULL));
	TEST_ASSERT(!strcmp(vmqt_info_of(a.g.id).name, "chg-a2"), "renamed");
	CTL_FAILS(1, "another VM has this name", "name", u32s(b.g.id), "chg-a2");
	TEST_ASSERT(!strcmp(vmqt_info_of(b.g.id).name, "chg-b"), "b renamed");
	free(ctl_ok("name", u32s(a.g.id), "-", NULL));
	TEST_ASSERT(!vmqt_info_of(a.g.id).name[0], "not unnamed");
	free(ctl_ok("name", u32s(a.g.id), "chg-a", NULL));
	TEST_ASSERT(!strcmp(vmqt_info_of(a.g.id).name, "chg-a"), "renamed back");

	/* allow / revoke, checked with real sends. */
	SEND_EXPECT(&a, b.g.id, 40, 0, -EACCES);
	free(ctl_ok("allow", "chg-a", "chg-b", NULL));
	SEND_EXPECT(&a, b.g.id, 40, 1, 0);
	SEND_EXPECT(&b, a.g.id, 40, 0, -EACCES);	/* one direction only */
	vmqt_host_expect(&b.rx, a.g.id, 1, 40, 1);
	free(ctl_ok("revoke", u32s(a.g.id), "chg-b", NULL));
	SEND_EXPECT(&a, b.g.id, 40, 2, -EACCES);
	CTL_FAILS(1, "not allowed", "revoke", "chg-a", "chg-b");

	/* introduce: identities in both queues, both directions allowed. */
	free(ctl_ok("introduce", "chg-a", "chg-b", NULL));
	vmqt_host_expect_identity(&a.rx, b.g.id, "chg-b");
	vmqt_host_expect_identity(&b.rx, a.g.id, "chg-a");
	TEST_ASSERT(!vmqt_host_peek(&a.rx) && !vmqt_host_peek(&b.rx),
		    "more than one record per introduction");
	SEND_EXPECT(&a, b.g.id, 33, 3, 0);
	SEND_EXPECT(&b, a.g.id, 34, 4, 0);
	vmqt_host_expect(&b.rx, a.g.id, 3, 33, 3);
	vmqt_host_expect(&a.rx, b.g.id, 4, 34, 4);
	CTL_FAILS(1, "receive queue", "introduce", "chg-a", "chg-c");
	TEST_ASSERT(vmqt_info_of(a.g.id).queue_msgs == 0, "failed introduction delivered");

	/* quota: shown, enforced, refused above the module's limit. */
	free(ctl_ok("quota", "chg-a", "max-msg", "64", NULL));
	vi = vmqt_info_of(a.g.id);
	TEST_ASSERT(vi.quota_max_msg == 64, "max-msg quota %u", vi.quota_max_msg);
	SEND_EXPECT(&a, b.g.id, 65, 5, -EMSGSIZE);
	SEND_EXPECT(&a, b.g.id, 64, 6, 0);
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_ERR_QUOTA) == 1, "quota not counted");
	free(ctl_ok("quota", "chg-a", "max-queue", "8k", NULL));
	vi = vmqt_info_of(a.g.id);
	TEST_ASSERT(vi.quota_max_msg == 64 && vi.quota_max_queue == 8192,
		    "quotas %u %u", vi.quota_max_msg, vi.quota_max_queue);
	free(ctl_ok("quota", "chg-a", "max-grants", "7", NULL));
	TEST_ASSERT(vmqt_info_of(a.g.id).quota_max_grants == 7,
		    "max-grants quota %u", vmqt_info_of(a.g.id).quota_max_grants);
	out = ctl_ok("quota", "chg-a", NULL);
	TEST_ASSERT(!strcmp(out, "max-msg 64 max-queue 8192 max-pages 0 max-grants 7\n"),
		    "quota shows \"%s\"", out);
	free(out);
	out = ctl_ok("show", "chg-a", NULL);
	TEST_ASSERT(!strcmp(show_field(out, "max-msg"), "64") &&
		    !strcmp(show_field(out, "max-queue"), "8192") &&
		    !strcmp(show_field(out, "max-grants"), "7"),
		    "show quotas: %s", out);
	free(out);
	CTL_FAILS(1, "max_msg_size", "quota", "chg-a", "max-msg", "4000000000");
	TEST_ASSERT(vmqt_info_of(a.g.id).quota_max_msg == 64, "quota changed");
	CTL_FAILS(2, "max-msg", "quota", "chg-a", "max-msg");
	CTL_FAILS(2, "bogus", "quota", "chg-a", "bogus", "1");
	free(ctl_ok("quota", "chg-a", "max-msg", "0", "max-queue", "0", NULL));
	vi = vmqt_info_of(a.g.id);
	TEST_ASSERT(!vi.quota_max_msg && !vi.quota_max_queue, "quotas not reset");
	SEND_EXPECT(&a, b.g.id, 200, 7, 0);

	/* reset: one VM's counters, not the others'. */
	TEST_ASSERT(vmqt_ctr(a.g.id, VMQ_CTR_TX_MSGS) && vmqt_ctr(b.g.id, VMQ_CTR_RX_MSGS),
		    "no counts to reset");
	free(ctl_ok("reset", "chg-a", NULL));
	vi = vmqt_info_of(a.g.id);
	for (i = 0; i < VMQ_CTR_NR; i++)
		TEST_ASSERT(!vi.counters[i], "counter %d not reset: %lu", i,
			    (unsigned long)vi.counters[i]);
	TEST_ASSERT(vmqt_ctr(b.g.id, VMQ_CTR_RX_MSGS) == 4,
		    "reset of chg-a touched chg-b");
	out = ctl_ok("stats", "chg-a", NULL);
	check_counter_lines(out, a.g.id);
	free(out);

	vmqt_gvm_free(&a.g);
	vmqt_gvm_free(&b.g);
	vmqt_gvm_free(&c.g);
}

static void test_errors(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("err-a", false, 0, PAYLOAD_BYTES);
	char msg[64];

	/* Unknown VMs: exit 1, stderr names what was not found. */
	CTL_FAILS(1, "VM \"999999\" not found", "show", "999999");
	CTL_FAILS(1, "VM \"nosuch\" not found", "show", "nosuch");
	CTL_FAILS(1, "VM \"nosuch\" not found", "stats", "nosuch");
	CTL_FAILS(1, "VM \"nosuch\" not found", "reset", "nosuch");
	CTL_FAILS(1, "VM \"nosuch\" not found", "quota", "nosuch", "max-msg", "1");
	CTL_FAILS(1, "VM \"nosuch\" not found", "name", "nosuch", "x");
	CTL_FAILS(1, "peer \"nosuch\" not found", "allow", "err-a", "nosuch");
	snprintf(msg, sizeof(msg), "peer \"%u\" not found", 999999);
	CTL_FAILS(1, msg, "allow", u32s(a.g.id), "999999");
	CTL_FAILS(1, "VM \"nosuch\" not found", "introduce", "nosuch", "err-a");
	/* ... with the kernel's own explanation. */
	CTL_FAILS(1, "(vmq: peer not found)", "revoke", "err-a", "nosuch");

	/* Usage errors: exit 2. */
	CTL_FAILS(2, "unknown command", "frobnicate");
	CTL_FAILS(2, "usage", "allow", "err-a");
	CTL_FAILS(2, "usage", "show");
	CTL_FAILS(2, "count", "monitor", "--count", "x");
	CTL_FAILS(2, "too long", "name", "err-a",
		  "a-name-that-is-far-too-long-for-vmq");

	/* help goes to stdout and succeeds. */
	{
		struct ctl_out r = ctl("help", NULL);

		TEST_ASSERT(r.status == 0 && strstr(r.out, "Usage: vmqctl") &&
			    strstr(r.out, "monitor"), "vmqctl help: %d", r.status);
		ctl_free(&r);
	}
	vmqt_gvm_free(&a.g);
}

/* The value on @name's line of vmqctl status's text, or -1. */
static long long status_line(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoll(p + n, NULL, 10);
	return -1;
}

/*
 * vmqctl status: every module-wide statistic, as text and as JSON, and the
 * live counts move with what the test creates.
 */
static void test_status(void)
{
	struct vmqt_stats before = vmqt_stats(), now;
	struct vmqt_tvm a = vmqt_tvm_new("status-a", false, 4096, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("status-b", false, 4096, PAYLOAD_BYTES);
	char *text, *json;
	struct jv o;

	vmqt_allow(a.g.id, b.g.id);
	text = ctl_ok("status", NULL);
	json = ctl_ok("--json", "status", NULL);
	now = vmqt_stats();
	TEST_ASSERT(status_line(text, "live_vms") == (long long)now.live_vms &&
		    now.live_vms == before.live_vms + 2,
		    "status live_vms %lld, kernel %lu, before %lu",
		    status_line(text, "live_vms"), (unsigned long)now.live_vms,
		    (unsigned long)before.live_vms);
	TEST_ASSERT(status_line(text, "live_queues") == (long long)now.live_queues &&
		    status_line(text, "live_pairs") == (long long)now.live_pairs &&
		    now.live_pairs == before.live_pairs + 1 &&
		    status_line(text, "vms_created") == (long long)now.vms_created,
		    "status text:\n%s", text);
	TEST_ASSERT(status_line(text, "pages_in_flight") >= 0 &&
		    status_line(text, "bytes_copied") >= 0,
		    "status lacks a statistic:\n%s", text);
	o = json_parse(json);
	TEST_ASSERT(o.t == J_OBJ && jnum(&o, "live_vms") == (long long)now.live_vms &&
		    jnum(&o, "live_pairs") == (long long)now.live_pairs &&
		    jnum(&o, "window_pages") == (long long)now.window_pages,
		    "status --json: %s", json);
	CTL_FAILS(2, "usage", "status", "extra");
	free(text);
	free(json);
	vmqt_gvm_free(&a.g);
	vmqt_gvm_free(&b.g);
}

/*
 * vmqctl tables: the guest page tables behind a copy's cached translation
 * (four, one per level, where KVM shadows page tables; none under TDP).
 */
static void test_tables(void)
{
	struct vmqt_tvm a = vmqt_tvm_new("tab-a", false, 0, PAYLOAD_BYTES);
	struct vmqt_tvm b = vmqt_tvm_new("tab-b", false, 0, PAYLOAD_BYTES);
	unsigned int want = vmqt_tables_shadowed() ? 4 : 0, i, lines = 0;
	char *text, *json, *p;
	struct jv o;
	s64 g, r;

	vmqt_allow(a.g.id, b.g.id);
	g = vmqt_gvm_hc(&b.g, VMQ_HC_GRANT, b.buf.gva, PAYLOAD_BYTES, 0, a.g.id);
	TEST_ASSERT(g > 0, "grant: %ld", (long)g);
	r = vmqt_gvm_hc(&a.g, VMQ_HC_COPY, (u64)b.g.id << 32 | (u32)g, 0,
			a.buf.gva, 64);
	TEST_ASSERT(r == 64, "copy: %ld", (long)r);

	text = ctl_ok("tables", "tab-a", NULL);
	json = ctl_ok("--json", "tables", u32s(a.g.id), NULL);
	for (p = text; (p = strstr(p, "\n0x")); p++)
		lines++;
	TEST_ASSERT(lines == want, "vmqctl tables: %u tables, not %u:\n%s",
		    lines, want, text);
	o = json_parse(json);
	TEST_ASSERT(o.t == J_ARR && o.n == want, "tables --json: %s", json);
	for (i = 0; i < o.n; i++)
		TEST_ASSERT(jnum(&o.items[i], "level") >= 1 &&
			    jnum(&o.items[i], "level") <= 4 &&
			    jnum(&o.items[i], "users") == 1 &&
			    jnum(&o.items[i], "span") > 0,
			    "tables --json: %s", json);
	CTL_FAILS(1, "VM \"nosuch\" not found", "tables", "nosuch");
	CTL_FAILS(2, "usage", "tables");
	free(text);
	free(json);
	vmqt_gvm_free(&a.g);
	vmqt_gvm_free(&b.g);
}

/* ---- monitor ------------------------------------------------------------------ */

/* The "events" group's id, from the generic netlink controller. */
static int events_group(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int grp;

	TEST_ASSERT(s && !genl_connect(s), "generic netlink socket");
	grp = genl_ctrl_resolve_grp(s, VMQ_GENL_NAME, VMQ_GENL_MCGRP_EVENTS);
	nl_socket_free(s);
	TEST_ASSERT(grp > 0, "events group: %d", grp);
	return grp;
}

/* Some generic netlink socket is in group @grp (/proc/net/netlink). */
static bool group_has_member(int grp)
{
	FILE *f = fopen("/proc/net/netlink", "r");
	char line[256];
	bool found = false;

	TEST_ASSERT(f, "/proc/net/netlink");
	while (fgets(line, sizeof(line), f)) {
		unsigned long long sk;
		unsigned int eth, pid, groups;

		if (sscanf(line, "%llx %u %u %x", &sk, &eth, &pid, &groups) == 4 &&
		    eth == NETLINK_GENERIC && (groups & (1u << (grp - 1))))
			found = true;
	}
	fclose(f);
	return found;
}

struct monitor {
	pid_t pid;
	int fd;
};

static pid_t monitor_pid;

/* A failed case exits through TEST_ASSERT: take its monitor along. */
static void monitor_kill(void)
{
	if (monitor_pid > 0) {
		kill(monitor_pid, SIGKILL);
		waitpid(monitor_pid, NULL, 0);
		monitor_pid = 0;
	}
}

static bool no_vms(void *arg)
{
	(void)arg;
	return !vmqt_stats().live_vms;
}

/* Start "vmqctl ARGS..." in the background; return once it listens. */
static struct monitor monitor_start(char **argv)
{
	int grp = events_group();
	struct monitor m;
	int i;

	/* Earlier VMs going away now would add events to the scenario's. */
	TEST_ASSERT(vmqt_settle(no_vms, NULL), "VMs of earlier tests never went away");
	TEST_ASSERT(!group_has_member(grp), "someone already listens");
	m.pid = ctl_spawn(argv, &m.fd, NULL);
	monitor_pid = m.pid;
	atexit(monitor_kill);
	if (grp > 32) {
		/* Not visible in /proc/net/netlink: give it time. */
		sleep(2);
		return m;
	}
	/* Bounded by tries, not by a deadline. */
	for (i = 0; i < 3000 && !group_has_member(grp); i++)
		usleep(10000);
	TEST_ASSERT(group_has_member(grp), "vmqctl monitor never joined the group");
	return m;
}

/* Everything the monitor prints until it exits (after its --count). */
static char *monitor_finish(struct monitor *m)
{
	struct buf b = { 0 };
	bool open = true;
	int status;

	buf_init(&b);
	while (open) {
		struct pollfd p = { .fd = m->fd, .events = POLLIN };
		int r = poll(&p, 1, 120000);

		if (!r)
			TEST_FAIL("vmqctl monitor still waiting; it printed:\n%s",
				  b.p);
		buf_read(&b, m->fd, &open);
	}
	close(m->fd);
	status = wait_status(m->pid);
	monitor_pid = 0;
	TEST_ASSERT(status == 0, "vmqctl monitor exited %d; printed:\n%s",
		    status, b.p);
	return b.p;
}

static void test_monitor(void)
{
	char *argv[] = { "vmqctl", "monitor", "--count", "6", NULL };
	struct monitor m = monitor_start(argv);
	char expect[512], *out;
	struct vmqt_tvm x, y;
	u32 yid;

	/* The scenario: six events, in this order. */
	x = vmqt_tvm_new("mon-x", false, 0, PAYLOAD_BYTES);	/* attached x */
	y = vmqt_tvm_new(NULL, true, 4096, PAYLOAD_BYTES);	/* attached y (adopted) */
	yid = y.g.id;
	SEND_EXPECT(&x, yid, 16, 0, -EACCES);		/* denied x y */
	vmqt_allow(x.g.id, yid);
	free(ctl_ok("quota", "mon-x", "max-msg", "32", NULL));
	SEND_EXPECT(&x, yid, 100, 1, -EMSGSIZE);	/* quota x y */
	TEST_ASSERT(!vmqt_gvm_hc(&y.g, VMQ_HC_QUEUE_UNREGISTER, 0, 0, 0, 0),
		    "unregister");
	SEND_EXPECT(&x, yid, 8, 2, -ENOTCONN);		/* drop x y */
	vmqt_gvm_free(&y.g);				/* gone y */

	out = monitor_finish(&m);
	snprintf(expect, sizeof(expect),
		 "attached vm %u\n"
		 "attached vm %u\n"
		 "denied vm %u peer %u error EACCES\n"
		 "quota vm %u peer %u error EMSGSIZE\n"
		 "drop vm %u peer %u error ENOTCONN\n"
		 "gone vm %u\n",
		 x.g.id, yid, x.g.id, yid, x.g.id, yid, x.g.id, yid, yid);
	TEST_ASSERT(!strcmp(out, expect), "monitor printed:\n%s\nexpected:\n%s",
		    out, expect);
	free(out);
	vmqt_gvm_free(&x.g);
}

static void test_monitor_json(void)
{
	char *argv[] = { "vmqctl", "monitor", "--json", "--count", "3", NULL };
	struct monitor m = monitor_start(argv);
	char *out, *line, *save;
	struct jv ev[3];
	struct vmqt_tvm z;
	u32 zid;
	int n = 0;

	z = vmqt_tvm_new("mon-z", false, 4096, PAYLOAD_BYTES);
	zid = z.g.id;
	SEND_EXPECT(&z, zid, 8, 0, -EACCES);	/* not even to itself */
	vmqt_gvm_free(&z.g);

	out = monitor_finish(&m);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		TEST_ASSERT(n < 3, "more than 3 lines: %s", line);
		ev[n++] = json_parse(line);
	}
	TEST_ASSERT(n == 3, "%d events", n);
	TEST_ASSERT(!strcmp(jget(&ev[0], "event")->str, "attached") &&
		    jnum(&ev[0], "vm") == zid, "event 0");
	TEST_ASSERT(!strcmp(jget(&ev[1], "event")->str, "denied") &&
		    jnum(&ev[1], "vm") == zid && jnum(&ev[1], "peer") == zid &&
		    jnum(&ev[1], "error") == -EACCES &&
		    !strcmp(jget(&ev[1], "error_name")->str, "EACCES"), "event 1");
	TEST_ASSERT(!strcmp(jget(&ev[2], "event")->str, "gone") &&
		    jnum(&ev[2], "vm") == zid, "event 2");
	free(out);
}

int main(void)
{
	vmqctl_path = getenv("VMQCTL");
	if (!vmqctl_path)
		vmqctl_path = "/usr/bin/vmqctl";

	ksft_print_header();
	if (access(vmqctl_path, X_OK))
		ksft_exit_skip("%s not found (set VMQCTL)\n", vmqctl_path);
	vmqt_dev();
	ksft_set_plan(7);

	vmqt_run_case("vmqctl list, dump, show, stats, --json", test_views);
	vmqt_run_case("vmqctl name, allow, revoke, introduce, quota, reset",
		      test_changes);
	vmqt_run_case("vmqctl errors: exit status and messages", test_errors);
	vmqt_run_case("vmqctl status: module-wide statistics", test_status);
	vmqt_run_case("vmqctl tables: tracked guest page tables", test_tables);
	vmqt_run_case("vmqctl monitor", test_monitor);
	vmqt_run_case("vmqctl monitor --json", test_monitor_json);

	ksft_finished();
}
