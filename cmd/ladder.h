/*
 * ladder: a recorded trace, what every view of `connsim trace` draws.
 *
 * Lanes are the hosts and boxes on the path, left to right (client, NAT,
 * firewall, server).  A segment is an arrow from one lane to the next, as it
 * was on that wire (addresses after any NAT in front of it), sent at one
 * instant and received at another, or dropped with a reason.  A note sits on
 * one lane at one instant: a state after a segment, a conntrack entry's state
 * and remaining timeout, a rule the kernel applied with the function it is
 * in, a timer running until t_end, or a call the application made.
 *
 * The trace command fills a ladder from the models' decisions; the renderers
 * (text, SVG, Mermaid, pcap, packetdrill) only read it.  Segments and notes
 * are kept in the order they were added, which is time order.
 */
#ifndef CONNSIM_CMD_LADDER_H
#define CONNSIM_CMD_LADDER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* TCP flags as on the wire (the header's flag bits). */
enum { LADDER_FIN = 0x01, LADDER_SYN = 0x02, LADDER_RST = 0x04, LADDER_PSH = 0x08, LADDER_ACK = 0x10 };

typedef struct ladder_lane {
	char *name;      /* "client", "nat", "server" */
	uint32_t addr;   /* host byte order; 0 for a box with no address of its own */
	bool box;        /* a middlebox (forwards), not an end host */
	int own_of;      /* a box that is a host's own conntrack (at its hooks,
			  * not on a wire): that host's lane; else -1 */
} ladder_lane;

typedef struct ladder_seg {
	unsigned from, to;           /* lane indices */
	int64_t t_sent, t_recv;      /* ns since the trace began; t_recv < 0: dropped */
	char *drop_why;              /* when dropped: "lost (staged)", "conntrack table full"; else NULL */
	uint32_t saddr, daddr;       /* host byte order, as on this wire */
	uint16_t sport, dport;
	uint8_t flags;               /* LADDER_* */
	uint32_t seq, ack;           /* absolute; views make them relative to each end's ISN */
	bool has_ts;
	uint32_t tsval, tsecr;
	unsigned conn;               /* which traced connection, from 0 */
	uint64_t step;               /* set by ladder_seg_add from the ladder's step */
	uint64_t step_recv;          /* the recorder's step at t_recv */
} ladder_seg;

typedef enum ladder_note_kind {
	LADDER_STATE,   /* a TCP socket's state: "TIME_WAIT" */
	LADDER_CT,      /* a conntrack entry: "TIME_WAIT, 120 s left" */
	LADDER_RULE,    /* the rule the kernel applied, in words; func names where */
	LADDER_TIMER,   /* a timer running from t to t_end: "TIME_WAIT timer" */
	LADDER_APP,     /* a call the application made: "connect()", "close()" */
} ladder_note_kind;

typedef struct ladder_note {
	ladder_note_kind kind;
	unsigned lane;
	int64_t t, t_end;            /* t_end: LADDER_TIMER's end; else t */
	unsigned conn;
	char *text;
	char *func;                  /* LADDER_RULE: "tcp_twsk_unique"; else NULL */
	/* LADDER_TIMER: when it stopped before t_end (t_end stays what was
	 * planned), or -1: it ran to t_end.  restarted: re-armed, a later
	 * LADDER_TIMER note of the lane and connection goes on from t_stop;
	 * else cancelled (the socket went away: taken over, killed). */
	int64_t t_stop;
	bool restarted;
	uint64_t step;               /* as ladder_seg's */
} ladder_note;

typedef struct ladder {
	char *title;
	GArray *lanes;   /* ladder_lane */
	GArray *segs;    /* ladder_seg */
	GArray *notes;   /* ladder_note */
	/* The recorder's step (an engine event) that the segments and notes
	 * added now belong to: at one instant, one step's notes come before
	 * its segments, and earlier steps before later ones. */
	uint64_t step;
} ladder;

ladder *ladder_new(const char *title);
void ladder_free(ladder *l);
/* Returns the new lane's index. */
unsigned ladder_lane_add(ladder *l, const char *name, uint32_t addr, bool box);
/* Box lane `box` is host lane `host`'s own conntrack. */
void ladder_lane_own(ladder *l, unsigned box, unsigned host);
/* Copies s (and its drop_why); returns the segment's index. */
unsigned ladder_seg_add(ladder *l, const ladder_seg *s);
/* Copies text and func (either may be NULL for func). */
void ladder_note_add(ladder *l, ladder_note_kind kind, unsigned lane, int64_t t, int64_t t_end, unsigned conn,
		     const char *text, const char *func);
/* The timer running on lane for conn (its latest LADDER_TIMER note), if it
 * was to fire after t, stops at t: re-armed (restarted) or cancelled. */
void ladder_timer_stop(ladder *l, unsigned lane, unsigned conn, int64_t t, bool restarted);

#endif
