/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqt_trace.h: vmq's tracepoints (events/vmq/) read back through tracefs,
 * as perf and trace-cmd would: trace_test checks them, vmq_bench counts
 * them.
 */
#ifndef SELFTEST_VMQT_TRACE_H
#define SELFTEST_VMQT_TRACE_H

#include <stdbool.h>

/*
 * An empty trace buffer of @kb KiB per CPU (0: as it is) recording vmq's
 * events, tracefs mounted if it was not. false without tracefs; asserts
 * that vmq's events are there.
 */
bool vmqt_trace_start(unsigned int kb);

/* Stop recording and disable vmq's events. */
void vmqt_trace_stop(void);

/* The trace buffer so far, NUL-terminated; free() it. */
char *vmqt_trace_read(void);

/* Lines of @trace from @event ("vmq_send") that contain @with (or NULL). */
long vmqt_trace_count(const char *trace, const char *event, const char *with);

/* Events the buffer had no room for (its header's entries-written less
 * entries-in-buffer); -1 when the header is not there. */
long vmqt_trace_lost(const char *trace);

#endif /* SELFTEST_VMQT_TRACE_H */
