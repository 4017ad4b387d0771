/*
 * view_pcap: the ladder's segments as IPv4/TCP packets in a pcap file,
 * written with libpcap's own writer so that tcpdump, tshark and Wireshark
 * (its flow graph) read exactly what connsim simulated.
 *
 * Capture point: the sending side of each wire.  A ladder segment is one
 * wire's copy of a packet (from one lane to the next, addresses and ports as
 * on that wire, after any NAT before it), so a packet crossing a NAT appears
 * twice, once per wire, with the NAT's rewrite visible between them, as two
 * tcpdumps would show it.  A box that is a host's own conntrack is at the
 * host's hooks, not on a wire: of a packet's two legs through it, the one
 * into it is the wire's copy and the one out of it is not written (run
 * --pcap does the same).  Each copy is stamped
 * t_sent (nanoseconds since the trace began, counted from the epoch) and is
 * written even when it was dropped later on its way: the sender did put it
 * on the wire.
 *
 * The packets themselves are pcapw's (cmd/pcapw.h), shared with run --pcap.
 */
#include "cmd/view.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd/pcapw.h"
#include "sim/bug.h"

static int by_sent(gconstpointer a, gconstpointer b, gpointer data)
{
	const ladder *l = data;
	guint i = *(const guint *)a, j = *(const guint *)b;
	int64_t ti = g_array_index(l->segs, ladder_seg, i).t_sent;
	int64_t tj = g_array_index(l->segs, ladder_seg, j).t_sent;
	if (ti != tj)
		return ti < tj ? -1 : 1;
	return i < j ? -1 : i > j;
}

GBytes *view_pcap(const ladder *l)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *fp = open_memstream(&mem, &memlen);
	BUG_ON(!fp);
	pcapw *w = pcapw_open(fp);
	BUG_ON(!w);

	/* In time order; the ladder's own order breaks ties. */
	guint n = l->segs->len;
	guint *order = g_new(guint, n ? n : 1);
	for (guint i = 0; i < n; i++)
		order[i] = i;
	g_qsort_with_data(order, (gint)n, sizeof *order, by_sent, (gpointer)l);

	for (guint k = 0; k < n; k++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, order[k]);
		if (g_array_index(l->lanes, ladder_lane, s->from).own_of >= 0)
			continue;  /* leaves the host's own hooks: no wire */
		/* LADDER_* and TAP_F_* are both the header's flag bits. */
		tap_pkt p = { .t = { s->saddr, s->daddr, s->sport, s->dport }, .flags = s->flags,
			      .has_ts = s->has_ts, .seq = s->seq, .ack = s->ack, .tsval = s->tsval, .tsecr = s->tsecr };
		pcapw_put(w, s->t_sent, &p);
	}
	g_free(order);
	/* closes fp: mem is then complete (a memory stream cannot fail short of
	 * memory, which g_malloc's policy makes fatal anyway) */
	bool closed = pcapw_close(w);
	BUG_ON(!closed);
	return g_bytes_new_with_free_func(mem, memlen, free, mem);
}
