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
 *
 * A section is a function in `sections` below (the socket layer's are tcp and
 * tcp64; conntrack will add its own there).  Times are CLOCK_MONOTONIC wall time of one thread.
 * Memory: the engine's own figure (ev_get_stats().bytes) per pending event,
 * and the process's peak RSS (VmHWM), which is reset before each section when
 * the kernel allows it (/proc/self/clear_refs), cumulative otherwise.
 */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/exp.h"
#include "models/kconf.h"
#include "models/tcp.h"
#include "models/world.h"
#include "sim/cfg.h"
#include "sim/ev.h"
#include "sim/evq.h"
#include "sim/probe.h"
#include "sim/rng.h"

#ifndef CONNSIM_VERSION
#define CONNSIM_VERSION "unknown"
#endif

static uint64_t opt_events = 10000000;  /* events run per section */
static uint32_t opt_pending = 1000000;  /* events pending throughout */
static double opt_window = 61;          /* socket sections: simulated seconds measured */
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

static void bench_tcp_world(const char *sec, const tcp_bench_spec *sp)
{
	printf("[%s] %s\n", sec, sp->what);
	long rss0 = proc_status_kb("VmRSS");
	cfg *c = cfg_new(exp_schema(), kconf_aliases);
	GError *err = NULL;
	for (const char *const *s = sp->sets; *s; s++)
		if (!cfg_set_arg(c, *s, &err)) {
			fprintf(stderr, "bench: %s\n", err->message);
			exit(1);
		}
	ev_time end = TCP_WARMUP + (ev_time)(opt_window * 1e9);
	ev_loop *L = ev_loop_new(NULL);
	probe_set *ps = probe_set_new();
	world *W = world_new(c, L, ps, 1, 0, end, &err);
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
	uint64_t ran = ev_run(L, end);
	t1 = now_s();
	double wall = t1 - t0, sim = opt_window;
	uint64_t life = kind_count(L, "tw_timer") - tw0, est = *estab - est0, att = *attempts - att0;
	report_rate(sec, "run", life, "lifecycles", wall, 1);
	report_rate(sec, "run", est, "handshakes", wall, 0);
	report_rate(sec, "run", ran, "events", wall, 0);
	printf("[%s] run   %.1f s simulated in %.3f s = %.1f simulated s per wall s;"
	       " %" PRIu64 " connect() calls, %.1f events per lifecycle\n",
	       sec, sim, wall, sim / wall, att, life ? (double)ran / (double)life : 0.0);

	/*
	 * Memory per TIME_WAIT, at steady state:
	 *  - records: what each holds by construction (its minisocket, its
	 *    timer's engine slot and lane entry) plus its share of the ehash
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
	size_t rec = tcp_tw_record_bytes(), slot = ev_slot_bytes(), ent = sizeof(evq_ent);
	double eh = 4.0 * (double)ehash_heads * per;
	double a = (double)(rec + slot + ent) + eh;
	printf("[%s] mem   %" PRIu64 " TIME_WAIT; records: tw_sock %zu + engine slot %zu + lane entry"
	       " %zu + ehash heads %.1f (%" PRIu64 " x 4 B, all hosts) = %.1f bytes per TIME_WAIT"
	       "   target <= 128: %s\n",
	       sec, ntw, rec, slot, ent, eh, ehash_heads, a, a <= 128 ? "met" : "MISSED");
	if (rss0 >= 0 && rss_w >= 0 && rss1 >= 0) {
		double r = (double)(rss1 - rss0) * 1024 * per, rt = (double)(rss1 - rss_w) * 1024 * per;
		printf("[%s] mem   resident: VmRSS +%.1f MiB = %.1f bytes per TIME_WAIT (empty world"
		       " %.1f MiB, then %.1f bytes per TIME_WAIT)   target <= 128: %s\n",
		       sec, (double)(rss1 - rss0) / 1024, r, (double)(rss_w - rss0) / 1024, rt,
		       r <= 128 ? "met" : "MISSED");
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
	{ "tcp", "socket layer: 1M TIME_WAIT, 1 client host, 64 destinations", bench_tcp },
	{ "tcp64", "socket layer: 1M TIME_WAIT over 64 client hosts", bench_tcp64 },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *to)
{
	fprintf(to, "usage: bench [-n EVENTS] [-p PENDING] [-w SECONDS] [--list] [all | SECTION...]\n");
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
	malloc_trim(0);
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
	       CONNSIM_VERSION, opt_events, opt_pending, opt_window, (double)TCP_WARMUP / 1e9);
	for (size_t k = 0; k < NSECTIONS; k++)
		if (!any || want[k])
			run_section(&sections[k]);
	return 0;
}
