#!/bin/sh
# Mixed populations through the real binary: [nat] clients = K puts the
# first K client hosts behind the NAT and lets the others reach the server
# directly, in one run.  The seed case "1-3 % of users fail: only the NATed
# share is hit": a 4.4 server with tcp_tw_recycle drops the SYNs whose
# timestamps go back in time for their source address (tcp_peer_is_proven,
# doc/kernel-rules.md), which happens only where several hosts share one
# address, so only the NATed hosts fail.  Run from the repository root:
#   CONNSIM=./connsim sh tests/mixed.sh
set -u
. tests/lib.sh

cat >"$T/mix.ini" <<'INI'
[experiment]
duration = 3600s
warmup = 300s
seed = 3
[client]
profile = 4.4
address = 192.168.0.10
count = 40
[server]
profile = 4.4
addresses = 198.51.100.80
ports = 80
[server.sysctl]
net.ipv4.tcp_tw_recycle = 1
[nat]
profile = 4.4
addresses = 203.0.113.1
clients = 8
[workload]
arrival = poisson
rate = 0.02
rate_per_client = true
life = exponential
life_mean = 200ms
close = server
INI

"$BIN" run -q "$T/mix.ini" -o "$T/mix" --connections="$T/conn.csv" >/dev/null 2>"$T/err" || bad "mixed run" "$T/err"
# per population: connects, failed ones (hosts .10-.17 are behind the NAT)
awk -F, '/^#/ || $1 == "conn" { next }
	{ split($2, a, "."); nat = a[4] < 18; n[nat]++; if ($11 == "failed") { f[nat]++; if ($12 !~ /paws_drop/) o++ } }
	END { print n[1] + 0, f[1] + 0, n[0] + 0, f[0] + 0, o + 0 }' "$T/conn.csv" >"$T/pop"
read -r nn nf dn df other <"$T/pop"
# 8 hosts behind one address at 0.02 connections/s each, the server in
# TIME_WAIT 60 s per connection: most NATed SYNs meet a TIME_WAIT peer entry
# with a newer timestamp from another host, so well over a third fail.
if [ "$df" -eq 0 ] && [ "$dn" -gt 1000 ] && [ $((nf * 3)) -gt "$nn" ] && [ "$other" -eq 0 ]; then
	ok "failures only behind the NAT: $nf of $nn NATed connects, $df of $dn direct ones (all paws_drop)"
else
	bad "NATed $nf of $nn failed, direct $df of $dn, $other not by PAWS"
fi
hf=$(col "$T/mix" conn.paws_drop.host_fraction)
awk -v h="$hf" 'BEGIN { exit !(h > 0 && h <= 8 / 40) }' && ok "PAWS hits at most the NATed 8 of 40 hosts ($hf)" ||
	bad "conn.paws_drop.host_fraction $hf (want in (0, 0.2])"
grep -q '^#   nat: client hosts 1-8 behind it, 9-40 direct to the server' "$T/mix/summary.csv" &&
	ok "the header names the NATed share" || bad "header line for the NATed share"

# everyone behind the NAT: the direct share now fails too
"$BIN" run -q "$T/mix.ini" -o "$T/all" -s nat.clients=0 >/dev/null 2>"$T/err" || bad "all-NAT run" "$T/err"
a=$(col "$T/all" conn.paws_drop.host_fraction)
awk -v a="$a" 'BEGIN { exit !(a > 0.5) }' && ok "all 40 behind the NAT: $a of the hosts hit" ||
	bad "all behind the NAT: host fraction $a"

"$BIN" run -q "$T/mix.ini" -o "$T/out2" -s nat.clients=41 >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/out2" ] && grep -q 'nat.*clients.*client.count is 40' "$T/err"; then
	ok "more NATed hosts than clients: exit 2, $(cat "$T/err")"
else
	bad "nat.clients = 41: rc $rc" "$T/err"
fi
summary mixed
