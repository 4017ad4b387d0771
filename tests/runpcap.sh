#!/bin/sh
# connsim run --pcap FILE: the run's segments as packets, read back with
# tshark and checked against the run's own --connections log (ports, times,
# flags); the run's other outputs byte-identical with and without it;
# --pcap-limit keeps the first N connections, followed across a NAT.  Run
# from the repository root:  CONNSIM=./connsim sh tests/runpcap.sh
set -u
. "$(dirname "$0")/lib.sh"

if ! command -v tshark > /dev/null; then
	echo "runpcap: tshark is not installed (Debian package tshark): skipped"
	exit 0
fi
# fields: time, src, sport, dst, dport, flags, raw seq
fields() {
	tshark -r "$1" -T fields -e frame.time_epoch -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
		-e tcp.flags -e tcp.seq_raw -E separator=, 2>"$T/tserr" > "$2" || bad "tshark cannot read $1" "$T/tserr"
}

E=experiments/default.ini
ARGS="--duration 30s --warmup 0 --quiet"
"$BIN" run $E $ARGS --out "$T/without" --connections "$T/c0.csv" > /dev/null 2>"$T/err" || bad "run without --pcap" "$T/err"
"$BIN" run $E $ARGS --out "$T/with" --connections "$T/c1.csv" --pcap "$T/all.pcap" > /dev/null 2>"$T/err" ||
	bad "run with --pcap" "$T/err"

# 1. Nothing else changes: the output directory and the connections log.
same=1
for f in "$T/without"/* "$T/c0.csv"; do
	b=$(basename "$f")
	g="$T/with/$b"
	[ "$b" = c0.csv ] && g="$T/c1.csv"
	sed '/^# command:/d' "$f" > "$T/x"
	sed '/^# command:/d' "$g" > "$T/y"
	cmp -s "$T/x" "$T/y" || { same=0; bad "$b differs with --pcap"; }
done
[ $same = 1 ] && ok "every other output (and --connections) is byte-identical with and without --pcap"
[ -f "$T/with/all.pcap" ] && bad "the pcap went into the output directory" || ok "the pcap is where --pcap says"
ls "$T" | grep -q '\.tmp$' && bad "a temporary was left behind" || ok "no temporary left behind"

# 2. One first SYN per connection that sent one, in connect() order, from
# the port the log has, at the time the log has (to its microsecond).
fields "$T/all.pcap" "$T/all"
grep -v '^#' "$T/c1.csv" | awk -F, 'NR > 1 && $11 != "connect_error"' | sort -t, -k1,1n > "$T/rows"
awk -F, '$2 == "10.0.0.1" && $6 == "0x0002" && !seen[$3 "," $7]++ { print $3 "," $1 }' "$T/all" > "$T/syns"
n=$(wc -l < "$T/syns")
r=$(wc -l < "$T/rows")
[ "$n" -gt 1000 ] && [ "$n" = "$r" ] && ok "one first SYN per connection ($n, as the log's rows)" || bad "first SYNs $n, log rows $r"
cut -d, -f3 "$T/rows" > "$T/lports"
cut -d, -f1 "$T/syns" > "$T/sports"
cmp -s "$T/lports" "$T/sports" && ok "the SYNs' ports are the log's, in connect() order" || bad "SYN ports differ from the log's"
paste -d, "$T/syns" "$T/rows" | awk -F, '{ d = $2 - $8; if (d < 0 || d >= 1e-6) { print "SYN at " $2 ", connect() at " $8 ": " $0; exit 1 } }' > "$T/times"
[ $? -eq 0 ] && ok "each SYN is stamped with the log's t_connect" || bad "SYN times" "$T/times"

# 3. Flags: each established connection got one SYN-ACK (the server's own
# ISN), and each connection that entered TIME_WAIT sent a FIN from its port
# between its close() and its TIME_WAIT.
est=$(awk -F, '$7 != ""' "$T/rows" | wc -l)
sa=$(awk -F, '$2 == "10.0.1.1" && $6 == "0x0012" && !seen[$5 "," $7]++' "$T/all" | wc -l)
[ "$sa" = "$est" ] && ok "SYN-ACKs = established connections ($sa)" || bad "SYN-ACKs $sa, established $est"
awk -F, 'FNR == NR { if ($2 == "10.0.0.1" && $6 == "0x0011") fin[$3] = fin[$3] " " $1; next }
	$9 != "" { tw++; k = split(fin[$3], t, " "); for (i = 1; i <= k; i++) if (t[i] >= $8 - 1e-6 && t[i] <= $9 + 1e-6) { hit++; break } }
	END { print tw + 0, hit + 0 }' "$T/all" "$T/rows" > "$T/fins"
read tw hit < "$T/fins"
[ "$tw" -gt 100 ] && [ "$tw" = "$hit" ] && ok "every TIME_WAIT's connection sent its FIN between close() and TIME_WAIT ($hit)" ||
	bad "FINs found for $hit of $tw TIME_WAITs"

# 4. --pcap-limit 5: the first five connections only, whole.
"$BIN" run $E $ARGS --out "$T/lim" --connections "$T/c2.csv" --pcap "$T/five.pcap" --pcap-limit 5 > /dev/null 2>"$T/err" ||
	bad "run with --pcap-limit" "$T/err"
fields "$T/five.pcap" "$T/five"
head -5 "$T/lports" | sort -n > "$T/want"
awk -F, '$2 == "10.0.0.1" { print $3 } $4 == "10.0.0.1" { print $5 }' "$T/five" | sort -nu > "$T/got"
cmp -s "$T/want" "$T/got" && ok "--pcap-limit 5: the packets of the first five connections' ports, no other" ||
	bad "--pcap-limit 5 ports: $(tr '\n' ' ' < "$T/got")"
m=$(wc -l < "$T/five")
sort "$T/five" > "$T/x"
sort "$T/all" > "$T/y"
[ "$m" -gt 20 ] && [ -z "$(comm -23 "$T/x" "$T/y")" ] &&
	ok "--pcap-limit 5: $m packets, each one of the full capture's (same time, tuple, flags, seq)" ||
	bad "--pcap-limit 5: $m packets, not all in the full capture"

# 5. Across a NAT: each packet once per wire, before and after the rewrite.
"$BIN" run experiments/snat-k8s.ini --duration 5s --warmup 0 --quiet --out "$T/natout" --pcap "$T/nat.pcap" \
	--pcap-limit 3 > /dev/null 2>"$T/err" || bad "NAT run with --pcap" "$T/err"
fields "$T/nat.pcap" "$T/nat"
nat=$(awk -F, '$6 == "0x0002" && $2 !~ /^10\.244\./ { print $2; exit }' "$T/nat")
fw=$(awk -F, '$2 ~ /^10\.244\./' "$T/nat" | wc -l)
fw2=$(awk -F, -v a="$nat" '$2 == a' "$T/nat" | wc -l)
bw=$(awk -F, -v a="$nat" '$4 == a' "$T/nat" | wc -l)
bw2=$(awk -F, '$4 ~ /^10\.244\./' "$T/nat" | wc -l)
syn=$(awk -F, '$2 ~ /^10\.244\./ && $6 == "0x0002" && !s[$2 $3 $7]++' "$T/nat" | wc -l)
[ -n "$nat" ] && [ "$syn" = 3 ] && [ "$fw" -gt 0 ] && [ "$fw" = "$fw2" ] && [ "$bw" -gt 0 ] && [ "$bw" = "$bw2" ] &&
	ok "NAT: 3 connections, every packet on both wires ($fw forward from the pods and from $nat, $bw back)" ||
	bad "NAT: nat '$nat', $syn connections, forward $fw/$fw2, back $bw/$bw2"

# 6. Bad options: exit 2, named; an unwritable path: exit 1, nothing left.
"$BIN" run $E $ARGS --out "$T/b1" --pcap "$T/b.pcap" --pcap-limit -1 > /dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- '--pcap-limit' "$T/err" && [ ! -e "$T/b.pcap" ] && [ ! -e "$T/b1" ] &&
	ok "--pcap-limit -1: exit 2, named" || bad "--pcap-limit -1 (exit $rc)" "$T/err"
"$BIN" run $E $ARGS --out "$T/b2" --pcap-limit 3 > /dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- '--pcap' "$T/err" && ok "--pcap-limit without --pcap: exit 2, named" ||
	bad "--pcap-limit alone (exit $rc)" "$T/err"
"$BIN" run $E --duration 5s --warmup 0 --quiet --out "$T/o3" --pcap "$T/no/such/dir/a.pcap" > /dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'no/such/dir' "$T/err" && [ -z "$(ls "$T/o3" 2>/dev/null)" ]; then
	ok "an unwritable --pcap path: exit 1, named, no output left"
else
	bad "unwritable path (exit $rc)" "$T/err"
fi

summary runpcap
