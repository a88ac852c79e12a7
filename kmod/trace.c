// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c: where vmq's tracepoints (trace.h) are instantiated. Layer:
 * leaves (see vmq.h), below everything that fires them.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
