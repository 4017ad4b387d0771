/*
 * port: local port selection and the bind hash (bhash) of one host, as the
 * kernel does them in __inet_hash_connect (connect() on an unbound socket) and
 * inet_csk_get_port / inet_csk_find_open_port (bind()).
 * See doc/kernel-rules.md §3; each algorithm variant cites its kernel version.
 *
 * The table records, per local port, the bind bucket: how many sockets own the
 * port (full sockets and timewait minisockets alike: a TIME_WAIT keeps its
 * port until it dies) and whether the bucket was created by bind() (then
 * connect() on other sockets skips the port for every destination) or by
 * connect() (then connect() may share it with connections to other
 * destinations, subject to the 4-tuple check).
 *
 * The 4-tuple uniqueness check (__inet_check_established, which looks in the
 * established hash and may let connect() take over a TIME_WAIT through
 * tcp_twsk_unique) belongs to the TCP layer: port_connect calls it back for
 * each candidate port whose bucket was created by connect().
 *
 * Simplifications (see port.c for the kernel functions behind them): one
 * local address per table (every owner overlaps every other, as a wildcard
 * bind does), no SO_REUSEPORT, no SO_BINDTODEVICE, no per-socket
 * IP_LOCAL_PORT_RANGE.  Every owner keeps the SO_REUSEADDR flag it was added
 * with until port_release (the kernel's owner list holds the socket, whose
 * sk_reuse inet_csk_bind_conflict reads, whichever call bound the port).
 *
 * Errors are negative errnos (-EADDRNOTAVAIL, -EADDRINUSE), never prints;
 * misuse (releasing an owner that is not there, an invalid config) aborts.
 */
#ifndef CONNSIM_PORT_H
#define CONNSIM_PORT_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

/* connect() port search variants (doc/kernel-rules.md §3.2, §3.5). */
typedef enum port_algo {
	PORT_ALGO_HINT,        /* <= 4.1: global hint + 32-bit hash, stride 1, hint += i */
	PORT_ALGO_EVEN_HINT,   /* 4.2-4.5: even start, stride 1, hint += (i + 2) & ~1 */
	PORT_ALGO_PARITY_HINT, /* 4.6-5.11: two-pass parity scan, global hint += i + 2 */
	PORT_ALGO_PERTURB256,  /* 5.12-5.17 before the 2022 fixes: 256-entry table, 32-bit */
	PORT_ALGO_PERTURB,     /* 5.18+ and 2022 stable: 65536-entry table, 64-bit offset,
	                        * 10 s salt, random increment */
} port_algo;

typedef struct port_cfg {
	port_algo algo;
	uint16_t low, high;      /* ip_local_port_range, inclusive */
	const uint8_t *reserved; /* ip_local_reserved_ports: bitmap of 65536 bits, port p is
	                          * bit p & 7 of byte p >> 3 (as cfg_ports fills it), or
	                          * NULL; the table keeps its own copy */
	bool autobind_reuse;     /* ip_autobind_reuse (5.7+) */
	uint32_t hz;             /* jiffies per second, for the 10 s salt period; the
	                          * table's now_ns counts from the host's boot */
	uint32_t step_width;     /* ip_local_port_step_width (7.1+, PORT_ALGO_PERTURB only):
	                          * 0 scans with stride 2; else a random stride, see port.c */
} port_cfg;

/* Result of the caller's 4-tuple check for one candidate port. */
typedef enum port_check {
	PORT_CHECK_BUSY = 0,   /* a live socket or an unreusable TIME_WAIT has the 4-tuple */
	PORT_CHECK_UNIQUE = 1, /* free for this destination */
	PORT_CHECK_REUSE = 2,  /* unique after taking over a TIME_WAIT (tcp_twsk_unique said yes) */
} port_check;

/* ctx: the caller's; lport: candidate local port (host order). */
typedef port_check (*port_check_fn)(void *ctx, uint16_t lport);

typedef struct port_table port_table;

/* rng: the host's kernel stream (boot secrets, perturbation table, random
 * increments, bind(0) offsets); the table keeps it and draws from it, the
 * secrets and the table on first use as net_get_random_once does.  Aborts on
 * an invalid cfg (low == 0, low > high, hz == 0 with PORT_ALGO_PERTURB). */
port_table *port_table_new(const port_cfg *cfg, gsl_rng *rng);
void port_table_free(port_table *t);

/*
 * connect() on an unbound socket: choose a local port for (saddr, daddr,
 * dport) at time now_ns.  Calls check() for candidate ports whose bucket was
 * created by connect(); ports with no bucket are taken without calling it.
 * On success stores the port in *lport, adds one owner to its bucket and
 * returns 0, or PORT_CHECK_REUSE's value 1 when check() returned
 * PORT_CHECK_REUSE for the chosen port (the caller then kills that TIME_WAIT;
 * the TIME_WAIT's ownership is *not* released by the table: the caller calls
 * port_release for it as for any dying socket).
 * Returns -EADDRNOTAVAIL when no port qualifies.  check must not change the
 * table.  The new owner counts as a socket without SO_REUSEADDR: release it
 * with reuseaddr = false (port_connect_find + port_connect_take add a socket
 * with SO_REUSEADDR).
 *
 * With the parity algorithms and an odd-sized range each scan visits
 * range - 1 ports: the top port is left out when the scan starts at low,
 * low is left out otherwise (the kernel wraps at high + 1 but scans an even
 * count), so the top port *can* be chosen; see port.c.
 */
int port_connect(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		 port_check_fn check, void *ctx, uint16_t *lport);

/*
 * The same, faster: dest (may be NULL) is a bitmap of 65536 bits of the local
 * ports whose 4-tuple to (saddr, daddr, dport) is taken by a socket or by a
 * TIME_WAIT that cannot be reused now; the scan passes over them without
 * calling check().  The result is identical to port_connect's as long as
 * check() would refuse every port set in dest (tcp_connect, under
 * tcp_tw_reuse, passes only the refusals it recorded: ehash_refused).
 */
int port_connect_dest(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		      const uint64_t *dest, port_check_fn check, void *ctx, uint16_t *lport);

/*
 * port_connect_dest in two steps, for speed: port_connect_find chooses the
 * port as it does but adds no owner yet, and starts fetching the port's
 * bucket, which is a cache miss; port_connect_take(lport, reuseaddr) adds the
 * owner with the socket's SO_REUSEADDR flag (release it with the same flag).
 * The caller does other work in between, and must take the port before
 * anything else uses the table (the scan's result depends on it) and on
 * success only.
 */
int port_connect_find(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
		      const uint64_t *dest, port_check_fn check, void *ctx, uint16_t *lport);
void port_connect_take(port_table *t, uint16_t lport, bool reuseaddr);
/*
 * port_connect_find for a socket with its own IP_LOCAL_PORT_RANGE (sk_lo,
 * sk_hi; 6.3+): each bound replaces the table's only if it lies inside the
 * table's range (inet_sk_get_local_port_range), and the scan (6.8+,
 * PORT_ALGO_PERTURB only) has stride 1: no parity preference.
 */
int port_connect_find_sock_range(port_table *t, uint32_t saddr, uint32_t daddr, uint16_t dport, uint64_t now_ns,
				 uint16_t sk_lo, uint16_t sk_hi, const uint64_t *dest, port_check_fn check, void *ctx,
				 uint16_t *lport);
/* An owner of port will come or go shortly: start fetching its bucket (speed
 * only; changes nothing). */
void port_prefetch(const port_table *t, uint16_t port);

/*
 * bind(): port 0 picks a port as inet_csk_find_open_port does (opposite
 * parity to connect(), SO_REUSEADDR half-range preference, TIME_WAIT owners
 * block, ip_autobind_reuse second round); a non-zero port is an explicit bind
 * with the conflict rules of inet_csk_bind_conflict, simplified to one local
 * address: two owners conflict unless both have SO_REUSEADDR and the existing
 * one is not listening.  On success adds one owner (bucket created by bind)
 * and returns 0; else -EADDRINUSE.
 */
int port_bind(port_table *t, uint16_t port, bool reuseaddr, uint16_t *bound);

/* A bound socket starts listening (blocks SO_REUSEADDR sharing).  The
 * listen-time conflict re-check of inet_csk_listen_start is not modelled:
 * the caller must not let two SO_REUSEADDR sockets on one port both listen. */
void port_listen(port_table *t, uint16_t port);

/* An accepted child joins its listener's bucket (__inet_inherit_port), with
 * the listener's SO_REUSEADDR flag; the bucket must exist. */
void port_inherit(port_table *t, uint16_t port, bool reuseaddr);

/* One owner of the port goes away (socket destroyed or timewait freed).
 * reuseaddr/listening: the flags it had when it took the port. */
void port_release(port_table *t, uint16_t port, bool reuseaddr, bool listening);

/* Owners of the port (0 when no bucket exists). */
uint32_t port_owners(const port_table *t, uint16_t port);
/* Ports with a bucket: what `ss -tan` would show as distinct local ports. */
uint32_t port_in_use(const port_table *t);
/* Ports one connect() scan can choose from, the pool size N of
 * doc/kernel-rules.md §9.1: range size minus reserved ports, minus one when the
 * range size is odd (and > 1) on the parity algorithms, unless low or high is
 * itself reserved (then some scan visits every unreserved port). */
uint32_t port_usable(const port_table *t);
/* Memory held by the table (bucket array, perturbation table once drawn,
 * reserved bitmap copy). */
size_t port_table_bytes(const port_table *t);
/* The most a port table takes (reserved ports and the larger perturbation
 * table included), for estimates made before anything is allocated. */
size_t port_table_bytes_max(void);

#endif
