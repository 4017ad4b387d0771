#!/bin/sh
# [nat] kind = gcp-cloud-nat through the real binary (models/natgw_gcp.h):
# min_ports_per_vm 3 is 4 ports, so a VM's 5th and 6th simultaneous
# connections to one destination are dropped (dropped_sent_packets_count)
# and not with 8 ports; the verdict names the gateway's limit; the carried
# rate at saturation agrees with VMs x ports / (life + TIME_WAIT) within
# the replications' confidence interval; bad settings are one message
# naming the key, exit 2 and no output.  Run from the repository root:
#   CONNSIM=./connsim sh tests/natgw_gcp.sh
set -u
. tests/lib.sh

col() { # col FILE NAME: a column of a summary.csv or curve.csv (first row)
	awk -F, -v n="$2" '/^#/ { next } !h { for (i = 1; i <= NF; i++) if ($i == n) c = i; h = 1; next } { print $c; exit }' "$1"
}

# One VM opens a connection a second from 0 s to 5 s, each held 10 s: 6 at
# once to one destination by 5 s.
cat >"$T/gw.ini" <<'INI'
[experiment]
duration = 8s
warmup = 0s
[client]
address = 10.0.0.2
count = 1
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = gcp-cloud-nat
addresses = 203.0.113.10
min_ports_per_vm = 3
[workload]
arrival = constant
rate = 1
start = 0s
stop = 5.5s
life = fixed
life_mean = 10s
close = client
INI

"$BIN" run "$T/gw.ini" -o "$T/gw" >"$T/verdict" 2>"$T/err" || bad "gcp run" "$T/err"
S="$T/gw/summary.csv"
att=$(col "$S" conn.attempts)
drop=$(col "$S" nat.dropped_sent_packets_count)
new=$(col "$S" nat.new_connections_count)
usage=$(col "$S" nat.port_usage.peak)
alloc=$(col "$S" nat.allocated_ports.peak)
rtx=$(col "$S" client.TcpExtTCPSynRetrans)
# every SYN of the 5th and 6th connections (the first and each
# retransmission) is dropped: the first 4 hold their tuples for 10 s
if [ "$att" = 6 ] && [ "$new" = 4 ] && [ "$usage" = 4 ] && [ "$alloc" = 4 ] && [ "$rtx" -ge 2 ] &&
	[ "$drop" = $((2 + rtx)) ]; then
	ok "3 ports per VM are 4: $att connects, $new tuples, $drop SYNs dropped (OUT_OF_RESOURCES)"
else
	bad "4 ports: attempts $att, new $new, port_usage $usage, allocated $alloc, dropped $drop, SYN rtx $rtx"
fi
grep -q 'Cloud NAT ports per VM and destination' "$T/verdict" && ok "the verdict names the gateway's limit" ||
	bad "verdict" "$T/verdict"

"$BIN" run -q "$T/gw.ini" -o "$T/gw8" -s nat.min_ports_per_vm=8 >/dev/null 2>"$T/err" || bad "8-port run" "$T/err"
drop8=$(col "$T/gw8/summary.csv" nat.dropped_sent_packets_count)
usage8=$(col "$T/gw8/summary.csv" nat.port_usage.peak)
[ "$drop8" = 0 ] && [ "$usage8" = 6 ] && ok "8 ports: none dropped, $usage8 tuples to the destination" ||
	bad "8 ports: dropped $drop8, port_usage $usage8"

# Saturation: 5 VMs offer 10 connections a second each to one destination,
# each lives 1 s on average, 4 ports per VM, TIME_WAIT 10 s.  The formula:
# 5 x 4 / (1 + 10) = 1.818 new tuples a second.  A freed tuple waits for
# the next SYN, new or retransmitted (about 70 a second per VM): 0.1 %
# less, inside the interval.  The tuples are all taken at 0 s and come
# free about together, 11 s later, and again: the window starts after 27
# such cycles, when their phases have spread.
cat >"$T/sat.ini" <<'INI'
[experiment]
duration = 600s
warmup = 300s
[client]
address = 10.0.0.2
count = 5
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = gcp-cloud-nat
addresses = 203.0.113.10
min_ports_per_vm = 4
tcp_time_wait_timeout_sec = 10
[workload]
arrival = poisson
rate = 10
rate_per_client = true
life = exponential
life_mean = 1s
close = client
INI
"$BIN" sweep -q -j 2 "$T/sat.ini" -o "$T/sat" --vary workload.rate=10 --reps 10 >/dev/null 2>"$T/err" ||
	bad "saturation sweep" "$T/err"
C="$T/sat/curve.csv"
mean=$(col "$C" nat.new_connections_count.mean)
ci=$(col "$C" nat.new_connections_count.ci95)
drops=$(col "$C" nat.dropped_sent_packets_count.mean)
# per second of the 300 s window; the 99 % half-width from the 95 % one
# (t quantiles for 9 degrees of freedom: 3.250 / 2.262)
if awk -v m="$mean" -v c="$ci" -v d="$drops" 'BEGIN {
	rate = m / 300; hw = c / 300 * 3.250 / 2.262; f = 5 * 4 / (1 + 10);
	printf "carried %.4f +- %.4f /s, formula %.4f /s\n", rate, hw, f;
	exit !(d > 0 && (rate - f) * (rate - f) <= hw * hw) }' >"$T/cmp"; then
	ok "saturated: $(cat "$T/cmp")"
else
	bad "saturated: the formula is outside the interval" "$T/cmp"
fi

# Bad settings: one message naming the key, exit 2, no output directory.
refuse() { # refuse WHAT PATTERN ARGS...: the run must fail so
	what=$1 pat=$2
	shift 2
	"$BIN" run -q "$T/gw.ini" -o "$T/bad" "$@" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$pat" "$T/err"; then
		ok "$what: exit 2, $(cat "$T/err")"
	else
		bad "$what: rc $rc" "$T/err"
	fi
}
refuse "dynamic with 48 ports" 'min_ports_per_vm.*power of 2' \
	-s nat.enable_dynamic_port_allocation=true -s nat.min_ports_per_vm=48
refuse "max_ports_per_vm without dynamic" 'max_ports_per_vm.*enable_dynamic_port_allocation' \
	-s nat.max_ports_per_vm=128
refuse "max not above min" 'max_ports_per_vm.*above' \
	-s nat.enable_dynamic_port_allocation=true -s nat.min_ports_per_vm=64 -s nat.max_ports_per_vm=64
refuse "dynamic with EIM" 'enable_endpoint_independent_mapping' \
	-s nat.enable_dynamic_port_allocation=true -s nat.enable_endpoint_independent_mapping=true
refuse "40000 ports per VM" 'min_ports_per_vm' -s nat.min_ports_per_vm=40000
refuse "a zero timeout" 'tcp_time_wait_timeout_sec' -s nat.tcp_time_wait_timeout_sec=0
refuse "an AWS key on Cloud NAT" 'connections_per_destination.*aws-nat-gateway' \
	-s nat.connections_per_destination=10
refuse "a Cloud NAT key on AWS" 'min_ports_per_vm.*gcp-cloud-nat' -s nat.kind=aws-nat-gateway
# in the file: its name and line
sed 's/^min_ports_per_vm = 3/min_ports_per_vm = 3\nenable_dynamic_port_allocation = true/' "$T/gw.ini" >"$T/dyn.ini"
"$BIN" run -q "$T/dyn.ini" -o "$T/bad" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && grep -q 'dyn.ini:1[0-9].*min_ports_per_vm' "$T/err"; then
	ok "in the file: $(cat "$T/err")"
else
	bad "in the file: rc $rc" "$T/err"
fi
summary natgw_gcp
