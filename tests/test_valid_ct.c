/*
 * Validation of the conntrack table against closed forms (doc/kernel-rules.md
 * §9.2, §9.3), driving it directly with synthetic packets: a Poisson flow
 * generator whose every packet is an engine event.  Fixed seeds; tolerances
 * from the 99 % confidence interval over independent replications.
 *
 * 1. Chain lengths.  n = 2 x count nodes (both tuples of every entry, hashed
 *    independently) into m buckets: the number of buckets holding k nodes
 *    follows Poisson(alpha = 2 count / m).  Chi-square goodness of fit at the
 *    1 % level, cells pooled until their expectation reaches 5, for alpha
 *    = 1, 4, 8.
 *
 * 2. Little's law.  Flows closed normally (SYN, SYN/ACK, ACK 5 ms apart; a
 *    life ~ Exp(10 s); FIN/ACK, ACK, FIN/ACK, ACK 5 ms apart) hold an entry
 *    for 10 ms + life + 15 ms + T[TIME_WAIT] = 130.025 s on average; the
 *    time-average number of live entries must be rate x 130.025 s.  With
 *    per-entry timers (4.4) nf_conntrack_count is that number; with the gc
 *    worker (current) the count also holds dead entries until a pass reaps
 *    them, so the live entries (the state gauges) are checked, and the lag
 *    is reported.
 *
 * 3. Erlang B.  Every entry ASSURED (the handshake and the close happen in
 *    one instant), nf_conntrack_max = 64, so early_drop never finds a victim
 *    and a new flow is refused exactly when the table is full; refused SYNs
 *    are lost, not retried.  Holding time = life (~ Exp(100 s)) + 120 s of
 *    TIME_WAIT: the fraction refused is B(64, rate x 220 s) with per-entry
 *    timers.  With the gc worker, dead entries hold their slot until reaped
 *    (early_drop's reaping frees room but does not count as a drop, so the
 *    packet is dropped all the same), and more flows are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/ct.h"
#include "sim/rng.h"

#define SEED 777u
#define SADDR 0x0a010001u /* 10.1.0.1 */
#define STEP (5 * EV_MS)

static double erlang_b(unsigned n, double a)
{
	return gsl_ran_poisson_pdf(n, a) / gsl_cdf_poisson_P(n, a);
}

static void ci99(const double *x, size_t r, double *mean, double *hw)
{
	*mean = gsl_stats_mean(x, 1, r);
	*hw = gsl_cdf_tdist_Pinv(0.995, (double)(r - 1)) * gsl_stats_sd(x, 1, r) / sqrt((double)r);
}

static void cfg_default(ct_cfg *k, const char *profile, uint32_t buckets, uint32_t max)
{
	memset(k, 0, sizeof *k);
	const prof *p = prof_find(profile);
	assert_non_null(p);
	ct_cfg_rules(k, p);
	k->hz = 250;
	k->buckets = buckets;
	k->max = max;
	static const unsigned t[CT_NTIMEOUTS] = { 120, 60, 432000, 120, 60, 30, 120, 10, 300, 300 };
	memcpy(k->timeout, t, sizeof t);
	k->loose = true;
	k->max_retrans = 3;
}

/* ---- 1. chain lengths ----------------------------------------------------- */

/* Chi-square statistic of a bucket histogram against Poisson(alpha); cells
 * pooled from the left until the expectation reaches 5, the tail (k >= the
 * last cell's start) in the last cell.  Returns the p-value. */
static double chi2_poisson(const uint64_t *hist, unsigned n, uint64_t m, double alpha, unsigned *cells)
{
	double stat = 0, obs = 0, exp = 0;
	unsigned c = 0;
	uint64_t tail_obs = 0;
	for (unsigned k = 0; k < n; k++)
		tail_obs += hist[k];
	for (unsigned k = 0; k < n - 1; k++) {
		obs += (double)hist[k];
		exp += (double)m * gsl_ran_poisson_pdf(k, alpha);
		tail_obs -= hist[k];
		double tail_exp = (double)m * gsl_cdf_poisson_Q(k, alpha);
		if (exp >= 5 && tail_exp >= 5) {
			stat += (obs - exp) * (obs - exp) / exp;
			c++;
			obs = exp = 0;
		} else if (tail_exp < 5) {
			/* the rest goes into this cell */
			obs += (double)tail_obs;
			exp += tail_exp;
			stat += (obs - exp) * (obs - exp) / exp;
			c++;
			break;
		}
	}
	*cells = c;
	return gsl_cdf_chisq_Q(stat, (double)(c - 1));
}

static void test_chain_lengths_poisson(void **state)
{
	(void)state;
	const double alphas[] = { 1, 4, 8 };
	const uint32_t m = 16384;
	for (size_t a = 0; a < 3; a++) {
		ct_cfg k;
		cfg_default(&k, "current", m, 0);
		ev_loop *L = ev_loop_new(NULL);
		probe_set *ps = probe_set_new();
		gsl_rng *kr = rng_stream(SEED, (uint32_t)a, "box/kernel"), *r = rng_stream(SEED, (uint32_t)a, "valid/tuples");
		ct_table *ct = ct_new(&k, L, ps, "ct", kr);
		uint32_t n = (uint32_t)(alphas[a] * m / 2);
		for (uint32_t i = 0; i < n; i++) {
			ct_pkt p = { { rng_u32(r), rng_u32(r), (uint16_t)rng_u32(r), (uint16_t)rng_u32(r) }, CT_F_SYN, 1, 0, 0 };
			ct_result res;
			assert_int_equal(ct_in(ct, &p, NULL, NULL, &res), CT_ACCEPT);
		}
		assert_int_equal(ct_count(ct), n);
		uint64_t hist[80];
		uint32_t longest = ct_chain_hist(ct, hist, 80);
		unsigned cells;
		double pv = chi2_poisson(hist, 80, m, alphas[a], &cells);
		print_message("chains: alpha %.0f, %u entries in %u buckets: longest %u, empty %.4f (e^-alpha %.4f), "
			      "chi2 p = %.3f over %u cells\n",
			      alphas[a], n, m, longest, (double)hist[0] / m, exp(-alphas[a]), pv, cells);
		assert_true(pv > 0.01);
		ct_free(ct);
		rng_free(kr);
		rng_free(r);
		probe_set_free(ps);
		ev_loop_free(L);
	}
}

/* ---- the flow generator --------------------------------------------------- */

typedef enum mode { LITTLE, ERLANG } mode;

typedef struct vflow {
	ct_tuple t;
	uint32_t cseq, sseq;
} vflow;

typedef struct drv {
	ev_loop *L;
	probe_set *ps;
	ct_table *ct;
	gsl_rng *r;
	mode m;
	double rate, life_mean;
	ev_kind k_arr, k_pkt;
	GArray *flows;
	ev_time w0, w1;
	uint64_t attempts, refused;
} drv;

static void pkt(drv *d, uint32_t id, bool from_client, uint8_t flags, ct_result *res)
{
	vflow *f = &g_array_index(d->flows, vflow, id);
	uint32_t *mine = from_client ? &f->cseq : &f->sseq, *peer = from_client ? &f->sseq : &f->cseq;
	ct_pkt p = { from_client ? f->t : ct_invert(&f->t), flags, *mine, (flags & CT_F_ACK) ? *peer : 0, 0 };
	ct_in(d->ct, &p, NULL, NULL, res);
	*mine += !!(flags & CT_F_SYN) + !!(flags & CT_F_FIN);
}

static ev_time life(drv *d)
{
	return (ev_time)(gsl_ran_exponential(d->r, d->life_mean) * 1e9);
}

/* Steps of a flow: 0 SYN, 1 SYN/ACK, 2 ACK, (life), 3 FIN/ACK, 4 ACK,
 * 5 FIN/ACK, 6 ACK.  ERLANG runs 0-2 and 3-6 each in one instant. */
static void on_pkt(void *ctx, uint32_t id, uint32_t step)
{
	drv *d = ctx;
	ct_result res;
	switch (step) {
	case 1:
		pkt(d, id, false, CT_F_SYN | CT_F_ACK, &res);
		ev_after(d->L, STEP, d->k_pkt, id, 2);
		break;
	case 2:
		pkt(d, id, true, CT_F_ACK, &res);
		ev_after(d->L, life(d), d->k_pkt, id, 3);
		break;
	case 3:
		pkt(d, id, true, CT_F_FIN | CT_F_ACK, &res);
		if (d->m == ERLANG) {
			pkt(d, id, false, CT_F_ACK, &res);
			pkt(d, id, false, CT_F_FIN | CT_F_ACK, &res);
			pkt(d, id, true, CT_F_ACK, &res);
			assert_int_equal(ct_entry_state(d->ct, res.entry), CT_TIME_WAIT);
		} else {
			ev_after(d->L, STEP, d->k_pkt, id, 4);
		}
		break;
	case 4:
		pkt(d, id, false, CT_F_ACK, &res);
		ev_after(d->L, STEP, d->k_pkt, id, 5);
		break;
	case 5:
		pkt(d, id, false, CT_F_FIN | CT_F_ACK, &res);
		ev_after(d->L, STEP, d->k_pkt, id, 6);
		break;
	case 6:
		pkt(d, id, true, CT_F_ACK, &res);
		assert_int_equal(ct_entry_state(d->ct, res.entry), CT_TIME_WAIT);
		break;
	default:
		break;
	}
	assert_true(res.tracked);
}

static void on_arrival(void *ctx, uint32_t obj, uint32_t arg)
{
	(void)obj;
	(void)arg;
	drv *d = ctx;
	ev_time t = ev_now(d->L);
	if (t >= d->w1)
		return;
	ev_after(d->L, (ev_time)(gsl_ran_exponential(d->r, 1.0 / d->rate) * 1e9) + 1, d->k_arr, 0, 0);
	uint32_t id = d->flows->len;
	/* a fresh 4-tuple per flow: 10.0.0.0/8 clients, ports 1024-17407 */
	vflow f = { { 0x0a000000u + (id >> 14), SADDR, (uint16_t)(1024 + (id & 16383)), 80 },
		    rng_u32(d->r), rng_u32(d->r) };
	g_array_append_val(d->flows, f);
	ct_result res;
	ct_verdict v;
	pkt(d, id, true, CT_F_SYN, &res);
	v = res.tracked ? CT_ACCEPT : CT_DROP;
	bool in_window = t >= d->w0;
	if (in_window)
		d->attempts++;
	if (v == CT_DROP) {  /* refused: lost, not retried */
		if (in_window)
			d->refused++;
		return;
	}
	if (d->m == ERLANG) {
		pkt(d, id, false, CT_F_SYN | CT_F_ACK, &res);
		pkt(d, id, true, CT_F_ACK, &res);
		assert_true(ct_entry_assured(d->ct, res.entry));
		ev_after(d->L, life(d), d->k_pkt, id, 3);
	} else {
		ev_after(d->L, STEP, d->k_pkt, id, 1);
	}
}

typedef struct rep_out {
	double count, live, refused;
	uint64_t invalid, events;
} rep_out;

static rep_out one_rep(const char *profile, mode m, uint32_t buckets, uint32_t max, double rate, double life_mean,
		       double w0_s, double w1_s, uint32_t rep)
{
	ct_cfg k;
	cfg_default(&k, profile, buckets, max);
	drv d = { 0 };
	d.L = ev_loop_new(NULL);
	d.ps = probe_set_new();
	gsl_rng *kr = rng_stream(SEED, rep, "box/kernel");
	d.r = rng_stream(SEED, rep, m == LITTLE ? "valid/little" : "valid/erlang");
	d.ct = ct_new(&k, d.L, d.ps, "ct", kr);
	d.m = m;
	d.rate = rate;
	d.life_mean = life_mean;
	d.k_arr = ev_kind_register(d.L, "arrival", on_arrival, &d);
	d.k_pkt = ev_kind_register(d.L, "packet", on_pkt, &d);
	d.flows = g_array_new(FALSE, FALSE, sizeof(vflow));
	d.w0 = (ev_time)(w0_s * 1e9);
	d.w1 = (ev_time)(w1_s * 1e9);
	ev_at(d.L, 0, d.k_arr, 0, 0);

	const char *states[] = { "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
				 "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2" };
	probe_gauge *count = probe_gauge_get(d.ps, "ct.count", NULL), *st[9];
	for (int i = 0; i < 9; i++) {
		char name[64];
		snprintf(name, sizeof name, "ct.state.%s", states[i]);
		st[i] = probe_gauge_get(d.ps, name, NULL);
	}
	ev_run(d.L, d.w0);
	double c0 = probe_gauge_area(count, d.w0), l0 = 0;
	for (int i = 0; i < 9; i++)
		l0 += probe_gauge_area(st[i], d.w0);
	ev_run(d.L, d.w1);
	double c1 = probe_gauge_area(count, d.w1), l1 = 0;
	for (int i = 0; i < 9; i++)
		l1 += probe_gauge_area(st[i], d.w1);
	double span = (double)(d.w1 - d.w0);
	ev_stats es;
	ev_get_stats(d.L, &es);
	rep_out o = { (c1 - c0) / span, (l1 - l0) / span, (double)d.refused / (double)d.attempts,
		      *probe_counter(d.ps, "ct.invalid", NULL), es.run };
	ct_free(d.ct);
	g_array_free(d.flows, TRUE);
	rng_free(kr);
	rng_free(d.r);
	probe_set_free(d.ps);
	ev_loop_free(d.L);
	return o;
}

/* ---- 2. Little's law -------------------------------------------------------- */

#define R_LITTLE 10

static void test_little(void **state)
{
	(void)state;
	const double rate = 20, life_mean = 10, lifetime = 0.010 + life_mean + 0.015 + 120;
	const double want = rate * lifetime;
	const char *profiles[] = { "4.4", "current" };
	for (int p = 0; p < 2; p++) {
		double live[R_LITTLE], count[R_LITTLE];
		uint64_t events = 0;
		for (uint32_t r = 0; r < R_LITTLE; r++) {
			rep_out o = one_rep(profiles[p], LITTLE, 4096, 100000, rate, life_mean, 400, 1000, r);
			assert_int_equal(o.invalid, 0);
			assert_true(o.refused == 0);
			live[r] = o.live;
			count[r] = o.count;
			events += o.events;
		}
		double ml, hl, mc, hc;
		ci99(live, R_LITTLE, &ml, &hl);
		ci99(count, R_LITTLE, &mc, &hc);
		print_message("little %-7s: live %.1f +- %.1f, count %.1f +- %.1f, rate x E[lifetime] = %.1f "
			      "(%.2f M events)\n",
			      profiles[p], ml, hl, mc, hc, want, (double)events / 1e6);
		assert_true(fabs(ml - want) <= hl);
		if (p == 0) {
			assert_true(fabs(mc - ml) < 1e-9 * want);  /* timers: nothing lingers */
		} else {
			/* dead entries wait for the worker: count above live by
			 * the expiry rate x the mean reaping lag (<= 60 s) */
			double lag = (mc - ml) / rate;
			print_message("little current: mean reaping lag %.1f s\n", lag);
			assert_true(lag > 0 && lag < 60);
		}
	}
}

/* ---- 3. Erlang B -------------------------------------------------------------- */

#define R_ERLANG 10

static void test_erlang_b(void **state)
{
	(void)state;
	const unsigned n = 64;
	const double life_mean = 100, hold = life_mean + 120, rate = 0.25, a = rate * hold;
	const double b = erlang_b(n, a);
	const char *profiles[] = { "4.4", "current" };
	for (int p = 0; p < 2; p++) {
		double x[R_ERLANG];
		for (uint32_t r = 0; r < R_ERLANG; r++) {
			rep_out o = one_rep(profiles[p], ERLANG, 64, n, rate, life_mean, 2000, 102000, r);
			assert_int_equal(o.invalid, 0);
			x[r] = o.refused;
		}
		double m, hw;
		ci99(x, R_ERLANG, &m, &hw);
		print_message("erlang %-7s: N = %u, A = %.1f: refused %.4f +- %.4f, Erlang B %.4f\n", profiles[p], n, a,
			      m, hw, b);
		if (p == 0)
			assert_true(fabs(m - b) <= hw);
		else
			assert_true(m - hw > b);  /* lazy reaping refuses more */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_lengths_poisson),
		cmocka_unit_test(test_little),
		cmocka_unit_test(test_erlang_b),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
