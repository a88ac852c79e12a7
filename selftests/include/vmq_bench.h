/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_bench.h: what the benchmark program's two sources share:
 * vmq_bench.c (vmq's benchmarks, the driver), bench_baseline.c (the
 * same workloads without vmq, and vmq's figures over theirs) and
 * bench_linux_guest.c (two Linux guests, through vmq and virtio-net).
 */
#ifndef SELFTEST_VMQ_BENCH_H
#define SELFTEST_VMQ_BENCH_H

/* Every run size is multiplied by this (VMQ_BENCH_SCALE). */
extern unsigned long scale;

/* The headline round_trip's round_trip_us, once bench_round_trip() ran. */
extern double round_trip_us;

/* One JSON line: {"bench": @bench, "metric": @metric, ...}. */
void report(const char *bench, const char *metric, double value,
	    const char *unit);
double now_s(void);

void bench_round_trip(void);
void bench_baseline(void);
void bench_linux_guests(void);	/* bench_linux_guest.c */

#endif /* SELFTEST_VMQ_BENCH_H */
