#include "models/tsc.h"

#include "sim/rng.h"

void tsc_init(tsc *c, const prof *p, unsigned hz, int tcp_timestamps, gsl_rng *r)
{
	/* Uptime up to ~50 days: unrelated clocks on different hosts (pre-4.10
	 * the raw clock is what peers see). */
	c->boot_ns = (uint64_t)rng_below(r, 4000000) * 1000000000ULL + rng_below(r, 1000000000);
	c->secret = rng_u64(r);
	c->hz = hz;
	c->ms_clock = p->ts_ms_clock;
	c->offsets = tcp_timestamps == 2 ? TSOFF_NONE : p->tsoff;
}

unsigned tsc_rate(const tsc *c)
{
	return c->ms_clock ? 1000 : c->hz;
}

/* secure_tcp_ts_off (net/core/secure_seq.c): a keyed hash; siphash in the
 * kernel, a keyed splitmix here (the key is random, only independence matters). */
uint32_t tsc_offset(const tsc *c, const tuple4 *t)
{
	switch (c->offsets) {
	case TSOFF_NONE:
		return 0;
	case TSOFF_HOSTPAIR:
		return (uint32_t)rng_splitmix64(c->secret ^ ((uint64_t)t->laddr << 32 | t->faddr));
	case TSOFF_4TUPLE:
		return (uint32_t)rng_splitmix64(rng_splitmix64(c->secret ^ ((uint64_t)t->laddr << 32 | t->faddr)) ^
						((uint64_t)t->lport << 16 | t->fport));
	}
	return 0;
}

/* tcp_paws_check / tcp_paws_reject (include/net/tcp.h) */
bool tsc_paws_reject(uint32_t ts_recent, uint32_t ts_recent_stamp, uint32_t tsval, uint32_t now_s,
		     bool rst)
{
	/* tcp_paws_check(rx_opt, 0) */
	if ((int32_t)(ts_recent - tsval) <= 0)
		return false;
	if (now_s >= ts_recent_stamp + TCP_PAWS_24DAYS)
		return false;
	if (!ts_recent)
		return false;
	/* RST with an old stamp is accepted (RFC 7323 5.7). */
	if (rst && now_s >= ts_recent_stamp + TCP_PAWS_MSL)
		return false;
	return true;
}
