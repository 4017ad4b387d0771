#!/bin/sh
# connsim run --connections FILE: one row per connect() call of the default
# experiment, whose ports and times agree with the port and TIME_WAIT models,
# and every other output byte-identical with and without it.  Run from the
# repository root:  CONNSIM=./connsim sh tests/connlog.sh
set -u
. "$(dirname "$0")/lib.sh"

E=experiments/default.ini
ARGS="--duration 120s --warmup 0 --quiet"
"$BIN" run $E $ARGS --out "$T/with" --connections "$T/conns.csv" > /dev/null 2>"$T/err" || bad "run with --connections" "$T/err"
"$BIN" run $E $ARGS --out "$T/without" > /dev/null 2>"$T/err" || bad "run without" "$T/err"

# 1. The run's own outputs do not change (the command line aside).
same=1
for f in "$T/without"/*; do
	b=$(basename "$f")
	sed '/^# command:/d' "$f" > "$T/x"
	sed '/^# command:/d' "$T/with/$b" > "$T/y"
	cmp -s "$T/x" "$T/y" || { same=0; bad "$b differs with --connections"; }
done
[ $same = 1 ] && ok "every other output is byte-identical with and without --connections"
[ -f "$T/with/conns.csv" ] && bad "the log went into the output directory" || ok "the log is where --connections says"

# 2. One row per connect() call: as many rows as conn.attempts, as many
# established as conn.established, as many EADDRNOTAVAIL as the summary says.
col() {  # col NAME: the summary's value of column NAME
	grep -v '^#' "$T/without/summary.csv" | awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }'
}
grep -v '^#' "$T/conns.csv" > "$T/rows"
rows=$(($(wc -l < "$T/rows") - 1))
att=$(col conn.attempts)
est=$(col conn.established)
ean=$(col conn.EADDRNOTAVAIL)
[ "$rows" -gt 1000 ] && [ "$rows" = "$att" ] && ok "one row per connect() call ($rows = conn.attempts)" ||
	bad "rows $rows, conn.attempts $att"
n=$(awk -F, 'NR > 1 && $7 != ""' "$T/rows" | wc -l)
[ "$n" = "$est" ] && ok "established rows = conn.established ($n)" || bad "established rows $n, conn.established $est"
n=$(awk -F, 'NR > 1 && $11 == "connect_error" && $12 == "EADDRNOTAVAIL"' "$T/rows" | wc -l)
[ "$n" = "$ean" ] && [ "$n" -gt 0 ] && ok "EADDRNOTAVAIL rows = conn.EADDRNOTAVAIL ($n)" || bad "EADDRNOTAVAIL rows $n, summary $ean"
ids=$(awk -F, 'NR > 1 { print $1 }' "$T/rows" | sort -n | uniq | awk 'NR == 1 { f = $1 } { l = $1; c++ } END { print f, l, c }')
[ "$ids" = "1 $rows $rows" ] && ok "conn numbers 1..$rows, each once" || bad "conn numbers: $ids"

# 3. Ports as the port model chose them: in ip_local_port_range, and no two
# connections to the server hold one port at once (a socket or TIME_WAIT).
awk -F, 'NR > 1 && $11 != "connect_error" {
	if ($3 < 32768 || $3 > 60999) { print "port out of range: " $0; exit 1 }
	end = $10 != "" ? $10 : ($8 != "" ? $8 : 1e9)
	print $3, $6, end
}' "$T/rows" > "$T/ports" || bad "a port outside 32768-60999" "$T/ports"
sort -k1,1n -k2,2g "$T/ports" | awk '$1 == p && $2 < e { print "port " $1 " reused at " $2 " before " e; bad = 1; exit } { p = $1; e = $3 } END { exit bad }' > "$T/clash"
[ $? -eq 0 ] && ok "no port held by two connections at once" || bad "a port held twice" "$T/clash"
# TIME_WAIT lasts 60 s rounded up by the timer wheel (at most one 2.048 s slot, HZ 250).
awk -F, 'NR > 1 && $9 != "" && $10 != "" { d = $10 - $9; if (d < 60 || d > 62.05) { print "TIME_WAIT of " d " s: " $0; exit 1 } }' "$T/rows" > "$T/tw"
[ $? -eq 0 ] && ok "every TIME_WAIT in the log lasts 60 s to 62.05 s" || bad "TIME_WAIT length" "$T/tw"

# 4. Bad path: exit 1, no partial file, no other output committed either way.
"$BIN" run $E --duration 5s --warmup 0 --quiet --out "$T/o3" --connections "$T/no/such/dir/c.csv" > /dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'no/such/dir' "$T/err" && [ -z "$(ls "$T/o3" 2>/dev/null)" ]; then
	ok "an unwritable --connections path: exit 1, named, no output left"
else
	bad "unwritable path (exit $rc)" "$T/err"
fi

summary connlog
