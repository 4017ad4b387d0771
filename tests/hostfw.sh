#!/bin/sh
# A host's own firewall through the real binary.  On a loopback path a
# [firewall] is the host's conntrack: each segment tracked once (at the
# output hook; back in through lo it carries its entry and nf_conntrack_in
# returns at once), so nf_conntrack_count follows Little's law,
# rate x (life + 120 s of conntrack TIME_WAIT), and a small nf_conntrack_max
# drops SYNs; it adds no delay.  A [nat] on a loopback path is refused.
# host = server on a [firewall] and on a [nat]: the server's own conntrack
# and a namespace on its machine, one gc worker.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/hostfw.sh
set -u
. tests/lib.sh

# tw_reuse off: with 2 (loopback only) a reused 4-tuple's SYN would end the
# old entry's TIME_WAIT early (sTW -> sSS) and Little's law would not hold.
cat >"$T/lo.ini" <<'INI'
[experiment]
duration = 500s
warmup = 200s
seed = 3
[client]
address = 127.0.0.1
[client.sysctl]
net.ipv4.tcp_tw_reuse = 0
[server]
addresses = 127.0.0.1
ports = 8080
[firewall]
[workload]
rate = 20
life = exponential
life_mean = 2s
INI
RATE=20 LIFE=2

"$BIN" run -q "$T/lo.ini" -o "$T/lo" >/dev/null 2>"$T/err" || bad "loopback firewall run" "$T/err"
live=$(col "$T/lo" firewall.ct.assured.mean)
count=$(col "$T/lo" firewall.ct.count.mean)
# Live entries: M/G/inf with Poisson arrivals, so the number at an instant is
# Poisson with mean m = rate x (life + 120 s); its time average varies less
# than that, so 4 sqrt(m) bounds it.  nf_conntrack_count adds the dead
# entries the gc worker has not reached: at most one interval
# (GC_SCAN_INTERVAL_MAX, 60 s) of arrivals.
if awk -v l="$live" -v c="$count" -v r=$RATE -v s=$LIFE 'BEGIN { m = r * (s + 120); d = l - m; if (d < 0) d = -d
	exit !(d < 4 * sqrt(m) && c >= l && c < m + r * 60 + 4 * sqrt(m)) }'; then
	ok "Little's law on loopback: $live live entries, nf_conntrack_count $count, for $RATE/s x ($LIFE s + 120 s)"
else
	bad "loopback firewall: $live live entries, count $count; want $RATE x ($LIFE + 120) within 4 sqrt"
fi
[ "$(col "$T/lo" firewall.ct.confirmed)" = "$(col "$T/lo" conn.attempts)" ] &&
	ok "one entry per connection ($(col "$T/lo" conn.attempts)): each segment tracked once, not twice" ||
	bad "confirmed $(col "$T/lo" firewall.ct.confirmed), attempts $(col "$T/lo" conn.attempts)"
grep -q '^#   firewall: the host.s own conntrack' "$T/lo/summary.csv" && ok "the header says the firewall is the host's" ||
	bad "header line for the host's own conntrack"

# No delay: connect() takes as long as without the firewall.
sed '/^\[firewall\]/d' "$T/lo.ini" >"$T/nofw.ini"
"$BIN" run -q "$T/nofw.ini" -o "$T/nofw" >/dev/null 2>"$T/err" || bad "loopback run without firewall" "$T/err"
a=$(col "$T/lo" conn.setup.mean_ms) b=$(col "$T/nofw" conn.setup.mean_ms)
[ "$a" = "$b" ] && [ -n "$a" ] && ok "no extra delay: connect $a ms with and without the host's firewall" ||
	bad "connect $a ms with the firewall, $b ms without"
! grep -q 'firewall\.ct\.' "$T/nofw/summary.csv" && ok "without [firewall], no conntrack columns" ||
	bad "conntrack columns without a firewall"

# The host's own hooks are not another wire: --pcap writes each segment
# once, byte for byte as without the firewall.
"$BIN" run -q "$T/lo.ini" -o "$T/p1" -d 30s -s experiment.warmup=5s --pcap "$T/fw.pcap" --pcap-limit 5 >/dev/null 2>"$T/err" &&
	"$BIN" run -q "$T/nofw.ini" -o "$T/p2" -d 30s -s experiment.warmup=5s --pcap "$T/nofw.pcap" --pcap-limit 5 \
		>/dev/null 2>>"$T/err" || bad "pcap runs" "$T/err"
[ -s "$T/fw.pcap" ] && cmp -s "$T/fw.pcap" "$T/nofw.pcap" && ok "--pcap: each loopback segment once, as without the firewall" ||
	bad "--pcap differs with the host's firewall"

# Table full: nf_conntrack_max below rate x (life + 120) drops new
# connections' SYNs (every entry is ASSURED, early_drop finds none).
"$BIN" run -q "$T/lo.ini" -o "$T/full" -s firewall.sysctl.net.netfilter.nf_conntrack_max=1000 >/dev/null 2>"$T/err" ||
	bad "small table run" "$T/err"
drop=$(col "$T/full" firewall.ct.drop) peak=$(col "$T/full" firewall.ct.count.peak) hit=$(col "$T/full" conn.hit.ct_drop)
if [ "$drop" -gt 0 ] && [ "$peak" -le 1000 ] && [ "$hit" -gt 0 ]; then
	ok "nf_conntrack_max = 1000 < 2440: $drop drops, count peak $peak, $hit connections hit"
else
	bad "nf_conntrack_max = 1000: drop $drop, peak $peak, hit $hit"
fi
"$BIN" run -q "$T/lo.ini" -o "$T/room" -s firewall.sysctl.net.netfilter.nf_conntrack_max=4000 >/dev/null 2>"$T/err" ||
	bad "large table run" "$T/err"
[ "$(col "$T/room" firewall.ct.drop)" = 0 ] && ok "nf_conntrack_max = 4000 > 2440 + gc lag: no drop" ||
	bad "nf_conntrack_max = 4000: $(col "$T/room" firewall.ct.drop) drops"

# A [nat] on a loopback path: exit 2, file:line and key, no output.
printf '[nat]\nports = 1024 2047\n' >"$T/nat.ini"
cat "$T/lo.ini" "$T/nat.ini" >"$T/lonat.ini"
"$BIN" run -q "$T/lonat.ini" -o "$T/lonat" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/lonat" ] &&
	grep -q "lonat.ini:[0-9]*: \[nat\] ports = '1024 2047': a loopback path .* takes no \[nat\]" "$T/err"; then
	ok "a [nat] on loopback: exit 2, $(cat "$T/err")"
else
	bad "a [nat] on loopback: rc $rc" "$T/err"
fi

# host = server: the firewall is the server's own conntrack and the NAT a
# namespace on its machine; one gc worker, as tests/netns.sh shows for two
# namespaces: the firewall's 10 s TIME_WAIT entries wait for the interval
# the NAT's 120 s entries set.
cat >"$T/ns.ini" <<'INI'
[experiment]
duration = 120s
warmup = 60s
seed = 7
[client]
count = 4
[nat]
[firewall]
host = server
[firewall.sysctl]
net.netfilter.nf_conntrack_tcp_timeout_time_wait = 10
[workload]
rate = 20
INI
"$BIN" run -q "$T/ns.ini" -o "$T/alone" >/dev/null 2>"$T/err" || bad "server firewall run" "$T/err"
"$BIN" run -q "$T/ns.ini" -o "$T/shared" -s nat.host=server >/dev/null 2>"$T/err" || bad "shared run" "$T/err"
a=$(col "$T/alone" firewall.ct.count.mean) s=$(col "$T/shared" firewall.ct.count.mean)
if awk -v a="$a" -v s="$s" 'BEGIN { exit !(a > 200 && a < 500 && s > 600) }'; then
	ok "server's firewall count: $a alone, $s with a NAT namespace on the server (one gc worker)"
else
	bad "server's firewall count: $a alone, $s shared (want < 500 and > 600)"
fi
grep -q '^#   nat and firewall: namespaces of host server, one conntrack gc worker' "$T/shared/summary.csv" &&
	grep -q "^#   firewall: the server's own conntrack" "$T/shared/summary.csv" &&
	! grep -q 'namespaces of host' "$T/alone/summary.csv" && ok "the header says which boxes share the server" ||
	bad "header lines for the server's boxes"
# the server's own firewall adds no delay; another host's firewall does
"$BIN" run -q "$T/ns.ini" -o "$T/mid" -s firewall.host=node1 >/dev/null 2>"$T/err" || bad "node1 run" "$T/err"
a=$(col "$T/alone" conn.setup.mean_ms) m=$(col "$T/mid" conn.setup.mean_ms)
awk -v a="$a" -v m="$m" 'BEGIN { exit !(m - a > 0.039 && m - a < 0.041) }' &&
	ok "connect: $a ms with the server's own firewall, $m ms through a box (SYN and SYN-ACK: 2 x 20 us more)" ||
	bad "connect: $a ms own, $m ms box"

# the server's own firewall runs the server's kernel
"$BIN" run -q "$T/ns.ini" -o "$T/k" -s server.profile=5.15 >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/k" ] && grep -q "ns.ini:[0-9]*: \[firewall\] host = 'server': .*kernel profile differs" "$T/err"
then
	ok "a firewall on the server's hooks with another kernel: exit 2, $(cat "$T/err")"
else
	bad "server firewall, other kernel: rc $rc" "$T/err"
fi
# host = server in a trace: the server's conntrack sees a segment when it
# reaches the server (both 50 us links), passes it on at that instant, and
# --pcap writes one copy per packet: the file is the one without the
# firewall, byte for byte.
printf 'title own\nset firewall.host=server\nat 0 client connect\nat 100ms client close\n' >"$T/own.trace"
printf 'title none\nat 0 client connect\nat 100ms client close\n' >"$T/none.trace"
"$BIN" trace --no-color "$T/own.trace" --pcap "$T/own.pcap" --svg "$T/own.svg" >"$T/own.txt" 2>"$T/err" ||
	bad "trace, own firewall" "$T/err"
"$BIN" trace --no-color "$T/none.trace" --pcap "$T/none.pcap" >/dev/null 2>"$T/err" || bad "trace, none" "$T/err"
if cmp -s "$T/own.pcap" "$T/none.pcap"; then
	ok "trace --pcap with the server's own firewall: one copy per packet, as without it"
else
	bad "trace --pcap with the server's own firewall differs from the one without ($(wc -c <"$T/own.pcap") vs $(wc -c <"$T/none.pcap") bytes)"
fi
# the SVG: every arrow goes down the time axis, the legs into and out of the
# server's own hooks too (they take no time: the instant is drawn in parts)
if grep -o '<g class="seg"><line x1="[0-9.]*" y1="[0-9.]*" x2="[0-9.]*" y2="[0-9.]*"' "$T/own.svg" |
	awk -F'"' '{ n++; if ($10 + 0 <= $6 + 0) up++ } END { exit !(n == 12 && !up) }'; then
	ok "trace --svg with the server's own firewall: every arrow goes down"
else
	bad "trace --svg: an arrow goes up, or too few arrows" "$T/own.svg"
fi
# the lines of the SYN at 100 us, in this order
if awk '/^ *0\.000100 +firewall +conntrack SYN_SENT/ { a = NR }
	/^ *0\.000100 +firewall -> server +SYN .*\(at 0\.000100\)/ { b = NR }
	/^ *0\.000100 +server +state SYN_RECV/ { c = NR }
	/^ *0\.000100 +server +-> firewall SYN\+ACK .*\(at 0\.000100\)/ { d = NR }
	END { exit !(a && a < b && b < c && c < d) }' "$T/own.txt"; then
	ok "trace: the server's own conntrack sees the SYN at 100 us, then the server answers at that instant"
else
	bad "trace with the server's own firewall" "$T/own.txt"
fi

summary hostfw
