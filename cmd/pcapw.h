/*
 * pcapw: the one packet writer behind every pcap connsim writes (the
 * trace's --pcap, view_pcap.c, and run's --pcap, capture.c): a segment as an
 * IPv4/TCP packet, through libpcap's own dumper, so that tcpdump, tshark and
 * Wireshark read exactly what connsim simulated.
 *
 * The file is LINKTYPE_RAW (the packet starts at the IPv4 header: no link
 * layer to invent) with nanosecond stamps (a sub-microsecond delay stays
 * visible); a packet's stamp is its simulated time counted from the epoch.
 * The models know no window, TTL or payload: every packet carries window
 * 65535, TTL 64, no payload, DF set, an IP id counting packets from 1; the
 * timestamp option is NOP, NOP, TS (the layout Linux's tcp_options_write
 * uses on every segment but the SYN) when the segment has timestamps.
 * Packets are written as they come, so memory stays bounded.
 */
#ifndef CONNSIM_CMD_PCAPW_H
#define CONNSIM_CMD_PCAPW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/tap.h"

typedef struct pcapw pcapw;

/* Writes the file header to fp, which pcapw then owns (pcapw_close closes
 * it, as libpcap's dumper does). */
pcapw *pcapw_open(FILE *fp);
/* One packet, stamped t ns (a negative t is stamped 0). */
void pcapw_put(pcapw *w, int64_t t, const tap_pkt *p);
/* Flushes and closes the file; false when a write failed (errno says why). */
bool pcapw_close(pcapw *w);

#endif
