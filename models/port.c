/*
 * port: the bind hash (bhash) of one host and the two port searches that use
 * it, __inet_hash_connect (net/ipv4/inet_hashtables.c, connect() on an
 * unbound socket) and inet_csk_get_port / inet_csk_find_open_port
 * (net/ipv4/inet_connection_sock.c, bind()).  doc/kernel-rules.md §3.
 *
 * Layout.  The kernel keeps one inet_bind_bucket per (netns, port, l3mdev) in
 * a hash of min(ehash, 65536) chains (§8.3), so with 64K chains every port of
 * a netns has its own chain.  Here the table is that, flattened: a 65536-entry
 * array of 12-byte buckets indexed by port (768 KiB of address space, of which
 * calloc only backs the pages a run touches: the range of a client, a few
 * server ports), with owner counts instead of owner lists.  A bucket exists
 * while owners > 0 (inet_bind_bucket_destroy frees it with its last owner,
 * timewait minisockets included).  connect() must be O(1) amortized on a
 * mostly free range: every candidate costs one array read, plus one check()
 * call when another destination already uses the port, which is exactly the
 * kernel's work (bucket lookup, then __inet_check_established).
 *
 * The kernel's cost cliff: with the parity algorithms, once more than half of
 * the range is held for one destination, every connect() to it walks the
 * whole first-parity half, calling check() on each port, before the second
 * pass finds a port of the other parity (pass 2 restarts i at 0, so the start
 * hardly moves).  At the default range that is about 14000 check() calls per
 * connect.  Here the walk passes over ports the caller knows refused 64 at a
 * time (the dest bitmap of port_connect_dest: 4-tuples taken, or, under
 * tcp_tw_reuse, refusals recorded until they can change, ehash_refused), so
 * its cost is a few hundred word reads at most, and check() runs only on
 * ports not known refused: bounded however full the range is, with the
 * kernel's choice of port unchanged.
 *
 * The secret hash.  secure_ipv4_port_ephemeral (net/core/secure_seq.c) is
 * SipHash keyed by the boot secret net_secret (MD5 before 4.11).  The secret
 * is random, so no result depends on the exact function; this model keys a
 * two-round splitmix64 mix (sim/rng.h rng_splitmix64) with 128 bits drawn from
 * the host's kernel stream.  That is a good 64-bit mix, not SipHash bit for
 * bit, and not meant to resist an attacker.
 */
#include "models/port.h"

#include "sim/bug.h"
#include "sim/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PORT_NR 65536u

/* INET_TABLE_PERTURB_SIZE (inet_hashtables.c): 1 << CONFIG_INET_TABLE_PERTURB_ORDER
 * (default 16) since 5.18 and the 2022 stable fixes; 1 << INET_TABLE_PERTURB_SHIFT
 * (8) in 5.12-5.17. */
#define PERTURB_SIZE (1u << 16)
#define PERTURB256_SHIFT 8
#define PERTURB256_SIZE (1u << PERTURB256_SHIFT)

/* GOLDEN_RATIO_32 (include/linux/hash.h), for hash_32(). */
#define GOLDEN_RATIO_32 0x61C88647u

/* EPHEMERAL_PORT_SHUFFLE_PERIOD (net/core/secure_seq.c) = 10 * HZ. */
#define SHUFFLE_PERIOD_S 10u

#define NSEC_PER_SEC 1000000000ull

/* struct inet_bind_bucket, reduced to what one address needs. */
typedef struct port_bucket {
	/* Two words, not three (one per field): 64 hosts' tables are a
	 * sixth of a run's memory.  The bounds are BUG_ONs: a million sockets
	 * on one port of one host is far past any budget. */
	uint32_t owners : 24;   /* tb->owners: full sockets and timewait minisockets */
	uint32_t listeners : 8; /* owners in TCP_LISTEN */
	uint32_t reuse : 24;    /* owners with sk_reuse (SO_REUSEADDR; tw_reuse for a timewait) */
	int32_t fastreuse : 8;  /* tb->fastreuse: -1 created by connect(), 0/1 by bind() */
} port_bucket;
#define BUCKET_MAX_OWNERS ((1u << 24) - 1)
#define BUCKET_MAX_LISTENERS 255u
_Static_assert(sizeof(port_bucket) == 8, "port_bucket packs into two words");

struct port_table {
	port_cfg cfg;          /* cfg.reserved points at reserved below, or is NULL */
	gsl_rng *rng;
	port_bucket *b;        /* [PORT_NR] */
	uint8_t *reserved;     /* [PORT_NR / 8] copy, or NULL */
	uint32_t *perturb;     /* table_perturb, NULL until the first connect() or while lazy */
	struct perturb_lazy *lazy;  /* table_perturb drawn word by word (perturb_slot) */
	uint64_t k0, k1;       /* net_secret */
	bool secret_drawn;
	uint32_t hint;         /* `static u32 hint` of __inet_hash_connect (<= 5.11) */
	uint32_t in_use;       /* buckets that exist */
	uint32_t usable;       /* port_usable(), fixed at creation */
	/* Ports connect() passes over for every destination: reserved, or a
	 * bucket made by bind() (fastreuse >= 0).  Lets the scans below skip 64
	 * ports per word instead of visiting each (same result, see next_open). */
	uint64_t skip[PORT_NR / 64];
	/* Ports with a bucket (owners > 0).  Most candidates have none, and
	 * this bitmap (8 KiB, in cache) says so without reading the bucket,
	 * a cache miss at a random port of 768 KiB per host: the scan's
	 * main cost.  A new bucket is then written without being read. */
	uint64_t owned[PORT_NR / 64];
};

/* inet_is_local_reserved_port (include/net/ip.h): test_bit on the sysctl bitmap. */
static inline bool port_reserved(const port_table *t, uint32_t port)
{
	return t->reserved && (t->reserved[port >> 3] >> (port & 7) & 1);
}

static inline bool has_bucket(const port_table *t, uint32_t port)
{
	return t->owned[port >> 6] >> (port & 63) & 1;
}

/* Recompute port's bits of t->skip and t->owned after any change to its
 * bucket. */
static inline void sync_skip(port_table *t, uint32_t port)
{
	const port_bucket *b = &t->b[port];
	bool skip = port_reserved(t, port) || (b->owners && b->fastreuse >= 0);
	uint64_t bit = 1ull << (port & 63);
	if (skip)
		t->skip[port >> 6] |= bit;
	else
		t->skip[port >> 6] &= ~bit;
	if (b->owners)
		t->owned[port >> 6] |= bit;
	else
		t->owned[port >> 6] &= ~bit;
}

static bool is_parity_algo(port_algo a)
{
	return a == PORT_ALGO_PARITY_HINT || a == PORT_ALGO_PERTURB256 || a == PORT_ALGO_PERTURB;
}

static uint32_t count_usable(const port_table *t)
{
	uint32_t low = t->cfg.low, high = t->cfg.high, n = 0;
	for (uint32_t p = low; p <= high; p++)
		n += !port_reserved(t, p);
	/* The parity scan visits remaining = size & ~1 positions: for an odd size
	 * it leaves out high when the pass-1 offset is 0 and low otherwise (see
	 * scan_parity).  If either is reserved, some scan visits every
	 * unreserved port. */
	uint32_t size = high - low + 1;
	if (is_parity_algo(t->cfg.algo) && size > 1 && (size & 1) && !port_reserved(t, low) &&
	    !port_reserved(t, high))
		n--;
	return n;
}

static void perturb_lazy_free(struct perturb_lazy *z);

port_table *port_table_new(const port_cfg *cfg, gsl_rng *rng)
{
	BUG_ON(!cfg || !rng);
	BUG_ON(cfg->low == 0 || cfg->low > cfg->high);
	BUG_ON(cfg->algo > PORT_ALGO_PERTURB);
	BUG_ON(cfg->algo == PORT_ALGO_PERTURB && cfg->hz == 0);

	port_table *t = calloc(1, sizeof(*t));
	BUG_ON(!t);
	t->cfg = *cfg;
	t->rng = rng;
	t->b = calloc(PORT_NR, sizeof(*t->b));
	BUG_ON(!t->b);
	if (cfg->reserved) {
		t->reserved = malloc(PORT_NR / 8);
		BUG_ON(!t->reserved);
		memcpy(t->reserved, cfg->reserved, PORT_NR / 8);
	}
	t->cfg.reserved = t->reserved;
	t->usable = count_usable(t);
	/* sync_skip of every port while no bucket exists: only the reserved
	 * ones are skipped.  (Reading the buckets would make the whole
	 * calloc'ed table resident: 768 KiB per host.) */
	for (uint32_t p = 0; p < PORT_NR; p++)
		if (port_reserved(t, p))
			t->skip[p >> 6] |= 1ull << (p & 63);
	return t;
}

void port_table_free(port_table *t)
{
	if (!t)
		return;
	free(t->b);
	free(t->reserved);
	free(t->perturb);
	perturb_lazy_free(t->lazy);
	free(t);
}

/* ---- secrets and the port offset ---------------------------------------- */

/* net_secret_init: net_get_random_once, i.e. drawn on first use. */
static void secret_init(port_table *t)
{
	if (t->secret_drawn)
		return;
	t->k0 = rng_u64(t->rng);
	t->k1 = rng_u64(t->rng);
	t->secret_drawn = true;
}

/* The keyed hash standing in for siphash_3u32/siphash_4u32 (see the top of
 * the file). */
static uint64_t keyed_hash(const port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport,
			   uint32_t salt)
{
	uint64_t h = rng_splitmix64(t->k0 ^ ((uint64_t)saddr << 32 | daddr));
	return rng_splitmix64(h ^ t->k1 ^ ((uint64_t)dport << 32 | salt));
}

/*
 * jiffies at now_ns after boot.  INITIAL_JIFFIES (include/linux/jiffies.h) is
 * (unsigned long)(unsigned int)(-300 * HZ), so the 10 s salt periods of
 * secure_ipv4_port_ephemeral do not start at boot: at HZ=250 the first one
 * ends 0.816 s after boot, then every 10 s.
 */
static uint64_t jiffies_at(uint32_t hz, uint64_t now_ns)
{
	uint64_t initial = (uint32_t)(0u - 300u * hz);
	return initial + now_ns / NSEC_PER_SEC * hz + now_ns % NSEC_PER_SEC * hz / NSEC_PER_SEC;
}

/*
 * inet_sk_port_offset -> secure_ipv4_port_ephemeral (net/core/secure_seq.c).
 * 5.18+ and the 2022 stable fixes: 64 bits, with the time seed
 * jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD (passed as a u32) mixed in.
 * Before: 32 bits (siphash_3u32 truncated, MD5 before 4.11), no time seed.
 */
static uint64_t port_offset(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport,
			    uint64_t now_ns)
{
	secret_init(t);
	if (t->cfg.algo == PORT_ALGO_PERTURB) {
		uint64_t j = jiffies_at(t->cfg.hz, now_ns);
		uint32_t salt = (uint32_t)(j / ((uint64_t)SHUFFLE_PERIOD_S * t->cfg.hz));
		return keyed_hash(t, saddr, daddr, dport, salt);
	}
	return (uint32_t)keyed_hash(t, saddr, daddr, dport, 0);
}

/* table_perturb: get_random_sleepable_once / net_get_random_once, filled with
 * random words on the first connect().  A host touches one word per
 * destination, so the large table (5.18+) is drawn lazily: the first
 * connect() keeps the generator's state and advances the stream past the
 * fill as the kernel's draw did; a word is drawn from that state when first
 * touched (the same value the fill gave it), and up to PERTURB_SPARSE words
 * are kept so; the next touch draws the whole table.  (256 KiB per host
 * otherwise, resident for 64 hosts with one destination each.) */
#define PERTURB_SPARSE 16
typedef struct perturb_lazy {
	gsl_rng *snap, *scratch;
	uint32_t n;
	uint32_t idx[PERTURB_SPARSE], val[PERTURB_SPARSE];
} perturb_lazy;

static uint32_t perturb_size(const port_table *t)
{
	return t->cfg.algo == PORT_ALGO_PERTURB ? PERTURB_SIZE : PERTURB256_SIZE;
}

static void perturb_fill(port_table *t, gsl_rng *r)
{
	uint32_t n = perturb_size(t);
	t->perturb = malloc(n * sizeof(*t->perturb));
	BUG_ON(!t->perturb);
	for (uint32_t i = 0; i < n; i++)
		t->perturb[i] = rng_u32(r);
}

static void perturb_lazy_free(struct perturb_lazy *z)
{
	if (!z)
		return;
	gsl_rng_free(z->snap);
	gsl_rng_free(z->scratch);
	free(z);
}

/* &table_perturb[index] */
static uint32_t *perturb_slot(port_table *t, uint32_t index)
{
	if (t->perturb)
		return &t->perturb[index];
	perturb_lazy *z = t->lazy;
	if (!z) {
		if (perturb_size(t) <= PERTURB256_SIZE) {
			perturb_fill(t, t->rng);
			return &t->perturb[index];
		}
		z = t->lazy = calloc(1, sizeof(*z));
		BUG_ON(!z);
		z->snap = gsl_rng_clone(t->rng);
		z->scratch = gsl_rng_clone(t->rng);
		BUG_ON(!z->snap || !z->scratch);
		for (uint32_t i = 0; i < PERTURB_SIZE; i++)
			(void)rng_u32(t->rng);
	}
	for (uint32_t k = 0; k < z->n; k++)
		if (z->idx[k] == index)
			return &z->val[k];
	gsl_rng_memcpy(z->scratch, z->snap);
	if (z->n < PERTURB_SPARSE) {
		uint32_t v = 0;
		for (uint32_t i = 0; i <= index; i++)
			v = rng_u32(z->scratch);
		z->idx[z->n] = index;
		z->val[z->n] = v;
		return &z->val[z->n++];
	}
	perturb_fill(t, z->scratch);
	for (uint32_t k = 0; k < z->n; k++)
		t->perturb[z->idx[k]] = z->val[k];
	perturb_lazy_free(z);
	t->lazy = NULL;
	return &t->perturb[index];
}

/* ---- bucket bookkeeping --------------------------------------------------- */

static void add_owner(port_table *t, uint32_t port, bool reuse, int8_t fastreuse_if_new)
{
	port_bucket *b = &t->b[port];
	if (!has_bucket(t, port)) {
		/* inet_bind_bucket_create; a bucket without owners is all
		 * zero (port_release), so it is written, not read */
		*b = (port_bucket){ .owners = 1, .reuse = reuse, .fastreuse = fastreuse_if_new };
		t->in_use++;
		sync_skip(t, port);
		return;
	}
	BUG_ON(b->owners == BUCKET_MAX_OWNERS);
	b->owners++;
	b->reuse += reuse;
	sync_skip(t, port);
}

/* ---- connect() ------------------------------------------------------------ */

enum { CAND_NEXT = -1, CAND_UNIQUE = 0, CAND_REUSE = 1 };

/*
 * One candidate of the __inet_hash_connect scan: reserved -> next; no bucket
 * -> take it (the bucket will be created with fastreuse = -1); a bucket made
 * by bind() (fastreuse >= 0, or fastreuseport >= 0, not modelled) -> next;
 * a bucket made by connect() -> check_established, here the caller's check().
 */
static inline int candidate(const port_table *t, uint32_t port, port_check_fn check, void *ctx)
{
	if (port_reserved(t, port))
		return CAND_NEXT;
	if (!has_bucket(t, port))
		return CAND_UNIQUE;
	/* a bucket made by bind() (fastreuse >= 0): its skip bit says so
	 * (sync_skip), without reading the bucket, a cache miss at a random
	 * port of the host's table */
	if (t->skip[port >> 6] >> (port & 63) & 1)
		return CAND_NEXT;
	port_check r = check(ctx, (uint16_t)port);
	switch (r) {
	case PORT_CHECK_BUSY:
		return CAND_NEXT;
	case PORT_CHECK_UNIQUE:
		return CAND_UNIQUE;
	case PORT_CHECK_REUSE:
		return CAND_REUSE;
	}
	BUG("check() returned an invalid port_check");
}

/*
 * Acceleration, exact: the first port q of {p, p + step, ...} below lim that
 * is not known to be refused, where "known" is t->skip (reserved, bind
 * buckets) or the caller's dest bitmap (ports whose 4-tuple to this
 * destination is taken by a socket or an unreusable TIME_WAIT).  Every port
 * passed over would have made candidate() return CAND_NEXT, so the scan's
 * result and its loop index are those of the port-by-port loop; only the
 * simulator's work changes (a word of 64 ports per step).
 */
static inline uint32_t next_open(const port_table *t, const uint64_t *dest, uint32_t p, uint32_t lim,
				 uint32_t step)
{
	if (p >= lim)
		return lim;
	/* the ports of p's parity (step 2), in every word from p's to the
	 * last that holds a port below lim */
	const uint64_t par = step == 2 ? ((p & 1) ? 0xaaaaaaaaaaaaaaaaull : 0x5555555555555555ull) : ~0ull;
	uint32_t k = p >> 6;
	const uint32_t kend = (lim - 1) >> 6;
	uint64_t free = ~(t->skip[k] | (dest ? dest[k] : 0)) & (~0ull << (p & 63)) & par;
	while (!free) {
		if (++k > kend)
			return lim;
		free = ~(t->skip[k] | (dest ? dest[k] : 0)) & par;
	}
	uint32_t q = (k << 6) + (uint32_t)__builtin_ctzll(free);
	return q < lim ? q : lim;
}

/* Visits [start, lim) with step; *i = i_base + (port - start) for the found
 * port.  CAND_NEXT when the segment holds no port. */
static int scan_segment(const port_table *t, const uint64_t *dest, uint32_t start, uint32_t lim,
			uint32_t step, uint32_t i_base, port_check_fn check, void *ctx, uint32_t *port,
			uint32_t *i)
{
	for (uint32_t p = start;; p += step) {
		p = next_open(t, dest, p, lim, step);
		if (p >= lim)
			return CAND_NEXT;
		int r = candidate(t, p, check, ctx);
		if (r != CAND_NEXT) {
			*port = p;
			*i = i_base + (p - start);
			return r;
		}
	}
}

/*
 * The stride-1 loops of the <= 4.5 algorithms, port = low + (i + offset) %
 * remaining for i in [i0, i0 + remaining): two contiguous segments, unless
 * i + offset wraps at 2^32 within the loop, which only the port-by-port loop
 * reproduces (it then jumps).
 */
static int scan_stride1(const port_table *t, const uint64_t *dest, uint32_t offset, uint32_t i0,
			port_check_fn check, void *ctx, uint32_t *port, uint32_t *i)
{
	const uint32_t low = t->cfg.low, remaining = (uint32_t)t->cfg.high - low + 1;
	if ((uint64_t)offset + i0 + remaining > UINT32_MAX) {
		for (uint32_t k = i0; k < i0 + remaining; k++) {
			uint32_t p = low + (k + offset) % remaining;
			int r = candidate(t, p, check, ctx);
			if (r != CAND_NEXT) {
				*port = p;
				*i = k;
				return r;
			}
		}
		return CAND_NEXT;
	}
	uint32_t s = low + (i0 + offset) % remaining, end = low + remaining;
	int r = scan_segment(t, dest, s, end, 1, i0, check, ctx, port, i);
	if (r != CAND_NEXT)
		return r;
	return scan_segment(t, dest, low, s, 1, i0 + (end - s), check, ctx, port, i);
}

/*
 * <= 4.1 (RFC 6056 algorithm 3): offset = hint + port_offset; for
 * i = 1 .. remaining, port = low + (i + offset) % remaining with
 * remaining = high - low + 1; on success hint += i.  (The kernel's int i and
 * remaining are converted to unsigned against the u32 offset.)
 */
static int connect_hint(port_table *t, const uint64_t *dest, uint32_t off32, port_check_fn check,
			void *ctx, uint32_t *lport)
{
	uint32_t i;
	int r = scan_stride1(t, dest, t->hint + off32, 1, check, ctx, lport, &i);
	if (r == CAND_NEXT)
		return -EADDRNOTAVAIL;
	t->hint += i;
	return r;
}

/*
 * 4.2-4.5 (commit "tcp/dccp: try to not exhaust ip_local_port_range in
 * connect()"): offset = (hint + port_offset) & ~1; for i = 0 .. remaining - 1,
 * port = low + (i + offset) % remaining; on success hint += (i + 2) & ~1.
 */
static int connect_even_hint(port_table *t, const uint64_t *dest, uint32_t off32, port_check_fn check,
			     void *ctx, uint32_t *lport)
{
	uint32_t i;
	int r = scan_stride1(t, dest, (t->hint + off32) & ~1u, 0, check, ctx, lport, &i);
	if (r == CAND_NEXT)
		return -EADDRNOTAVAIL;
	t->hint += (i + 2) & ~1u;
	return r;
}

/* high++ then remaining = high - low, rounded down to even when > 1
 * (__inet_hash_connect 4.6+, inet_csk_find_open_port). */
static inline uint32_t even_remaining(uint32_t low, uint32_t high_excl)
{
	uint32_t remaining = high_excl - low;
	return remaining > 1 ? remaining & ~1u : remaining;
}

/*
 * The two-pass scan of __inet_hash_connect, 4.6+ (commit "tcp/dccp: better
 * use of ephemeral ports in connect()"), unchanged through the current source:
 *
 *	offset &= ~1U;
 *  other_parity_scan:
 *	port = low + offset;
 *	for (i = 0; i < remaining; i += step, port += step) {
 *		if (unlikely(port >= high))
 *			port -= remaining;
 *		...
 *	offset++;
 *	if ((offset & 1) && remaining > 1)
 *		goto other_parity_scan;
 *
 * high is the exclusive end (range high + 1), remaining the size rounded down
 * to even.  Note the wrap test is against high, not low + remaining: for an
 * odd-sized range the first pass may reach the top port (offset >= 2) and
 * then wraps to low + 2, leaving low out; only with offset 0 is the top port
 * left out.  doc/kernel-rules.md §3.2 step 3 says the top port is never chosen; the
 * source says otherwise and the source wins (DESIGN.md).
 * *i_out is the loop index of the pass that found the port (the second pass
 * starts again at 0), which the callers add to the hint or table entry.
 * offset must already be < remaining.
 */
static int scan_parity(port_table *t, const uint64_t *dest, uint32_t offset, port_check_fn check,
		       void *ctx, uint32_t *lport, uint32_t *i_out)
{
	const uint32_t low = t->cfg.low, high = (uint32_t)t->cfg.high + 1;
	const uint32_t remaining = even_remaining(low, high);
	offset &= ~1u;
	for (;;) {
		/* The pass as two segments: [p0, min(high, p0 + remaining)) and,
		 * after the wrap (port -= remaining), [q0, p0). */
		uint32_t p0 = low + offset, lim1 = p0 + remaining < high ? p0 + remaining : high;
		int r = scan_segment(t, dest, p0, lim1, 2, 0, check, ctx, lport, i_out);
		if (r != CAND_NEXT)
			return r;
		if (p0 + remaining > high) {
			uint32_t n1 = (high - p0 + 1) / 2, q0 = p0 + 2 * n1 - remaining;
			r = scan_segment(t, dest, q0, p0, 2, 2 * n1, check, ctx, lport, i_out);
			if (r != CAND_NEXT)
				return r;
		}
		offset++;
		if (!((offset & 1) && remaining > 1))
			return -EADDRNOTAVAIL;
	}
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * 7.1 (7da62262ec96 "inet: add ip_local_port_step_width sysctl to improve
 * port usage distribution", __inet_hash_connect), when the sysctl is set and
 * remaining > 1: on every connect()
 *
 *	range = remaining / step;  upper_bound = min(range, max_rand_step);
 *	scan_step = get_random_u32_inclusive(1, upper_bound);
 *	while (gcd(scan_step, range) != 1) {
 *		scan_step++;
 *		if (!(scan_step & 1) && !(range & 1)) scan_step++;
 *		if (scan_step > upper_bound) { scan_step = 1; break; }
 *	}
 *	scan_step *= step;
 *
 * and the two parity passes advance port by scan_step while i still counts
 * by step (port -= remaining past high), so each pass visits every port of
 * its parity once, in a random coprime order (RFC 6056 algorithm 5-like).
 * The table update on success is unchanged.  Port by port: the stride
 * defeats the bitmap scan (dest and skip are still honoured, as candidate()
 * would refuse those ports).
 */
static int scan_random_step(port_table *t, const uint64_t *dest, uint32_t offset, port_check_fn check,
			    void *ctx, uint32_t *lport, uint32_t *i_out)
{
	const uint32_t step = 2, low = t->cfg.low, high = (uint32_t)t->cfg.high + 1;
	const uint32_t remaining = even_remaining(low, high), range = remaining / step;
	const uint32_t upper = range < t->cfg.step_width ? range : t->cfg.step_width;
	uint32_t scan_step = 1 + (uint32_t)rng_below(t->rng, upper);
	while (gcd32(scan_step, range) != 1) {
		scan_step++;
		if (!(scan_step & 1) && !(range & 1))
			scan_step++;
		if (scan_step > upper) {
			scan_step = 1;
			break;
		}
	}
	scan_step *= step;
	offset &= ~1u;
	for (;;) {
		uint32_t port = low + offset;
		for (uint32_t i = 0; i < remaining; i += step, port += scan_step) {
			if (port >= high)
				port -= remaining;
			if ((t->skip[port >> 6] >> (port & 63) & 1) || (dest && (dest[port >> 6] >> (port & 63) & 1)))
				continue;
			int r = candidate(t, port, check, ctx);
			if (r != CAND_NEXT) {
				*lport = port;
				*i_out = i;
				return r;
			}
		}
		offset++;
		if (!((offset & 1) && remaining > 1))
			return -EADDRNOTAVAIL;
	}
}

/* 4.6-5.11: offset = (hint + port_offset) % remaining; global hint += i + 2. */
static int connect_parity_hint(port_table *t, const uint64_t *dest, uint32_t off32, port_check_fn check,
			       void *ctx, uint32_t *lport)
{
	const uint32_t remaining = even_remaining(t->cfg.low, (uint32_t)t->cfg.high + 1);
	uint32_t i;
	int r = scan_parity(t, dest, (t->hint + off32) % remaining, check, ctx, lport, &i);
	if (r >= 0)
		t->hint += i + 2;
	return r;
}

/*
 * 5.12-5.17 before the 2022 fixes (commit "tcp: change source port
 * randomizarion at connect() time", RFC 6056 algorithm 4):
 * index = hash_32(port_offset, 8); offset = (table_perturb[index] +
 * port_offset) % remaining; on success table_perturb[index] += i + 2.  (The
 * "skip one candidate in 1/16 of cases" noise seen in some stable trees came
 * with the 2022 series and was replaced by the max() with a random below.)
 */
static int connect_perturb256(port_table *t, const uint64_t *dest, uint32_t off32, port_check_fn check,
			      void *ctx, uint32_t *lport)
{
	const uint32_t remaining = even_remaining(t->cfg.low, (uint32_t)t->cfg.high + 1);
	const uint32_t index = (off32 * GOLDEN_RATIO_32) >> (32 - PERTURB256_SHIFT); /* hash_32 */
	uint32_t *slot = perturb_slot(t, index);
	uint32_t i;
	int r = scan_parity(t, dest, (*slot + off32) % remaining, check, ctx, lport, &i);
	if (r >= 0)
		*slot += i + 2;
	return r;
}

/*
 * 5.18+ and the 2022 stable fixes (current __inet_hash_connect, step 2):
 * index = port_offset & (INET_TABLE_PERTURB_SIZE - 1);
 * offset = (table_perturb[index] + (port_offset >> 32)) % remaining (u32 sum);
 * on success i = max_t(int, i, get_random_u32_below(8) * step) and
 * table_perturb[index] += i + step.
 */
static int connect_perturb(port_table *t, const uint64_t *dest, uint64_t off64, port_check_fn check,
			   void *ctx, uint32_t *lport)
{
	const uint32_t remaining = even_remaining(t->cfg.low, (uint32_t)t->cfg.high + 1);
	const uint32_t index = (uint32_t)off64 & (PERTURB_SIZE - 1);
	uint32_t *slot = perturb_slot(t, index);
	const uint32_t offset = (*slot + (uint32_t)(off64 >> 32)) % remaining;
	uint32_t i;
	int r = t->cfg.step_width && remaining > 1 ? scan_random_step(t, dest, offset, check, ctx, lport, &i)
						   : scan_parity(t, dest, offset, check, ctx, lport, &i);
	if (r >= 0) {
		uint32_t rnd = rng_below(t->rng, 8) * 2;
		if (rnd > i)
			i = rnd;
		*slot += i + 2;
	}
	return r;
}

int port_connect(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		 port_check_fn check, void *ctx, uint16_t *lport)
{
	return port_connect_dest(t, saddr, daddr, dport, now_ns, NULL, check, ctx, lport);
}

/*
 * __inet_hash_connect for a socket with IP_LOCAL_PORT_RANGE, 6.8+: low and
 * high from inet_sk_get_local_port_range, step = 1, remaining = high + 1 -
 * low (not rounded to even), offset = (table_perturb[index] + (port_offset
 * >> 32)) % remaining without clearing bit 0, one pass port = low + offset,
 * low + offset + 1, ... wrapping at high; on success i = max(i,
 * get_random_u32_below(8)) and table_perturb[index] += i + 1.  (The
 * kernel's offset++ / other_parity_scan then rescans the same ports, which
 * fails the same way: not repeated here.)
 */
int port_connect_find_sock_range(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
				 uint16_t sk_lo, uint16_t sk_hi, const uint64_t *dest, port_check_fn check, void *ctx,
				 uint16_t *lport)
{
	BUG_ON(!check || !lport || t->cfg.algo != PORT_ALGO_PERTURB);
	uint32_t low = t->cfg.low, high = t->cfg.high;
	if (sk_lo && low <= sk_lo && sk_lo <= high)
		low = sk_lo;
	if (sk_hi && low <= sk_hi && sk_hi <= high)  /* against the low just chosen, as the kernel */
		high = sk_hi;
	const uint64_t off64 = port_offset(t, saddr, daddr, dport, now_ns);
	const uint32_t end = high + 1, remaining = end - low;
	const uint32_t index = (uint32_t)off64 & (PERTURB_SIZE - 1);
	uint32_t *slot = perturb_slot(t, index);
	const uint32_t p0 = low + (*slot + (uint32_t)(off64 >> 32)) % remaining;
	uint32_t port = 0, i = 0;
	int r = scan_segment(t, dest, p0, end, 1, 0, check, ctx, &port, &i);
	if (r == CAND_NEXT)
		r = scan_segment(t, dest, low, p0, 1, end - p0, check, ctx, &port, &i);
	if (r == CAND_NEXT)
		return -EADDRNOTAVAIL;
	uint32_t rnd = rng_below(t->rng, 8);
	if (rnd > i)
		i = rnd;
	*slot += i + 1;
	port_prefetch(t, (uint16_t)port);
	*lport = (uint16_t)port;
	return r;
}

void port_prefetch(const port_table *t, uint16_t port)
{
	__builtin_prefetch(&t->b[port], 1);
}

int port_connect_find(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		      const uint64_t *dest, port_check_fn check, void *ctx, uint16_t *lport)
{
	BUG_ON(!check || !lport);
	const uint64_t off = port_offset(t, saddr, daddr, dport, now_ns);
	uint32_t port = 0;
	int r;
	switch (t->cfg.algo) {
	case PORT_ALGO_HINT:
		r = connect_hint(t, dest, (uint32_t)off, check, ctx, &port);
		break;
	case PORT_ALGO_EVEN_HINT:
		r = connect_even_hint(t, dest, (uint32_t)off, check, ctx, &port);
		break;
	case PORT_ALGO_PARITY_HINT:
		r = connect_parity_hint(t, dest, (uint32_t)off, check, ctx, &port);
		break;
	case PORT_ALGO_PERTURB256:
		r = connect_perturb256(t, dest, (uint32_t)off, check, ctx, &port);
		break;
	case PORT_ALGO_PERTURB:
		r = connect_perturb(t, dest, off, check, ctx, &port);
		break;
	default:
		BUG("invalid port_algo");
	}
	if (r < 0)
		return r;
	port_prefetch(t, (uint16_t)port);
	*lport = (uint16_t)port;
	return r;
}

/* inet_bind_hash on the found or new (fastreuse = -1) bucket: the socket joins
 * tb->owners as it is, with its sk_reuse (__inet_hash_connect does not look
 * at it, but inet_csk_bind_conflict does for every owner later, and the
 * timewait that replaces the socket keeps it as tw_reuse, inet_twsk_alloc). */
void port_connect_take(port_table *t, uint16_t lport, bool reuseaddr)
{
	add_owner(t, lport, reuseaddr, -1);
}

int port_connect_dest(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		      const uint64_t *dest, port_check_fn check, void *ctx, uint16_t *lport)
{
	int r = port_connect_find(t, saddr, daddr, dport, now_ns, dest, check, ctx, lport);
	if (r >= 0)
		port_connect_take(t, *lport, false);
	return r;
}

/* ---- bind() --------------------------------------------------------------- */

/*
 * inet_csk_bind_conflict for a socket with SO_REUSEADDR = reuse against the
 * owners of b, all on the same address, without SO_REUSEPORT or bound
 * devices.  An owner sk2 conflicts
 *   - if reuse && sk2->sk_reuse && sk2 is not listening: only when !relax;
 *   - otherwise always (the reuseport escape needs SO_REUSEPORT).
 * Timewait owners keep the sk_reuse of their socket and are never listening.
 */
static bool bind_conflict(const port_bucket *b, bool reuse, bool relax)
{
	if (b->owners == 0)
		return false;
	if (!relax)
		return true;
	return !reuse || b->reuse != b->owners || b->listeners > 0;
}

/*
 * inet_csk_find_open_port (4.6+; ip_autobind_reuse 5.7+):
 *
 *	ports_exhausted:
 *	attempt_half = (sk->sk_reuse == SK_CAN_REUSE) ? 1 : 0;
 *	other_half_scan:
 *	high++;
 *	if (high - low < 4) attempt_half = 0;
 *	if (attempt_half) {
 *		int half = low + (((high - low) >> 2) << 1);
 *		if (attempt_half == 1) high = half; else low = half;
 *	}
 *	remaining = high - low, rounded down to even when > 1;
 *	offset = get_random_u32_below(remaining) | 1U;   (opposite parity to connect)
 *	other_parity_scan: the loop of scan_parity, with inet_csk_bind_conflict
 *	offset--; if (!(offset & 1)) goto other_parity_scan;
 *	if (attempt_half == 1) { attempt_half = 2; goto other_half_scan; }
 *	if (ip_autobind_reuse && !relax) { relax = true; goto ports_exhausted; }
 *
 * With relax == false any owner blocks the port (a TIME_WAIT too, whatever
 * its SO_REUSEADDR); with relax the port is shared when this socket and every
 * owner have SO_REUSEADDR and none listens.
 *
 * Used for every profile.  The <= 4.5 inet_csk_get_port (random rover,
 * stride 1, falling back to the SO_REUSEADDR bucket with the fewest owners,
 * up to 5 retries; doc/kernel-rules.md §3.5 [U]) is not modelled.
 */
/*
 * The first port of {p, p + 2, ...} below lim that bind(0) may take.  Without
 * relax, or without reuse, any owner conflicts, so the ports known taken
 * (t->skip: reserved and bind() buckets; t->owned: every bucket) are passed
 * over 64 at a time (next_open) and the scan costs a few word reads however
 * full the range is; with both, an owned port may be shared and each is
 * asked.  Same port as the kernel's port-by-port loop.
 */
static bool bind_segment(const port_table *t, uint32_t p, uint32_t lim, bool reuse, bool relax,
			 uint32_t *port_out)
{
	const bool each = relax && reuse;
	for (;; p += 2) {
		if (!each)
			p = next_open(t, t->owned, p, lim, 2);
		if (p >= lim)
			return false;
		if (!port_reserved(t, p) && !bind_conflict(&t->b[p], reuse, relax)) {
			*port_out = p;
			return true;
		}
	}
}

/* One pass of the loop below, as two segments (the geometry of scan_parity):
 * port = low + offset, +2 each step, minus remaining once it reaches high. */
static bool bind_pass(const port_table *t, uint32_t low, uint32_t high, uint32_t remaining, uint32_t offset,
		      bool reuse, bool relax, uint32_t *port_out)
{
	const uint32_t p0 = low + offset, lim1 = p0 + remaining < high ? p0 + remaining : high;
	if (bind_segment(t, p0, lim1, reuse, relax, port_out))
		return true;
	if (p0 + remaining > high) {
		uint32_t n1 = (high - p0 + 1) / 2, q0 = p0 + 2 * n1 - remaining;
		return bind_segment(t, q0, p0, reuse, relax, port_out);
	}
	return false;
}

static int find_open_port(port_table *t, bool reuse, uint32_t *port_out)
{
	const int rounds = t->cfg.autobind_reuse ? 2 : 1;
	for (int round = 0; round < rounds; round++) {
		const bool relax = round == 1;
		int attempt_half = reuse ? 1 : 0;
		for (;;) {
			uint32_t low = t->cfg.low, high = (uint32_t)t->cfg.high + 1;
			if (high - low < 4)
				attempt_half = 0;
			if (attempt_half) {
				uint32_t half = low + (((high - low) >> 2) << 1);
				if (attempt_half == 1)
					high = half;
				else
					low = half;
			}
			const uint32_t remaining = even_remaining(low, high);
			uint32_t offset = rng_below(t->rng, remaining) | 1u;
			do {
				if (bind_pass(t, low, high, remaining, offset, reuse, relax, port_out))
					return 0;
				offset--;
			} while (!(offset & 1));
			if (attempt_half != 1)
				break;
			attempt_half = 2;
		}
	}
	return -EADDRINUSE;
}

/*
 * inet_csk_get_port.  Explicit port: a bucket with owners admits the socket on
 * the fast path (tb->fastreuse > 0 && reuse) or when inet_csk_bind_conflict
 * (relax = true, reuseport_ok = true) finds no conflict.  Reserved ports and
 * ports outside the range may be bound explicitly.  Then
 * inet_csk_update_fastreuse: a new bucket gets fastreuse = reuse (the socket is
 * not listening yet), an existing one drops to 0 on a socket without reuse.
 */
int port_bind(port_table *t, uint16_t port, bool reuseaddr, uint16_t *bound)
{
	uint32_t p = port;
	if (p == 0) {
		int r = find_open_port(t, reuseaddr, &p);
		if (r < 0)
			return r;
	} else {
		const port_bucket *b = &t->b[p];
		if (b->owners && !(b->fastreuse > 0 && reuseaddr) && bind_conflict(b, reuseaddr, true))
			return -EADDRINUSE;
	}
	port_bucket *b = &t->b[p];
	if (b->owners && !reuseaddr)
		b->fastreuse = 0;
	add_owner(t, p, reuseaddr, reuseaddr ? 1 : 0);  /* syncs skip */
	if (bound)
		*bound = (uint16_t)p;
	return 0;
}

/* inet_csk_listen_start calls get_port again with the socket in TCP_LISTEN:
 * inet_csk_update_fastreuse then sees reuse = false and sets fastreuse = 0. */
void port_listen(port_table *t, uint16_t port)
{
	port_bucket *b = &t->b[port];
	BUG_ON(b->owners == 0);
	BUG_ON(b->listeners == BUCKET_MAX_LISTENERS || b->listeners >= b->owners);
	b->listeners++;
	b->fastreuse = 0;
	sync_skip(t, port);
}

/* __inet_inherit_port: inet_bind_hash on the listener's bucket, no update of
 * fastreuse (that happens only in the tproxy case, tb->port != port). */
void port_inherit(port_table *t, uint16_t port, bool reuseaddr)
{
	BUG_ON(t->b[port].owners == 0);
	add_owner(t, port, reuseaddr, 0);
}

/* __inet_put_port / inet_twsk_bind_unhash, then inet_bind_bucket_destroy when
 * the owner list is empty.  fastreuse is not recomputed when an owner leaves
 * (the kernel only updates it on additions). */
void port_release(port_table *t, uint16_t port, bool reuseaddr, bool listening)
{
	port_bucket *b = &t->b[port];
	BUG_ON(b->owners == 0);
	BUG_ON(reuseaddr && b->reuse == 0);
	BUG_ON(listening && b->listeners == 0);
	b->owners--;
	b->reuse -= reuseaddr;
	b->listeners -= listening;
	if (b->owners == 0) {
		BUG_ON(b->reuse != 0 || b->listeners != 0);
		memset(b, 0, sizeof(*b));
		t->in_use--;
		sync_skip(t, port);
	}
}

uint32_t port_owners(const port_table *t, uint16_t port)
{
	return t->b[port].owners;
}

uint32_t port_in_use(const port_table *t)
{
	return t->in_use;
}

uint32_t port_usable(const port_table *t)
{
	return t->usable;
}

size_t port_table_bytes_max(void)
{
	return sizeof(port_table) + PORT_NR * sizeof(port_bucket) + PORT_NR / 8 +
	       (PERTURB_SIZE > PERTURB256_SIZE ? PERTURB_SIZE : PERTURB256_SIZE) * sizeof(uint32_t);
}

size_t port_table_bytes(const port_table *t)
{
	size_t n = sizeof(*t) + PORT_NR * sizeof(*t->b);
	if (t->reserved)
		n += PORT_NR / 8;
	if (t->perturb)
		n += perturb_size(t) * sizeof(*t->perturb);
	if (t->lazy)
		n += sizeof(*t->lazy) + 2 * (sizeof(gsl_rng) + gsl_rng_size(t->rng));
	return n;
}
