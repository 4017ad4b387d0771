#!/bin/sh
# Command-line tests through the real binary: bad input gives one clear
# message naming file, line and key, exit status 2, and no output file; the
# same seed gives byte-identical output.  Run from the repository root:
#   CONNSIM=./connsim sh tests/cli.sh
set -u
. "$(dirname "$0")/lib.sh"

# A small valid experiment (2 s simulated) used as the base of the bad ones.
cat > "$T/good.ini" <<'INI'
[experiment]
duration = 2s
sample = 500ms

[workload]
rate = 200
life_mean = 10ms
INI

# expect_error NAME EXIT PATTERN -- connsim args...
# Checks the exit status, that stderr is exactly one line matching PATTERN,
# and that no output file was left behind.
expect_error() {
	name=$1 want=$2 pat=$3
	shift 4
	rm -rf "$T/out"
	"$BIN" "$@" --out "$T/out" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	lines=$(wc -l < "$T/stderr")
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, expected $want" "$T/stderr"
	elif [ "$lines" -ne 1 ]; then
		bad "$name: $lines lines on stderr, expected one" "$T/stderr"
	elif ! grep -Eq -- "$pat" "$T/stderr"; then
		bad "$name: message does not match /$pat/" "$T/stderr"
	elif [ -n "$(find "$T/out" -type f 2>/dev/null)" ]; then
		bad "$name: left output behind: $(find "$T/out" -type f)"
	else
		ok "$name"
	fi
}

# same A B: whether two outputs are identical apart from their command line
# (which names the output directory and the options, and so differs).
same() { grep -v '^# command:' "$1" > "$T/same.a"; grep -v '^# command:' "$2" > "$T/same.b"; cmp -s "$T/same.a" "$T/same.b"; }

# mk NAME LINE...: a copy of good.ini (7 lines) with LINEs appended from line 8
mk() { f="$T/$1.ini"; shift; cp "$T/good.ini" "$f"; printf '%s\n' "$@" >> "$f"; echo "$f"; }

expect_error "missing file" 2 "nope\.ini: cannot read: No such file" -- run "$T/nope.ini"
f=$(mk syntax '[client]' 'this line is garbage')
expect_error "syntax error names the line" 2 "syntax\.ini:9: 'this line is garbage' is not" -- run "$f"
f=$(mk unknown '[workload]' 'ratee = 5')
expect_error "unknown key with hint" 2 "unknown\.ini:9: unknown key 'ratee' in \[workload\]; did you mean 'rate'" -- run "$f"
f=$(mk section '[wrokload]' 'rate = 5')
expect_error "unknown section" 2 "section\.ini:8: unknown section \[wrokload\]" -- run "$f"
sed 's/^rate = 200/rate = -5/' "$T/good.ini" > "$T/neg.ini"
expect_error "negative rate" 2 "neg\.ini:6: \[workload\] rate = '-5': expected a number >= 0" -- run "$T/neg.ini"
f=$(mk range '[sysctl]' 'net.ipv4.ip_local_port_range = 60999 32768')
expect_error "port range upside down" 2 "range\.ini:9: \[sysctl\] net.ipv4.ip_local_port_range = '60999 32768': the range is upside down" -- run "$f"
f=$(mk intrange '[sysctl]' 'net.ipv4.tcp_tw_reuse = 3')
expect_error "integer out of range" 2 "intrange\.ini:9: \[sysctl\] net.ipv4.tcp_tw_reuse = '3': expected an integer in \[0, 2\]" -- run "$f"
: > "$T/empty.ini"
expect_error "empty file" 2 "empty\.ini: no sections" -- run "$T/empty.ini"
f=$(mk recycle '[sysctl]' 'net.ipv4.tcp_tw_recycle = 1')
expect_error "tw_recycle on a current kernel" 2 "recycle\.ini:9: .*removed in Linux 4\.12" -- run "$f"
f=$(mk badaddr '[server]' 'addresses = 10.0.1.300')
expect_error "bad address" 2 "badaddr\.ini:9: \[server\] addresses = '10.0.1.300': '10.0.1.300' is not an IPv4 address" -- run "$f"
expect_error "bad --set value" 2 "--set: \[workload\] rate = 'fast': expected a number" -- run "$T/good.ini" --set workload.rate=fast
expect_error "bad --duration" 2 "--duration: \[experiment\] duration = '10 parsecs'" -- run "$T/good.ini" --duration "10 parsecs"
expect_error "bad --seed" 2 "--seed 'x': expected an integer" -- run "$T/good.ini" --seed x
expect_error "unknown --profile" 2 "\[client\] profile = '9.9': expected one of: 3.10,4.4" -- run "$T/good.ini" --profile 9.9
expect_error "several addresses without bind = address" 2 "addresses_per_host = '4': more than one address" -- run "$T/good.ini" --set client.addresses_per_host=4
f=$(mk natfully '[nat]' 'profile = 3.10' 'random = fully')
expect_error "--random-fully on 3.10" 2 "natfully\.ini:10: \[nat\] random = 'fully': --random-fully exists from Linux 3.14" -- run "$f"
f=$(mk nataddr '[nat]' 'addresses = 203.0.113.x')
expect_error "bad NAT address" 2 "nataddr\.ini:9: \[nat\] addresses = '203.0.113.x'" -- run "$f"
f=$(mk amp '[workload]' 'arrival = diurnal' 'amplitude = 2')
expect_error "diurnal amplitude above 1" 2 "amp\.ini:10: \[workload\] amplitude = '2': expected a number in \[0, 1\]" -- run "$f"
f=$(mk shape '[workload]' 'life = pareto' 'life_shape = 0.5')
expect_error "Pareto shape without a mean" 2 "shape\.ini:10: \[workload\] life_shape = '0.5': expected a number > 1" -- run "$f"
f=$(mk req0 '[workload]' 'requests = 0')
expect_error "zero requests per connection" 2 "req0\.ini:9: \[workload\] requests = '0': expected an integer in \[1, 1000000\]" -- run "$f"
f=$(mk think '[workload]' 'requests = 3' 'think = -1s')
expect_error "negative think time" 2 "think\.ini:10: \[workload\] think = '-1s': expected a duration >= 0 s" -- run "$f"
f=$(mk ctmax '[firewall.sysctl]' 'net.netfilter.nf_conntrack_max = 0')
expect_error "nf_conntrack_max 0" 2 "ctmax\.ini:9: \[firewall.sysctl\] net.netfilter.nf_conntrack_max = '0': expected an integer in \[1," -- run "$f"
f=$(mk typo '[firewal]' 'delay = 1ms')
expect_error "misspelled box section" 2 "typo\.ini:8: unknown section \[firewal\]" -- run "$f"
expect_error "unknown option" 2 "Unknown option --frobnicate" -- run "$T/good.ini" --frobnicate

# Unreadable sysctl file: a directory (root reads any mode), and mode 000 when not root.
mkdir "$T/sysdir"
expect_error "sysctl file is a directory" 2 "sysdir: cannot read: Is a directory" -- run "$T/good.ini" --sysctl "$T/sysdir"
printf 'net.ipv4.tcp_fin_timeout = 30\n' > "$T/locked.conf"
chmod 000 "$T/locked.conf"
if [ "$(id -u)" -ne 0 ]; then
	expect_error "unreadable sysctl file" 2 "locked\.conf: cannot read: Permission denied" -- run "$T/good.ini" --sysctl "$T/locked.conf"
fi
printf 'net.ipv4.tcp_fin_timeout = soon\n' > "$T/badval.conf"
expect_error "bad value in a sysctl file" 2 "badval\.conf:1: \[sysctl\] net.ipv4.tcp_fin_timeout = 'soon'" -- run "$T/good.ini" --sysctl "$T/badval.conf"
printf '[client]\nsysctl_file = missing.conf\n' >> "$T/good2.ini"; cat "$T/good.ini" "$T/good2.ini" > "$T/refs.ini"
expect_error "experiment names a missing sysctl file" 2 "refs\.ini:9: \[client\] sysctl_file = 'missing.conf': .*missing\.conf: cannot read" -- run "$T/refs.ini"

# Unknown sysctls in a sysctl file are a note, not an error.
printf 'kernel.pid_max = 4194304\nnet.ipv4.ip_local_port_range = 1024\t65000\n' > "$T/real.conf"
if "$BIN" run "$T/good.ini" --sysctl "$T/real.conf" --out "$T/o1" -q 2>"$T/stderr" &&
   grep -q "ignored 1 sysctl that connsim does not model (kernel.pid_max)" "$T/stderr" &&
   grep -q "ip_local_port_range = 1024 65000" "$T/o1/summary.csv"; then
	ok "sysctl file: unknown names noted, tab-separated range applied"
else
	bad "sysctl file: unknown names noted, tab-separated range applied" "$T/stderr"
fi

# --profile reaches every host and box the experiment has, and creates no box.
cp "$T/good.ini" "$T/withnat.ini"; printf '[nat]\naddresses = 203.0.113.1\n' >> "$T/withnat.ini"
if "$BIN" run "$T/withnat.ini" --profile 4.4 -q --out "$T/pn" && grep -q '^#   nat: profile = 4.4' "$T/pn/summary.csv" &&
   grep -q '^#   server: profile = 4.4' "$T/pn/summary.csv" &&
   "$BIN" run "$T/good.ini" --profile 4.4 -q --out "$T/pg" && ! grep -q '^#   nat:' "$T/pg/summary.csv"; then
	ok "--profile sets hosts and existing boxes only"
else
	bad "--profile sets hosts and existing boxes only"
fi

# Usage
"$BIN" --help >/dev/null 2>&1 && ok "--help exits 0" || bad "--help exits 0"
"$BIN" --version | grep -q '^connsim ' && ok "--version" || bad "--version"
"$BIN" run --help | grep -q -- '--seed' && ok "run --help lists options" || bad "run --help lists options"
"$BIN" frob >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command exits 2" || bad "unknown command exits 2"
"$BIN" >/dev/null 2>&1; [ $? -eq 2 ] && ok "no command exits 2" || bad "no command exits 2"
"$BIN" profiles | grep -q '^4.4: ' && ok "profiles lists 4.4" || bad "profiles lists 4.4"

# sweep: bad specs, and a curve that does not depend on the number of threads.
expect_error "sweep without --vary" 2 "give at least one --vary" -- sweep "$T/good.ini"
expect_error "sweep bad --vary" 2 "--vary 'workload.rate=1:2': expected START:STOP:STEPS" -- sweep "$T/good.ini" --vary workload.rate=1:2
expect_error "sweep bad value" 2 "\[workload\] rate = 'fast': expected a number" -- sweep "$T/good.ini" --vary workload.rate=fast
expect_error "sweep: a point the world rejects" 2 "addresses_per_host = '4': more than one address" -- sweep "$T/good.ini" --vary client.addresses_per_host=1,4 --reps 2
if [ -e "$T/out" ]; then bad "sweep: a rejected point left its output directory"; else ok "sweep: a rejected point leaves no output directory"; fi
expect_error "sweep: a misspelt plot metric" 2 "\[sweep\] plot = 'conn.fail_fractoin': no metric 'conn.fail_fractoin'" -- sweep "$T/good.ini" --vary workload.rate=1,2 --reps 2 --set sweep.plot=conn.fail_fractoin
if [ -e "$T/out" ]; then bad "sweep: a misspelt plot metric left its output directory"; else ok "sweep: a misspelt plot metric leaves no output directory"; fi
expect_error "sweep one replication" 2 "--reps 1: expected an integer in \[2, 100000\]" -- sweep "$T/good.ini" --vary workload.rate=1,2 --reps 1
if "$BIN" sweep "$T/good.ini" --vary workload.rate=50,100:200:3 -q --reps 3 --jobs 1 --out "$T/s1" 2>"$T/stderr"; then
	bad "sweep mixes list and range syntax" "$T/stderr"
else
	ok "sweep rejects a malformed list"
fi
"$BIN" sweep "$T/good.ini" --vary workload.rate=50:400:3 --vary net.ipv4.tcp_tw_reuse=0,1 --reps 3 --jobs 1 -q --out "$T/s1" &&
	"$BIN" sweep "$T/good.ini" --vary workload.rate=50:400:3 --vary net.ipv4.tcp_tw_reuse=0,1 --reps 3 --jobs 2 -q --out "$T/s2"
if same "$T/s1/curve.csv" "$T/s2/curve.csv" && [ "$(grep -vc '^#' "$T/s1/curve.csv")" -eq 7 ] &&
   grep -q '^workload.rate,net.ipv4.tcp_tw_reuse,reps,duration_s.mean,duration_s.ci95' "$T/s1/curve.csv"; then
	ok "sweep: 6 points, header, identical with 1 and 2 threads"
else
	bad "sweep: 6 points, header, identical with 1 and 2 threads"
fi

expect_error "sweep variant without label" 2 "--variant ': net.ipv4.tcp_tw_reuse=1': expected LABEL" -- sweep "$T/good.ini" --vary workload.rate=1,2 --variant ': net.ipv4.tcp_tw_reuse=1'
expect_error "sweep variant bad setting" 2 "variant 'r': .*tcp_tw_reuse = '7'" -- sweep "$T/good.ini" --vary workload.rate=1,2 --variant 'r: net.ipv4.tcp_tw_reuse=7'
expect_error "sweep variant label twice" 2 "the label is used twice" -- sweep "$T/good.ini" --vary workload.rate=1,2 --variant a --variant a
"$BIN" sweep "$T/good.ini" --vary workload.rate=50,100 --variant base --variant 'old: profile=4.4 & net.ipv4.tcp_tw_recycle=1' \
	--reps 2 --jobs 2 -q --out "$T/s3"
if [ "$(grep -vc '^#' "$T/s3/curve.csv")" -eq 5 ] && grep -q '^variant,workload.rate,reps,' "$T/s3/curve.csv" &&
   grep -q '^old,100,2,' "$T/s3/curve.csv" && grep -q '^# variants: base|old$' "$T/s3/curve.csv"; then
	ok "sweep: variants make a column and a curve each"
else
	bad "sweep: variants make a column and a curve each"
fi

# An empty conntrack table (no traffic): no crash in the Poisson references, no NaN.
printf '[experiment]\nduration = 1s\n[workload]\nrate = 0\n[firewall]\n' > "$T/empty.ini"
if "$BIN" run "$T/empty.ini" -q --out "$T/e" && "$BIN" sweep "$T/empty.ini" --vary workload.rate=0,1 --reps 2 -q --out "$T/e" &&
   ! grep -qi nan "$T/e/chains.csv" "$T/e/summary.csv" "$T/e/curve.csv"; then
	ok "an empty conntrack table: run and sweep, no NaN"
else
	bad "an empty conntrack table: run and sweep, no NaN"
fi

# Reproducibility: same seed, byte-identical; other seed, different.
"$BIN" run "$T/good.ini" --seed 7 --out "$T/a" -q && "$BIN" run "$T/good.ini" --seed 7 --out "$T/b" -q &&
	"$BIN" run "$T/good.ini" --seed 8 --out "$T/c" -q
if same "$T/a/timeseries.csv" "$T/b/timeseries.csv" && same "$T/a/summary.csv" "$T/b/summary.csv"; then
	ok "same seed gives byte-identical output (apart from the command line)"
else
	bad "same seed gives byte-identical output (apart from the command line)"
fi
if ! same "$T/a/summary.csv" "$T/c/summary.csv" && ! same "$T/a/timeseries.csv" "$T/c/timeseries.csv"; then
	ok "different seed gives different output"
else
	bad "different seed gives different output"
fi
# Provenance: the command line as typed, options included.
if grep -q "^# command: .* run $T/good.ini --seed 7 --out $T/a -q\$" "$T/a/summary.csv" &&
   grep -q "^# command: .*sweep .*--jobs 2 -q --out $T/s2\$" "$T/s2/curve.csv"; then
	ok "command: records the whole command line, options included"
else
	bad "command: records the whole command line, options included" "$T/a/summary.csv"
fi

# --dry-run: the resolved settings and their sources on stdout; nothing run or written.
rm -rf "$T/dry"
if "$BIN" run "$T/withnat.ini" --dry-run --set net.ipv4.tcp_tw_reuse=1 --profile 4.4 --out "$T/dry" \
	>"$T/stdout" 2>"$T/stderr" && [ ! -e "$T/dry" ] && [ ! -s "$T/stderr" ] &&
   grep -q '^  net.ipv4.tcp_tw_reuse = 1   (--set)$' "$T/stdout" &&
   grep -q '^  profile = 4.4   (--profile)$' "$T/stdout" &&
   grep -q '^  net.ipv4.ip_local_port_range = 32768 60999   (profile 4.4 default)$' "$T/stdout" &&
   grep -q '^  rate = 200   (.*withnat.ini:6)$' "$T/stdout" &&
   grep -q '^\[nat\]$' "$T/stdout" && grep -q '^  net.netfilter.nf_conntrack_max = .*(derived from memory)$' "$T/stdout"; then
	ok "--dry-run prints settings with their sources and writes nothing"
else
	bad "--dry-run prints settings with their sources and writes nothing" "$T/stdout"
fi
printf 'net.ipv4.tcp_fin_timeout = 30\n' > "$T/fin.conf"
if "$BIN" run "$T/good.ini" -n --sysctl "server:$T/fin.conf" --out "$T/dry" >"$T/stdout" 2>"$T/stderr" && [ ! -e "$T/dry" ] &&
   [ "$(grep -c 'tcp_fin_timeout = 30   (--sysctl .*fin.conf:1)' "$T/stdout")" -eq 1 ] &&
   [ "$(grep -c 'tcp_fin_timeout = 60   (default)' "$T/stdout")" -eq 1 ]; then
	ok "--dry-run: a --sysctl file for one host shows in that host only"
else
	bad "--dry-run: a --sysctl file for one host shows in that host only" "$T/stdout"
fi
expect_error "--dry-run still rejects bad input" 2 "badaddr\.ini:9: \[server\] addresses = '10.0.1.300'" -- run "$T/badaddr.ini" --dry-run
expect_error "more than 16 listening ports" 2 "\[server\] ports = '1-17': cannot listen on port 17 \(at most 16" -- run "$T/good.ini" --set server.ports=1-17
expect_error "a server address is a client's" 2 "\[server\] addresses = '10.0.0.2': a server address is also a client address" -- run "$T/good.ini" --set client.count=3 --set server.addresses=10.0.0.2
expect_error "warmup not shorter than the run" 2 "--warmup: \[experiment\] warmup = '5s': must be shorter than the duration" -- run "$T/good.ini" --warmup 5s

[ -z "$(find "$T/a" -name '*.tmp')" ] && ok "no temporary files after a run" || bad "no temporary files after a run"

summary cli
