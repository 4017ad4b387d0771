/*
 * The built-in trace scenarios: files in the format of trace_scn.h, kept
 * here so that `connsim trace NAME` needs nothing installed, and printed by
 * --print-scenario for users to start their own from.
 */
#include <string.h>

#include "cmd/trace_scn.h"

static const struct {
	const char *name, *text;
} builtins[] = {
	{ "client-closes",
	  "title Client closes: the active closer goes through FIN_WAIT1 and FIN_WAIT2 into TIME_WAIT\n"
	  "about The client closes 100 ms after connecting; the server's application closes 50 ms after\n"
	  "about the FIN (CLOSE_WAIT, then LAST_ACK).  The client keeps the 4-tuple in TIME_WAIT for 60 s;\n"
	  "about the passive closer keeps nothing.\n"
	  "on_fin server close 50ms\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n" },
	{ "server-closes",
	  "title Server closes: the server holds the TIME_WAIT, the client passes CLOSE_WAIT and LAST_ACK\n"
	  "about The server closes first (an HTTP/1.0 server, a timed-out keep-alive); the client's\n"
	  "about application closes at once on the FIN, so its FIN rides on the ACK.\n"
	  "at 0 client connect\n"
	  "at 100ms server close\n" },
	{ "simultaneous-close",
	  "title Simultaneous close: FINs cross, both ends pass CLOSING and both hold a TIME_WAIT\n"
	  "about Both applications close at the same instant: each FIN reaches a socket in FIN_WAIT1,\n"
	  "about which goes to CLOSING (tcp_fin) and, once its own FIN is acknowledged, to TIME_WAIT.\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n"
	  "at 100ms server close\n" },
	{ "lost-final-ack",
	  "title Lost final ACK: LAST_ACK retransmits its FIN into the client's TIME_WAIT\n"
	  "about The client's last ACK is lost.  The server, in LAST_ACK, retransmits its FIN when its\n"
	  "about RTO expires; the client's TIME_WAIT answers with an ACK and restarts its 60 s timer.\n"
	  "about This is why TIME_WAIT exists: without it the FIN would meet no socket and get a RST.\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n"
	  "drop client ACK 2\n" },
	{ "rst-close",
	  "title RST close: SO_LINGER {1, 0} aborts the connection, no FIN and no TIME_WAIT\n"
	  "about close() with SO_LINGER on and a zero timeout sends a RST and frees the socket at once;\n"
	  "about the server's socket is reset.  No end keeps a TIME_WAIT (and nothing protects the\n"
	  "about 4-tuple from old duplicates).\n"
	  "at 0 client connect\n"
	  "at 100ms client abort\n" },
	{ "tw-reuse",
	  "title tw_reuse: connect() takes over the port of a TIME_WAIT\n"
	  "about One local port (40000) and tcp_tw_reuse = 1: the second connect() to the same server\n"
	  "about finds the 4-tuple in TIME_WAIT and takes it over once tcp_twsk_unique allows it (6.14+:\n"
	  "about tcp_tw_reuse_delay, 1 s, after the TIME_WAIT began), starting its sequence 65537 past it.\n"
	  "set client.sysctl.net.ipv4.ip_local_port_range=40000 40000\n"
	  "set client.sysctl.net.ipv4.tcp_tw_reuse=1\n"
	  "end 10s\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n"
	  "at 3s client connect\n" },
	{ "syn-to-server-tw",
	  "title A SYN meets the server's TIME_WAIT and is accepted: its TSval is newer\n"
	  "about The server closed first and holds the 4-tuple in TIME_WAIT.  The client reconnects from\n"
	  "about the same port (one local port): tcp_timewait_state_process accepts the SYN because its\n"
	  "about timestamp is newer than the last one seen (TCP_TW_SYN) and the listener answers.\n"
	  "set client.sysctl.net.ipv4.ip_local_port_range=40000 40000\n"
	  "end 10s\n"
	  "at 0 client connect\n"
	  "at 100ms server close\n"
	  "at 2s client connect\n" },
	{ "syn-to-server-tw-ack",
	  "title A SYN meets the server's TIME_WAIT without timestamps: answered with an ACK\n"
	  "about As syn-to-server-tw, but without timestamps and after 2 GB from the client, so the\n"
	  "about new ISN is not beyond the old rcv_nxt: the TIME_WAIT answers the SYN with an ACK.  The\n"
	  "about client, in SYN_SENT, answers the unacceptable ACK with a RST, which (tcp_rfc1337 = 0)\n"
	  "about kills the TIME_WAIT; the SYN retransmitted 1 s later finds the listener.\n"
	  "set net.ipv4.tcp_timestamps=0\n"
	  "set workload.request_bytes=2000000000\n"
	  "set client.sysctl.net.ipv4.ip_local_port_range=40000 40000\n"
	  "end 10s\n"
	  "at 0 client connect\n"
	  "at 100ms server close\n"
	  "at 2s client connect\n" },
	{ "rfc1337-assassination",
	  "title TIME_WAIT assassination (RFC 1337) with tcp_rfc1337 = 0: an old duplicate kills it\n"
	  "about A copy of the server's FIN arrives 5 s late.  The client's TIME_WAIT answers it with an\n"
	  "about ACK; the server has no socket any more and answers that with a RST, which kills the\n"
	  "about TIME_WAIT: the 4-tuple is free 55 s early.\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n"
	  "dup server FIN+ACK 1 5s\n" },
	{ "rfc1337-protected",
	  "title TIME_WAIT with tcp_rfc1337 = 1: the RST of an old duplicate is ignored\n"
	  "about As rfc1337-assassination, with net.ipv4.tcp_rfc1337 = 1 on the client: the RST is\n"
	  "about dropped and the TIME_WAIT runs its course.\n"
	  "set client.sysctl.net.ipv4.tcp_rfc1337=1\n"
	  "end 70s\n"
	  "at 0 client connect\n"
	  "at 100ms client close\n"
	  "dup server FIN+ACK 1 5s\n" },
	{ "recycle-nat",
	  "title tw_recycle (4.4) drops the SYN of a second client behind the same NAT\n"
	  "about Two clients share the NAT's address; client1's timestamp clock is behind client2's.  The server closes first with tcp_tw_recycle = 1:\n"
	  "about its TIME_WAIT is cut to 3.5 RTO and the peer's last timestamp is cached per address.\n"
	  "about client1's SYN, from the same address with an older TSval, fails the per-peer\n"
	  "about PAWS check and is dropped without an answer, again at each retransmission (removed in 4.12).\n"
	  "profile 4.4\n"
	  "set client.count=2\n"
	  "set nat.addresses=203.0.113.1\n"
	  "set server.sysctl.net.ipv4.tcp_tw_recycle=1\n"
	  "end 5s\n"
	  "at 0 client2 connect\n"
	  "at 100ms server close\n"
	  "at 1s client1 connect\n" },
	{ "conntrack-full",
	  "title Conntrack table full: early_drop evicts an unassured entry, then finds none\n"
	  "about A firewall with nf_conntrack_max = 2 (and 4 buckets, so early_drop's 8 cover them all).\n"
	  "about Connection 1 is established: its entry is ASSURED.  Connection 2's SYN-ACK is lost, so\n"
	  "about its entry stays unassured; connection 3's SYN finds the table full and early_drop evicts\n"
	  "about connection 2's entry.  Connection 4's SYN finds two ASSURED entries: no candidate, the\n"
	  "about SYN is dropped (\"nf_conntrack: table full, dropping packet\").\n"
	  "set firewall.sysctl.net.netfilter.nf_conntrack_max=2\n"
	  "set firewall.sysctl.net.netfilter.nf_conntrack_buckets=4\n"
	  "end 900ms\n"
	  "at 0 client connect\n"
	  "at 100ms client connect\n"
	  "at 200ms client connect\n"
	  "at 300ms client connect\n"
	  "drop server SYN+ACK 2\n" },
	{ "snat-tw-evict",
	  "title SNAT reuses a tuple whose conntrack entry is in TIME_WAIT (6.5+: evicted)\n"
	  "about The NAT has one port.  client1's connection closes: its entry is in TIME_WAIT for 120 s.\n"
	  "about client2 connects to the same server: the only tuple is taken, but since 6.5\n"
	  "about nf_nat_used_tuple_harder evicts an entry in TIME_WAIT whose sequence the new SYN has passed.\n"
	  "set client.count=2\n"
	  "set nat.addresses=203.0.113.1\n"
	  "set nat.ports=5000 5000\n"
	  "end 5s\n"
	  "at 0 client1 connect\n"
	  "at 100ms client1 close\n"
	  "at 1s client2 connect\n" },
	{ NULL, NULL },
};

const char *const *tscn_builtin_names(void)
{
	static const char *names[G_N_ELEMENTS(builtins)];
	for (size_t i = 0; i < G_N_ELEMENTS(builtins); i++)
		names[i] = builtins[i].name;
	return names;
}

const char *tscn_builtin_text(const char *name)
{
	for (size_t i = 0; builtins[i].name; i++)
		if (!strcmp(builtins[i].name, name))
			return builtins[i].text;
	return NULL;
}
