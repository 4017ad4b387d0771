/*
 * tcpm: the per-peer timestamp cache that tcp_tw_recycle relies on
 * (tcp_metrics' tcpm_ts/tcpm_ts_stamp, inet_peer before 3.6), profiles <= 4.11
 * only (doc/kernel-rules.md §5.3, §5.4).
 *
 * Filled when this host puts a connection in TIME_WAIT with recycle on
 * (tcp_remember_stamp / tcp_tw_remember_stamp); read when a SYN arrives
 * (tcp_peer_is_proven with paws_check).  Keyed by the peer's address (3.6-3.14)
 * or by (local address, peer address) (3.15-4.11).
 */
#ifndef CONNSIM_TCPM_H
#define CONNSIM_TCPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/prof.h"

typedef struct tcpm tcpm;

tcpm *tcpm_new(prof_recycle key);
void tcpm_free(tcpm *m);

/* tcp_remember_stamp: records (ts, stamp) under the update rule; returns
 * whether an entry exists afterwards (recycle_ok). */
bool tcpm_remember(tcpm *m, uint32_t laddr, uint32_t faddr, uint32_t ts, uint32_t stamp_s, uint32_t now_s);

/* tcp_peer_is_proven(paws_check = true): false means "drop the SYN"
 * (TcpExtPAWSPassive). has_ts: the SYN carried a timestamp. */
bool tcpm_paws_ok(const tcpm *m, uint32_t laddr, uint32_t faddr, bool has_ts, uint32_t tsval,
		  uint32_t now_s);

size_t tcpm_count(const tcpm *m);

#endif
