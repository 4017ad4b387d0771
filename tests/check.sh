#!/bin/sh
# connsim check through the real binary: on both kept `sysctl -a` files it
# fails above the port ceiling of the file's ip_local_port_range and holds
# below it, and the ceiling it reports is within 2 % of ports / 61.02 s;
# --suggest ranks first a remedy that fixes the failure (and check agrees
# when the remedy is applied); --proposed reports the difference, and none
# for a setting that changes nothing; the text output has its structure and
# does not depend on --jobs; bad input gives one message, exit 2, no output.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/check.sh
set -u
. "$(dirname "$0")/lib.sh"
check() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi; }

# ports FILE: the size of the file's ip_local_port_range
ports() { awk '$1 == "net.ipv4.ip_local_port_range" { print $4 - $3 + 1 }' "$1"; }
# row FILE WHAT: the first table row of a resource (the host's table)
row() { grep -m1 "^  $2" "$1"; }

for f in tests/data/sysctl-a-4.4.txt tests/data/sysctl-a-6.18.txt; do
	n=$(ports "$f")
	# the ceiling at HZ=250: a 60 s TIME_WAIT lasts 61.02 s
	c=$(awk -v n="$n" 'BEGIN { print n / 61.02 }')
	above=$(awk -v c="$c" 'BEGIN { printf "%.0f", 1.2 * c }')
	below=$(awk -v c="$c" 'BEGIN { printf "%.0f", 0.7 * c }')
	b=$(basename "$f")
	"$BIN" check --sysctl "$f" --rate "$above" --dest 1 -q >"$T/above.txt" 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && [ ! -s "$T/err" ]
	check "$b: --rate $above (1.2 x $n / 61.02 s) exits 1" $? "$T/above.txt"
	row "$T/above.txt" "ephemeral ports per destination" | grep -q ' FAILS '
	check "$b: the ports fail above the ceiling" $? "$T/above.txt"
	grep -q '^fails first (\*): ephemeral ports per destination, net.ipv4.ip_local_port_range: ' "$T/above.txt"
	check "$b: the ports are what fails first" $? "$T/above.txt"
	# the reported ceiling (last column of the ports row) within 2 % of n / 61.02 s
	rc_=$(row "$T/above.txt" "ephemeral ports per destination" | awk '{ print $NF }' | tr -d '/s')
	awk -v r="$rc_" -v c="$c" 'BEGIN { exit !(r > 0 && r / c > 0.98 && r / c < 1.02) }'
	check "$b: reported ceiling ${rc_}/s is within 2 % of $n / 61.02 s = $c/s" $? "$T/above.txt"
	# the searched interval: closed, narrow (at most 2 % wide), within 5 % of it
	iv=$(row "$T/above.txt" "ephemeral ports per destination" | grep -o '[0-9][0-9]*-[0-9][0-9]*/s')
	awk -v iv="$iv" -v c="$c" 'BEGIN { split(iv, a, /[-\/]/); lo = a[1]; hi = a[2];
		exit !(lo > 0 && hi >= lo && hi / lo <= 1.021 && lo / c > 0.95 && hi / c < 1.05) }'
	check "$b: the search brackets the rate the ports run out at, $iv, near $c/s" $? "$T/above.txt"
	"$BIN" check --sysctl "$f" --rate "$below" --dest 1 -q >"$T/below.txt" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$T/err" ]
	check "$b: --rate $below (0.7 x the ceiling) exits 0" $? "$T/below.txt"
	row "$T/below.txt" "ephemeral ports per destination" | grep -q ' holds '
	check "$b: the ports hold below the ceiling" $? "$T/below.txt"
	grep -q '^result: host settings: every limit holds with a 10 % margin' "$T/below.txt"
	check "$b: the result line says every limit holds" $? "$T/below.txt"
done

# ---- structure of the text output (6.18 file, above the ceiling)
F=tests/data/sysctl-a-6.18.txt
"$BIN" check --sysctl $F --rate 560 -q >"$T/a.txt" 2>/dev/null
awk '
	NR == 1 && /^check: client -> server pipeline, 1 destination, 560 connections\/s$/ { n++ }
	NR == 2 && /^assumed: profile [0-9a-z.]+, HZ=250 on the client: a 60 s TIME_WAIT lasts 61\.024 s$/ { n++ }
	NR == 3 && /^runs: 3 replications on seed 1, 186 s simulated, measured from 62 s \(3 x the longest hold, 62 s\)$/ { n++ }
	NR == 4 && /^margin: 10 %: / { n++ }
	NR == 5 && /^offered: [0-9.]+ connect\(\)\/s in the window; [0-9.]+ % failed$/ { n++ }
	NR == 7 && /^  limit \(sysctl\) +limit +peak +headroom +verdict +runs out at +ceiling$/ { n++ }
	NR == 8 && /^  ephemeral ports per destination \* +28232 +28232 +0 %  FAILS +[0-9]+-[0-9]+\/s +462\/s$/ { n++ }
	NR == 9 && /^    net\.ipv4\.ip_local_port_range; ceiling N \/ H = 28232 \/ 61\.12 s$/ { n++ }
	NR == 10 && /^    in the window: [0-9]+ connects failed \(EADDRNOTAVAIL\) \(mean of 3 replications\)$/ { n++ }
	NR == 11 && /^  TIME_WAIT buckets \(client\) +131072 +28232 +78 %  holds +> 560\/s +2148\/s$/ { n++ }
	/^result: host settings: 1 of 2 limits do not hold with a 10 % margin at 560\/s$/ { n++ }
	END { exit n != 11 }' "$T/a.txt"
check "the text output has its lines in order (header, table, fails first, result)" $? "$T/a.txt"
"$BIN" check --sysctl $F --rate 560 -q --jobs 1 >"$T/b.txt" 2>/dev/null
cmp -s "$T/a.txt" "$T/b.txt"
check "the same seed gives the same output, on 1 thread as on several" $? "$T/b.txt"
"$BIN" check --sysctl $F --rate 560 -q --seed 2 >"$T/c.txt" 2>/dev/null
! cmp -s "$T/a.txt" "$T/c.txt"
check "another seed, other runs" $?
"$BIN" check --sysctl $F --rate 560 --margin 20% -q >"$T/m.txt" 2>/dev/null
grep -q '^margin: 20 %: a limit holds when nothing failed and its peak is at most 80 % of it$' "$T/m.txt"
check "--margin 20% is the margin the check applies" $? "$T/m.txt"
# a margin decides: 300/s uses about 65 % of the ports
"$BIN" check --sysctl $F --rate 300 --margin 40% -q >"$T/m40.txt" 2>/dev/null
rc40=$?
"$BIN" check --sysctl $F --rate 300 --margin 20% -q >"$T/m20.txt" 2>/dev/null
rc20=$?
[ $rc40 -eq 1 ] && [ $rc20 -eq 0 ]
check "300/s holds with a 20 % margin (exit $rc20) and not with 40 % (exit $rc40)" $? "$T/m40.txt"

# ---- JSON
"$BIN" check --sysctl $F --rate 560 -q --json >"$T/j.json" 2>/dev/null
rc=$?
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = d["host"]
p = [r for r in h["resources"] if r["id"] == "ports"][0]
assert d["rate"] == 560 and h["holds"] is False and h["fails_first"] == "ports", d
assert p["ran_out"] and not p["holds"] and p["runs_out_above"] < p["runs_out_below"] <= 560, p
' "$T/j.json"
	check "--json: valid, the ports fail first, their bracket is below the offered rate (exit $rc)" $(($? + rc - 1)) "$T/j.json"
fi

# ---- --suggest: the first remedy fixes it, and check agrees once applied
"$BIN" check --sysctl $F --rate 560 --suggest -q >"$T/s.txt" 2>/dev/null
check "--suggest on a failing case exits 1 (the host's settings fail)" $(($? - 1)) "$T/s.txt"
grep -q '^  1  .* fixes ' "$T/s.txt"
check "the remedy ranked first fixes it" $? "$T/s.txt"
# (two addresses with IP_BIND_ADDRESS_NO_PORT: twice the range per destination)
for r in 'tcp_tw_reuse = 1 on the client' 'a wider ephemeral port range' 'the server listens on 2 ports' \
	'2 client addresses, IP_BIND_ADDRESS_NO_PORT'; do
	grep -q "^  [0-9]  $r .* fixes " "$T/s.txt"
	check "--suggest tries '$r', which fixes it" $? "$T/s.txt"
done
# the first remedy's settings, applied: check holds
sets=$(awk '/^  1  / { on = 1; next } on && /^       --set / { sub(/^       --set /, ""); print; next } on { exit }' "$T/s.txt")
set --
while IFS= read -r s; do [ -n "$s" ] && set -- "$@" --set "$s"; done <<EOF
$sets
EOF
[ $# -gt 0 ] && "$BIN" check --sysctl $F --rate 560 -q "$@" >"$T/fixed.txt" 2>/dev/null
check "with the first remedy applied ($*) check exits 0" $? "$T/fixed.txt"
"$BIN" check --sysctl $F --rate 200 --suggest -q >"$T/none.txt" 2>/dev/null
grep -q '^remedies: none needed, every limit holds$' "$T/none.txt"
check "--suggest when every limit holds: none needed" $? "$T/none.txt"

# ---- --proposed
printf 'net.ipv4.ip_local_port_range = 1024 65535\n' >"$T/wide.conf"
"$BIN" check --sysctl $F --rate 560 --proposed "$T/wide.conf" -q >"$T/p.txt" 2>/dev/null
check "--proposed: the proposed range holds, exit 0" $? "$T/p.txt"
grep -q "^  \[client\] net.ipv4.ip_local_port_range: 32768 60999 -> 1024 65535 (--sysctl $T/wide.conf:1)$" "$T/p.txt"
check "--proposed lists the setting that differs, with its source" $? "$T/p.txt"
grep -q '^  failed connects .* -[0-9.]* %  \[-[0-9.]*, -[0-9.]*\] \*$' "$T/p.txt"
check "--proposed: fewer failed connects, significantly" $? "$T/p.txt"
grep -q '^  headroom, ephemeral ports per destination .* +[0-9.]* %  \[[0-9.]*, [0-9.]*\] \*$' "$T/p.txt"
check "--proposed: more headroom on the ports, significantly" $? "$T/p.txt"
grep -q '^  kernel memory at the peak .*+[0-9.]* [KMG]iB' "$T/p.txt"
check "--proposed: says what it costs in kernel memory" $? "$T/p.txt"
grep -q '^  net.ipv4.ip_local_port_range: listening ports inside the range' "$T/p.txt"
check "--proposed: says the risk" $? "$T/p.txt"
printf 'net.ipv4.tcp_fin_timeout = 1\n' >"$T/fin.conf"
"$BIN" check --sysctl $F --rate 560 --proposed "$T/fin.conf" -q >"$T/fin.txt" 2>/dev/null
check "--proposed tcp_fin_timeout = 1 still fails (exit 1)" $(($? - 1)) "$T/fin.txt"
grep -q '^  failed connects .* +0.000 %  \[0.000, 0.000\] identical$' "$T/fin.txt"
check "--proposed tcp_fin_timeout = 1: failed connects identical (it does not shorten TIME_WAIT)" $? "$T/fin.txt"

# ---- an experiment file: its own boxes and limits
"$BIN" check experiments/memcache.ini --rate 700 --reps 2 --duration 150s -q >"$T/e.txt" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q '^  conntrack entries (firewall) \* .* FAILS ' "$T/e.txt"
check "an experiment file: memcache's conntrack table fails first at 700/s" $? "$T/e.txt"

# ---- bad input: one message, exit 2, nothing on stdout
while IFS='|' read -r what args; do
	# shellcheck disable=SC2086
	"$BIN" check $args >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] && [ ! -s "$T/out" ] && [ "$(wc -l < "$T/err")" -eq 1 ]
	check "bad input, $what: exit 2, one message, no output" $? "$T/err"
done <<EOF
missing sysctl file|--sysctl $T/nonexistent --rate 100
missing experiment|$T/nonexistent.ini --sysctl $F
negative rate|--sysctl $F --rate -5
zero rate|--sysctl $F --rate 0
no rate without an experiment|--sysctl $F
bad margin|--sysctl $F --rate 100 --margin 120%
ambiguous margin|--sysctl $F --rate 100 --margin 20
unknown sysctl|--sysctl $F --rate 100 --set net.ipv4.tcp_no_such_thing=1
bad destinations|--sysctl $F --rate 100 --dest 0
bad closer|--sysctl $F --rate 100 --close nobody
missing proposed file|--sysctl $F --rate 100 --proposed $T/nonexistent
one replication|--sysctl $F --rate 100 --reps 1
two experiments|a.ini b.ini --rate 100
EOF
"$BIN" check --sysctl $F --rate 100 --margin 120% >/dev/null 2>"$T/err"
grep -q -- "--margin '120%'" "$T/err"
check "the margin's message names the option and the value" $? "$T/err"
"$BIN" check --sysctl $F --rate 100 --proposed "$T/nonexistent" >/dev/null 2>"$T/err"
grep -q -- "--proposed: $T/nonexistent" "$T/err"
check "the proposed file's message names --proposed and the file" $? "$T/err"

"$BIN" check --help >"$T/h.txt" 2>&1
grep -q 'Exit status: 0 every limit holds' "$T/h.txt" && grep -q '3 x the longest time' "$T/h.txt" &&
	grep -q 'connsim check --sysctl' "$T/h.txt"
check "--help: examples, exit status and the run length" $? "$T/h.txt"

# ---- a file whose rate is per client: the search's rates are totals, so it
# brackets the same rate as the file written with the total (it searched at
# the client count times each rate before)
cat >"$T/perclient.ini" <<'INI'
[client]
count = 2
[client.sysctl]
net.ipv4.ip_local_port_range = 1024 1087
[workload]
rate = 1.26
rate_per_client = true
life = fixed
life_mean = 100ms
close = client
INI
sed -e 's/^rate = 1.26/rate = 2.52/' -e 's/^rate_per_client = true/rate_per_client = false/' "$T/perclient.ini" >"$T/total.ini"
"$BIN" check "$T/perclient.ini" -q --json 2>/dev/null | grep -o '"runs_out_[a-z]*": [0-9.a-z]*' >"$T/pc.txt"
"$BIN" check "$T/total.ini" -q --json 2>/dev/null | grep -o '"runs_out_[a-z]*": [0-9.a-z]*' >"$T/tot.txt"
[ -s "$T/pc.txt" ] && cmp -s "$T/pc.txt" "$T/tot.txt"
check "rate_per_client: the search brackets the same total rate as the file with the total ($(head -2 "$T/pc.txt" | tr '\n' ' '))" $? "$T/pc.txt"

# ---- --suggest on a gateway: 4 x 3 addresses would be 12, an AWS NAT
# Gateway takes 8 (a setting the scenario refuses was left out before); and
# no conntrack sysctl, which a gateway does not have
"$BIN" check experiments/aws-natgw.ini --rate 300 -s nat.addresses=203.0.113.1,203.0.113.2,203.0.113.3 \
	-s nat.connections_per_destination=1000 --suggest --reps 2 -q >"$T/gw.txt" 2>&1
grep -q '^  1  8 NAT addresses (the most it takes) ' "$T/gw.txt" &&
	grep -q -- '--set nat.addresses=203.0.113.1,.*,203.0.113.8$' "$T/gw.txt" && ! grep -q 'conntrack' "$T/gw.txt"
check "--suggest on an AWS NAT Gateway: 8 addresses, its most; no conntrack remedy" $? "$T/gw.txt"

summary check
