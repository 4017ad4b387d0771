/*
 * nat: the reply tuple of a new source-NATed connection, as
 * net/netfilter/nf_nat_core.c chooses it (doc/kernel-rules.md §7).
 *
 * get_unique_tuple, for SNAT/MASQUERADE (NF_NAT_MANIP_SRC), in four steps:
 *
 *  1. without --random/--random-fully (NF_NAT_RANGE_PROTO_RANDOM_ALL): if the
 *     original source is inside the range, keep it when free; ELSE (only when
 *     it is outside the range) reuse the mapping of another entry from the same
 *     original source (find_appropriate_src) when it lies in the range and is
 *     free;
 *  2. the external address (find_best_ips_proto): jhash2 of the original
 *     source address seeded with the destination address, scaled onto the
 *     address range;
 *  3. without the random flags: keep the client's port with the new address
 *     when free (and inside --to-ports when given);
 *  4. otherwise nf_nat_l4proto_unique_tuple, per profile:
 *     NATSEARCH_ATTEMPTS (~5.0+, nf_nat_core.c): a random 16-bit offset, up to
 *       128 consecutive probes, then rounds of 64, 32, 16, 8 from new random
 *       offsets (at most 248 probes); 6.5+: in the last NF_NAT_HARDER_THRESH
 *       probes of a round a taken tuple may be freed by evicting a closing
 *       entry (nf_nat_used_tuple_harder);
 *     NATSEARCH_ROVER (<= ~5.0, nf_nat_proto_common.c): from the static rover
 *       (default), a keyed hash (--random) or prandom (--random-fully), one
 *       port at a time over the whole range; after range_size probes the last
 *       port is returned without being checked.
 *
 * "Free" is nf_nat_used_tuple: the inverted (REPLY) tuple is not the tuple
 * of a live entry other than ours, asked through nat_ops.taken.  Each such
 * question is one probe.  For TCP nf_nat_used_tuple_new (6.x, step 1) is
 * nf_nat_used_tuple: its extra case is for protocols that allow clashes.
 *
 * Byte order.  The kernel hashes addresses as they lie in memory (network
 * order) read as native u32 words.  The model reproduces an x86-64
 * (little-endian) kernel: the words are the byte-swapped host-order
 * addresses, whatever the simulator's own endianness.
 *
 * The bysource hash (nf_nat_bysource) is a siphash-keyed bucket array in the
 * kernel whose chains hold every SNAT entry, newest first (hlist_add_head in
 * nf_nat_setup_info); find_appropriate_src takes the first entry of the chain
 * with the same original source (same_src: address, port, protocol) whose
 * mapping is in range.  Only that order matters to the decision, not the
 * chain shape, so here it is simulator bookkeeping, laid out for a million
 * entries: a link record per entry, addressed by the entry's index (the
 * conntrack pool's, so dense) in chunks that never move, links a source's
 * entries newest first, and an open-addressing table (linear probing,
 * backward-shift deletion) maps the original (address, port) to its newest
 * entry.  Nothing iterates over either, so their layout decides nothing.
 */
#include "models/nat.h"

#include <glib.h>
#include <string.h>

#include "sim/bug.h"
#include "sim/rng.h"

/* NF_NAT_MAX_ATTEMPTS (nf_nat_core.c, 6.5+; `max_attempts` since ~5.0). */
#define NAT_MAX_ATTEMPTS 128u
/* NF_NAT_HARDER_THRESH = NF_NAT_MAX_ATTEMPTS / 4 (6.5+). */
#define NAT_HARDER_THRESH (NAT_MAX_ATTEMPTS / 4)
/* nf_nat_l4proto_unique_tuple: no further round once attempts < 16. */
#define NAT_MIN_ROUND 16u
/* JHASH_INITVAL (include/linux/jhash.h). */
#define JHASH_INITVAL 0xdeadbeefu

/* The bysource link of one entry (28 bytes). */
typedef struct nat_link {
	ct_tuple reply;             /* the entry's REPLY tuple */
	uint32_t next, prev;        /* older and newer entries from the same source, or NO_LINK */
	uint32_t src;               /* its original source address and port */
	uint16_t sport;
	uint8_t linked;
} nat_link;

#define NO_LINK UINT32_MAX
#define LINK_CHUNK_BITS 16          /* link records per chunk: 2^16, as sim/pool's */

/* A source with linked entries: its newest entry and that entry's mapping
 * (the source of its REPLY-inverted tuple), which find_appropriate_src
 * offers first and nearly always takes, so that it need not fetch the link
 * (16 bytes); head NO_LINK: an empty slot. */
typedef struct nat_src {
	uint32_t addr;
	uint32_t head;
	uint32_t maddr;
	uint16_t port;
	uint16_t mport;
} nat_src;

struct nat {
	nat_cfg cfg;
	uint32_t *addrs;            /* own copy of cfg.addrs */
	const prof *p;
	nat_ops ops;
	gsl_rng *rng;
	bool ports_given;           /* NF_NAT_RANGE_PROTO_SPECIFIED */
	bool random_all;            /* NF_NAT_RANGE_PROTO_RANDOM_ALL */
	uint16_t rover;             /* ROVER: tcp_port_rover (nf_nat_proto_tcp.c) */
	bool secret_drawn;          /* ROVER --random: net_secret, drawn on first use */
	uint64_t k0, k1;
	nat_link **links;           /* entry -> its link, in chunks of 2^LINK_CHUNK_BITS */
	uint32_t nchunks;
	nat_src *srcs;              /* the sources, open addressing; a power of two */
	uint32_t src_mask;          /* slots - 1 */
	uint32_t nsrcs;
	uint32_t nlinks;
	uint64_t *searches, *probes, *failed, *evicted, *preserved, *bysource, *unchecked;
	probe_hist *per_search;
	uint64_t scratch[7];        /* counters when there is no probe set */
};

/* One call of get_unique_tuple. */
typedef struct search {
	nat *n;
	uint32_t entry;
	uint32_t seq;
	uint32_t probes;
	bool unchecked;             /* the tuple kept was never looked up */
} search;

/* ---- hashes -------------------------------------------------------------- */

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

static inline uint32_t bswap32(uint32_t x)
{
	return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

/* jhash2 (include/linux/jhash.h: Bob Jenkins' lookup3 hashword), exactly. */
static uint32_t jhash2(const uint32_t *k, uint32_t length, uint32_t initval)
{
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + (length << 2) + initval;
	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		/* __jhash_mix */
		a -= c; a ^= rol32(c, 4);  c += b;
		b -= a; b ^= rol32(a, 6);  a += c;
		c -= b; c ^= rol32(b, 8);  b += a;
		a -= c; a ^= rol32(c, 16); c += b;
		b -= a; b ^= rol32(a, 19); a += c;
		c -= b; c ^= rol32(b, 4);  b += a;
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3: c += k[2]; /* fall through */
	case 2: b += k[1]; /* fall through */
	case 1:
		a += k[0];
		/* __jhash_final */
		c ^= b; c -= rol32(b, 14);
		a ^= c; a -= rol32(c, 11);
		b ^= a; b -= rol32(a, 25);
		c ^= b; c -= rol32(b, 16);
		a ^= c; a -= rol32(c, 4);
		b ^= a; b -= rol32(a, 14);
		c ^= b; c -= rol32(b, 24);
		break;
	default:
		break;
	}
	return c;
}

/* reciprocal_scale (include/linux/kernel.h): val * ep_ro / 2^32. */
static inline uint32_t reciprocal_scale(uint32_t val, uint32_t ep_ro)
{
	return (uint32_t)(((uint64_t)val * ep_ro) >> 32);
}

/*
 * ROVER --random: nf_nat_ipv4_secure_port -> secure_ipv4_port_ephemeral
 * (net/core/secure_seq.c) of (new source address, destination address,
 * destination port), keyed by the boot secret net_secret: MD5 before 4.11,
 * SipHash after.  The secret is random, so no result depends on the exact
 * function; as in models/port.c a two-round splitmix64 mix keyed with 128
 * bits from the stream stands in for it.  Deterministic per destination, as
 * in the kernel: every search towards one server port starts at one offset.
 */
static uint32_t secure_port(nat *n, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
	if (!n->secret_drawn) {
		n->k0 = rng_u64(n->rng);
		n->k1 = rng_u64(n->rng);
		n->secret_drawn = true;
	}
	uint64_t h = rng_splitmix64(n->k0 ^ ((uint64_t)saddr << 32 | daddr));
	return (uint32_t)rng_splitmix64(h ^ n->k1 ^ dport);
}

/* get_random_u16 (prandom_u32 truncated to the u16 `off` before ~6.1). */
static inline uint16_t random_u16(nat *n)
{
	return (uint16_t)rng_u32(n->rng);
}

/* ---- range tests ---------------------------------------------------------- */

static bool addr_in_range(const nat *n, uint32_t a)
{
	for (unsigned i = 0; i < n->cfg.naddrs; i++)
		if (n->addrs[i] == a)
			return true;
	return false;
}

/* l4proto_in_range, source manip. */
static bool port_in_range(const nat *n, uint16_t port)
{
	return port >= n->cfg.port_lo && port <= n->cfg.port_hi;
}

/* in_range (nf_in_range since 6.x): the address (NF_NAT_RANGE_MAP_IPS is
 * always set for SNAT and MASQUERADE) and, with --to-ports, the port. */
static bool in_range(const nat *n, const ct_tuple *t)
{
	if (!addr_in_range(n, t->src))
		return false;
	return !n->ports_given || port_in_range(n, t->sport);
}

/* ---- lookups ------------------------------------------------------------- */

/* nf_nat_used_tuple: t is the ORIGINAL tuple after NAT; the table is asked
 * about its inverse, the REPLY tuple. */
static bool used_counted(search *s, const ct_tuple *t, bool count)
{
	ct_tuple r = ct_invert(t);
	s->probes++;
	return s->n->ops.taken(s->n->ops.ctx, &r, s->entry, count);
}

static bool used(search *s, const ct_tuple *t)
{
	return used_counted(s, t, true);
}

/*
 * nf_nat_used_tuple_harder (6.5+): in the last NF_NAT_HARDER_THRESH attempts
 * of a round (attempts_left = attempts - i, counting this one), for a TCP
 * entry in SYN_SENT (nat_choose runs at SYN time), a tuple whose REPLY
 * belongs to a source-NATed entry in TIME_WAIT or CLOSE, whose sequence the
 * new SYN has passed, is freed by killing that entry (nf_nat_may_kill,
 * nf_seq_has_advanced, nf_ct_kill).  Which entries qualify is the table's
 * decision (ops.evict_closing); the lookup counts as one probe.  Hardware or
 * flow-table offload (which refuses the reuse) is not modelled.
 */
static bool used_harder(search *s, const ct_tuple *t, unsigned attempts_left)
{
	nat *n = s->n;
	if (!n->p->nat_harder || !n->ops.evict_closing || attempts_left > NAT_HARDER_THRESH)
		return used(s, t);
	/* Here the kernel does not call nf_conntrack_tuple_taken: its one
	 * lookup, nf_conntrack_find_get, counts no `found` (measured on 6.18 by
	 * make validate-kernel: counting it put connsim 5 % above the kernel). */
	if (!used_counted(s, t, false))
		return false;
	ct_tuple r = ct_invert(t);
	if (n->ops.evict_closing(n->ops.ctx, &r, s->seq)) {
		(*n->evicted)++;
		return false;
	}
	return true;
}

/* ---- bysource ------------------------------------------------------------- */

/* The link record of entry, or NULL if its chunk was never allocated. */
static inline nat_link *link_at(const nat *n, uint32_t entry)
{
	uint32_t c = entry >> LINK_CHUNK_BITS;
	if (c >= n->nchunks || !n->links[c])
		return NULL;
	return &n->links[c][entry & ((1u << LINK_CHUNK_BITS) - 1)];
}

static nat_link *link_make(nat *n, uint32_t entry)
{
	uint32_t c = entry >> LINK_CHUNK_BITS;
	if (c >= n->nchunks) {
		n->links = g_renew(nat_link *, n->links, c + 1);
		for (uint32_t i = n->nchunks; i <= c; i++)
			n->links[i] = NULL;
		n->nchunks = c + 1;
	}
	if (!n->links[c])
		n->links[c] = g_new0(nat_link, 1u << LINK_CHUNK_BITS);
	return &n->links[c][entry & ((1u << LINK_CHUNK_BITS) - 1)];
}

/* The home slot of a source (a fixed mix: no secret, the order is invisible). */
static inline uint32_t src_home(const nat *n, uint32_t addr, uint16_t port)
{
	return (uint32_t)rng_splitmix64((uint64_t)addr << 16 | port) & n->src_mask;
}

/* The slot of (addr, port), or the empty slot where it would go. */
static nat_src *src_slot(const nat *n, uint32_t addr, uint16_t port)
{
	for (uint32_t i = src_home(n, addr, port);; i = (i + 1) & n->src_mask) {
		nat_src *s = &n->srcs[i];
		if (s->head == NO_LINK || (s->addr == addr && s->port == port))
			return s;
	}
}

static void src_grow(nat *n)
{
	nat_src *old = n->srcs;
	uint32_t old_slots = n->src_mask + 1;
	n->src_mask = 2 * old_slots - 1;
	n->srcs = g_new(nat_src, 2 * (size_t)old_slots);
	for (uint32_t i = 0; i <= n->src_mask; i++)
		n->srcs[i].head = NO_LINK;
	for (uint32_t i = 0; i < old_slots; i++)
		if (old[i].head != NO_LINK)
			*src_slot(n, old[i].addr, old[i].port) = old[i];
	g_free(old);
}

/* Empties slot s, shifting back the entries of its probe run that may move
 * (Knuth's algorithm R: no tombstones). */
static void src_delete(nat *n, nat_src *s)
{
	uint32_t hole = (uint32_t)(s - n->srcs);
	for (uint32_t i = (hole + 1) & n->src_mask; n->srcs[i].head != NO_LINK; i = (i + 1) & n->src_mask) {
		uint32_t home = src_home(n, n->srcs[i].addr, n->srcs[i].port);
		/* moves to the hole unless its home lies cyclically in (hole, i] */
		if (((i - home) & n->src_mask) >= ((i - hole) & n->src_mask)) {
			n->srcs[hole] = n->srcs[i];
			hole = i;
		}
	}
	n->srcs[hole].head = NO_LINK;
	n->nsrcs--;
}

static void unlink_entry(nat *n, nat_link *l)
{
	if (l->next != NO_LINK)
		link_at(n, l->next)->prev = l->prev;
	if (l->prev != NO_LINK) {
		link_at(n, l->prev)->next = l->next;
	} else {
		nat_src *s = src_slot(n, l->src, l->sport);
		s->head = l->next;
		if (s->head == NO_LINK) {
			src_delete(n, s);
		} else {
			const nat_link *h = link_at(n, s->head);
			s->maddr = h->reply.dst;
			s->mport = h->reply.dport;
		}
	}
	l->linked = 0;
	n->nlinks--;
}

/* nf_nat_setup_info: hlist_add_head_rcu(&ct->nat_bysource, ...), for every
 * source-NATed entry, whether or not its search succeeded. */
static void link_entry(nat *n, uint32_t entry, const ct_tuple *orig, const ct_tuple *reply)
{
	nat_link *l = link_make(n, entry);
	if (l->linked)
		unlink_entry(n, l);  /* set up again without nat_forget: replace */
	if (2 * (n->nsrcs + 1) > n->src_mask + 1)
		src_grow(n);  /* at most half full */
	nat_src *s = src_slot(n, orig->src, orig->sport);
	if (s->head == NO_LINK) {
		*s = (nat_src){ .addr = orig->src, .head = NO_LINK, .port = orig->sport };
		n->nsrcs++;
	}
	*l = (nat_link){ *reply, s->head, NO_LINK, orig->src, orig->sport, 1 };
	if (s->head != NO_LINK)
		link_at(n, s->head)->prev = entry;
	s->head = entry;
	s->maddr = reply->dst;
	s->mport = reply->dport;
	n->nlinks++;
}

/*
 * find_appropriate_src: the first entry (newest first) from the same
 * original source whose mapping, towards this connection's destination, is
 * in range.  Only that one is offered; whether it is free is the caller's
 * question.
 */
static bool find_appropriate_src(const nat *n, const ct_tuple *orig, ct_tuple *result)
{
	const nat_src *s = src_slot(n, orig->src, orig->sport);
	if (s->head == NO_LINK)
		return false;
	/* nf_ct_invert_tuple(result, reply); result->dst = tuple->dst */
	ct_tuple r = { s->maddr, orig->dst, s->mport, orig->dport };
	for (uint32_t e = s->head;;) {
		if (in_range(n, &r)) {
			*result = r;
			return true;
		}
		e = link_at(n, e)->next;
		if (e == NO_LINK)
			return false;
		const nat_link *l = link_at(n, e);
		r.src = l->reply.dst;
		r.sport = l->reply.dport;
	}
}

/* ---- the search ------------------------------------------------------------ */

/*
 * find_best_ips_proto, source manip: jhash2 over the 16-byte source address
 * field (the IPv4 address and three zero words), seeded with the destination
 * address (0 with --persistent) XOR the zone id (0), scaled onto the range
 * with reciprocal_scale.  No secret: the choice is the same on every boot.
 * addrs[] stands for the range min..max in ascending order.
 */
static uint32_t best_ip(const nat *n, const ct_tuple *t)
{
	if (n->cfg.naddrs == 1)
		return n->addrs[0];  /* fast path: only one choice */
	uint32_t k[4] = { bswap32(t->src), 0, 0, 0 };
	uint32_t j = jhash2(k, 4, n->cfg.persistent ? 0 : bswap32(t->dst));
	return n->addrs[reciprocal_scale(j, n->cfg.naddrs)];
}

/* The port range of nf_nat_l4proto_unique_tuple: --to-ports, or the class
 * of the original port ("Loose convention: >> 512 is credential passing"). */
static void port_range(const nat *n, uint16_t orig_port, unsigned *min, unsigned *size)
{
	if (n->ports_given) {
		*min = n->cfg.port_lo;
		*size = (unsigned)n->cfg.port_hi - n->cfg.port_lo + 1;
	} else if (orig_port < 512) {
		*min = 1;
		*size = 511;
	} else if (orig_port < 1024) {
		*min = 600;
		*size = 1023 - 600 + 1;
	} else {
		*min = 1024;
		*size = 65535 - 1024 + 1;
	}
}

/* nf_nat_l4proto_unique_tuple, ~5.0+ (nf_nat_core.c).  The offset is a u16,
 * so `off++` wraps at 65536 and `min + off % range_size` jumps there when
 * range_size does not divide 65536, as in the kernel. */
static bool unique_tuple_attempts(search *s, ct_tuple *t)
{
	nat *n = s->n;
	unsigned min, range_size;
	port_range(n, t->sport, &min, &range_size);
	uint16_t off = random_u16(n);
	unsigned attempts = range_size < NAT_MAX_ATTEMPTS ? range_size : NAT_MAX_ATTEMPTS;
	for (;;) {
		for (unsigned i = 0; i < attempts; i++, off++) {
			t->sport = (uint16_t)(min + off % range_size);
			if (!used_harder(s, t, attempts - i))
				return true;
		}
		if (attempts >= range_size || attempts < NAT_MIN_ROUND)
			return false;
		attempts /= 2;
		off = random_u16(n);
	}
}

/* nf_nat_l4proto_unique_tuple, <= ~5.0 (nf_nat_proto_common.c).  The rover
 * keeps the offset of the port just chosen (not the next one), and is
 * neither read nor written with --random or --random-fully. */
static bool unique_tuple_rover(search *s, ct_tuple *t)
{
	nat *n = s->n;
	unsigned min, range_size;
	port_range(n, t->sport, &min, &range_size);
	uint16_t off;
	if (n->cfg.random)
		off = (uint16_t)secure_port(n, t->src, t->dst, t->dport);
	else if (n->cfg.random_fully)
		off = random_u16(n);
	else
		off = n->rover;
	for (unsigned i = 0;; ++off) {
		t->sport = (uint16_t)(min + off % range_size);
		if (++i != range_size && used(s, t))
			continue;
		if (!n->random_all)
			n->rover = off;
		if (i == range_size) {
			s->unchecked = true;  /* the last port, never looked up */
			return false;
		}
		return true;
	}
}

/* get_unique_tuple, NF_NAT_MANIP_SRC.  *t: the ORIGINAL tuple after NAT. */
/* get_unique_tuple's step 1 candidate: the original tuple when it is in
 * range (*kept), else the source's current mapping (find_appropriate_src);
 * false when there is neither. */
static bool step1_candidate(const nat *n, const ct_tuple *orig, ct_tuple *t, bool *kept)
{
	*kept = in_range(n, orig);
	if (*kept) {
		*t = *orig;
		return true;
	}
	return find_appropriate_src(n, orig, t);
}

/* Step 3 looks t up (keeps its port if unique) unless --to-ports excludes
 * the port, or names a single port, which is kept without looking. */
static bool step3_looks_up(const nat *n, const ct_tuple *t)
{
	return !n->ports_given || (port_in_range(n, t->sport) && n->cfg.port_lo != n->cfg.port_hi);
}

static bool get_unique_tuple(search *s, const ct_tuple *orig, ct_tuple *t)
{
	nat *n = s->n;

	/* 1) the original tuple, else the current mapping of this source */
	bool kept;
	if (!n->random_all && step1_candidate(n, orig, t, &kept) && !used(s, t)) {
		(*(kept ? n->preserved : n->bysource))++;
		return true;
	}

	/* 2) the address */
	*t = *orig;
	t->src = best_ip(n, orig);

	/* 3) keep the port if it is in range and unique */
	if (!n->random_all) {
		if (step3_looks_up(n, t)) {
			if (!used(s, t)) {
				(*n->preserved)++;
				return true;
			}
		} else if (port_in_range(n, t->sport)) {
			/* a single port: kept without looking */
			s->unchecked = true;
			(*n->preserved)++;
			return true;
		}
	}

	/* 4) last chance */
	if (n->p->natsearch == NATSEARCH_ROVER)
		return unique_tuple_rover(s, t);
	return unique_tuple_attempts(s, t);
}

/* ---- API ------------------------------------------------------------------ */

static uint64_t *counter(nat *n, probe_set *ps, const char *prefix, const char *name,
			 const char *help, unsigned slot)
{
	if (!ps)
		return &n->scratch[slot];
	char *full = g_strdup_printf("%s.%s", prefix, name);
	uint64_t *c = probe_counter(ps, full, help);
	g_free(full);
	return c;
}

nat *nat_new(const nat_cfg *c, const prof *p, const nat_ops *ops, gsl_rng *rng, probe_set *ps,
	     const char *prefix)
{
	/* a bug, not an input error: the configuration layer validates */
	BUG_ON(!c || !p || !ops || !ops->taken || !rng || !c->addrs || !c->naddrs);
	BUG_ON((c->port_lo || c->port_hi) && c->port_lo > c->port_hi);

	nat *n = g_new0(nat, 1);
	n->cfg = *c;
	n->addrs = g_memdup2(c->addrs, c->naddrs * sizeof(uint32_t));
	n->cfg.addrs = n->addrs;
	n->p = p;
	n->ops = *ops;
	n->rng = rng;
	n->ports_given = c->port_lo || c->port_hi;
	n->random_all = c->random || c->random_fully;
	n->src_mask = 63;
	n->srcs = g_new(nat_src, n->src_mask + 1);
	for (uint32_t i = 0; i <= n->src_mask; i++)
		n->srcs[i].head = NO_LINK;

	char *pre = g_strdup(prefix && *prefix ? prefix : "nat");
	size_t len = strlen(pre);
	if (len > 1 && pre[len - 1] == '.')
		pre[len - 1] = '\0';
	n->searches = counter(n, ps, pre, "searches", "new connections mapped (get_unique_tuple)", 0);
	n->probes = counter(n, ps, pre, "probes",
			    "tuples looked up in the conntrack table (nf_nat_used_tuple)", 1);
	n->failed = counter(n, ps, pre, "failed",
			    "searches that found no free tuple (the last one is installed; confirm clashes)", 2);
	n->evicted = counter(n, ps, pre, "evicted",
			     "closing entries evicted to free a tuple (nf_nat_used_tuple_harder, 6.5+)", 3);
	n->preserved = counter(n, ps, pre, "port_preserved", "mappings that kept the client's port", 4);
	n->bysource = counter(n, ps, pre, "bysource",
			      "mappings reused from the same original source (find_appropriate_src)", 5);
	n->unchecked = counter(n, ps, pre, "unchecked",
			       "tuples installed without a lookup (rover's last port, single --to-ports port)", 6);
	if (ps) {
		char *h = g_strdup_printf("%s.probes_per_search", pre);
		n->per_search = probe_histogram(ps, h, "table lookups per new connection");
		g_free(h);
	}
	g_free(pre);
	return n;
}

void nat_free(nat *n)
{
	if (!n)
		return;
	for (uint32_t c = 0; c < n->nchunks; c++)
		g_free(n->links[c]);
	g_free(n->links);
	g_free(n->srcs);
	g_free(n->addrs);
	g_free(n);
}

bool nat_choose(nat *n, uint32_t entry, const ct_tuple *orig, uint32_t seq, ct_tuple *reply)
{
	search s = { .n = n, .entry = entry, .seq = seq };
	ct_tuple t;
	bool found = get_unique_tuple(&s, orig, &t);
	*reply = ct_invert(&t);
	link_entry(n, entry, orig, reply);

	(*n->searches)++;
	*n->probes += s.probes;
	if (!found)
		(*n->failed)++;
	if (s.unchecked)
		(*n->unchecked)++;
	if (n->per_search)
		probe_hist_add(n->per_search, s.probes);
	return found;
}

void nat_forget(nat *n, uint32_t entry)
{
	nat_link *l = link_at(n, entry);
	if (l && l->linked)
		unlink_entry(n, l);
}

void nat_prefetch_forget(const nat *n, uint32_t entry)
{
	const nat_link *l = link_at(n, entry);
	if (l)
		__builtin_prefetch(l, 1);
}

void nat_prefetch(const nat *n, const ct_tuple *orig)
{
	__builtin_prefetch(&n->srcs[src_home(n, orig->src, orig->sport)]);
}

bool nat_first_probe(const nat *n, const ct_tuple *orig, ct_tuple *reply)
{
	if (n->random_all)
		return false;
	/* get_unique_tuple's first lookup: step 1's candidate, else step 3's
	 * (step 4 starts at a random offset) */
	ct_tuple t;
	bool kept;
	if (!step1_candidate(n, orig, &t, &kept)) {
		t = *orig;
		t.src = best_ip(n, orig);
		if (!step3_looks_up(n, &t))
			return false;
	}
	*reply = ct_invert(&t);
	return true;
}

bool nat_owns(const nat *n, uint32_t addr)
{
	return addr_in_range(n, addr);
}

uint32_t nat_nlinks(const nat *n)
{
	return n->nlinks;
}

size_t nat_sim_bytes(const nat *n)
{
	size_t chunks = 0;
	for (uint32_t c = 0; c < n->nchunks; c++)
		chunks += n->links[c] ? sizeof(nat_link) << LINK_CHUNK_BITS : 0;
	return sizeof(*n) + chunks + n->nchunks * sizeof(nat_link *) + ((size_t)n->src_mask + 1) * sizeof(nat_src);
}
