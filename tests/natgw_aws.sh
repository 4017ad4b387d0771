#!/bin/sh
# [nat] kind = aws-nat-gateway through the real binary (models/natgw_aws.h):
# the default kind changes nothing, a gateway scaled down to 3 connections
# per address per destination fails the 4th simultaneous connection to one
# destination (ErrorPortAllocation) and not with a second address, the
# verdict names the gateway's limit, and bad settings are one message and
# exit 2.  Run from the repository root:
#   CONNSIM=./connsim sh tests/natgw_aws.sh
set -u
. tests/lib.sh

same() { # same FILE1 FILE2: equal but for the header (it records the command and its --set)
	grep -v '^#' "$1" >"$T/a" && grep -v '^#' "$2" >"$T/b" && cmp -s "$T/a" "$T/b"
}

# One connection a second from 0 s to 3 s, each held 10 s: 4 at once to
# one destination by 3 s.
cat >"$T/gw.ini" <<'INI'
[experiment]
duration = 8s
warmup = 0s
[client]
address = 10.0.0.2
count = 4
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = aws-nat-gateway
addresses = 192.0.2.10
connections_per_destination = 3
[workload]
arrival = constant
rate = 1
start = 0s
stop = 3.5s
life = fixed
life_mean = 10s
close = client
INI

# netfilter is the default: saying so changes no byte of the output
sed '/^kind = /d; /^connections_per_destination/d' "$T/gw.ini" >"$T/nf.ini"
"$BIN" run -q "$T/nf.ini" -o "$T/nf1" >/dev/null 2>"$T/err" || bad "netfilter run" "$T/err"
"$BIN" run -q "$T/nf.ini" -o "$T/nf2" -s nat.kind=netfilter >/dev/null 2>"$T/err" || bad "kind=netfilter run" "$T/err"
if same "$T/nf1/summary.csv" "$T/nf2/summary.csv" && same "$T/nf1/timeseries.csv" "$T/nf2/timeseries.csv"; then
	ok "kind = netfilter (the default): byte-identical data (headers record the --set)"
else
	bad "kind = netfilter changed the outputs"
fi

"$BIN" run "$T/gw.ini" -o "$T/gw" >"$T/verdict" 2>"$T/err" || bad "aws run" "$T/err"
att=$(col "$T/gw" conn.attempts)
err=$(col "$T/gw" nat.ErrorPortAllocation)
peak=$(col "$T/gw" nat.ActiveConnectionCount.peak)
tries=$(col "$T/gw" nat.ConnectionAttemptCount)
# every SYN of the 4th connection (the first and each retransmission)
# fails; the gateway saw 3 SYNs that got a port and those that did not
if [ "$att" = 4 ] && [ "$err" -ge 1 ] && [ "$peak" = 3 ] && [ "$tries" = $((3 + err)) ]; then
	ok "3 per destination, $att connects: ErrorPortAllocation $err, at most $peak open"
else
	bad "3 per destination: attempts $att, ErrorPortAllocation $err, peak $peak"
fi
grep -q 'AWS NAT Gateway ports per destination' "$T/verdict" && ok "the verdict names the gateway's limit" ||
	bad "verdict" "$T/verdict"

"$BIN" run -q "$T/gw.ini" -o "$T/gw2" -s nat.addresses=192.0.2.10,192.0.2.11 >/dev/null 2>"$T/err" ||
	bad "two-address run" "$T/err"
err2=$(col "$T/gw2" nat.ErrorPortAllocation)
peak2=$(col "$T/gw2" nat.ActiveConnectionCount.peak)
[ "$err2" = 0 ] && [ "$peak2" = 4 ] && ok "a second address: none fails, $peak2 open at once" ||
	bad "two addresses: ErrorPortAllocation $err2, peak $peak2"

"$BIN" run -q "$T/gw.ini" -o "$T/bad" -s nat.addresses=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5,192.0.2.6,192.0.2.7,192.0.2.8,192.0.2.9 >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && grep -q 'addresses.*at most 8' "$T/err"; then
	ok "9 addresses: exit 2, $(cat "$T/err")"
else
	bad "9 addresses: rc $rc" "$T/err"
fi
"$BIN" run -q "$T/gw.ini" -o "$T/bad" -s nat.random=fully >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && grep -q 'random' "$T/err"; then
	ok "an iptables setting on the gateway: exit 2, $(cat "$T/err")"
else
	bad "nat.random on the gateway: rc $rc" "$T/err"
fi
summary natgw_aws
