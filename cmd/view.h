/*
 * view: the renderings of a ladder (cmd/ladder.h) other than the terminal
 * text: an SVG ladder for slides, a Mermaid or mscgen sequence diagram, a
 * pcap file of the segments, and a packetdrill script of the client's side.
 *
 * Each view is a pure function of the ladder: it reads nothing else, writes
 * no file, and returns the whole rendering as bytes (the same ladder gives
 * byte-identical bytes).  view_write() then puts the bytes on disk through
 * sim/out.h, a temporary renamed into place, so a failed write leaves no file.
 *
 * Conventions shared by the views:
 *  - lane 0 is the client, the last lane the server; segments with
 *    from < to travel client -> server ("forward"), the others backward;
 *  - sequence numbers are shown relative to each end's first SYN in the same
 *    connection (ladder_seg.conn) and direction, as Wireshark and packetdrill
 *    do; an end whose SYN the ladder does not hold is shown absolute.
 */
#ifndef CONNSIM_CMD_VIEW_H
#define CONNSIM_CMD_VIEW_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmd/ladder.h"

/* An SVG 1.1 document: a lane per host or box, arrows from t_sent to t_recv,
 * state and conntrack boxes, timers as brackets, rules in a margin column.
 * Self-contained (no scripts, fonts or links); the text is XML-escaped. */
GBytes *view_svg(const ladder *l);

/* Mermaid sequenceDiagram text: lanes as participants, segments as
 * messages (a lost one as "-x"), states, rules and timers as notes, a gap
 * longer than a second as a note across every lane. */
GBytes *view_mermaid(const ladder *l);

/* The same as an mscgen chart ("msc { ... }"): a lost segment as "-x",
 * states as boxes, conntrack entries as rounded boxes, rules and timers as
 * notes, application calls as angular boxes, a gap longer than a second as
 * mscgen's "..." (time left out). */
GBytes *view_mscgen(const ladder *l);

/* A pcap file (LINKTYPE_RAW: IPv4 packets, nanosecond timestamps) with one
 * packet per segment per wire, as a capture on the sending side of each
 * wire sees it: stamped t_sent, and present even when dropped later. */
GBytes *view_pcap(const ladder *l);

/* A packetdrill script of the client lane (lane 0): its segments of
 * connection conn (or of every connection when conn < 0, one socket each),
 * outgoing as '>' at t_sent, incoming as '<' at t_recv, with the system
 * calls of its LADDER_APP notes.  Incoming segments lost before the client
 * are left out (the kernel under test never sees them).  NULL when the
 * client lane has no segment of that connection. */
GBytes *view_packetdrill(const ladder *l, int conn);

/* Writes bytes to path, whole or not at all (sim/out.h). */
bool view_write(const char *path, GBytes *bytes, GError **err);

/* The view files a trace was asked for; NULL: not wanted. */
typedef struct view_files {
	const char *svg, *mermaid, *mscgen, *pcap, *packetdrill;
	int packetdrill_conn;   /* view_packetdrill's conn: -1 every connection */
} view_files;

/* Renders and writes every wanted view: all of them or none (each goes to
 * a temporary first; any failure removes them all).  Fails, naming the
 * file, also when the packetdrill script would be empty (no client segment
 * of that connection): then err is VIEW_ERROR, VIEW_ERROR_EMPTY (a bad
 * option, exit 2); else a G_FILE_ERROR from sim/out.h. */
bool view_write_files(const ladder *l, const view_files *f, GError **err);

#define VIEW_ERROR (view_error_quark())
GQuark view_error_quark(void);
enum { VIEW_ERROR_EMPTY };

/* A segment's sequence and acknowledgment numbers relative to the ISNs of
 * its connection (see above); *rel says whether both ISNs were found. */
void view_rel_seq(const ladder *l, const ladder_seg *s, uint32_t *seq, uint32_t *ack, bool *rel);

/* "SYN", "SYN-ACK", "FIN-ACK", "ACK", "RST-ACK", ...: the flags as people
 * say them. */
const char *view_flags_name(uint8_t flags, char buf[32]);

/* A time since the trace began, for people: "0.250 ms", "61.250 s",
 * "1.0061 s": three decimals, more when they are not zeros. */
const char *view_time_str(int64_t ns, char buf[32]);

/* A duration, rounded for people: "60.000 s", "201.000 ms". */
const char *view_span_str(int64_t ns, char buf[32]);

#endif
