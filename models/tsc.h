/*
 * tsc: a host's TCP timestamp clock, per-connection offsets and the PAWS
 * comparisons (doc/kernel-rules.md §2.9, §5.1).
 *
 * TSval = clock + offset, where the clock counts jiffies (<= 4.12) or
 * milliseconds (4.13+, tcp_clock_ms) since a random boot instant, and the
 * offset is secure_tcp_ts_off(): none before 4.10, a keyed hash of
 * (saddr, daddr) from 4.11, of the 4-tuple in 4.10 and in 2026 kernels;
 * tcp_timestamps = 2 turns offsets off.  Seconds for ts_recent_stamp are
 * monotonic seconds since the same boot instant, so whole-second boundaries
 * fall at a random phase for each host.
 */
#ifndef CONNSIM_TSC_H
#define CONNSIM_TSC_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/ehash.h"
#include "models/prof.h"

typedef struct tsc {
	uint64_t boot_ns;   /* simulated time 0 is boot_ns after this host booted */
	uint64_t secret;
	unsigned hz;
	bool ms_clock;
	prof_tsoff offsets; /* TSOFF_NONE when tcp_timestamps = 2 */
} tsc;

void tsc_init(tsc *c, const prof *p, unsigned hz, int tcp_timestamps, gsl_rng *kernel_rng);

/* Ticks per second of the clock (1000 or HZ). */
unsigned tsc_rate(const tsc *c);
/* secure_tcp_ts_off for a connection seen from this host. */
uint32_t tsc_offset(const tsc *c, const tuple4 *t);

/* The clocks are read on every segment: inline. */

static inline uint64_t tsc_jiffies(const tsc *c, uint64_t now_ns)
{
	uint64_t t = c->boot_ns + now_ns;
	return (t / 1000000000ULL) * c->hz + (t % 1000000000ULL) * c->hz / 1000000000ULL;
}

/* tcp_clock_ms() */
static inline uint64_t tsc_ms(const tsc *c, uint64_t now_ns)
{
	return (c->boot_ns + now_ns) / 1000000ULL;
}

/* tcp_time_stamp: the raw clock, in its ticks. */
static inline uint32_t tsc_clock(const tsc *c, uint64_t now_ns)
{
	return (uint32_t)(c->ms_clock ? tsc_ms(c, now_ns) : tsc_jiffies(c, now_ns));
}

/* get_seconds()/ktime_get_seconds(): whole seconds since boot. */
static inline uint32_t tsc_seconds(const tsc *c, uint64_t now_ns)
{
	return (uint32_t)((c->boot_ns + now_ns) / 1000000000ULL);
}

/* (int32)(a - b) > 0: a is after b, modulo 2^32. */
static inline bool ts_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

#define TCP_PAWS_MSL    60        /* s, include/net/tcp.h */
#define TCP_PAWS_WINDOW 1
#define TCP_PAWS_24DAYS (60 * 60 * 24 * 24)

/*
 * tcp_paws_reject() as a timewait minisocket applies it (window 0): reject a
 * TSval older than ts_recent, unless ts_recent_stamp is 24 days old, or the
 * segment is a RST and the stamp is at least TCP_PAWS_MSL old.
 */
bool tsc_paws_reject(uint32_t ts_recent, uint32_t ts_recent_stamp, uint32_t tsval, uint32_t now_s,
		     bool rst);

#endif
