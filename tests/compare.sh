#!/bin/sh
# connsim compare through the real binary: a difference that exists is
# significant, one that does not is exactly zero and unmarked; the paired
# intervals agree with ones computed here from the replications; the
# replications agree with run and sweep; the output does not depend on
# --jobs; bad input gives one message, exit 2 and no output.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/compare.sh
set -u
. "$(dirname "$0")/lib.sh"
check() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi; }

E=experiments/default.ini
# 600 connections/s against a ceiling of about 462/s: the ports run out at
# about 47 s, so two minutes with a one-minute warmup fail about 21 % of
# connect() calls with tcp_tw_reuse = 0.
SHORT="--duration 120s --warmup 60s --seed 7"
R=5
# t(0.975, R - 1 = 4), from a table of Student's t
TQ=2.7764451051977987

# same A B: two outputs identical apart from the version and command lines
same() {
	grep -v '^# command:\|^# connsim ' "$1" > "$T/same.a"
	grep -v '^# command:\|^# connsim ' "$2" > "$T/same.b"
	cmp -s "$T/same.a" "$T/same.b"
}
# col FILE METRIC N: field N of METRIC's row of a compare.csv
col() { awk -F, -v m="$2" -v n="$3" '!/^#/ && $1 == m { print $n }' "$1"; }

# ---- a difference that exists: tcp_tw_reuse 0 -> 1 above the port ceiling
"$BIN" compare $E $SHORT --reps $R --jobs 2 -q --out "$T/reuse" \
	--before-set net.ipv4.tcp_tw_reuse=0 --after-set net.ipv4.tcp_tw_reuse=1 >"$T/reuse.txt" 2>"$T/err"
check "compare runs (exit 0, nothing on stderr with --quiet)" $(($? + $(wc -c < "$T/err"))) "$T/err"
C="$T/reuse/compare.csv"
for f in compare.csv replications.csv before-timeseries.csv after-timeseries.csv; do
	[ -s "$T/reuse/$f" ]
	check "writes $f" $?
done
awk -F, -v lo="$(col "$C" conn.fail_fraction 7)" -v hi="$(col "$C" conn.fail_fraction 8)" \
	-v sig="$(col "$C" conn.fail_fraction 9)" -v b="$(col "$C" conn.fail_fraction 2)" \
	'BEGIN { exit !(b > 0.1 && hi < 0 && lo < hi && sig == 1) }'
check "tw_reuse 0 -> 1: conn.fail_fraction drops, its interval is below zero and marked significant" $? "$T/reuse.txt"
grep -q '^conn\.fail_fraction .*\*$' "$T/reuse.txt"
check "tw_reuse 0 -> 1: the table marks conn.fail_fraction with '*'" $? "$T/reuse.txt"
grep -q '^  \[client\] net\.ipv4\.tcp_tw_reuse: 0 (--before-set) -> 1 (--after-set)$' "$T/reuse.txt"
check "the settings that differ are listed with their sources" $? "$T/reuse.txt"
# significant rows first: no '*' row after the first "not significant" one
awk '/not significant$/ { ns = 1 } / \*$/ && ns { bad = 1 } END { exit bad }' "$T/reuse.txt"
check "significant metrics are listed before the others" $? "$T/reuse.txt"
n_unch=$(sed -n 's/^\([0-9][0-9]*\) metrics unchanged.*/\1/p' "$T/reuse.txt")
n_zero=$(awk -F, '!/^#/ && $1 != "metric" && $6 == 0 && $7 == 0 && $8 == 0' "$C" | wc -l)
[ -n "$n_unch" ] && [ "$n_unch" -le "$n_zero" ] && [ "$n_unch" -gt 0 ]
check "unchanged metrics are summarised in one line ($n_unch, all with a zero difference)" $? "$T/reuse.txt"

# ---- the paired intervals, recomputed from replications.csv: the mean of
# the R differences and t x sd / sqrt(R) (two-pass sd), for every metric
awk -F, -v R=$R -v tq=$TQ '
	FNR == 1 { file++ }
	/^#/ || $1 == "side" || $1 == "metric" { next }
	file == 1 { v[$1, $2, $3] = $4; names[$3] = 1; next }
	file == 2 {
		m = $1; s = 0
		for (r = 0; r < R; r++) { d[r] = v["after", r, m] - v["before", r, m]; s += d[r] }
		mean = s / R; ss = 0
		for (r = 0; r < R; r++) ss += (d[r] - mean) ^ 2
		half = tq * sqrt(ss / (R - 1)) / sqrt(R)
		lo = mean - half; hi = mean + half
		tol = 1e-5 * (abs(mean) + abs(half)) + 1e-12
		if (abs($6 - mean) > tol || abs($7 - lo) > tol || abs($8 - hi) > tol || $9 != (lo > 0 || hi < 0)) {
			printf "%s: compare says %s [%s, %s] %s, recomputed %.6g [%.6g, %.6g]\n", m, $6, $7, $8, $9, mean, lo, hi
			wrong++
		}
		seen++
	}
	function abs(x) { return x < 0 ? -x : x }
	END { if (!seen) print "no metric compared"; exit wrong || !seen }' \
	"$T/reuse/replications.csv" "$C" >"$T/ci.txt"
check "paired 95 % intervals equal ones recomputed from the replications" $? "$T/ci.txt"

# ---- the replications are run's and sweep's: replication 0 of the after
# side is `connsim run` with the same settings and seed (its summary, its
# time series); each side's mean and interval is sweep's at that setting
"$BIN" run $E $SHORT -q --set net.ipv4.tcp_tw_reuse=1 --out "$T/run1" >/dev/null 2>&1
awk -F, 'FNR == 1 { file++ }
	/^#/ { next }
	file == 1 && $1 == "after" && $2 == 0 { v[$3] = $4; next }
	file == 2 && !hdr { for (i = 1; i <= NF; i++) name[i] = $i; hdr = 1; next }
	file == 2 { for (i = 3; i <= NF; i++) { n++; d = v[name[i]] - $i; if (!(name[i] in v) || d > 0.0006 + 1e-5 * ($i < 0 ? -$i : $i) || -d > 0.0006 + 1e-5 * ($i < 0 ? -$i : $i)) { print name[i], v[name[i]], $i; wrong++ } } }
	END { exit wrong || !n }' "$T/reuse/replications.csv" "$T/run1/summary.csv" >"$T/run.txt"
check "replication 0 of the after side has run's summary" $? "$T/run.txt"
grep -v '^#' "$T/run1/timeseries.csv" > "$T/ts.run"
grep -v '^#' "$T/reuse/after-timeseries.csv" > "$T/ts.cmp"
cmp -s "$T/ts.run" "$T/ts.cmp"
check "after-timeseries.csv has run's rows" $?
grep -q '^# values given' "$T/reuse/before-timeseries.csv" &&
	grep -q '^#   sysctl\.net\.ipv4\.tcp_tw_reuse = 0   (--before-set)' "$T/reuse/before-timeseries.csv"
check "before-timeseries.csv carries run's header with the before settings" $?

"$BIN" sweep $E -q --seed 7 --reps $R --jobs 2 --set experiment.duration=120s --set experiment.warmup=60s \
	--vary net.ipv4.tcp_tw_reuse=0,1 --out "$T/sweep" >/dev/null 2>&1
awk -F, 'FNR == 1 { file++ }
	/^#/ { next }
	file == 1 && $1 != "metric" { bm[$1] = $2; bc[$1] = $3; am[$1] = $4; ac[$1] = $5; next }
	file == 2 && !hdr { for (i = 1; i <= NF; i++) name[i] = $i; hdr = 1; next }
	file == 2 {
		for (i = 3; i <= NF; i += 2) {
			m = name[i]; sub(/\.mean$/, "", m)
			want_m = $1 == 0 ? bm[m] : am[m]; want_c = $1 == 0 ? bc[m] : ac[m]
			n++
			if (want_m != $i || want_c != $(i + 1)) { print "tw_reuse=" $1, m, want_m, want_c, $i, $(i + 1); wrong++ }
		}
	}
	END { exit wrong || !n }' "$C" "$T/sweep/curve.csv" >"$T/sweep.txt"
check "each side's means and intervals are sweep's at that setting (common random numbers)" $? "$T/sweep.txt"

# ---- independent of --jobs
"$BIN" compare $E $SHORT --reps $R --jobs 1 -q --out "$T/reuse1" \
	--before-set net.ipv4.tcp_tw_reuse=0 --after-set net.ipv4.tcp_tw_reuse=1 >"$T/reuse1.txt" 2>/dev/null
r=0
for f in compare.csv replications.csv before-timeseries.csv after-timeseries.csv; do
	same "$T/reuse/$f" "$T/reuse1/$f" || r=1
done
cmp -s "$T/reuse.txt" "$T/reuse1.txt" || r=1
check "--jobs 1 and --jobs 2 give identical outputs" $r

# ---- no difference: tcp_fin_timeout bounds only an orphan's wait in
# FIN_WAIT2 for the peer's FIN, which comes here within a round trip, and
# does not shorten TIME_WAIT (doc/kernel-rules.md §2.4, §9.7): the runs are
# identical and every interval is exactly zero
printf '# the before side\nnet.ipv4.tcp_fin_timeout = 1\n' > "$T/fin1.conf"
"$BIN" compare $E $SHORT --reps $R -q --out "$T/fin" --before "$T/fin1.conf" \
	--after-set net.ipv4.tcp_fin_timeout=60 >"$T/fin.txt" 2>"$T/err"
check "tcp_fin_timeout 1 vs 60: runs" $? "$T/err"
awk -F, '!/^#/ && $1 != "metric" { n++; if ($6 != 0 || $7 != 0 || $8 != 0 || $9 != 0) { print; wrong++ } }
	END { exit wrong || !n }' "$T/fin/compare.csv" >"$T/fin.bad"
check "tcp_fin_timeout 1 vs 60: every difference and interval is exactly zero, none significant" $? "$T/fin.bad"
! grep -q '\*$' "$T/fin.txt" && grep -q '^no metric changed: [0-9]* metrics unchanged' "$T/fin.txt"
check "tcp_fin_timeout 1 vs 60: nothing marked, 'no metric changed'" $? "$T/fin.txt"
grep -q "^  \[client\] net\.ipv4\.tcp_fin_timeout: 1 (.*fin1\.conf:2) -> 60 (--after-set)$" "$T/fin.txt"
check "a --before file's setting is listed with its file and line" $? "$T/fin.txt"

"$BIN" compare $E --duration 10s --warmup 5s --reps 2 -q --out "$T/same" >"$T/same.txt" 2>&1
grep -q '^note: the two scenarios have the same settings$' "$T/same.txt"
check "two identical scenarios run, with a note that they have the same settings" $? "$T/same.txt"

# ---- the figure
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "outdir='$T/reuse'" plots/compare.gp >"$T/gp" 2>&1 && [ -s "$T/reuse/compare.png" ] &&
		[ -s "$T/reuse/compare.svg" ]
	check "plots/compare.gp renders compare.png and compare.svg" $? "$T/gp"
else
	echo "skip plots/compare.gp (gnuplot not installed)"
fi

# ---- bad input: one line on stderr, exit 2, no output directory
expect_error() {
	name=$1 pat=$2
	shift 3
	rm -rf "$T/out"
	"$BIN" compare "$@" --out "$T/out" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		bad "$name: exit $rc, expected 2" "$T/stderr"
	elif [ "$(wc -l < "$T/stderr")" -ne 1 ]; then
		bad "$name: not one line on stderr" "$T/stderr"
	elif ! grep -Eq -- "$pat" "$T/stderr"; then
		bad "$name: message does not match /$pat/" "$T/stderr"
	elif [ -e "$T/out" ]; then
		bad "$name: left $T/out behind"
	else
		ok "$name"
	fi
}
expect_error "missing --before file" "--before: .*nope\.conf: cannot read: No such file" -- $E --before "$T/nope.conf"
printf 'net.ipv4.tcp_fin_timeout = 1\nthis is not a sysctl line\n' > "$T/bad.conf"
expect_error "bad line in an --after file" "--after: .*bad\.conf:2: 'this is not a sysctl line' is not" -- \
	$E --after "client:$T/bad.conf"
expect_error "unknown key" "--after-set: unknown key 'ratee' in \[workload\]; did you mean 'rate'" -- \
	$E --after-set workload.ratee=5
expect_error "bad value" "--before-set: \[sysctl\] net\.ipv4\.tcp_tw_reuse = '7': expected an integer in \[0, 2\]" -- \
	$E --before-set net.ipv4.tcp_tw_reuse=7
expect_error "unknown profile" "--after-profile: \[client\] profile = '9\.9': expected one of" -- $E --after-profile 9.9
expect_error "one replication" "--reps 1: expected an integer in \[2, 100000\]" -- $E --reps 1
expect_error "a side the world rejects" "addresses_per_host = '4': more than one address" -- \
	$E --after-set client.addresses_per_host=4
expect_error "no experiment" "expected one experiment file, got 0" --

summary compare
