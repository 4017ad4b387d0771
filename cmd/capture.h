/*
 * capture: the segments of a run as packets (`connsim run --pcap FILE`),
 * from the models' tap (models/tap.h), written through pcapw (cmd/pcapw.h)
 * as the tap reports them: memory stays bounded however long the run.
 *
 * Capture point, as the trace's pcap: the sending side of each wire.  A
 * segment is written when a host sends it (also when its own link then
 * loses it) and again as each box passes it on (after any NAT's rewrite),
 * so a packet crossing a NAT appears once per wire.  Stamps are simulated
 * time from the run's start.
 *
 * A limit of N > 0 keeps the first N connections only: those whose first
 * SYN (no ACK) a host sent among the first N such SYNs; their packets are
 * followed across NAT by the segment that crossed it.  0 keeps everything.
 * Attaching a capture changes nothing else a run computes.
 */
#ifndef CONNSIM_CMD_CAPTURE_H
#define CONNSIM_CMD_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/tap.h"

typedef struct capture capture;

/* Writes the pcap file header to fp, which the capture then owns. */
capture *capture_new(FILE *fp, uint64_t limit);
/* Box index (the tap's) is a host's own conntrack (scn_box.own): a segment
 * it passes stays on the host's wire and is not written again.  Before the
 * run; index < 32. */
void capture_same_wire(capture *c, int box);
/* The tap to attach (alone, or with others through a caller's tee). */
const tap *capture_tap(capture *c);
/* Packets written so far. */
uint64_t capture_packets(const capture *c);
/* Flushes and closes the file; false when a write failed (errno says why).
 * Frees c either way. */
bool capture_finish(capture *c);

#endif
