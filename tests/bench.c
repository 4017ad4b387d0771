/*
 * connsim benchmarks (`make bench`), in the spirit of libuv's
 * benchmark-million-timers: wall-clock rates of the engine's hot paths, with
 * the target each must meet printed next to the measurement.
 *
 *	build/tests/bench               run every section
 *	build/tests/bench lane heap     run the named sections
 *	build/tests/bench --list        list the sections
 *	build/tests/bench -n 2000000    events per section (default 10M)
 *	build/tests/bench -w 20 tcp     simulated seconds measured by the socket
 *	                                sections (default 61: one TIME_WAIT life)
 *	build/tests/bench --csv F       also write the CSV rows to F
 *
 * Besides its prose, each section prints one CSV row ("csv," then section,
 * events/s, lifecycles/s, simulated s per wall s, peak RSS in MiB, bytes per
 * object and what the object is, ratio to the floor, then lifecycles per
 * second of the thread's CPU time and that ratio again), and the table of all
 * rows comes last.  The floor section runs before the socket sections, so
 * their rows carry their ratio to it from the same run.
 *
 * A section is a function in `sections` below (the socket layer's are tcp and
 * tcp64, conntrack and NAT's is nat).  Times are CLOCK_MONOTONIC wall time of one thread.
 * Memory: the engine's own figure (ev_get_stats().bytes) per pending event,
 * and the peak RSS (VmHWM) of the section's own process: each section runs
 * in a child of its own, so what one leaves in the allocator does not move
 * the next one's figures.
 */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "models/scenario.h"
#include "models/box.h"
#include "models/ct.h"
#include "models/kconf.h"
#include "models/nat.h"
#include "models/tcp.h"
#include "models/tcp_int.h"
#include "models/world.h"
#include "sim/cfg.h"
#include "sim/ev.h"
#include "sim/evq.h"
#include "sim/probe.h"
#include "sim/rng.h"

/* Under `valgrind --tool=callgrind --collect-atstart=no`, the floor, tcp,
 * tcp64, nat and natsmall sections collect their timed windows only (no-ops
 * otherwise). */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

static uint64_t opt_events = 10000000;  /* events run per section */
static uint32_t opt_pending = 1000000;  /* events pending throughout */
static double opt_window = 61;          /* socket sections: simulated seconds measured */
static bool hwm_resettable;
static const char *opt_csv;             /* --csv FILE: the rows below, also written there */

/*
 * One CSV row per section (printed as "csv,..." lines after the prose and,
 * with --csv, written to a file): what the section measured, NAN where a
 * figure does not apply.  Sections fill `row`; run_section adds the peak RSS.
 */
typedef struct sec_row {
	char section[16];
	double events_s, lifecycles_s, sim_per_wall, peak_rss_mib, bytes_per_object;
	double lifecycles_cpu_s;  /* per second of the thread's CPU time: steadier on a busy machine */
	const char *object;  /* what bytes_per_object counts */
	double floor_ratio;  /* lifecycles_s over the floor's, when floor ran first */
	double floor_ratio_cpu;  /* the same per CPU second */
} sec_row;

#define MAX_ROWS 16
static sec_row row, rows[MAX_ROWS];
static unsigned nrows;
static double floor_life_s;  /* the floor section's lifecycles per wall second, 0 until it ran */
static double floor_life_cpu;  /* ... per CPU second */

#define CSV_HEADER "section,events_per_s,lifecycles_per_s,sim_s_per_wall_s,peak_rss_mib,bytes_per_object,object,floor_ratio,lifecycles_per_cpu_s,floor_ratio_cpu"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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
		printf("   target >= %g M/s per core: %s", target_m,
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
	row.bytes_per_object = st.pending ? (double)st.bytes / (double)st.pending : NAN;
	row.object = "pending event";
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
	row.events_s = (double)ran / (t1 - t0);
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
/* engine: irregular events through the priority queue (heap, calendar)    */

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

static void bench_evq(const char *sec, const evq_ops *sched)
{
	/* Exponential delays, mean 1 s: the RNG stays out of the timed loop. */
	ev_time *delay = malloc(DELAYS * sizeof(*delay));
	if (!delay)
		abort();
	gsl_rng *r = rng_stream(1, 0, "bench/heap");
	for (uint32_t i = 0; i < DELAYS; i++)
		delay[i] = (ev_time)gsl_ran_exponential(r, 1e9) + 1;
	rng_free(r);

	heap_bench b = { .L = ev_loop_new(sched), .target = opt_events, .delay = delay };
	b.k = ev_kind_register(b.L, "irregular", heap_fire, &b);
	printf("[%s] %u events pending in the %s, each rescheduling itself after an"
	       " exponential delay (mean 1 s)\n", sec, opt_pending, sched->name);

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
	/* The 5 M/s target is the engine's: it holds for the default scheduler;
	 * the others are printed for comparison. */
	bool is_default = sched == &evq_calendar;
	report_rate(sec, "run", ran, "events", t1 - t0, is_default ? 5 : 0);
	row.events_s = (double)ran / (t1 - t0);
	if (!is_default)
		printf("[%s]       (an alternative scheduler; the engine's default is the %s)\n", sec, evq_calendar.name);
	if (ran != opt_events)
		printf("[%s] unexpected: ran %" PRIu64 "\n", sec, ran);
	ev_loop_free(b.L);
	free(delay);
}

static void bench_heap(const char *sec)
{
	bench_evq(sec, &evq_heap);
}

static void bench_calendar(const char *sec)
{
	bench_evq(sec, &evq_calendar);
}

/* ---------------------------------------------------------------------- */
/* socket layer: a million TIME_WAIT sockets in steady state               */

/*
 * A world built as `connsim run` builds it (tests/valid.h does the same):
 * the workload, the TCP model of every host, the engine.  The client closes
 * first after 100 ms, so each connection ends in a TIME_WAIT of 61.02 s on
 * average (60 s rounded up to the wheel's 2.048 s slots at HZ 250); at
 * 16 400 connections/s that holds a million TIME_WAITs.  Ports do not run
 * out: the load is spread over 64 destinations (server addresses) or 64
 * client hosts, each pool of 28 232 ports about half full.
 *
 * After a warm-up of 64 s (the first TIME_WAITs have expired, the
 * population is at its steady state) the section runs -w simulated seconds
 * and counts completed lifecycles: TIME_WAIT expiries (the "tw_timer" event
 * kind), i.e. connect() through SYN, data phase, FIN exchange and 60 s of
 * TIME_WAIT to the minisocket's death.  Handshakes completed in the window
 * are printed beside them; in steady state both rates are the same.
 */

#define TCP_WARMUP (64 * EV_SEC)

typedef struct tcp_bench_spec {
	const char *what;
	const char *const *sets;  /* NULL-terminated --set style settings */
} tcp_bench_spec;

static char server_addrs64[64 * 12];

static char *server_addrs_set(void)
{
	char *p = server_addrs64 + sprintf(server_addrs64, "server.addresses=");
	for (int i = 1; i <= 64; i++)
		p += sprintf(p, "%s10.0.1.%d", i > 1 ? "," : "", i);
	return server_addrs64;
}

static uint64_t kind_count(const ev_loop *L, const char *name)
{
	for (unsigned k = 0; k < ev_kind_total(L); k++)
		if (!strcmp(ev_kind_name(L, (ev_kind)k), name))
			return ev_kind_count(L, (ev_kind)k);
	return 0;
}

/* The scenario of c with arrivals until end (its run's length). */
static scenario *bench_scenario(cfg *c, ev_time end, GError **err)
{
	char *dur = g_strdup_printf("%" PRIu64 "ns", (uint64_t)end);
	bool ok = cfg_set(c, "experiment", "duration", dur, NULL, err);
	g_free(dur);
	return ok ? scn_new(c, err) : NULL;
}

static void bench_tcp_world(const char *sec, const tcp_bench_spec *sp)
{
	printf("[%s] %s\n", sec, sp->what);
	long rss0 = proc_status_kb("VmRSS");
	cfg *c = scn_cfg_new();
	GError *err = NULL;
	for (const char *const *s = sp->sets; *s; s++)
		if (!scn_set_arg(c, *s, NULL, &err)) {
			fprintf(stderr, "bench: %s\n", err->message);
			exit(1);
		}
	ev_time end = TCP_WARMUP + (ev_time)(opt_window * 1e9);
	ev_loop *L = ev_loop_new(NULL);
	probe_set *ps = probe_set_new();
	scenario *sc = bench_scenario(c, end, &err);
	world *W = sc ? world_new(sc, L, ps, 1, 0, &err) : NULL;
	if (!W) {
		fprintf(stderr, "bench: %s\n", err->message);
		exit(1);
	}
	tcp_net *n = world_tcp(W);
	uint64_t *estab = probe_counter(ps, "conn.established", NULL);
	uint64_t *attempts = probe_counter(ps, "conn.attempts", NULL);
	world_start(W);
	long rss_w = proc_status_kb("VmRSS");  /* the empty world: hosts, tables */

	double t0 = now_s();
	uint64_t ev0 = ev_run(L, TCP_WARMUP);
	double t1 = now_s();
	uint64_t tw0 = kind_count(L, "tw_timer"), est0 = *estab, att0 = *attempts;
	printf("[%s] warm  %6.1f s simulated in %.3f s: %" PRIu64 " connections, %" PRIu64
	       " events\n", sec, (double)TCP_WARMUP / 1e9, t1 - t0, est0, ev0);

	/* Occupancy and memory at steady state, before the timed run. */
	uint64_t ntw = 0, ehash_heads = 0;
	for (unsigned h = 0; h < tcp_host_count(n); h++) {
		tcp_host_stats hs;
		tcp_host_stats_get(n, (int)h, &hs);
		ntw += hs.tw;
		ehash_heads += hs.ehash_entries;
	}
	ev_stats st;
	ev_get_stats(L, &st);
	size_t tcp_bytes = tcp_net_bytes(n);
	long rss1 = proc_status_kb("VmRSS"), hwm1 = proc_status_kb("VmHWM");

	t0 = now_s();
	double c0 = cpu_s();
	CALLGRIND_TOGGLE_COLLECT;
	uint64_t ran = ev_run(L, end);
	CALLGRIND_TOGGLE_COLLECT;
	double cpu = cpu_s() - c0;
	t1 = now_s();
	double wall = t1 - t0, sim = opt_window;
	uint64_t life = kind_count(L, "tw_timer") - tw0, est = *estab - est0, att = *attempts - att0;
	report_rate(sec, "run", life, "lifecycles", wall, 2.4);
	report_rate(sec, "run", est, "handshakes", wall, 0);
	report_rate(sec, "run", ran, "events", wall, 0);
	row.events_s = (double)ran / wall;
	row.lifecycles_s = (double)life / wall;
	row.sim_per_wall = sim / wall;
	row.object = "TIME_WAIT";
	printf("[%s] run   %.1f s simulated in %.3f s = %.1f simulated s per wall s;"
	       " %" PRIu64 " connect() calls, %.1f events per lifecycle\n",
	       sec, sim, wall, sim / wall, att, life ? (double)ran / (double)life : 0.0);
	/* On a busy machine the thread's CPU time is steadier than wall time. */
	printf("[%s] run   thread CPU time %.3f s: %.3f M lifecycles per CPU second\n", sec, cpu,
	       cpu > 0 ? (double)life / cpu / 1e6 : 0.0);
	row.lifecycles_cpu_s = cpu > 0 ? (double)life / cpu : NAN;

	/*
	 * Memory per TIME_WAIT, at steady state:
	 *  - records: what each holds by construction (its minisocket and its
	 *    timer's lane entry) plus its share of the ehash
	 *    heads, which the kernel sizes for them;
	 *  - resident: the process's VmRSS growth since before the world was
	 *    built, all of it charged to the TIME_WAITs (they dominate it), and
	 *    the part after the empty world's tables (per-host ehash, bind
	 *    table, ...) were in place;
	 *  - allocated: the simulator's own count of what it allocated, which
	 *    includes the untouched half of whatever last doubled (pools, rings,
	 *    the slot table).
	 */
	double per = ntw ? 1.0 / (double)ntw : 0;
	size_t rec = tcp_tw_record_bytes(), ent = ev_lane_entry_bytes();
	double eh = 4.0 * (double)ehash_heads * per;
	double a = (double)(rec + ent) + eh;
	printf("[%s] mem   %" PRIu64 " TIME_WAIT; records: tw_sock %zu + lane entry %zu (the timer)"
	       " + ehash heads %.1f (%" PRIu64 " x 4 B, all hosts) = %.1f bytes per TIME_WAIT"
	       "   target <= 128: %s\n",
	       sec, ntw, rec, ent, eh, ehash_heads, a, a <= 128 ? "met" : "MISSED");
	if (rss0 >= 0 && rss_w >= 0 && rss1 >= 0) {
		double r = (double)(rss1 - rss0) * 1024 * per, rt = (double)(rss1 - rss_w) * 1024 * per;
		printf("[%s] mem   resident: VmRSS +%.1f MiB = %.1f bytes per TIME_WAIT (empty world"
		       " %.1f MiB, then %.1f bytes per TIME_WAIT)   target <= 128: %s\n",
		       sec, (double)(rss1 - rss0) / 1024, r, (double)(rss_w - rss0) / 1024, rt,
		       r <= 128 ? "met" : "MISSED");
		row.bytes_per_object = r;
	}
	printf("[%s] mem   allocated: tcp %.1f MiB + engine %.1f MiB = %.1f bytes per TIME_WAIT"
	       " (with growth slack); VmHWM %.1f MiB%s\n",
	       sec, (double)tcp_bytes / (1 << 20), (double)st.bytes / (1 << 20),
	       (double)(tcp_bytes + st.bytes) * per, (double)hwm1 / 1024,
	       hwm_resettable ? " (this section)" : " (process)");
	if (life == 0 || st.lane_fallbacks)
		printf("[%s] unexpected: %" PRIu64 " lifecycles, %" PRIu64 " lane fallbacks\n", sec, life,
		       st.lane_fallbacks);

	world_free(W);
	scn_free(sc);
	probe_set_free(ps);
	ev_loop_free(L);
	cfg_free(c);
}

static void bench_tcp(const char *sec)
{
	const char *sets[] = {
		"workload.arrival=poisson", "workload.rate=16400", "workload.life=fixed",
		"workload.life_mean=100ms", "workload.close=client", "client.profile=current",
		/* thash_entries=2M: the kernel's default tcp_max_tw_buckets
		 * (ehash / 2 = 1048576) then holds a million TIME_WAITs */
		"client.thash_entries=2097152", server_addrs_set(), NULL,
	};
	tcp_bench_spec sp = { "1 client host -> 64 server addresses, port 80; 16400 connections/s"
			      " (Poisson), client closes after 100 ms; ~1M TIME_WAIT", sets };
	bench_tcp_world(sec, &sp);
}

static void bench_tcp64(const char *sec)
{
	const char *sets[] = {
		"workload.arrival=poisson", "workload.rate=16400", "workload.life=fixed",
		"workload.life_mean=100ms", "workload.close=client", "client.profile=current",
		/* 15.6k TIME_WAITs per client: ehash 65536, tcp_max_tw_buckets 32768 */
		"client.count=64", "client.thash_entries=65536", "server.addresses=10.0.1.1", NULL,
	};
	tcp_bench_spec sp = { "64 client hosts (64 TIME_WAIT lanes) -> 1 server address, port 80;"
			      " 16400 connections/s (Poisson), client closes after 100 ms; ~1M TIME_WAIT", sets };
	bench_tcp_world(sec, &sp);
}

/* ---------------------------------------------------------------------- */
/* conntrack + NAT: a million conntrack entries in steady state            */

/*
 * 16 client hosts behind a NAT box (conntrack + MASQUERADE over 4 external
 * addresses, current kernel) reach 64 server addresses on port 80, 8300
 * connections/s (Poisson), each closed by its client after 100 ms.  Every
 * connection's conntrack entry lives its ~100 ms of handshake and data,
 * then nf_conntrack_tcp_timeout_time_wait (120 s), and stays counted until
 * the gc worker or a lookup reaps it: about a million entries.  Tuples do
 * not run out: the NAT's reply tuples (external address, port, server
 * address, port) number 4 x 64 x 64512, and each client's ports towards
 * each server address are a few per cent used.  The box's table is sized
 * for it: nf_conntrack_buckets 1M (4-byte heads here, 8 in the kernel),
 * nf_conntrack_max 2M (never reached).
 *
 * The population cycles with the gc worker: ~990k live entries, and the dead
 * ones it has not reaped yet, counted by nf_conntrack_count as in the
 * kernel: 1.00M just after a pass (every 60 s, at 181 s, 241 s, 301 s, ...,
 * each taking ~4 s), 1.19M just before.  The warm-up runs to the first
 * peak after two conntrack TIME_WAITs (240 s), where memory is measured:
 * the most the table holds.  The section then runs -w simulated seconds
 * (the default 61 covers one gc pass) and counts completed lifecycles:
 * conntrack entries destroyed, i.e. a connection's SYN through the NAT's
 * tuple search, handshake, data, FIN exchange and 120 s of conntrack
 * TIME_WAIT to the entry's removal (count before + inserts - count after).
 * The client sockets' TIME_WAIT expiries and the handshakes of the window
 * are printed beside them; in steady state all three rates are the same.
 *
 * The same world without the NAT box runs first, the same way: its
 * lifecycles (client TIME_WAIT expiries) per wall second are the socket
 * layer's share of the cost, and its VmRSS growth, taken from the NAT
 * world's, leaves what the box itself holds.
 *
 * Last, the NAT world runs as long again with every handler timed
 * (ev_set_timing) and the section prints where a connection's wall time
 * goes: each event kind's handlers, and the engine between them.
 */

#define NAT_WARMUP (240 * EV_SEC)
/* After the timed window, where the time goes: as long again with every
 * handler timed (the clock reads slow it a little, so it is not the timed
 * window; as long, because the gc worker's passes come a minute apart). */
#define NAT_TIMING ((ev_time)(opt_window * 1e9))

/* One event kind's share of a timed run. */
typedef struct kind_time {
	const char *name;
	uint64_t ticks, events;
} kind_time;

static int by_ticks_desc(const void *a, const void *b)
{
	const kind_time *x = a, *y = b;
	return (x->ticks < y->ticks) - (x->ticks > y->ticks);
}

/* Prints each event kind's share of a connection's wall time over a run of L
 * to `until` with ev_set_timing on, and the engine's own (the rest).
 * Connections are counted as connect() calls (conns): in a steady state as
 * many lifecycles end, but over a short window the gc worker's reaping comes
 * in bursts. */
static void report_time_breakdown(const char *sec, ev_loop *L, ev_time until, const uint64_t *conns)
{
	unsigned nk = ev_kind_total(L);
	kind_time *kt = g_new(kind_time, nk);
	for (unsigned k = 0; k < nk; k++)
		kt[k] = (kind_time){ ev_kind_name(L, (ev_kind)k), ev_kind_ticks(L, (ev_kind)k),
				     ev_kind_count(L, (ev_kind)k) };
	uint64_t conns0 = *conns;
	ev_time from = ev_now(L);
	ev_set_timing(L, true);
	double w0 = now_s();
	uint64_t tk0 = ev_ticks();
	ev_run(L, until);
	uint64_t ticks = ev_ticks() - tk0;
	double wall = now_s() - w0;
	ev_set_timing(L, false);
	uint64_t nconn = *conns - conns0;
	for (unsigned k = 0; k < nk; k++) {
		kt[k].ticks = ev_kind_ticks(L, (ev_kind)k) - kt[k].ticks;
		kt[k].events = ev_kind_count(L, (ev_kind)k) - kt[k].events;
	}
	qsort(kt, nk, sizeof(*kt), by_ticks_desc);
	if (nconn && ticks) {
		double us = wall / (double)ticks / (double)nconn * 1e6;  /* us per connection per tick */
		printf("[%s] time  where a connection's %.2f us go (%.0f s more, every handler timed):", sec,
		       wall / (double)nconn * 1e6, (double)(until - from) / 1e9);
		uint64_t in_handlers = 0;
		for (unsigned k = 0; k < nk; k++) {
			if (!kt[k].events)
				continue;
			in_handlers += kt[k].ticks;
			printf(" %s %.2f us (%.1f events),", kt[k].name, (double)kt[k].ticks * us,
			       (double)kt[k].events / (double)nconn);
		}
		printf(" the engine between them %.2f us\n",
		       (double)(ticks > in_handlers ? ticks - in_handlers : 0) * us);
	}
	g_free(kt);
}

typedef struct bench_world {
	cfg *c;
	scenario *sc;
	ev_loop *L;
	probe_set *ps;
	world *W;
} bench_world;

/* sets: NULL-terminated lists of settings, NULL-terminated. */
static void bench_world_new(bench_world *b, const char *const *const *sets, ev_time end)
{
	b->c = scn_cfg_new();
	GError *err = NULL;
	for (const char *const *const *l = sets; *l; l++)
		for (const char *const *s = *l; *s; s++)
			if (!scn_set_arg(b->c, *s, NULL, &err)) {
				fprintf(stderr, "bench: %s\n", err->message);
				exit(1);
			}
	b->L = ev_loop_new(NULL);
	b->ps = probe_set_new();
	b->sc = bench_scenario(b->c, end, &err);
	b->W = b->sc ? world_new(b->sc, b->L, b->ps, 1, 0, &err) : NULL;
	if (!b->W) {
		fprintf(stderr, "bench: %s\n", err->message);
		exit(1);
	}
}

static void bench_world_free(bench_world *b)
{
	world_free(b->W);
	scn_free(b->sc);
	probe_set_free(b->ps);
	ev_loop_free(b->L);
	cfg_free(b->c);
}

/* The first middlebox on the path (the NAT: boxes are added client side first). */
static const box *first_box(tcp_net *n)
{
	for (unsigned h = 0; h < n->nhops; h++)
		if (n->hops[h].fn == box_hop_tcp)
			return n->hops[h].ctx;
	return NULL;
}

/* The nat world's settings at 1/div of its rate and table: hosts and box
 * are NULL-terminated lists of settings, whose numbers are in rate, buckets
 * and max. */
#define NAT_RATE 8300
#define NAT_BUCKETS 1048576
typedef struct nat_sets {
	char rate[64], buckets[96], max[96];
	const char *hosts[10], *box[5];
} nat_sets;

static void nat_sets_init(nat_sets *ns, unsigned div)
{
	snprintf(ns->rate, sizeof ns->rate, "workload.rate=%u", NAT_RATE / div);
	snprintf(ns->buckets, sizeof ns->buckets, "nat.sysctl.net.netfilter.nf_conntrack_buckets=%u",
		 NAT_BUCKETS / div);
	snprintf(ns->max, sizeof ns->max, "nat.sysctl.net.netfilter.nf_conntrack_max=%u", 2 * NAT_BUCKETS / div);
	const char *hosts[] = {
		"workload.arrival=poisson", ns->rate, "workload.life=fixed",
		"workload.life_mean=100ms", "workload.close=client", "client.profile=current",
		"client.count=16", "client.thash_entries=131072", server_addrs_set(), NULL,
	};
	const char *nat_box[] = {
		"nat.profile=current", "nat.addresses=203.0.113.1,203.0.113.2,203.0.113.3,203.0.113.4",
		ns->buckets, ns->max, NULL,
	};
	G_STATIC_ASSERT(sizeof hosts == sizeof ns->hosts && sizeof nat_box == sizeof ns->box);
	memcpy(ns->hosts, hosts, sizeof hosts);
	memcpy(ns->box, nat_box, sizeof nat_box);
}

static void bench_nat(const char *sec)
{
	nat_sets ns;
	nat_sets_init(&ns, 1);
	const char *const *without[] = { ns.hosts, NULL }, *const *with[] = { ns.hosts, ns.box, NULL };
	ev_time end = NAT_WARMUP + (ev_time)(opt_window * 1e9);
	double sim = opt_window;
	printf("[%s] 16 client hosts -> NAT (conntrack + MASQUERADE to 4 addresses, current) -> 64 server"
	       " addresses, port 80; 8300 connections/s (Poisson), client closes after 100 ms;"
	       " ~1M conntrack entries; a lifecycle: a connection's conntrack entry, SYN to removal\n", sec);

	/* The same world without the box. */
	bench_world b;
	long rss0 = proc_status_kb("VmRSS");
	bench_world_new(&b, without, end + NAT_TIMING);
	world_start(b.W);
	double t0 = now_s();
	ev_run(b.L, NAT_WARMUP);
	double t1 = now_s();
	long rss_base = proc_status_kb("VmRSS");
	uint64_t tw0 = kind_count(b.L, "tw_timer");
	double t2 = now_s();
	ev_run(b.L, end);
	double t3 = now_s();
	uint64_t base_life = kind_count(b.L, "tw_timer") - tw0;
	printf("[%s] nobox without the NAT box: %.1f s simulated in %.3f s, then %.1f s in %.3f s:"
	       " %" PRIu64 " lifecycles (client TIME_WAITs) = %.2f M/s; VmRSS +%.1f MiB at %.0f s\n",
	       sec, (double)NAT_WARMUP / 1e9, t1 - t0, sim, t3 - t2, base_life,
	       (double)base_life / (t3 - t2) / 1e6, (double)(rss_base - rss0) / 1024,
	       (double)NAT_WARMUP / 1e9);
	bench_world_free(&b);
	malloc_trim(0);

	rss0 = proc_status_kb("VmRSS");
	bench_world_new(&b, with, end + NAT_TIMING);
	tcp_net *n = world_tcp(b.W);
	const box *bx = first_box(n);
	const ct_table *ct = box_ct(bx);
	const nat *nt = box_nat(bx);
	probe_set *ps = b.ps;
	uint64_t *estab = probe_counter(ps, "conn.established", NULL);
	uint64_t *attempts = probe_counter(ps, "conn.attempts", NULL);
	uint64_t *insert = probe_counter(ps, "nat.ct.confirmed", NULL);
	uint64_t *failed = probe_counter(ps, "conn.EADDRNOTAVAIL", NULL);
	uint64_t *drop = probe_counter(ps, "nat.ct.drop", NULL);
	uint64_t *overflow = probe_counter(ps, "client.TcpExtTCPTimeWaitOverflow", NULL);
	uint64_t *nat_failed = probe_counter(ps, "nat.snat.failed", NULL);
	uint64_t *probes = probe_counter(ps, "nat.snat.probes", NULL);
	uint64_t *searches = probe_counter(ps, "nat.snat.searches", NULL);
	world_start(b.W);

	t0 = now_s();
	uint64_t ev0 = ev_run(b.L, NAT_WARMUP);
	t1 = now_s();
	tw0 = kind_count(b.L, "tw_timer");
	uint64_t est0 = *estab, att0 = *attempts, ins0 = *insert, pr0 = *probes, se0 = *searches;
	uint32_t cnt0 = ct_count(ct);
	printf("[%s] warm  %6.1f s simulated in %.3f s: %" PRIu64 " connections, %" PRIu64
	       " events; %u conntrack entries\n", sec, (double)NAT_WARMUP / 1e9, t1 - t0, est0, ev0, cnt0);

	/* Memory at the peak, before the timed run. */
	ev_stats st;
	ev_get_stats(b.L, &st);
	size_t ct_bytes = ct_sim_bytes(ct), nat_bytes = nat_sim_bytes(nt), kbytes = ct_kernel_bytes(ct);
	uint32_t links = nat_nlinks(nt), buckets = ct_buckets(ct);
	long rss1 = proc_status_kb("VmRSS"), hwm1 = proc_status_kb("VmHWM");

	t0 = now_s();
	double c0 = cpu_s();
	CALLGRIND_TOGGLE_COLLECT;
	uint64_t ran = ev_run(b.L, end);
	CALLGRIND_TOGGLE_COLLECT;
	double cpu = cpu_s() - c0;
	t1 = now_s();
	double wall = t1 - t0;
	uint32_t cnt1 = ct_count(ct);
	uint64_t ins = *insert - ins0, life = cnt0 + ins - cnt1;
	uint64_t tw = kind_count(b.L, "tw_timer") - tw0, est = *estab - est0, att = *attempts - att0;
	report_rate(sec, "run", life, "lifecycles", wall, 0.4);
	report_rate(sec, "run", tw, "TIME_WAITs", wall, 0);
	report_rate(sec, "run", est, "handshakes", wall, 0);
	report_rate(sec, "run", ran, "events", wall, 0);
	row.events_s = (double)ran / wall;
	row.lifecycles_s = (double)life / wall;
	row.sim_per_wall = sim / wall;
	row.object = "conntrack entry";
	printf("[%s] run   %.1f s simulated in %.3f s = %.1f simulated s per wall s;"
	       " %" PRIu64 " connect() calls, %.1f events and %.2f NAT probes per lifecycle;"
	       " %u conntrack entries at the end\n",
	       sec, sim, wall, sim / wall, att, life ? (double)ran / (double)life : 0.0,
	       *searches - se0 ? (double)(*probes - pr0) / (double)(*searches - se0) : 0.0, cnt1);
	/* On a busy machine the thread's CPU time is steadier than wall time. */
	printf("[%s] run   thread CPU time %.3f s: %.3f M lifecycles per CPU second\n", sec, cpu,
	       cpu > 0 ? (double)life / cpu / 1e6 : 0.0);
	row.lifecycles_cpu_s = cpu > 0 ? (double)life / cpu : NAN;

	/*
	 * Memory per conntrack entry, at the population's peak (cnt0 entries,
	 * dead but unreaped ones included, as nf_conntrack_count counts them):
	 *  - records: the entry record, its share of the bucket heads (sized
	 *    for them) and of the NAT's bysource bookkeeping (the simulator's
	 *    allocation for it, over its links);
	 *  - resident: the process's VmRSS growth since before the world was
	 *    built, over the entries; it also holds the clients' ~500k
	 *    TIME_WAIT sockets and the engine, so the growth of the same world
	 *    without the box, taken from it, leaves the box's own;
	 *  - allocated: the simulator's own count, growth slack included;
	 *  - kernel: what the box's kernel would use (ct_kernel_bytes: nf_conn
	 *    slab object with extensions, 8-byte bucket heads).
	 */
	double per = cnt0 ? 1.0 / (double)cnt0 : 0;
	size_t rec = ct_entry_record_bytes(), bkrec = ct_bucket_record_bytes(ct);
	double bk = (double)bkrec * (double)buckets * per, nb = links ? (double)nat_bytes / (double)links : 0;
	double a = (double)rec + bk + nb;
	printf("[%s] mem   %u conntrack entries (%u NAT links); records: ct_entry %zu + bucket heads %.1f"
	       " (%u x %zu B) + NAT bysource %.1f = %.1f bytes per entry   target <= 160: %s\n",
	       sec, cnt0, links, rec, bk, buckets, bkrec, nb, a, a <= 160 ? "met" : "MISSED");
	if (rss0 >= 0 && rss1 >= 0 && rss_base >= 0) {
		double all = (double)(rss1 - rss0) * 1024 * per;
		double own = (double)(rss1 - rss0 - (rss_base - rss0)) * 1024 * per;
		printf("[%s] mem   resident: VmRSS +%.1f MiB = %.1f bytes per entry (the whole world);"
		       " the box's share (less the world without it) %.1f MiB = %.1f bytes per entry"
		       "   target <= 160: %s\n",
		       sec, (double)(rss1 - rss0) / 1024, all, (double)(rss1 - rss_base) / 1024, own,
		       own <= 160 ? "met" : "MISSED");
		row.bytes_per_object = own;
	}
	printf("[%s] mem   allocated: conntrack %.1f MiB + NAT %.1f MiB = %.1f bytes per entry (with"
	       " growth slack); VmHWM %.1f MiB%s\n",
	       sec, (double)ct_bytes / (1 << 20), (double)nat_bytes / (1 << 20),
	       (double)(ct_bytes + nat_bytes) * per, (double)hwm1 / 1024,
	       hwm_resettable ? " (this section)" : " (process)");
	printf("[%s] mem   kernel: the box's table would use %.1f MiB = %.1f bytes per entry"
	       " (nf_conn with extensions, 8-byte bucket heads)\n",
	       sec, (double)kbytes / (1 << 20), (double)kbytes * per);
	if (life == 0 || st.lane_fallbacks || *failed || *drop || *overflow || *nat_failed)
		printf("[%s] unexpected: %" PRIu64 " lifecycles, %" PRIu64 " lane fallbacks, %" PRIu64
		       " EADDRNOTAVAIL, %" PRIu64 " conntrack drops, %" PRIu64 " TIME_WAIT overflows, %" PRIu64
		       " failed NAT searches\n", sec, life, st.lane_fallbacks, *failed, *drop, *overflow,
		       *nat_failed);
	report_time_breakdown(sec, b.L, end + NAT_TIMING, attempts);
	bench_world_free(&b);
}

/*
 * natsmall: the nat section's world at 1/NATSMALL_DIV of its rate and table
 * (259 connections/s, 32768 buckets, ~38k entries): every lifecycle takes
 * the same code path, but the table, the sockets and the events fit in the
 * caches.  Beside nat's figure it splits a lifecycle's cost in two: what
 * the million entries' cache misses add, and what the code costs without
 * them.  Lifecycles are counted as in nat, over four of the gc worker's
 * 60 s periods (NATSMALL_RUN, whatever -w says: one window alone lasts a
 * few tens of ms, and a window that is not whole periods counts a pass's
 * removals more or less than once each).
 */
#define NATSMALL_DIV 32
#define NATSMALL_RUN (240 * EV_SEC)

static void bench_natsmall(const char *sec)
{
	nat_sets ns;
	nat_sets_init(&ns, NATSMALL_DIV);
	const char *const *with[] = { ns.hosts, ns.box, NULL };
	printf("[%s] the nat world at 1/%u: %u connections/s, %u conntrack buckets; %.0f s measured\n", sec,
	       NATSMALL_DIV, NAT_RATE / NATSMALL_DIV, NAT_BUCKETS / NATSMALL_DIV, (double)NATSMALL_RUN / 1e9);
	ev_time end = NAT_WARMUP + NATSMALL_RUN;
	bench_world b;
	bench_world_new(&b, with, end);
	const ct_table *ct = box_ct(first_box(world_tcp(b.W)));
	uint64_t *insert = probe_counter(b.ps, "nat.ct.confirmed", NULL);
	world_start(b.W);
	ev_run(b.L, NAT_WARMUP);
	uint64_t ins0 = *insert;
	uint32_t cnt0 = ct_count(ct);
	double t0 = now_s();
	CALLGRIND_TOGGLE_COLLECT;
	uint64_t ran = ev_run(b.L, end);
	CALLGRIND_TOGGLE_COLLECT;
	double wall = now_s() - t0;
	uint64_t life = cnt0 + (*insert - ins0) - ct_count(ct);
	report_rate(sec, "run", life, "lifecycles", wall, 0);
	row.events_s = (double)ran / wall;
	row.lifecycles_s = (double)life / wall;
	row.sim_per_wall = (double)NATSMALL_RUN / 1e9 / wall;
	printf("[%s] run   %.2f us per lifecycle, %.1f events per lifecycle; %u conntrack entries at %.0f s\n",
	       sec, life ? wall * 1e6 / (double)life : 0.0, life ? (double)ran / (double)life : 0.0,
	       cnt0, (double)NAT_WARMUP / 1e9);
	bench_world_free(&b);
}

/* ---------------------------------------------------------------------- */

/* ---------------------------------------------------------------------- */
/* floor: the unavoidable work of a connection lifecycle                   */

/*
 * What any simulator of this workload must do per connection, and nothing
 * more: pick a free local port (a random start in the destination's port
 * bitmap, then the next free bit), insert the 4-tuple in a hash of chains
 * (4-byte heads, records linked by index, as models/ehash.c), append it to a
 * FIFO timer (every TIME_WAIT lasts the same 61 s, so expiry order is
 * arrival order: a ring), and when its time comes unlink it from its chain
 * and free its port.  The tcp section's workload: 16 400 connections/s to 64
 * destinations, a million concurrent TIME_WAITs, ports 32768-60999 about
 * half used per destination.  The ring is the records' store (a record
 * lives and dies in FIFO order), so there is no allocator either.  The
 * socket sections print their rate over this one (the ratio to the floor).
 */
#define FLOOR_RING (1u << 21)    /* records, >= the concurrent population */
#define FLOOR_HEADS (1u << 21)   /* chains, as the tcp section's ehash */
#define FLOOR_DESTS 64
#define FLOOR_LOW 32768u
#define FLOOR_NPORTS 28232u
#define FLOOR_RATE 16400

typedef struct floor_rec {
	uint32_t faddr;
	uint16_t lport, fport;
	uint32_t next;   /* chain link, UINT32_MAX ends it */
	uint32_t expiry; /* in arrival ticks (1 / FLOOR_RATE s) */
} floor_rec;

typedef struct floor_bench {
	floor_rec *ring;
	uint32_t *heads;
	uint64_t (*ports)[65536 / 64];  /* [FLOOR_DESTS] bitmaps of taken lports */
	uint32_t head, tail, population;
} floor_bench;

static inline uint32_t floor_bucket(uint32_t faddr, uint16_t lport, uint16_t fport)
{
	uint64_t x = ((uint64_t)faddr << 32 | (uint32_t)lport << 16 | fport) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 40) & (FLOOR_HEADS - 1);
}

/* The next free port of dest's bitmap from a random start, wrapping. */
static inline uint16_t floor_pick(floor_bench *f, uint32_t dest, uint64_t rnd)
{
	uint64_t *bits = f->ports[dest];
	uint32_t p = FLOOR_LOW + (uint32_t)((rnd >> 32) * FLOOR_NPORTS >> 32), end = FLOOR_LOW + FLOOR_NPORTS;
	for (uint32_t pass = 0; pass < 2; pass++, p = FLOOR_LOW) {
		uint32_t k = p >> 6;
		uint64_t free = ~bits[k] & (~0ull << (p & 63));
		while (!free && ++k <= (end - 1) >> 6)
			free = ~bits[k];
		if (free) {
			uint32_t q = (k << 6) + (uint32_t)__builtin_ctzll(free);
			if (q < end) {
				bits[q >> 6] |= 1ull << (q & 63);
				return (uint16_t)q;
			}
		}
	}
	abort();  /* the population is ~half of each range: never full */
}

static inline void floor_expire(floor_bench *f)
{
	floor_rec *r = &f->ring[f->head & (FLOOR_RING - 1)];
	uint32_t idx = f->head & (FLOOR_RING - 1);
	uint32_t *link = &f->heads[floor_bucket(r->faddr, r->lport, r->fport)];
	while (*link != idx)
		link = &f->ring[*link].next;
	*link = r->next;
	f->ports[r->faddr & (FLOOR_DESTS - 1)][r->lport >> 6] &= ~(1ull << (r->lport & 63));
	f->head++;
	f->population--;
}

/* Runs arrivals [from, to) (ticks of 1 / FLOOR_RATE s), each expiring the
 * records whose 61 s are over first; returns the expiries. */
static uint64_t floor_run(floor_bench *f, uint64_t from, uint64_t to)
{
	const uint32_t life = 61 * FLOOR_RATE;
	uint64_t died = 0, rnd = 0x853c49e6748fea9bull ^ from;
	for (uint64_t now = from; now < to; now++) {
		while (f->population && f->ring[f->head & (FLOOR_RING - 1)].expiry <= (uint32_t)now) {
			floor_expire(f);
			died++;
		}
		rnd = rng_splitmix64(rnd);
		uint32_t dest = (uint32_t)rnd & (FLOOR_DESTS - 1);
		uint16_t lport = floor_pick(f, dest, rnd);
		uint32_t idx = f->tail++ & (FLOOR_RING - 1);
		floor_rec *r = &f->ring[idx];
		*r = (floor_rec){ .faddr = 0x0a000100u | dest, .lport = lport, .fport = 80,
				  .expiry = (uint32_t)now + life };
		uint32_t *head = &f->heads[floor_bucket(r->faddr, lport, 80)];
		r->next = *head;
		*head = idx;
		f->population++;
	}
	return died;
}

static void bench_floor(const char *sec)
{
	printf("[%s] the unavoidable work of the tcp section's lifecycle: port pick (bitmap), hash"
	       " insert (chains), FIFO timer (a ring), delete; %d connections/s to %d destinations,"
	       " 61 s each: ~1M concurrent\n", sec, FLOOR_RATE, FLOOR_DESTS);
	long rss0 = proc_status_kb("VmRSS");
	floor_bench f = { 0 };
	f.ring = malloc(FLOOR_RING * sizeof(*f.ring));
	f.heads = malloc(FLOOR_HEADS * sizeof(*f.heads));
	f.ports = calloc(FLOOR_DESTS, sizeof(*f.ports));
	if (!f.ring || !f.heads || !f.ports)
		abort();
	memset(f.heads, 0xff, FLOOR_HEADS * sizeof(*f.heads));
	uint64_t warm = (uint64_t)TCP_WARMUP / EV_SEC * FLOOR_RATE;
	uint64_t end = warm + (uint64_t)(opt_window * FLOOR_RATE);
	double t0 = now_s();
	floor_run(&f, 0, warm);
	double t1 = now_s();
	uint32_t pop = f.population;
	long rss1 = proc_status_kb("VmRSS");
	printf("[%s] warm  %.1f s simulated in %.3f s: %u concurrent\n", sec, (double)TCP_WARMUP / 1e9,
	       t1 - t0, pop);
	t0 = now_s();
	double c0 = cpu_s();
	CALLGRIND_TOGGLE_COLLECT;
	uint64_t life = floor_run(&f, warm, end);
	CALLGRIND_TOGGLE_COLLECT;
	double cpu = cpu_s() - c0;
	t1 = now_s();
	double wall = t1 - t0;
	report_rate(sec, "run", life, "lifecycles", wall, 0);
	printf("[%s] run   thread CPU time %.3f s: %.3f M lifecycles per CPU second\n", sec, cpu,
	       cpu > 0 ? (double)life / cpu / 1e6 : 0.0);
	floor_life_cpu = cpu > 0 ? (double)life / cpu : 0;
	row.lifecycles_cpu_s = cpu > 0 ? (double)life / cpu : NAN;
	double per = pop ? (double)(rss1 - rss0) * 1024 / pop : 0;
	printf("[%s] mem   records %zu B + heads %.1f B (%u x 4 B) per lifecycle in flight;"
	       " resident %.1f bytes each\n", sec, sizeof(floor_rec),
	       4.0 * FLOOR_HEADS / (pop ? pop : 1), FLOOR_HEADS, per);
	floor_life_s = (double)life / wall;
	row.lifecycles_s = floor_life_s;
	row.events_s = floor_life_s;  /* one arrival and one expiry per lifecycle: no engine */
	row.sim_per_wall = opt_window / wall;
	row.bytes_per_object = per;
	row.object = "record";
	free(f.ring);
	free(f.heads);
	free(f.ports);
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
	{ "calendar", "engine: the same through the calendar queue", bench_calendar },
	{ "floor", "the floor: a lifecycle's unavoidable work, 1M concurrent (the tcp section's load)", bench_floor },
	{ "tcp", "socket layer: 1M TIME_WAIT, 1 client host, 64 destinations", bench_tcp },
	{ "tcp64", "socket layer: 1M TIME_WAIT over 64 client hosts", bench_tcp64 },
	{ "nat", "conntrack + NAT: 1M conntrack entries, 16 clients behind MASQUERADE", bench_nat },
	{ "natsmall", "the nat world at 1/32 (~38k entries): its cost with the table in cache", bench_natsmall },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *to)
{
	fprintf(to, "usage: bench [-n EVENTS] [-p PENDING] [-w SECONDS] [--csv FILE] [--list] [all | SECTION...]\n");
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

static void csv_cell(FILE *f, double v)
{
	if (isnan(v))
		fputc(',', f);
	else
		fprintf(f, ",%.6g", v);
}

static void csv_row(FILE *f, const sec_row *r)
{
	fputs(r->section, f);
	csv_cell(f, r->events_s);
	csv_cell(f, r->lifecycles_s);
	csv_cell(f, r->sim_per_wall);
	csv_cell(f, r->peak_rss_mib);
	csv_cell(f, r->bytes_per_object);
	fprintf(f, ",%s", r->object ? r->object : "");
	csv_cell(f, r->floor_ratio);
	csv_cell(f, r->lifecycles_cpu_s);
	csv_cell(f, r->floor_ratio_cpu);
	fputc('\n', f);
}

static void run_section_here(const section *s)
{
	malloc_trim(0);
	if (hwm_resettable)
		hwm_resettable = reset_hwm();
	row = (sec_row){ .events_s = NAN, .lifecycles_s = NAN, .sim_per_wall = NAN,
			 .bytes_per_object = NAN, .floor_ratio = NAN, .lifecycles_cpu_s = NAN,
			 .floor_ratio_cpu = NAN };
	snprintf(row.section, sizeof row.section, "%s", s->name);
	double t0 = now_s();
	s->run(s->name);
	long hwm = proc_status_kb("VmHWM");
	row.peak_rss_mib = hwm >= 0 ? (double)hwm / 1024 : NAN;
	/* the floor's workload is the socket sections' */
	if (floor_life_s > 0 && !isnan(row.lifecycles_s) && !strncmp(s->name, "tcp", 3)) {
		row.floor_ratio = row.lifecycles_s / floor_life_s;
		printf("[%s] floor %.2f M lifecycles/s against the floor's %.2f M/s: %.1f x from the floor\n",
		       s->name, row.lifecycles_s / 1e6, floor_life_s / 1e6, floor_life_s / row.lifecycles_s);
		if (floor_life_cpu > 0 && row.lifecycles_cpu_s > 0) {
			row.floor_ratio_cpu = row.lifecycles_cpu_s / floor_life_cpu;
			printf("[%s] floor per CPU second: %.2f M against the floor's %.2f M: %.1f x from the floor\n",
			       s->name, row.lifecycles_cpu_s / 1e6, floor_life_cpu / 1e6,
			       floor_life_cpu / row.lifecycles_cpu_s);
		}
	}
	printf("[%s] done in %.2f s\n", s->name, now_s() - t0);
	printf("csv,");
	csv_row(stdout, &row);
	putchar('\n');
	fflush(stdout);
}

/* Each section runs in a process of its own, which sends its row back: its
 * VmRSS and VmHWM then count its world alone, not what the allocator kept
 * of the sections before it (in one process, after heap and calendar, the
 * 64-host world read 134 bytes per TIME_WAIT; on its own, 128). */
static void run_section(const section *s)
{
	int fd[2];
	fflush(stdout);
	if (pipe(fd) != 0) {
		perror("bench: pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench: fork");
		exit(1);
	}
	if (pid == 0) {
		close(fd[0]);
		run_section_here(s);
		ssize_t w = write(fd[1], &row, sizeof row);  /* < PIPE_BUF: one write */
		_exit(w == (ssize_t)sizeof row ? 0 : 1);
	}
	close(fd[1]);
	sec_row r;
	ssize_t got;
	do
		got = read(fd[0], &r, sizeof r);
	while (got < 0 && errno == EINTR);
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench: section %s failed\n", s->name);
		exit(1);
	}
	if (!strcmp(s->name, "floor")) {  /* for the socket sections' ratios */
		floor_life_s = r.lifecycles_s;
		floor_life_cpu = r.lifecycles_cpu_s;
	}
	if (nrows < MAX_ROWS)
		rows[nrows++] = r;
}

/* --csv FILE: the header and every section's row, written to a temporary
 * and renamed. */
static void write_csv(const char *path)
{
	char *tmp = g_strdup_printf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", tmp, strerror(errno));
		exit(1);
	}
	fprintf(f, "%s\n", CSV_HEADER);
	for (unsigned i = 0; i < nrows; i++)
		csv_row(f, &rows[i]);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	g_free(tmp);
	printf("csv rows written to %s\n", path);
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
		} else if (!strcmp(a, "--csv") && i + 1 < argc) {
			opt_csv = argv[++i];
		} else if (!strcmp(a, "-w") && i + 1 < argc) {
			opt_window = (double)parse_count("-w", argv[++i]);
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

	/* Large blocks always mmapped (glibc otherwise raises the threshold
	 * after the first big free, and later blocks come from the heap, where
	 * what a realloc leaves behind stays resident): VmRSS then counts live
	 * memory, the same whichever sections ran before. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	hwm_resettable = reset_hwm();
	printf("connsim bench, version %s: %" PRIu64 " events per section, %u pending (socket"
	       " sections: %.0f s simulated after %.0f s); wall time of one thread (CLOCK_MONOTONIC)\n\n",
	       connsim_version(), opt_events, opt_pending, opt_window, (double)TCP_WARMUP / 1e9);
	for (size_t k = 0; k < NSECTIONS; k++)
		if (!any || want[k])
			run_section(&sections[k]);
	printf("%s\n", CSV_HEADER);
	for (unsigned i = 0; i < nrows; i++)
		csv_row(stdout, &rows[i]);
	if (opt_csv)
		write_csv(opt_csv);
	return 0;
}
