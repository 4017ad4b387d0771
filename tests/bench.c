/*
 * connsim benchmarks (`make bench`), in the spirit of libuv's
 * benchmark-million-timers: wall-clock rates of the engine's hot paths, with
 * the target each must meet printed next to the measurement.
 *
 *	build/tests/bench               run every section
 *	build/tests/bench lane heap     run the named sections
 *	build/tests/bench --list        list the sections
 *	build/tests/bench -n 2000000    events per section (default 10M)
 *
 * A section is a function in `sections` below; the socket layer and conntrack
 * will add theirs there.  Times are CLOCK_MONOTONIC wall time of one thread.
 * Memory: the engine's own figure (ev_get_stats().bytes) per pending event,
 * and the process's peak RSS (VmHWM), which is reset before each section when
 * the kernel allows it (/proc/self/clear_refs), cumulative otherwise.
 */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/ev.h"
#include "sim/rng.h"

#ifndef CONNSIM_VERSION
#define CONNSIM_VERSION "unknown"
#endif

static uint64_t opt_events = 10000000;  /* events run per section */
static uint32_t opt_pending = 1000000;  /* events pending throughout */
static bool hwm_resettable;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB, or -1. */
static long proc_status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0). */
static bool reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f)
		return false;
	bool ok = fputs("5", f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok;
}

static void report_rate(const char *sec, const char *what, uint64_t n, const char *unit,
			double secs, double target_m)
{
	double rate = (double)n / secs / 1e6;
	printf("[%s] %-5s %10" PRIu64 " %-8s %8.3f s  %7.2f M %s/s", sec, what, n, unit, secs,
	       rate, unit);
	if (target_m > 0)
		printf("   target >= %.0f M/s per core: %s", target_m,
		       rate >= target_m ? "met" : "MISSED");
	printf("\n");
	fflush(stdout);
}

static void report_memory(const char *sec, const ev_loop *L)
{
	ev_stats st;
	ev_get_stats(L, &st);
	long hwm = proc_status_kb("VmHWM"), rss = proc_status_kb("VmRSS");
	printf("[%s] mem   engine %.1f MiB for %" PRIu64 " pending = %.1f bytes/pending event;"
	       " VmHWM %.1f MiB%s, VmRSS %.1f MiB\n",
	       sec, (double)st.bytes / (1 << 20), st.pending,
	       st.pending ? (double)st.bytes / (double)st.pending : 0.0, (double)hwm / 1024,
	       hwm_resettable ? " (this section)" : " (process)", (double)rss / 1024);
	fflush(stdout);
}

/* ---------------------------------------------------------------------- */
/* engine: fixed-length timers through one lane                            */

#define MAX_LANES 1024

typedef struct lane_bench {
	ev_loop *L;
	ev_lane ln[MAX_LANES];
	unsigned nlanes;
	ev_kind k;
	uint64_t armed, target;
} lane_bench;

static void lane_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	lane_bench *b = ctx;
	if (b->armed < b->target) {  /* re-arm: the timer restarts in its lane */
		ev_lane_arm(b->L, b->ln[arg], b->k, obj, arg);
		b->armed++;
	}
}

/* Timer i goes to lane i % nlanes and expires first at 60 s + i us; each lane
 * stays FIFO.  Lanes are all 60 s (one TIME_WAIT lane per host) or of
 * lengths 60 s * (lane + 1) (timeouts of different lengths). */
static void bench_lanes(const char *sec, unsigned nlanes, bool same_length)
{
	lane_bench b = { .L = ev_loop_new(NULL), .target = opt_events, .nlanes = nlanes };
	b.k = ev_kind_register(b.L, "tw_expire", lane_fire, &b);
	for (unsigned l = 0; l < nlanes; l++)
		b.ln[l] = ev_lane_new(b.L, "lane", (same_length ? 1 : l + 1) * 60 * EV_SEC);
	if (nlanes == 1)
		printf("[%s] %u timers of 60 s in one lane, armed 1 us apart, re-armed on"
		       " expiry (%u pending)\n", sec, opt_pending, opt_pending);
	else if (same_length)
		printf("[%s] %u timers round-robin over %u lanes of 60 s, armed 1 us apart,"
		       " re-armed on expiry (%u pending)\n", sec, opt_pending, nlanes, opt_pending);
	else
		printf("[%s] %u timers round-robin over %u lanes of 60 s .. %u s, armed 1 us"
		       " apart, re-armed on expiry (%u pending)\n", sec, opt_pending, nlanes,
		       nlanes * 60, opt_pending);

	double t0 = now_s();
	for (uint32_t i = 0; i < opt_pending; i++)
		ev_lane_at(b.L, b.ln[i % nlanes], 60 * EV_SEC + i * EV_US, b.k, i, i % nlanes);
	b.armed = opt_pending;
	double t1 = now_s();
	report_rate(sec, "arm", opt_pending, "timers", t1 - t0, 0);
	report_memory(sec, b.L);

	t0 = now_s();
	uint64_t ran = ev_run(b.L, EV_FOREVER);
	t1 = now_s();
	report_rate(sec, "run", ran, "events", t1 - t0, 20);
	ev_stats st;
	ev_get_stats(b.L, &st);
	if (ran != opt_events || st.lane_fallbacks)
		printf("[%s] unexpected: ran %" PRIu64 ", lane fallbacks %" PRIu64 "\n", sec, ran,
		       st.lane_fallbacks);
	ev_loop_free(b.L);
}

static void bench_lane(const char *sec)
{
	bench_lanes(sec, 1, true);
}

static void bench_lanes16(const char *sec)
{
	bench_lanes(sec, 16, false);
}

static void bench_lanes1k(const char *sec)
{
	bench_lanes(sec, 1024, true);
}

/* ---------------------------------------------------------------------- */
/* engine: irregular events through the heap                               */

#define DELAYS (1u << 20)

typedef struct heap_bench {
	ev_loop *L;
	ev_kind k;
	uint64_t armed, target;
	const ev_time *delay;  /* DELAYS precomputed exponential delays */
	uint32_t next;
} heap_bench;

static void heap_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	heap_bench *b = ctx;
	if (b->armed < b->target) {
		ev_after(b->L, b->delay[b->next++ & (DELAYS - 1)], b->k, obj, arg);
		b->armed++;
	}
}

static void bench_heap(const char *sec)
{
	/* Exponential delays, mean 1 s: the RNG stays out of the timed loop. */
	ev_time *delay = malloc(DELAYS * sizeof(*delay));
	if (!delay)
		abort();
	gsl_rng *r = rng_stream(1, 0, "bench/heap");
	for (uint32_t i = 0; i < DELAYS; i++)
		delay[i] = (ev_time)gsl_ran_exponential(r, 1e9) + 1;
	rng_free(r);

	heap_bench b = { .L = ev_loop_new(NULL), .target = opt_events, .delay = delay };
	b.k = ev_kind_register(b.L, "irregular", heap_fire, &b);
	printf("[%s] %u events pending in the heap, each rescheduling itself after an"
	       " exponential delay (mean 1 s)\n", sec, opt_pending);

	double t0 = now_s();
	for (uint32_t i = 0; i < opt_pending; i++)
		ev_at(b.L, delay[b.next++ & (DELAYS - 1)], b.k, i, 0);
	b.armed = opt_pending;
	double t1 = now_s();
	report_rate(sec, "arm", opt_pending, "events", t1 - t0, 0);
	report_memory(sec, b.L);

	t0 = now_s();
	uint64_t ran = ev_run(b.L, EV_FOREVER);
	t1 = now_s();
	report_rate(sec, "run", ran, "events", t1 - t0, 5);
	if (ran != opt_events)
		printf("[%s] unexpected: ran %" PRIu64 "\n", sec, ran);
	ev_loop_free(b.L);
	free(delay);
}

/* ---------------------------------------------------------------------- */

typedef struct section {
	const char *name;
	const char *what;
	void (*run)(const char *name);
} section;

static const section sections[] = {
	{ "lane", "engine: 1M fixed-length timers through a lane", bench_lane },
	{ "lanes16", "engine: 1M timers over 16 lanes of different lengths", bench_lanes16 },
	{ "lanes1k", "engine: 1M timers over 1024 lanes of 60 s (one per host)", bench_lanes1k },
	{ "heap", "engine: 1M irregular events pending in the heap", bench_heap },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *to)
{
	fprintf(to, "usage: bench [-n EVENTS] [-p PENDING] [--list] [all | SECTION...]\n");
	for (size_t i = 0; i < NSECTIONS; i++)
		fprintf(to, "  %-8s %s\n", sections[i].name, sections[i].what);
}

static uint64_t parse_count(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0) {
		fprintf(stderr, "bench: %s wants a positive integer, not '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static void run_section(const section *s)
{
	if (hwm_resettable)
		hwm_resettable = reset_hwm();
	double t0 = now_s();
	s->run(s->name);
	printf("[%s] done in %.2f s\n\n", s->name, now_s() - t0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	bool want[NSECTIONS] = { false }, any = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--list") || !strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-n") && i + 1 < argc) {
			opt_events = parse_count("-n", argv[++i]);
		} else if (!strcmp(a, "-p") && i + 1 < argc) {
			uint64_t p = parse_count("-p", argv[++i]);
			if (p > UINT32_MAX) {
				fprintf(stderr, "bench: -p is at most %u\n", UINT32_MAX);
				return 2;
			}
			opt_pending = (uint32_t)p;
		} else if (!strcmp(a, "all")) {
			for (size_t k = 0; k < NSECTIONS; k++)
				want[k] = true;
			any = true;
		} else {
			size_t k = 0;
			while (k < NSECTIONS && strcmp(a, sections[k].name))
				k++;
			if (k == NSECTIONS) {
				fprintf(stderr, "bench: unknown section or option '%s'\n", a);
				usage(stderr);
				return 2;
			}
			want[k] = any = true;
		}
	}
	if (opt_events < opt_pending) {
		fprintf(stderr, "bench: -n (%" PRIu64 ") must be at least -p (%u)\n", opt_events,
			opt_pending);
		return 2;
	}

	hwm_resettable = reset_hwm();
	printf("connsim bench, version %s: %" PRIu64 " events per section, %u pending;"
	       " wall time of one thread (CLOCK_MONOTONIC)\n\n",
	       CONNSIM_VERSION, opt_events, opt_pending);
	for (size_t k = 0; k < NSECTIONS; k++)
		if (!any || want[k])
			run_section(&sections[k]);
	return 0;
}
