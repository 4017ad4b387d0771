#!/bin/sh
# experiments/snat-tsoffset.ini, the issue's bar: at 100 connections/s (a
# node at about 6,300/s) the 6.11-era client retransmits no SYN, with or
# without --random-fully, nor does the 7.0 client with the default mapping;
# the 7.0 client behind --random-fully retransmits SYNs for a sizeable share
# of its connections (PAWS rejects in the server's TIME_WAIT) and its mean
# connect latency is many RTTs.  Two replications per variant (a sweep needs two), seed 1.
#   CONNSIM=./connsim sh tests/snat_tsoffset.sh
set -u
. "$(dirname "$0")/lib.sh"

E=experiments/snat-tsoffset.ini
"$BIN" sweep "$E" --vary workload.rate=100 --reps 2 --jobs 2 --quiet --out "$T/sw" >"$T/out" 2>&1 ||
	{ bad "the sweep runs" "$T/out"; summary snat-tsoffset; exit 1; }
ok "the sweep runs"

# value VARIANT-PREFIX COLUMN: the column's mean on the variant's row
value() {
	awk -F, -v v="$1" -v c="$2" '
		/^#/ { next }
		!h { for (i = 1; i <= NF; i++) col[$i] = i; h = 1; next }
		index($col["variant"], v) == 1 { print $col[c]; exit }' "$T/sw/curve.csv"
}

for v in "6.11 client (--random-fully)" "6.11 client (default mapping)" "7.0 client (default mapping)"; do
	r=$(value "$v" client.TcpExtTCPSynRetrans.mean) p=$(value "$v" server.TcpExtPAWSTimewait.mean)
	if [ "$r" = 0 ] && [ "$p" = 0 ]; then ok "$v: no SYN retransmitted, no PAWS reject"
	else bad "$v: $r SYN retransmissions, $p PAWS rejects"; fi
done

v="7.0 client (--random-fully)"
a=$(value "$v" conn.attempts.mean) r=$(value "$v" client.TcpExtTCPSynRetrans.mean)
p=$(value "$v" server.TcpExtPAWSTimewait.mean) m=$(value "$v" conn.setup.mean_ms.mean)
if awk -v a="$a" -v r="$r" 'BEGIN { exit !(a > 1000 && r > 0.3 * a) }'; then
	ok "$v: $r SYN retransmissions for $a connections"
else bad "$v: $r SYN retransmissions for $a connections, expected more than 30 %"; fi
if awk -v p="$p" -v r="$r" 'BEGIN { exit !(p >= r * 0.9) }'; then ok "$v: the server's TIME_WAIT rejected them by PAWS ($p)"
else bad "$v: $p PAWS rejects for $r retransmissions"; fi
if awk -v m="$m" 'BEGIN { exit !(m > 50) }'; then ok "$v: mean connect latency $m ms (the others 0.24 ms)"
else bad "$v: mean connect latency $m ms, expected > 50 ms"; fi

summary snat-tsoffset
