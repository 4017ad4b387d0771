#!/bin/sh
# [nat] kind = cilium through the real binary (models/cilium.h): where the
# capacity formula's assumptions hold (a fixed GC interval, no fill-up
# signal heard, no 4-tuple reused within the hold) a NAT port is held for
# life + fin timeout + half a GC interval on average, so the ports held are
# rate x that (Little's law) within the replications' confidence interval;
# four masquerade ports fail the fifth connection to one destination
# (DROP_NAT_NO_MAPPING) and the verdict names the limit; bad settings are one
# message naming the key, exit 2, no output.  Run from the repository root:
#   CONNSIM=./connsim sh tests/cilium.sh
set -u
. tests/lib.sh

# 20 pods, 300 new connections a second to one ip:port, each 1.5 s, closed
# by the pod; GC every 20 s and the fill-up signal muted (gc_pass_time =
# the interval).  Hold = 1.5 + 10 + 20 / 2 = 21.5 s: 6450 ports of 32768.
# Each pod reuses a source port only after ~940 s (14116 even ports at 15/s).
cat >"$T/little.ini" <<'INI'
[experiment]
duration = 200s
warmup = 100s
[client]
address = 10.0.0.2
count = 20
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = cilium
addresses = 192.0.2.10
conntrack-gc-interval = 20s
gc_pass_time = 20s
[workload]
arrival = poisson
rate = 300
life = fixed
life_mean = 1.5s
close = client
INI
: >"$T/holds"
for seed in 1 2 3 4 5; do
	"$BIN" run -q "$T/little.ini" --seed "$seed" -o "$T/l$seed" >/dev/null 2>"$T/err" || bad "run seed $seed" "$T/err"
	held=$(col "$T/l$seed" nat.ports_held.mean)
	att=$(col "$T/l$seed" conn.attempts)
	drops=$(col "$T/l$seed" nat.drop_nat_no_mapping)
	[ "$drops" = 0 ] || bad "seed $seed: $drops port searches failed below the limit"
	# hold time = mean ports held / arrival rate over the 100 s window
	echo "$held $att" | awk '{ printf "%.6f\n", $1 / ($2 / 100) }' >>"$T/holds"
done
# against life + fin timeout + half the gc interval (the values are exact
# quotients: no resolution to add)
f=$(awk 'BEGIN { print 1.5 + 10 + 20 / 2 }')
if res=$(within99 1 "$f" 0 <"$T/holds"); then
	ok "ports held / rate = $res s (99 %, 5 replications), formula life + fin + gc/2 = $f s"
else
	bad "hold time $res s, formula $f s" "$T/holds"
fi

# Four masquerade ports (NodePort range up to 65531): six pods open one
# connection each, a second apart, each held 20 s.
cat >"$T/four.ini" <<'INI'
[experiment]
duration = 15s
warmup = 0s
[client]
address = 10.0.0.2
count = 6
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = cilium
addresses = 192.0.2.10
node-port-range = 30000 65531
[workload]
arrival = constant
rate = 1
start = 0s
stop = 5.5s
life = fixed
life_mean = 20s
close = client
INI
"$BIN" run "$T/four.ini" -o "$T/four" >"$T/verdict" 2>"$T/err" || bad "four-port run" "$T/err"
peak=$(col "$T/four" nat.ports_held.peak)
drops=$(col "$T/four" nat.drop_nat_no_mapping)
if [ "$peak" = 4 ] && [ "$drops" -ge 2 ]; then
	ok "4 ports, 6 connections: at most $peak held, $drops SYNs dropped (DROP_NAT_NO_MAPPING)"
else
	bad "4 ports: peak $peak, drops $drops" "$T/verdict"
fi
grep -q 'Cilium NAT ports per destination' "$T/verdict" && ok "the verdict names the Cilium limit" ||
	bad "verdict" "$T/verdict"

# Bad settings: one message naming the key, exit 2, no output directory.
badset() { # badset WHAT PATTERN --set...
	what=$1 pat=$2
	shift 2
	"$BIN" run -q "$T/four.ini" -o "$T/bad" "$@" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "$pat" "$T/err"; then
		ok "$what: exit 2, $(cat "$T/err")"
	else
		bad "$what: rc $rc" "$T/err"
	fi
}
badset "no port left above the NodePort range" 'node-port-range' -s 'nat.node-port-range=30000 65535'
badset "two masquerade addresses" 'addresses' -s nat.addresses=192.0.2.10,192.0.2.11
badset "an iptables setting on a cilium box" 'random' -s nat.random=fully
badset "a cilium setting on a netfilter box" 'bpf-nat-global-max' -s nat.kind=netfilter -s nat.bpf-nat-global-max=1000
badset "an empty conntrack map" 'bpf-ct-global-tcp-max' -s nat.bpf-ct-global-tcp-max=0
badset "a GC interval under a second" 'conntrack-gc-interval' -s nat.conntrack-gc-interval=0.5s
summary cilium
