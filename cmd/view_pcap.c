/*
 * view_pcap: the ladder's segments as IPv4/TCP packets in a pcap file,
 * written with libpcap's own writer so that tcpdump, tshark and Wireshark
 * (its flow graph) read exactly what connsim simulated.
 *
 * Capture point: the sending side of each wire.  A ladder segment is one
 * wire's copy of a packet (from one lane to the next, addresses and ports as
 * on that wire, after any NAT before it), so a packet crossing a NAT appears
 * twice, once per wire, with the NAT's rewrite visible between them, as two
 * tcpdumps would show it.  Each copy is stamped t_sent (nanoseconds since the
 * trace began, counted from the epoch) and is written even when it was
 * dropped later on its way: the sender did put it on the wire.
 *
 * The ladder knows no window, TTL or payload: every packet carries window
 * 65535, TTL 64, no payload, DF set, an IP id counting packets from 1; the
 * timestamp option is NOP, NOP, TS (the layout Linux's tcp_options_write
 * uses on every segment but the SYN) when the segment has timestamps.
 */
#include "cmd/view.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bug.h"

enum { IP_HLEN = 20, TCP_HLEN = 20, TS_OPTLEN = 12 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 255;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 255;
	p[2] = (v >> 8) & 255;
	p[3] = v & 255;
}

/* The Internet checksum's running sum of 16-bit big-endian words (RFC 1071). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One segment as an IPv4 packet into buf; returns its length. */
static size_t build_packet(const ladder_seg *s, uint16_t ip_id, uint8_t buf[IP_HLEN + TCP_HLEN + TS_OPTLEN])
{
	size_t tcp_len = TCP_HLEN + (s->has_ts ? TS_OPTLEN : 0);
	size_t len = IP_HLEN + tcp_len;
	memset(buf, 0, len);

	uint8_t *ip = buf;
	ip[0] = 0x45;                   /* version 4, 5 words */
	put16(ip + 2, (uint16_t)len);
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000);          /* DF */
	ip[8] = 64;
	ip[9] = 6;                      /* TCP */
	put32(ip + 12, s->saddr);
	put32(ip + 16, s->daddr);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));

	uint8_t *th = buf + IP_HLEN;
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	/* The ack field is zero unless ACK is set (tcp_transmit_skb fills it
	 * only then), as a real capture shows. */
	put32(th + 8, (s->flags & LADDER_ACK) ? s->ack : 0);
	th[12] = (uint8_t)((tcp_len / 4) << 4);
	th[13] = s->flags;
	put16(th + 14, 65535);
	if (s->has_ts) {
		uint8_t *o = th + TCP_HLEN;
		o[0] = 1;               /* NOP */
		o[1] = 1;
		o[2] = 8;               /* TCPOPT_TIMESTAMP */
		o[3] = 10;
		put32(o + 4, s->tsval);
		put32(o + 8, s->tsecr);
	}
	/* pseudo-header: saddr, daddr, zero, protocol, TCP length */
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	put16(ph + 10, (uint16_t)tcp_len);
	put16(th + 16, csum_fold(csum_add(csum_add(0, ph, sizeof ph), th, tcp_len)));
	return len;
}

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
	/* DLT_RAW: the packet starts at the IPv4 header (no link layer to
	 * invent); the file says LINKTYPE_RAW.  Nanosecond stamps keep a
	 * sub-microsecond delay visible. */
	pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO);
	BUG_ON(!p);
	pcap_dumper_t *d = pcap_dump_fopen(p, fp);
	BUG_ON(!d);

	/* In time order; the ladder's own order breaks ties. */
	guint n = l->segs->len;
	guint *order = g_new(guint, n ? n : 1);
	for (guint i = 0; i < n; i++)
		order[i] = i;
	g_qsort_with_data(order, (gint)n, sizeof *order, by_sent, (gpointer)l);

	uint8_t buf[IP_HLEN + TCP_HLEN + TS_OPTLEN];
	for (guint k = 0; k < n; k++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, order[k]);
		size_t len = build_packet(s, (uint16_t)(k + 1), buf);
		struct pcap_pkthdr h = { 0 };
		int64_t t = s->t_sent > 0 ? s->t_sent : 0;
		h.ts.tv_sec = (time_t)(t / 1000000000LL);
		h.ts.tv_usec = (suseconds_t)(t % 1000000000LL);  /* ns: nano precision */
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
	}
	g_free(order);
	pcap_dump_close(d);  /* flushes and fcloses fp: mem is then complete */
	pcap_close(p);
	return g_bytes_new_with_free_func(mem, memlen, free, mem);
}
