// SPDX-License-Identifier: GPL-2.0
/*
 * vmqctl: inspect and configure vmq, the VM queues of KVM, through its
 * generic netlink family. See vmqctl(8).
 *
 *	vmqctl [--json] [--numeric] COMMAND [ARGS]
 *
 * Exit status: 0 on success, 1 when a request failed, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvmq.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

static bool opt_json;
static bool opt_numeric;
static struct libvmq_ctx *ctx;

static const char usage_text[] =
	"Usage: vmqctl [--json] [--numeric] COMMAND [ARGS]\n"
	"\n"
	"VM arguments are a VM id (decimal) or a VM name.\n"
	"\n"
	"Commands:\n"
	"  list                          one line per VM\n"
	"  show VM                       everything about one VM\n"
	"  dump                          tab-separated lines for scripts, one per VM\n"
	"  stats [VM]                    counters of every VM, or of one\n"
	"  name VM NAME                  name a VM (\"\" or - removes the name)\n"
	"  allow A B                     allow sends from A to B\n"
	"  revoke A B                    revoke sends from A to B\n"
	"  introduce A B                 allow both ways and convey each identity\n"
	"                                into the other's receive queue\n"
	"  quota VM [max-msg N] [max-queue N] [max-pages N] [max-grants N]\n"
	"                                set quotas (0: no quota); none: show them\n"
	"  reset [VM]                    zero the counters of a VM (of all without VM)\n"
	"  tables VM                     the guest page tables vmq write-tracks for\n"
	"                                the VM's translation caches\n"
	"  status                        module-wide statistics: live objects, totals\n"
	"  monitor [--count N]           print events, one per line\n"
	"  help                          this text\n"
	"\n"
	"Options:\n"
	"  -j, --json       JSON output (list, show, dump, stats, quota, tables,\n"
	"                   status, monitor)\n"
	"  -n, --numeric    peers as VM ids, errors as numbers, no name lookups\n"
	"  -h, --help       this text\n"
	"\n"
	"See vmqctl(8).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmqctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmqctl help'.\n", stderr);
	exit(EXIT_USAGE);
}

/*
 * Explain a failed request: "vmqctl: WHAT: strerror (extack)". A VM or peer
 * the kernel could not find is named after the argument the user gave.
 */
static int fail(int err, const char *vm_arg, const char *peer_arg,
		const char *fmt, ...)
{
	const char *ext = ctx ? libvmq_last_error_msg(ctx) : "";
	int attr = ctx ? libvmq_last_error_attr(ctx) : -1;
	const char *who = NULL, *arg = NULL;
	va_list ap;

	if (err == -ESRCH) {
		if ((attr == VMQ_A_VM_ID || attr == VMQ_A_VM_NAME) && vm_arg) {
			who = "VM";
			arg = vm_arg;
		} else if ((attr == VMQ_A_PEER_ID || attr == VMQ_A_PEER_NAME) &&
			   peer_arg) {
			who = "peer";
			arg = peer_arg;
		}
	}
	if (who) {
		fprintf(stderr, "vmqctl: %s \"%s\" not found", who, arg);
	} else {
		fputs("vmqctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, ": %s", strerror(-err));
	}
	if (ext && ext[0])
		fprintf(stderr, " (%s)", ext);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* ---- output helpers -------------------------------------------------------- */

static void json_string(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

static const char *ctr_name(unsigned int i, char *buf, size_t len)
{
	const char *n = libvmq_counter_name(i);

	if (n)
		return n;
	snprintf(buf, len, "ctr%u", i);
	return buf;
}

static unsigned int nr_counters(const struct libvmq_vm *vm)
{
	return vm->nr_counters ? vm->nr_counters : VMQ_CTR_NR;
}

static void json_counters(const struct libvmq_vm *vm)
{
	unsigned int i;
	char buf[16];

	putchar('{');
	for (i = 0; i < nr_counters(vm); i++) {
		if (i)
			putchar(',');
		json_string(ctr_name(i, buf, sizeof(buf)));
		printf(":%" PRIu64, vm->counters[i]);
	}
	putchar('}');
}

static void json_vm(const struct libvmq_vm *vm)
{
	size_t i;

	printf("{\"id\":%u,\"name\":", vm->id);
	if (vm->name[0])
		json_string(vm->name);
	else
		fputs("null", stdout);
	printf(",\"pid\":%d,\"queue_size\":%u,\"queue_bytes\":%u,"
	       "\"queue_msgs\":%u,\"peers\":[",
	       vm->pid, vm->queue_size, vm->queue_bytes, vm->queue_msgs);
	for (i = 0; i < vm->nr_peers; i++)
		printf("%s%u", i ? "," : "", vm->peers[i]);
	printf("],\"max_msg\":%u,\"max_queue\":%u,\"max_pages\":%u,"
	       "\"max_grants\":%u,\"counters\":", vm->quota_max_msg,
	       vm->quota_max_queue, vm->quota_max_pages, vm->quota_max_grants);
	json_counters(vm);
	putchar('}');
}

/* A peer as "id(name)" unless --numeric or unnamed. */
static void print_peer(uint32_t id, const struct libvmq_vm *all, size_t nr)
{
	const struct libvmq_vm *p = opt_numeric ? NULL :
				      libvmq_vm_list_find(all, nr, id);

	if (p && p->name[0])
		printf("%u(%s)", id, p->name);
	else
		printf("%u", id);
}

static void print_peers(const struct libvmq_vm *vm,
			const struct libvmq_vm *all, size_t nr)
{
	size_t i;

	if (!vm->nr_peers) {
		putchar('-');
		return;
	}
	for (i = 0; i < vm->nr_peers; i++) {
		if (i)
			putchar(',');
		print_peer(vm->peers[i], all, nr);
	}
}

/* ---- commands -------------------------------------------------------------- */

static int list_all(struct libvmq_vm **vms, size_t *nr)
{
	int ret = libvmq_list_vms(ctx, vms, nr);

	if (ret)
		return fail(ret, NULL, NULL, "listing VMs");
	return 0;
}

/* One VM by argument (an id or a name). */
static int get_one(const char *arg, struct libvmq_vm *vm)
{
	struct libvmq_ref ref;
	int ret;

	libvmq_ref_parse(arg, &ref);
	ret = libvmq_get_vm(ctx, &ref, vm);
	if (ret)
		return fail(ret, arg, NULL, "show %s", arg);
	return 0;
}

static int cmd_list(const char *cmd, int argc, char **argv)
{
	bool dump = !strcmp(cmd, "dump");
	struct libvmq_vm *vms;
	unsigned int c;
	size_t nr, i;
	char buf[16];
	int ret;

	(void)argv;
	if (argc)
		usage_error("%s takes no arguments", dump ? "dump" : "list");
	ret = list_all(&vms, &nr);
	if (ret)
		return ret;
	if (opt_json) {
		putchar('[');
		for (i = 0; i < nr; i++) {
			if (i)
				putchar(',');
			json_vm(&vms[i]);
		}
		puts("]");
	} else if (dump) {
		/* Stable: peers by id, every counter, no header. */
		for (i = 0; i < nr; i++) {
			const struct libvmq_vm *v = &vms[i];
			size_t p;

			printf("%u\t%s\t%d\t%u\t%u\t%u\t", v->id,
			       v->name[0] ? v->name : "-", v->pid, v->queue_size,
			       v->queue_bytes, v->queue_msgs);
			if (!v->nr_peers)
				putchar('-');
			for (p = 0; p < v->nr_peers; p++)
				printf("%s%u", p ? "," : "", v->peers[p]);
			printf("\t%u\t%u\t", v->quota_max_msg, v->quota_max_queue);
			for (c = 0; c < nr_counters(v); c++)
				printf("%s%s=%" PRIu64, c ? "," : "",
				       ctr_name(c, buf, sizeof(buf)),
				       v->counters[c]);
			putchar('\n');
		}
	} else {
		/* Columns as wide as the longest name, for the eye. */
		int w = 12;

		for (i = 0; i < nr; i++)
			if ((int)strlen(vms[i].name) > w)
				w = strlen(vms[i].name);
		printf("%-6s %-*s %-8s %10s %10s %8s  %s\n", "ID", w, "NAME",
		       "PID", "QUEUE", "BYTES", "MSGS", "PEERS");
		for (i = 0; i < nr; i++) {
			const struct libvmq_vm *v = &vms[i];

			printf("%-6u %-*s %-8d %10u %10u %8u  ", v->id, w,
			       v->name[0] ? v->name : "-", v->pid, v->queue_size,
			       v->queue_bytes, v->queue_msgs);
			print_peers(v, vms, nr);
			putchar('\n');
		}
	}
	libvmq_vm_list_free(vms, nr);
	return 0;
}

static void print_counters(const struct libvmq_vm *vm, const char *indent)
{
	unsigned int c;
	char buf[16];

	for (c = 0; c < nr_counters(vm); c++)
		printf("%s%-12s %" PRIu64 "\n", indent,
		       ctr_name(c, buf, sizeof(buf)), vm->counters[c]);
}

static int cmd_show(const char *cmd, int argc, char **argv)
{
	struct libvmq_vm vm, *vms = NULL;
	size_t nr = 0;
	int ret;

	(void)cmd;
	if (argc != 1)
		usage_error("usage: show VM");
	ret = get_one(argv[0], &vm);
	if (ret)
		return ret;
	if (opt_json) {
		json_vm(&vm);
		putchar('\n');
		libvmq_vm_release(&vm);
		return 0;
	}
	/* Peer names are a nicety: a failed listing only loses them. */
	if (!opt_numeric && vm.nr_peers && libvmq_list_vms(ctx, &vms, &nr))
		nr = 0;
	printf("vm: %u\n", vm.id);
	printf("  name: %s\n", vm.name[0] ? vm.name : "-");
	printf("  pid: %d\n", vm.pid);
	printf("  queue size: %u\n", vm.queue_size);
	printf("  queue bytes: %u\n", vm.queue_bytes);
	printf("  queue msgs: %u\n", vm.queue_msgs);
	printf("  peers: ");
	print_peers(&vm, vms, nr);
	putchar('\n');
	printf("  max-msg: %u%s\n", vm.quota_max_msg,
	       vm.quota_max_msg ? "" : " (module limit)");
	printf("  max-queue: %u%s\n", vm.quota_max_queue,
	       vm.quota_max_queue ? "" : " (no limit)");
	printf("  max-pages: %u%s\n", vm.quota_max_pages,
	       vm.quota_max_pages ? "" : " (no limit)");
	printf("  max-grants: %u%s\n", vm.quota_max_grants,
	       vm.quota_max_grants ? "" : " (module limit)");
	printf("  counters:\n");
	print_counters(&vm, "    ");
	libvmq_vm_list_free(vms, nr);
	libvmq_vm_release(&vm);
	return 0;
}

static int cmd_tables(const char *cmd, int argc, char **argv)
{
	struct libvmq_table *t;
	struct libvmq_ref ref;
	size_t nr, i;
	int ret;

	(void)cmd;
	if (argc != 1)
		usage_error("usage: tables VM");
	libvmq_ref_parse(argv[0], &ref);
	ret = libvmq_list_tables(ctx, &ref, &t, &nr);
	/* A dump's error carries no attribute to point at: say it here. */
	if (ret == -ESRCH) {
		fprintf(stderr, "vmqctl: VM \"%s\" not found\n", argv[0]);
		return EXIT_FAIL;
	}
	if (ret)
		return fail(ret, argv[0], NULL, "tables");
	if (opt_json)
		putchar('[');
	else if (nr)
		printf("%-18s %5s %-37s %5s %6s\n", "table (gpa)", "level",
		       "maps (virtual)", "users", "writes");
	for (i = 0; i < nr; i++) {
		if (opt_json) {
			printf("%s{\"gpa\":%llu,\"level\":%u,\"va\":%llu,"
			       "\"span\":%llu,\"aliased\":%s,\"users\":%u,"
			       "\"writes\":%u}", i ? "," : "",
			       (unsigned long long)t[i].gpa, t[i].level,
			       (unsigned long long)t[i].va,
			       (unsigned long long)t[i].span,
			       t[i].aliased ? "true" : "false", t[i].users,
			       t[i].writes);
			continue;
		}
		printf("0x%016llx %5u 0x%016llx-0x%016llx%s %5u %6u\n",
		       (unsigned long long)t[i].gpa, t[i].level,
		       (unsigned long long)t[i].va,
		       (unsigned long long)(t[i].va + t[i].span - 1),
		       t[i].aliased ? "+" : " ", t[i].users, t[i].writes);
	}
	if (opt_json)
		puts("]");
	free(t);
	return 0;
}

static int cmd_stats(const char *cmd, int argc, char **argv)
{
	struct libvmq_vm *vms, one;
	size_t nr, i;
	int ret;

	(void)cmd;
	if (argc > 1)
		usage_error("usage: stats [VM]");
	if (argc == 1) {
		ret = get_one(argv[0], &one);
		if (ret)
			return ret;
		vms = malloc(sizeof(*vms));
		if (!vms) {
			libvmq_vm_release(&one);
			return fail(-ENOMEM, NULL, NULL, "stats");
		}
		vms[0] = one;
		nr = 1;
	} else {
		ret = list_all(&vms, &nr);
		if (ret)
			return ret;
	}
	if (opt_json) {
		putchar('[');
		for (i = 0; i < nr; i++) {
			printf("%s{\"id\":%u,\"name\":", i ? "," : "", vms[i].id);
			if (vms[i].name[0])
				json_string(vms[i].name);
			else
				fputs("null", stdout);
			fputs(",\"counters\":", stdout);
			json_counters(&vms[i]);
			putchar('}');
		}
		puts("]");
	} else {
		for (i = 0; i < nr; i++) {
			printf("vm: %u", vms[i].id);
			if (vms[i].name[0])
				printf(" (%s)", vms[i].name);
			putchar('\n');
			print_counters(&vms[i], "  ");
		}
	}
	libvmq_vm_list_free(vms, nr);
	return 0;
}

static int cmd_name(const char *cmd, int argc, char **argv)
{
	struct libvmq_vm vm;
	const char *name;
	int ret;

	(void)cmd;
	if (argc != 2)
		usage_error("usage: name VM NAME");
	name = argv[1];
	if (!strcmp(name, "-"))
		name = "";
	if (strlen(name) >= VMQ_NAME_MAX)
		usage_error("name \"%s\" is too long (at most %d bytes)", name,
			    VMQ_NAME_MAX - 1);
	/* Renaming needs the id: resolve a name first. */
	ret = get_one(argv[0], &vm);
	if (ret)
		return ret;
	libvmq_vm_release(&vm);
	ret = libvmq_set_name(ctx, vm.id, name);
	if (ret)
		return fail(ret, argv[0], NULL, "name %s %s", argv[0], argv[1]);
	return 0;
}

static int cmd_pair(const char *cmd, int argc, char **argv)
{
	struct libvmq_ref a, b;
	int ret;

	if (argc != 2)
		usage_error("usage: %s A B", cmd);
	libvmq_ref_parse(argv[0], &a);
	libvmq_ref_parse(argv[1], &b);
	if (!strcmp(cmd, "allow"))
		ret = libvmq_allow(ctx, &a, &b);
	else if (!strcmp(cmd, "revoke"))
		ret = libvmq_revoke(ctx, &a, &b);
	else
		ret = libvmq_introduce(ctx, &a, &b);
	if (ret)
		return fail(ret, argv[0], argv[1], "%s %s %s", cmd, argv[0],
			    argv[1]);
	return 0;
}

/* "4096", "64k", "16M": bytes. */
static bool parse_size(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K') {
		v <<= 10;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v <<= 20;
		end++;
	}
	if (*end || v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}

static int cmd_quota(const char *cmd, int argc, char **argv)
{
	struct libvmq_quota_set q = { 0 };
	struct libvmq_vm vm;
	struct libvmq_ref ref;
	int i, ret;

	(void)cmd;
	if (argc < 1)
		usage_error("usage: quota VM [max-msg N] [max-queue N] [max-pages N] [max-grants N]");
	for (i = 1; i < argc; i += 2) {
		uint32_t *val;

		if (!strcmp(argv[i], "max-msg")) {
			q.set_max_msg = true;
			val = &q.max_msg;
		} else if (!strcmp(argv[i], "max-queue")) {
			q.set_max_queue = true;
			val = &q.max_queue;
		} else if (!strcmp(argv[i], "max-pages")) {
			q.set_max_pages = true;
			val = &q.max_pages;
		} else if (!strcmp(argv[i], "max-grants")) {
			q.set_max_grants = true;
			val = &q.max_grants;
		} else {
			usage_error("quota: unknown setting \"%s\" (%s)", argv[i],
				    "max-msg, max-queue, max-pages or max-grants");
		}
		if (i + 1 >= argc)
			usage_error("quota: %s needs a value", argv[i]);
		if (!parse_size(argv[i + 1], val))
			usage_error("quota: bad size \"%s\"", argv[i + 1]);
	}
	if (argc == 1) {
		ret = get_one(argv[0], &vm);
		if (ret)
			return ret;
		if (opt_json)
			printf("{\"id\":%u,\"max_msg\":%u,\"max_queue\":%u,\"max_pages\":%u,\"max_grants\":%u}\n",
			       vm.id, vm.quota_max_msg, vm.quota_max_queue,
			       vm.quota_max_pages, vm.quota_max_grants);
		else
			printf("max-msg %u max-queue %u max-pages %u max-grants %u\n",
			       vm.quota_max_msg, vm.quota_max_queue,
			       vm.quota_max_pages, vm.quota_max_grants);
		libvmq_vm_release(&vm);
		return 0;
	}
	libvmq_ref_parse(argv[0], &ref);
	ret = libvmq_set_quotas(ctx, &ref, &q);
	if (ret)
		return fail(ret, argv[0], NULL, "quota %s", argv[0]);
	return 0;
}

static int cmd_reset(const char *cmd, int argc, char **argv)
{
	struct libvmq_ref ref;
	int ret;

	(void)cmd;
	if (argc > 1)
		usage_error("usage: reset [VM]");
	if (!argc) {
		ret = libvmq_reset_counters(ctx, NULL);
		if (ret)
			return fail(ret, NULL, NULL, "reset");
		return 0;
	}
	libvmq_ref_parse(argv[0], &ref);
	ret = libvmq_reset_counters(ctx, &ref);
	if (ret)
		return fail(ret, argv[0], NULL, "reset %s", argv[0]);
	return 0;
}

static int cmd_status(const char *cmd, int argc, char **argv)
{
	uint64_t st[VMQ_STAT_NR];
	unsigned int i;
	int ret;

	(void)cmd;
	(void)argv;
	if (argc)
		usage_error("usage: status");
	ret = libvmq_get_stats(ctx, st);
	if (ret)
		return fail(ret, NULL, NULL, "status");
	if (opt_json)
		putchar('{');
	for (i = 0; i < VMQ_STAT_NR; i++) {
		if (opt_json)
			printf("%s\"%s\":%llu", i ? "," : "",
			       libvmq_stat_name(i), (unsigned long long)st[i]);
		else
			printf("%-16s %llu\n", libvmq_stat_name(i),
			       (unsigned long long)st[i]);
	}
	if (opt_json)
		puts("}");
	return 0;
}

struct monitor {
	unsigned long count;	/* 0: forever */
	unsigned long seen;
};

static int print_event(const struct libvmq_event *ev, void *arg)
{
	struct monitor *m = arg;
	const char *name = libvmq_event_name(ev->event);
	const char *err = libvmq_errno_name(ev->error);

	if (opt_json) {
		fputs("{\"event\":", stdout);
		if (name)
			json_string(name);
		else
			printf("%u", ev->event);
		printf(",\"vm\":%u", ev->vm);
		if (ev->peer)
			printf(",\"peer\":%u", ev->peer);
		if (ev->error) {
			printf(",\"error\":%d", ev->error);
			if (err)
				printf(",\"error_name\":\"%s\"", err);
		}
		puts("}");
	} else {
		if (name)
			fputs(name, stdout);
		else
			printf("event%u", ev->event);
		printf(" vm %u", ev->vm);
		if (ev->peer)
			printf(" peer %u", ev->peer);
		if (ev->error) {
			if (err && !opt_numeric)
				printf(" error %s", err);
			else
				printf(" error %d", ev->error);
		}
		putchar('\n');
	}
	fflush(stdout);
	m->seen++;
	return m->count && m->seen >= m->count;
}

static int cmd_monitor(const char *cmd, int argc, char **argv)
{
	struct monitor m = { 0 };
	int i, ret;

	(void)cmd;
	for (i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--count") || !strcmp(argv[i], "count") ||
		    !strcmp(argv[i], "-c")) {
			if (i + 1 >= argc)
				usage_error("monitor: %s needs a number", argv[i]);
			errno = 0;
			m.count = strtoul(argv[++i], &end, 10);
			if (errno || *end || !argv[i][0] || argv[i][0] == '-')
				usage_error("monitor: bad count \"%s\"", argv[i]);
		} else {
			usage_error("usage: monitor [--count N]");
		}
	}
	ret = libvmq_events_subscribe(ctx);
	if (ret)
		return fail(ret, NULL, NULL, "joining the \"%s\" group",
			    VMQ_GENL_MCGRP_EVENTS);
	for (;;) {
		ret = libvmq_events_wait(ctx, -1, print_event, &m);
		if (ret > 0 && m.count && m.seen >= m.count)
			return 0;
		if (ret == -ENOBUFS) {
			fputs("vmqctl: monitor: events were lost (socket overflow)\n",
			      stderr);
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return fail(ret, NULL, NULL, "monitor");
	}
}

/* ---- main ------------------------------------------------------------------- */

/* Global options may also follow the command (vmqctl monitor --json). */
static int strip_global_opts(int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			opt_json = true;
		else if (!strcmp(argv[i], "--numeric") || !strcmp(argv[i], "-n"))
			opt_numeric = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

/* Every command: its name, and what runs it (with the name it was given). */
static const struct subcommand {
	const char *name;
	int (*run)(const char *cmd, int argc, char **argv);
} subcommands[] = {
	{ "list", cmd_list },
	{ "dump", cmd_list },
	{ "show", cmd_show },
	{ "stats", cmd_stats },
	{ "name", cmd_name },
	{ "allow", cmd_pair },
	{ "revoke", cmd_pair },
	{ "introduce", cmd_pair },
	{ "quota", cmd_quota },
	{ "reset", cmd_reset },
	{ "tables", cmd_tables },
	{ "status", cmd_status },
	{ "monitor", cmd_monitor },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct subcommand *sub = NULL;
	const char *cmd;
	size_t k;
	int c, ret;

	/* "+": stop at the command; its own arguments are its business. */
	while ((c = getopt_long(argc, argv, "+jnh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'n':
			opt_numeric = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("Try 'vmqctl help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	argc = strip_global_opts(argc, argv);

	for (k = 0; k < sizeof(subcommands) / sizeof(subcommands[0]); k++)
		if (!strcmp(cmd, subcommands[k].name))
			sub = &subcommands[k];
	if (!sub)
		usage_error("unknown command \"%s\"", cmd);

	ret = libvmq_open(&ctx);
	if (ret == -ENOENT) {
		fprintf(stderr, "vmqctl: vmq is not loaded (no generic netlink family \"%s\")\n",
			VMQ_GENL_NAME);
		return EXIT_FAIL;
	}
	if (ret) {
		ctx = NULL;
		return fail(ret, NULL, NULL, "connecting to generic netlink");
	}

	ret = sub->run(cmd, argc, argv);

	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vmqctl: writing output: %s\n", strerror(errno));
		ret = EXIT_FAIL;
	}
	libvmq_close(ctx);
	return ret;
}
