/*
 * The TCP state tracker of conntrack (nf_conntrack_proto_tcp.c): the state
 * table, tcp_new, nf_conntrack_tcp_packet with its timeouts, and what
 * tcp_in_window records (doc/kernel-rules.md §6.4-6.8).
 *
 * Window tracking (tcp_in_window) is not modelled: every packet is in
 * window.  Its side effects that decide timeouts are: the highest sequence
 * sent and acknowledged per direction (DATA_UNACKNOWLEDGED, the exact-RST
 * rule) and the retransmission counter.
 */
#include "models/ct_int.h"

#include "sim/probe.h"

/* ---- the TCP state table ----------------------------------------------------- */

#define sNO CT_NONE
#define sSS CT_SYN_SENT
#define sSR CT_SYN_RECV
#define sES CT_ESTABLISHED
#define sFW CT_FIN_WAIT
#define sCW CT_CLOSE_WAIT
#define sLA CT_LAST_ACK
#define sTW CT_TIME_WAIT
#define sCL CT_CLOSE
#define sS2 CT_SYN_SENT2
#define sIV CT_NSTATES        /* TCP_CONNTRACK_MAX: invalid */
#define sIG (CT_NSTATES + 1)  /* TCP_CONNTRACK_IGNORE */

/*
 * tcp_conntracks[dir][index][old state], as in doc/kernel-rules.md §6.4 (current
 * kernels), with the reason for each cell as the kernel's table gives it.
 * Conntrack is the man in the middle: it sees every packet, which may still
 * be lost on the way on; it guesses the state of the current sender.  sIG
 * (ignore) marks packets that may be valid or not, to which the receiver may
 * answer with a RST or a SYN/ACK that settles it; sIV marks packets that are
 * truly invalid.  One cell depends on the profile: a REPLY SYN in TIME_WAIT
 * is SYN_SENT on newer kernels and INVALID on older ones (3.4 source: sIV;
 * prof.ct_reply_syn_in_tw), see ct__tcp_packet.
 */
static const uint8_t tcp_conntracks[2][6][CT_NSTATES] = {
	{
/* ORIGINAL */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/    { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/*
 *	sNO -> sSS	a new connection
 *	sSS -> sSS	retransmitted SYN
 *	sS2 -> sS2	late retransmitted SYN
 *	sSR, sES, sFW, sCW, sLA -> sIG	a SYN in window outside SYN_SENT is an
 *			error the receiver answers with a RST that closes the
 *			connection; or conntrack is out of sync, holding a dead
 *			connection
 *	sTW -> sSS	reopened connection (RFC 1122)
 *	sCL -> sSS	likewise, after a RST
 */
/*synack*/ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/*
 *	sNO -> sIV	too late, and no reason to do anything
 *	sSS -> sIV	a client cannot send a SYN and then a SYN/ACK
 *	sS2 -> sSR	SYN/ACK to the reply side's SYN: simultaneous open
 *	sSR -> sSR	late retransmitted SYN/ACK of a simultaneous open
 *	sES, sFW, sCW, sLA, sTW, sCL -> sIV	a client's invalid SYN/ACK
 */
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	sNO -> sIV	too late, and no reason to do anything
 *	sSS, sS2 -> sIV	the client may not send a FIN yet: conntrack waits for
 *			the SYN/ACK first
 *	sSR, sES -> sFW	close started
 *	sFW, sCW -> sLA	FIN seen in both directions, waiting for the last ACK
 *			(or a retransmitted FIN)
 *	sLA -> sLA	retransmitted FIN: the state stays
 *	sTW -> sTW, sCL -> sCL
 */
/*ack*/    { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/*
 *	sNO -> sES	assumed (a mid-stream pickup, nf_conntrack_tcp_loose)
 *	sSS, sS2 -> sIV	no SYN/ACK seen yet
 *	sSR -> sES	the connection is established
 *	sES -> sES	the usual case
 *	sFW -> sCW	a close answered by an ACK
 *	sCW -> sCW
 *	sLA -> sTW	the last ACK (unless an RFC 5961 challenge ACK)
 *	sTW -> sTW	retransmitted last ACK: the state stays
 *	sCL -> sCL
 */
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*
 *	sNO -> sIV	nothing to reset; any other state -> sCL (the RST's
 *			sequence is checked in ct__tcp_packet)
 */
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
/*
 *	no SYN, FIN, ACK or RST: invalid in every state
 */
	},
	{
/* REPLY */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/    { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/*
 *	sNO -> sIV	never reached (an entry starts from ORIGINAL)
 *	sSS -> sS2	simultaneous open
 *	sS2 -> sS2	retransmitted simultaneous SYN
 *	sSR, sES, sFW, sCW, sLA -> sIV	a server's invalid SYN
 *	sTW -> sSS	reopened connection, the server having switched role
 *			(older kernels: sIV, the server may not reopen)
 *	sCL -> sIV
 */
/*synack*/ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/*
 *	sNO -> sIV
 *	sSS -> sSR	the standard open
 *	sS2 -> sSR	simultaneous open
 *	sSR -> sIG	retransmitted SYN/ACK: ignored
 *	sES -> sIG	late retransmitted SYN/ACK?
 *	sFW, sCW, sLA, sTW, sCL -> sIG	may be the SYN/ACK answering a SYN
 *			conntrack ignored (ct__tcp_packet resynchronises)
 */
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	sSS, sS2 -> sIV	the server may not send a FIN in this state
 *	sSR, sES -> sFW	close started
 *	sFW, sCW -> sLA	FIN seen in both directions
 *	sLA -> sLA	retransmitted FIN
 *	sTW -> sTW, sCL -> sCL
 */
/*ack*/    { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/*
 *	sSS, sS2 -> sIG	may be a half-open connection
 *	sSR -> sSR	may answer a late resent SYN
 *	sES -> sES	the usual case
 *	sFW -> sCW	a close answered by an ACK
 *	sCW -> sCW
 *	sLA -> sTW	the last ACK (unless an RFC 5961 challenge ACK)
 *	sTW -> sTW	retransmitted last ACK
 *	sCL -> sCL
 */
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
/*
 *	as in ORIGINAL
 */
	},
};

static const char *const state_names[] = {
#define X(s) #s,
	CT_STATE_MAP(X)
#undef X
};

const char *ct_state_name(ct_state s)
{
	return (unsigned)s < CT_NSTATES ? state_names[s] : "?";
}

/* The timeout class of each state: tcp_timeouts[] indexes. */
static const uint8_t state_tc[CT_NSTATES] = {
	[CT_NONE] = TC_SS,  /* tn->timeouts[0] = tcp_timeouts[TCP_CONNTRACK_SYN_SENT] */
	[CT_SYN_SENT] = TC_SS, [CT_SYN_RECV] = TC_SR, [CT_ESTABLISHED] = TC_ES,
	[CT_FIN_WAIT] = TC_FW, [CT_CLOSE_WAIT] = TC_CW, [CT_LAST_ACK] = TC_LA,
	[CT_TIME_WAIT] = TC_TW, [CT_CLOSE] = TC_CL, [CT_SYN_SENT2] = TC_S2,
};

/* ---- the tracker ------------------------------------------------------------ */

/* segment_seq_plus_len */
static inline uint32_t seg_end(const ct_pkt *p)
{
	return p->seq + p->len + !!(p->flags & CT_F_SYN) + !!(p->flags & CT_F_FIN);
}

/* tcp_new: a SYN starts SYN_SENT; anything else only with
 * nf_conntrack_tcp_loose, from the NONE column. */
bool ct__tcp_new(const ct_table *ct, ct_entry *e, const ct_pkt *p, unsigned index)
{
	unsigned st = tcp_conntracks[CT_ORIGINAL][index][CT_NONE];
	if (st >= CT_NSTATES || (st != CT_SYN_SENT && !ct->cfg.loose))
		return false;
	e->td_end[CT_ORIGINAL] = seg_end(p);
	e->flags[CT_ORIGINAL] = F_SEEN;  /* a pickup also assumes SACK and liberal windows */
	e->last_index = TCP_NONE_SET;    /* "tcp_packet will set them" */
	return true;
}

/*
 * tcp_in_window with every packet in window: what it records.  The first
 * packet seen in a direction initialises it (a SYN, or mid-stream from the
 * packet); SYN_SENT/SYN_RECV senders re-initialise on a later end (their
 * flags go with the options); the sender's end moving on marks
 * DATA_UNACKNOWLEDGED, an ACK of the receiver's end clears it; ACK-class
 * packets equal to the previous one count as retransmissions.
 */
static void in_window(ct_entry *e, int dir, unsigned index, const ct_pkt *p)
{
	const int rd = !dir;
	const bool syn = p->flags & CT_F_SYN, has_ack = p->flags & CT_F_ACK, rst = p->flags & CT_F_RST;
	uint32_t seq = p->seq, ack = p->ack, end = seg_end(p);
	if (!(e->flags[dir] & F_SEEN)) {
		e->td_end[dir] = end;
		if (syn) {
			e->flags[dir] = F_SEEN;
			if (!has_ack)
				return;  /* simultaneous open */
		} else {
			e->flags[dir] |= F_SEEN;
			if (!(e->flags[rd] & F_SEEN))
				e->td_end[rd] = ack;
			else if (ack == e->td_end[rd] + 1)
				e->td_end[rd]++;  /* likely a reply to a keepalive */
		}
	} else if (((e->state == CT_SYN_SENT && dir == CT_ORIGINAL) || (e->state == CT_SYN_RECV && dir == CT_REPLY)) &&
		   after32(end, e->td_end[dir])) {
		/* RFC 793: "if a TCP is reinitialized ..." */
		e->td_end[dir] = end;
		e->flags[dir] = F_SEEN;
	}
	if (!has_ack || (rst && ack == 0))
		ack = e->td_end[rd];
	if (rst && seq == 0 && e->state == CT_SYN_SENT)
		seq = end = e->td_end[dir];  /* RST sent answering SYN */
	if (after32(end, e->td_end[dir])) {
		e->td_end[dir] = end;
		e->flags[dir] |= F_DATA_UNACK;
	}
	if (has_ack) {
		if (!(e->flags[dir] & F_MAXACK_SET)) {
			e->td_maxack[dir] = ack;
			e->flags[dir] |= F_MAXACK_SET;
		} else if (after32(ack, e->td_maxack[dir])) {
			e->td_maxack[dir] = ack;
		}
	}
	if (ack == e->td_end[rd])
		e->flags[rd] &= (uint8_t)~F_DATA_UNACK;
	if (index == TCP_ACK_SET) {
		if (e->last_dir == dir && e->last_seq == seq && e->last_ack == ack && e->last_end == end) {
			if (e->retrans < UINT8_MAX)
				e->retrans++;
		} else {
			e->last_dir = (uint8_t)dir;
			e->last_seq = seq;
			e->last_ack = ack;
			e->last_end = end;
			e->retrans = 0;
		}
	}
}

static void set_state(ct_table *ct, ct_entry *e, unsigned st)
{
	if (e->state == st)
		return;
	bool l = live(e);
	if (l && ct->g_state[e->state])
		probe_gauge_add(ct->g_state[e->state], -1, now(ct));
	e->state = (uint8_t)st;
	if (l && ct->g_state[st])
		probe_gauge_add(ct->g_state[st], 1, now(ct));
}

/* nf_conntrack_tcp_packet */
pk_res ct__tcp_packet(ct_table *ct, uint32_t i, int dir, unsigned index, const ct_pkt *p)
{
	ct_entry *e = E(ct, i);
	unsigned old = e->state;
	unsigned st = tcp_conntracks[dir][index][old];
	if (dir == CT_REPLY && index == TCP_SYN_SET && old == CT_TIME_WAIT && !ct->cfg.reply_syn_in_tw)
		st = sIV;  /* older kernels: "server may not reopen" */

	switch (st) {
	case CT_SYN_SENT:
		if (old < CT_TIME_WAIT)
			break;
		/* RFC 1122 reopening from TIME_WAIT / CLOSE (doc/kernel-rules.md
		 * §6.8): a FIN was seen, or this side's last packet was a RST:
		 * delete the entry and look the packet up again (NF_REPEAT). */
		if (((e->flags[dir] | e->flags[!dir]) & F_CLOSE_INIT) ||
		    (e->last_dir == dir && e->last_index == TCP_RST_SET)) {
			ct__kill(ct, i);
			return PK_REPEAT;
		}
		/* fall through */
	case sIG:
		/* b) a SYN/ACK acknowledging a SYN we ignored: both ends are in
		 * sync and we are not; resynchronise into SYN_RECV. */
		if (index == TCP_SYNACK_SET && e->last_index == TCP_SYN_SET && e->last_dir != dir &&
		    p->ack == e->last_end) {
			int ld = e->last_dir;
			old = CT_SYN_SENT;
			st = CT_SYN_RECV;
			e->td_end[ld] = e->last_end;
			e->flags[ld] = F_SEEN;
			e->last_flags &= (uint8_t)~LF_EXP_CHALLENGE_ACK;
			e->td_end[dir] = e->td_maxack[dir] = 0;
			e->flags[dir] = 0;
			break;
		}
		e->last_index = (uint8_t)index;
		e->last_dir = (uint8_t)dir;
		e->last_seq = p->seq;
		e->last_end = seg_end(p);
		if (index == TCP_SYN_SET && dir == CT_ORIGINAL) {
			/* a) a SYN in ORIGINAL; in LAST_ACK, the next ACK may be
			 * a challenge ACK (RFC 5961) */
			e->last_flags = 0;
			if (old == CT_LAST_ACK)
				e->last_flags |= LF_EXP_CHALLENGE_ACK;
		}
		return PK_IGNORE;
	case sIV:
		return PK_INVALID;
	case CT_TIME_WAIT:
		if (old == CT_LAST_ACK && index == TCP_ACK_SET && e->last_dir != dir && e->last_index == TCP_SYN_SET &&
		    (e->last_flags & LF_EXP_CHALLENGE_ACK)) {
			/* "Detected RFC5961 challenge ACK" */
			e->last_flags &= (uint8_t)~LF_EXP_CHALLENGE_ACK;
			return PK_IGNORE;
		}
		break;
	case CT_SYN_SENT2:
		/* tcp_conntracks table is not smart enough to handle
		 * simultaneous open */
		e->last_flags |= LF_SIMULTANEOUS_OPEN;
		break;
	case CT_SYN_RECV:
		if (dir == CT_REPLY && index == TCP_ACK_SET && (e->last_flags & LF_SIMULTANEOUS_OPEN))
			st = CT_ESTABLISHED;
		break;
	case CT_CLOSE:
		if (index != TCP_RST_SET)
			break;
		if (e->flags[!dir] & F_MAXACK_SET) {
			uint32_t seq = p->seq, maxack = e->td_maxack[!dir];
			if (before32(seq, maxack))
				return PK_INVALID;  /* invalid RST */
			if (ct->cfg.rst_exact_seq) {
				bool established = old == CT_ESTABLISHED && (e->status & S_ASSURED);
				bool train = e->last_index == TCP_ACK_SET && e->last_dir == dir && seq == e->last_end;
				/* not exact: keep the state, for a challenge ACK */
				if (established && seq != maxack && !train)
					st = old;
			}
		}
		break;
	default:
		break;
	}

	in_window(e, dir, index, p);
	e->last_index = (uint8_t)index;
	e->last_dir = (uint8_t)dir;
	set_state(ct, e, st);
	if (old != st && st == CT_FIN_WAIT)
		e->flags[dir] |= F_CLOSE_INIT;

	/* The timeout (doc/kernel-rules.md §6.5).  A zero window is not modelled. */
	unsigned tc = state_tc[st];
	if (e->retrans >= ct->cfg.max_retrans && ct->tmo[tc] > ct->tmo[TC_RETRANS])
		tc = TC_RETRANS;
	else if (index == TCP_RST_SET)
		tc = TC_CL;
	else if (((e->flags[0] | e->flags[1]) & F_DATA_UNACK) && ct->tmo[tc] > ct->tmo[TC_UNACK])
		tc = TC_UNACK;

	if (!(e->status & S_SEEN_REPLY)) {
		/* "If only reply is a RST, we can consider ourselves not to
		 * have an established connection" */
		if (index == TCP_RST_SET) {
			ct__kill(ct, i);
			return PK_KILLED;
		}
		if (ct->cfg.syn_retrans_no_renew && index == TCP_SYN_SET && old == CT_SYN_SENT)
			return PK_ACCEPT;  /* do not renew timeout on SYN retransmit */
		if (ct->cfg.pickup_unack_cap && st == CT_ESTABLISHED &&
		    ct->tmo[tc] > ct->tmo[TC_UNACK])
			tc = TC_UNACK;
	} else if (!(e->status & S_ASSURED) && (old == CT_SYN_RECV || old == CT_ESTABLISHED) &&
		   st == CT_ESTABLISHED) {
		/* a valid ACK in ESTABLISHED after SYN_RECV, or an answer for
		 * a picked-up connection */
		e->status |= S_ASSURED;
		if (live(e))
			probe_gauge_add(ct->g_assured, 1, now(ct));
	}
	refresh(ct, i, tc);
	return PK_ACCEPT;
}

