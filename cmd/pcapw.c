/*
 * pcapw: segments as IPv4/TCP packets through libpcap's dumper (pcapw.h).
 */
#include "cmd/pcapw.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include <glib.h>

enum { IP_HLEN = 20, TCP_HLEN = 20, TS_OPTLEN = 12 };

struct pcapw {
	pcap_t *p;
	pcap_dumper_t *d;
	uint16_t ip_id;
};

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
static size_t build_packet(const tap_pkt *s, uint16_t ip_id, uint8_t buf[IP_HLEN + TCP_HLEN + TS_OPTLEN])
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
	put32(ip + 12, s->t.saddr);
	put32(ip + 16, s->t.daddr);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));

	uint8_t *th = buf + IP_HLEN;
	put16(th, s->t.sport);
	put16(th + 2, s->t.dport);
	put32(th + 4, s->seq);
	/* The ack field is zero unless ACK is set (tcp_transmit_skb fills it
	 * only then), as a real capture shows. */
	put32(th + 8, (s->flags & TAP_F_ACK) ? s->ack : 0);
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

pcapw *pcapw_open(FILE *fp)
{
	pcapw *w = g_new0(pcapw, 1);
	w->p = pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (w->p && (w->d = pcap_dump_fopen(w->p, fp)))
		return w;
	if (w->p)
		pcap_close(w->p);
	g_free(w);
	return NULL;
}

void pcapw_put(pcapw *w, int64_t t, const tap_pkt *p)
{
	uint8_t buf[IP_HLEN + TCP_HLEN + TS_OPTLEN];
	size_t len = build_packet(p, ++w->ip_id, buf);
	struct pcap_pkthdr h = { 0 };
	if (t < 0)
		t = 0;
	h.ts.tv_sec = (time_t)(t / 1000000000LL);
	h.ts.tv_usec = (suseconds_t)(t % 1000000000LL);  /* ns: nano precision */
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w->d, &h, buf);
}

bool pcapw_close(pcapw *w)
{
	/* pcap_dump_close reports nothing: flush first and look at the stream. */
	FILE *fp = pcap_dump_file(w->d);
	bool ok = pcap_dump_flush(w->d) == 0 && !ferror(fp);
	int e = errno;
	pcap_dump_close(w->d);
	pcap_close(w->p);
	g_free(w);
	errno = e;
	return ok;
}
