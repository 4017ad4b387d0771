#!/bin/sh
# connsim run's verdict, summary.json and --counters: golden verdicts (text
# and JSON), the binding limit in two runs where different limits bind,
# --quiet, summary.json against summary.csv, and the nstat / conntrack -S
# layouts.  Run from the repository root:
#   CONNSIM=./connsim sh tests/verdict.sh
# UPDATE=1 rewrites the golden files (then read the diff).
set -u
. "$(dirname "$0")/lib.sh"

# The two runs: the default experiment, where the client's ports bind, and
# memcache at 800/s, where the firewall's conntrack table binds (its ceiling
# is 65536 / 120 s = 546/s, the ports' 8 x 28232 / 61 s = 3700/s).
DEF="experiments/default.ini --duration 90s --warmup 30s"
MEM="experiments/memcache.ini --set workload.rate=800 --duration 150s --warmup 100s"

# 1. Golden verdicts: text on stdout, --json on stdout.
for name in default memcache; do
	if [ $name = default ]; then args=$DEF; else args=$MEM; fi
	for kind in txt json; do
		g=tests/golden/verdict-$name.$kind
		flag=; [ $kind = json ] && flag=--json
		# shellcheck disable=SC2086
		"$BIN" run $args $flag --out "$T/$name-$kind" > "$T/out" 2>"$T/err"
		rc=$?
		if [ "${UPDATE:-0}" = 1 ]; then
			cp "$T/out" "$g"
			continue
		fi
		if [ "$rc" -ne 0 ]; then
			bad "golden verdict-$name.$kind: exit $rc" "$T/err"
		elif ! diff -u "$g" "$T/out" > "$T/diff"; then
			bad "golden verdict-$name.$kind differs" "$T/diff"
		else
			ok "golden verdict-$name.$kind"
		fi
	done
done
[ "${UPDATE:-0}" = 1 ] && { echo "golden files rewritten"; exit 0; }

# 2. The binding limit: ports in the default run, conntrack in memcache's;
# and --json prints what summary.json holds.
for pair in default:ports memcache:conntrack.firewall; do
	name=${pair%%:*} want=${pair#*:}
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["binding"])' \
		"$T/$name-json/summary.json" 2>"$T/err")
	if [ "$got" = "$want" ]; then ok "$name: $want binds first"; else bad "$name: binding '$got', want '$want'" "$T/err"; fi
	if cmp -s "$T/$name-json/summary.json" tests/golden/verdict-$name.json; then
		ok "$name: --json prints summary.json"
	else
		bad "$name: --json output is not summary.json"
	fi
done

# 3. summary.json parses and agrees with summary.csv.
for name in default memcache; do
	d=$T/$name-txt
	if ! python3 -m json.tool "$d/summary.json" > /dev/null 2>"$T/err"; then
		bad "$name: summary.json does not parse" "$T/err"
		continue
	fi
	if python3 - "$d" > "$T/err" 2>&1 <<'PY'
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + "/summary.json"))
rows = list(csv.reader(l for l in open(d + "/summary.csv") if not l.startswith("#")))
s = dict(zip(rows[0], map(float, rows[1])))
def same(a, b, what):
    if abs(a - b) > 1e-5 * max(1.0, abs(b)):
        sys.exit("%s: json %r, csv %r" % (what, a, b))
same(j["rate"], s["conn.rate"], "rate")
same(j["attempts"], s["conn.attempts"], "attempts")
same(j["fail_fraction"], s["conn.fail_fraction"], "fail_fraction")
same(j["ct_drop_fraction"], s["conn.ct_drop.fraction"], "ct_drop_fraction")
same(j["EADDRNOTAVAIL_fraction"], s["conn.EADDRNOTAVAIL.fraction"] + s["conn.EADDRINUSE.fraction"], "EADDRNOTAVAIL")
r = {x["id"]: x for x in j["resources"]}
same(r["ports"]["limit"], s["port_pool"], "port limit")
same(r["ports"]["peak"], s["client.dest_ports.peak"], "port peak")
same(r["ports"]["failures"], s["conn.EADDRNOTAVAIL"] + s["conn.EADDRINUSE"], "port failures")
same(r["timewait.client"]["peak"], s["client.timewait.peak"], "timewait peak")
if "conntrack.firewall" in r:
    same(r["conntrack.firewall"]["peak"], s["firewall.ct.count.peak"], "conntrack peak")
    same(r["conntrack.firewall"]["failures"], s["firewall.ct.drop"], "conntrack drops")
PY
	then ok "$name: summary.json matches summary.csv"; else bad "$name: summary.json vs summary.csv" "$T/err"; fi
done

# 4. --quiet prints nothing, and still writes summary.json.
# shellcheck disable=SC2086
"$BIN" run $DEF --quiet --out "$T/quiet" > "$T/out" 2>&1
if [ $? -eq 0 ] && [ ! -s "$T/out" ] && [ -s "$T/quiet/summary.json" ]; then
	ok "--quiet prints nothing"
else
	bad "--quiet printed something or wrote no summary.json" "$T/out"
fi

# 5. --counters nstat: "%-32s%-16llu%6.1f" lines under #kernel, values over
# the run (warmup 0: the same as summary.csv's counts).
"$BIN" run experiments/default.ini --duration 60s --warmup 0s --quiet --counters nstat --out "$T/nstat" > "$T/out" 2>"$T/err"
if python3 - "$T/out" "$T/nstat/summary.csv" > "$T/err" 2>&1 <<'PY'
import csv, re, sys
lines = open(sys.argv[1]).read().splitlines()
rows = list(csv.reader(l for l in open(sys.argv[2]) if not l.startswith("#")))
s = dict(zip(rows[0], rows[1]))
role = None; seen = 0
for l in lines:
    if l.startswith("# connsim: "):
        role = l.split()[2]; continue
    if l == "#kernel":
        continue
    if not re.fullmatch(r"[A-Za-z]+ +[0-9]+ +[0-9]+\.[0-9]", l) or len(l) != 32 + 16 + 6 or l[31] != " ":
        sys.exit("not nstat's layout: %r" % l)
    name, value = l[:32].strip(), l[32:48].strip()
    if name in ("TcpActiveOpens", "TcpInSegs", "TcpOutSegs") and s[role + "." + name] != value:
        sys.exit("%s.%s: %s, summary.csv %s" % (role, name, value, s[role + "." + name]))
    seen += 1
if seen < 30 or int(s["client.TcpOutSegs"]) == 0:
    sys.exit("too few counters (%d)" % seen)
PY
then ok "--counters nstat layout and values"; else bad "--counters nstat" "$T/err"; fi

# 6. --counters conntrack: one `conntrack -S` line per box.
"$BIN" run experiments/memcache.ini --set workload.rate=800 --duration 120s --warmup 0s --quiet \
	--counters conntrack --out "$T/ct" > "$T/out" 2>"$T/err"
drop=$(grep -v '^#' "$T/ct/summary.csv" | python3 -c 'import csv,sys; r=list(csv.reader(sys.stdin)); print(dict(zip(*r))["firewall.ct.drop"])')
line=$(grep -v '^#' "$T/out")
pat='^cpu=0   	found=[0-9]* invalid=[0-9]* insert=[0-9]* insert_failed=[0-9]* drop=[0-9]* early_drop=[0-9]* error=0 search_restart=0 clash_resolve=0 chaintoolong=[0-9]* $'
if [ "$(grep -v '^#' "$T/out" | wc -l)" -eq 1 ] && printf '%s\n' "$line" | grep -q "$pat" &&
   printf '%s\n' "$line" | grep -q " drop=$drop " && [ "$drop" -gt 0 ]; then
	ok "--counters conntrack layout and values"
else
	bad "--counters conntrack: $line (drop $drop)" "$T/err"
fi

# 8. The segment counters balance: what one side sends (TcpOutSegs, plus
# TcpRetransSegs, which OutSegs leaves out) the other receives (TcpInSegs),
# less what the firewall dropped (its drop counter, both directions), but
# for the few segments still in flight at the end (runs from time 0);
# without loss nothing is retransmitted.
for d in "$T/nstat" "$T/ct"; do
	if python3 - "$d/summary.csv" > "$T/err" 2>&1 <<'PY'
import csv, sys
rows = list(csv.reader(l for l in open(sys.argv[1]) if not l.startswith("#")))
s = {k: float(v) for k, v in zip(*rows)}
drop = sum(v for k, v in s.items() if k.endswith(".ct.drop"))
sent = sum(s[r + ".TcpOutSegs"] + s[r + ".TcpRetransSegs"] for r in ("client", "server"))
got = s["client.TcpInSegs"] + s["server.TcpInSegs"]
if not 0 <= sent - got - drop <= 50:
    sys.exit("sent %d, received %d, dropped %d" % (sent, got, drop))
if drop == 0 and s["client.TcpRetransSegs"] + s["server.TcpRetransSegs"] != 0:
    sys.exit("retransmissions without loss")
if drop > 0 and not s["client.TcpRetransSegs"] >= s["client.TcpExtTCPSynRetrans"] > 0:
    sys.exit("SYN retransmissions not in TcpRetransSegs")
PY
	then ok "segment counters balance ($(basename "$d"))"; else bad "segment counters ($(basename "$d"))" "$T/err"; fi
done

# 7. A bad --counters: exit 2, one message, no output.
"$BIN" run experiments/default.ini --counters netstat --out "$T/badc" > "$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q -- "--counters" "$T/err" && [ ! -e "$T/badc" ]; then
	ok "bad --counters: exit 2"
else
	bad "bad --counters: exit $rc" "$T/err"
fi

summary verdict
