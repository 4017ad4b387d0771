#!/bin/sh
# [nat] kind = azure-nat-gateway through the real binary
# (models/natgw_azure.h): an inventory of 3 SNAT ports fails the 4th
# simultaneous connection to one destination (SNAT Connection Count,
# Failed) and not with a second public IP; saturated, the carried rate
# agrees with Microsoft's arithmetic, ports x IPs / (life + 65 s FIN reuse
# timer), within the replications' 99 % interval; the verdict names the
# limit; bad settings are one message naming the key, exit 2, no output.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/natgw_azure.sh
set -u
. tests/lib.sh

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
kind = azure-nat-gateway
addresses = 192.0.2.10
snat_ports_per_ip = 3
[workload]
arrival = constant
rate = 1
start = 0s
stop = 3.5s
life = fixed
life_mean = 10s
close = client
INI

"$BIN" run "$T/gw.ini" -o "$T/gw" >"$T/verdict" 2>"$T/err" || bad "azure run" "$T/err"
att=$(col "$T/gw" conn.attempts)
failed=$(col "$T/gw" nat.SNATConnectionCount.Failed)
tried=$(col "$T/gw" nat.SNATConnectionCount.Attempted)
peak=$(col "$T/gw" nat.TotalConnectionCount.peak)
# every SYN of the 4th connection fails; 3 SYNs got a port
if [ "$att" = 4 ] && [ "$failed" -ge 1 ] && [ "$peak" = 3 ] && [ "$tried" = $((3 + failed)) ]; then
	ok "3 SNAT ports, $att connects: Failed $failed, at most $peak open"
else
	bad "3 SNAT ports: attempts $att, Failed $failed, Attempted $tried, peak $peak"
fi
grep -q 'Azure NAT Gateway SNAT ports per destination' "$T/verdict" && ok "the verdict names the gateway's limit" ||
	bad "verdict" "$T/verdict"

"$BIN" run -q "$T/gw.ini" -o "$T/gw2" -s nat.addresses=192.0.2.10,192.0.2.11 >/dev/null 2>"$T/err" ||
	bad "two-IP run" "$T/err"
failed2=$(col "$T/gw2" nat.SNATConnectionCount.Failed)
peak2=$(col "$T/gw2" nat.TotalConnectionCount.peak)
[ "$failed2" = 0 ] && [ "$peak2" = 4 ] && ok "a second public IP: none fails, $peak2 open at once" ||
	bad "two IPs: Failed $failed2, peak $peak2"

# Saturated: 640 ports per IP (a 1/100 inventory), connections of 5 s
# from 4 clients offered at 12/s (24/s with 2 IPs) against
# 640 x IPs / (5 s + 65 s) = 9.14/s per IP.  Every port cycles every 70 s
# (the SYN that takes a freed port waits in the clients' retransmissions),
# so the window is 4 cycles, after 2 of filling.  The formula's
# assumptions hold: one destination, every connection closed by a FIN
# after the same life, and the clients' TIME_WAIT (60 s) does not bring a
# 4-tuple back within the 65 s.
cat >"$T/ss.ini" <<'INI'
[experiment]
duration = 420s
warmup = 140s
[client]
count = 4
address = 10.0.0.2
[server]
addresses = 198.51.100.10
ports = 443
[nat]
kind = azure-nat-gateway
addresses = 192.0.2.10
snat_ports_per_ip = 640
[workload]
arrival = poisson
rate = 12
life = fixed
life_mean = 5s
close = client
INI
steady() { # steady NAME IPS RATE: carried rate per seed against the formula
	ips=$(echo "$2" | tr ',' '\n' | wc -l)
	f=$(awk -v i="$ips" 'BEGIN { printf "%.4f", 640 * i / 70 }')
	out=$(for s in 1 2 3 4 5 6; do
		"$BIN" run -q "$T/ss.ini" -o "$T/$1-$s" --seed $s -s workload.rate="$3" -s nat.addresses="$2" \
			>/dev/null 2>"$T/err" || bad "steady run $1 seed $s" "$T/err" >&2
		col "$T/$1-$s" nat.SNATConnectionCount.Established
	done | within99 280 "$f")
	rc=$?
	echo "$1: carried $out /s, formula 640 x $ips / 70 s = $f/s"
	return $rc
}
if steady one 192.0.2.10 12 >"$T/one"; then ok "$(cat "$T/one")"; else bad "$(cat "$T/one")"; fi
if steady two 192.0.2.10,192.0.2.11 24 >"$T/two"; then ok "$(cat "$T/two")"; else bad "$(cat "$T/two")"; fi

# Bad settings: one message naming the file, the key, exit 2, no output.
badset() { # badset WHAT PATTERN --set...
	what=$1 pat=$2
	shift 2
	"$BIN" run -q "$T/gw.ini" -o "$T/bad" "$@" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -e "$T/bad" ] && grep -q "$pat" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then
		ok "$what: exit 2, $(cat "$T/err")"
	else
		bad "$what: rc $rc" "$T/err"
	fi
}
badset "idle timeout of 3 minutes" 'idle_timeout_in_minutes' -s nat.idle_timeout_in_minutes=3
badset "idle timeout of 121 minutes" 'idle_timeout_in_minutes' -s nat.idle_timeout_in_minutes=121
badset "64,513 ports per IP" 'snat_ports_per_ip' -s nat.snat_ports_per_ip=64513
badset "17 public IPs" 'addresses.*at most 16' \
	-s nat.addresses=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5,192.0.2.6,192.0.2.7,192.0.2.8,192.0.2.9,192.0.2.10,192.0.2.11,192.0.2.12,192.0.2.13,192.0.2.14,192.0.2.15,192.0.2.16,192.0.2.17
badset "a load balancer key on the gateway" 'allocatedOutboundPorts.*azure-lb-outbound' -s nat.allocatedOutboundPorts=8
badset "an AWS key on the gateway" 'connections_per_destination.*aws-nat-gateway' -s nat.connections_per_destination=3
summary natgw_azure
