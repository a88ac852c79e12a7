// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c: vmq's tracepoints through tracefs (vmqt_trace.h).
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "vmqt.h"
#include "vmqt_trace.h"

#define TRACEFS		"/sys/kernel/tracing"

static void tracefs_write(const char *file, const char *what)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, what, strlen(what)) == (ssize_t)strlen(what),
		    "write %s to %s", what, path);
	close(fd);
}

bool vmqt_trace_start(unsigned int kb)
{
	struct stat st;
	char size[32];

	if (stat(TRACEFS "/events", &st) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return false;
	/* vmq is loaded: its events must be there. */
	TEST_ASSERT(!stat(TRACEFS "/events/vmq", &st),
		    "no events/vmq in tracefs");
	tracefs_write("tracing_on", "0");
	if (kb) {
		snprintf(size, sizeof(size), "%u", kb);
		tracefs_write("buffer_size_kb", size);
	}
	tracefs_write("trace", "");
	tracefs_write("events/vmq/enable", "1");
	tracefs_write("tracing_on", "1");
	return true;
}

void vmqt_trace_stop(void)
{
	tracefs_write("tracing_on", "0");
	tracefs_write("events/vmq/enable", "0");
}

char *vmqt_trace_read(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(TRACEFS "/trace", O_RDONLY);
	TEST_ASSERT(fd >= 0 && buf, "open the trace");
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			TEST_ASSERT(buf, "realloc");
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

long vmqt_trace_count(const char *trace, const char *event, const char *with)
{
	const char *hit = trace, *end;
	char want[64];
	long n = 0;

	snprintf(want, sizeof(want), " %s: ", event);
	/* From hit to hit, never rescanning: traces run to megabytes. */
	while ((hit = strstr(hit, want))) {
		end = strchrnul(hit, '\n');
		if (with) {
			const char *w = memmem(hit, end - hit, with, strlen(with));

			n += !!w;
		} else {
			n++;
		}
		hit = end;
	}
	return n;
}

long vmqt_trace_lost(const char *trace)
{
	const char *h = strstr(trace, "entries-in-buffer/entries-written: ");
	long in, written;

	if (!h || sscanf(h, "entries-in-buffer/entries-written: %ld/%ld",
			 &in, &written) != 2)
		return -1;
	return written - in;
}
