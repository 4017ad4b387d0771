#!/bin/sh
# Robustness around a run, through the real binary (connsim issue 17):
# concurrent runs into one --out never mix their files; SIGINT and SIGTERM
# leave no temporary and give 130 / 143; SO_REUSEADDR with a port chosen by
# connect() runs to the end; very high rates end and keep their rate; a
# connection of 10^6 long requests does not close early; a path delay equal
# to an RTO does not run time backwards.  Run from the
# repository root:
#   CONNSIM=./connsim sh tests/robust.sh
set -u
. "$(dirname "$0")/lib.sh"

cat > "$T/good.ini" <<'INI'
[experiment]
duration = 2s
sample = 500ms

[workload]
rate = 200
life_mean = 10ms
INI

# summary metric NAME of the run in DIR
metric() {
	grep -v '^#' "$1/summary.csv" | awk -F, -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i }
		NR == 2 { print $c }'
}
# the seed a CSV's header names
seed_of() { sed -n 's/^# seed: \([0-9]*\).*/\1/p' "$1"; }

# ---- 1. ten runs at once into one directory --------------------------------
# Each either exits 0 or fails with exit 1 and the one-line lock message;
# what is left is one run's set: timeseries and summary name the same seed,
# that of a run that succeeded, and no temporary remains.
i=1
while [ $i -le 10 ]; do
	"$BIN" run "$T/good.ini" --duration 30s --seed $i -q --out "$T/conc" >/dev/null 2>"$T/conc-err.$i" &
	eval "pid$i=$!"
	i=$((i + 1))
done
i=1 okruns="" msgs_ok=1
while [ $i -le 10 ]; do
	eval "wait \$pid$i"
	rc=$?
	if [ $rc -eq 0 ]; then
		okruns="$okruns $i "
	elif [ $rc -ne 1 ] || [ "$(wc -l < "$T/conc-err.$i")" -ne 1 ] ||
	     ! grep -q "another connsim run is writing into this directory" "$T/conc-err.$i"; then
		msgs_ok=0
		bad "concurrent run $i: exit $rc" "$T/conc-err.$i"
	fi
	i=$((i + 1))
done
s1=$(seed_of "$T/conc/timeseries.csv") s2=$(seed_of "$T/conc/summary.csv")
if [ -n "$okruns" ] && [ $msgs_ok -eq 1 ] && [ -n "$s1" ] && [ "$s1" = "$s2" ] &&
   case "$okruns" in *" $s1 "*) true ;; *) false ;; esac &&
   [ -z "$(find "$T/conc" -name '*.tmp')" ]; then
	ok "ten concurrent runs: one run's files (seed $s1; succeeded:$okruns), the others refused"
else
	bad "ten concurrent runs: timeseries seed '$s1', summary seed '$s2', succeeded:$okruns"
	ls -la "$T/conc"
fi

# ---- 2. signals mid-run --------------------------------------------------
# A shell without job control starts background jobs with SIGINT ignored,
# and connsim keeps a signal ignored at start (as nohup wants): the run is
# started with SIGINT at its default (env --default-signal, coreutils 8.31;
# else perl).
# (Not through a shell function: its background job would be a subshell,
# and the signal would go to that.)
for sig in INT TERM; do
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	rm -rf "$T/sig"
	if env --default-signal=INT true 2>/dev/null; then
		env --default-signal=INT "$BIN" run "$T/good.ini" --duration 1000000s -q --out "$T/sig" 2>"$T/sig-err" &
	else
		perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
			"$BIN" run "$T/good.ini" --duration 1000000s -q --out "$T/sig" 2>"$T/sig-err" &
	fi
	pid=$!
	n=0  # until its temporaries exist (at most 20 s)
	while [ -z "$(find "$T/sig" -name '*.tmp' 2>/dev/null)" ] && [ $n -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.3
	kill -$sig $pid
	wait $pid
	rc=$?
	left=$(find "$T/sig" -type f 2>/dev/null)
	if [ $n -lt 200 ] && [ $rc -eq $want ] && [ -z "$left" ]; then
		ok "SIG$sig mid-run: exit $rc, no file left"
	else
		bad "SIG$sig mid-run: exit $rc (expected $want), left: $left" "$T/sig-err"
		kill -KILL $pid 2>/dev/null
	fi
done

# ---- 3. SO_REUSEADDR on sockets whose port connect() chooses -------------
# 70 s: the first TIME_WAITs die (and release their ports) after 61 s.
for b in none address; do
	if "$BIN" run "$T/good.ini" --duration 70s --set workload.reuseaddr=true --set workload.bind=$b -q \
	       --out "$T/ra-$b" 2>"$T/ra-err" && [ "$(metric "$T/ra-$b" client.TcpExtTW)" -gt 0 ]; then
		ok "reuseaddr = true with bind = $b runs to the end"
	else
		bad "reuseaddr = true with bind = $b" "$T/ra-err"
	fi
done

# ---- 4. very high rates ---------------------------------------------------
# Poisson at 1e9/s for 100 us: conn.attempts is Poisson with mean 1e5; its
# 99.99 % interval is +- 3.89 sd = +- 1230 (truncated gaps gave +74 %).
# timeout: a stuck clock must fail, not hang.
to() { if command -v timeout >/dev/null; then timeout "$@"; else shift; "$@"; fi; }
if to 120 "$BIN" run "$T/good.ini" --set workload.rate=1e9 --duration 100us --sample 10us -q --out "$T/hr" \
	2>"$T/hr-err"; then
	a=$(metric "$T/hr" conn.attempts)
	if awk -v a="$a" 'BEGIN { m = 1e5; d = a - m; exit !(d * d < 3.89 * 3.89 * m) }'; then
		ok "1e9 connections/s: $a attempts in 100 us (1e5 +- 1230)"
	else
		bad "1e9 connections/s: $a attempts in 100 us, expected 1e5 +- 1230"
	fi
else
	bad "1e9 connections/s ends" "$T/hr-err"
fi
# constant arrivals at 1e10/s (a gap of 0.1 ns): exactly 1e5 in 10 us
if to 120 "$BIN" run "$T/good.ini" --set workload.rate=1e10 --set workload.arrival=constant --duration 10us \
	--sample 10us -q --out "$T/hr2" 2>"$T/hr-err"; then
	a=$(metric "$T/hr2" conn.attempts)
	[ "$a" -ge 99999 ] && [ "$a" -le 100001 ] && ok "1e10 constant arrivals/s: $a in 10 us" ||
		bad "1e10 constant arrivals/s: $a in 10 us, expected 1e5"
else
	bad "1e10 constant arrivals/s ends" "$T/hr-err"
fi

# ---- 5. 10^6 requests of 5.12 h -------------------------------------------
# 10^6 x 18446744073710 ns is just over 2^64 ns: wrapped, it closed after
# 0.45 ms.  The connections must stay ESTABLISHED: no TIME_WAIT in 2 s.
if "$BIN" run "$T/good.ini" --set workload.requests=1000000 --set workload.life_mean=18446744073710ns -q \
	--out "$T/long" 2>"$T/long-err"; then
	tw=$(metric "$T/long" client.TcpExtTW) est=$(metric "$T/long" conn.established)
	[ "$tw" -eq 0 ] && [ "$est" -gt 0 ] && ok "10^6 requests of 5.12 h: $est connections, none closed" ||
		bad "10^6 requests of 5.12 h: $tw of $est connections closed"
else
	bad "10^6 requests of 5.12 h" "$T/long-err"
fi

# ---- 6. a path delay equal to a retransmission timer's ----------------------
# Two 500 ms links make a segment's delay 1 s, the SYN's RTO: both families
# of events share one lane, and the RTO's expiries are rounded later on the
# timer wheel.  Segments pushed behind them ran time backwards (an abort).
if "$BIN" run "$T/good.ini" --set client.link_delay=500ms --set server.link_delay=500ms --duration 20s -q \
	--out "$T/rto" 2>"$T/rto-err"; then
	est=$(metric "$T/rto" conn.established)
	[ "$est" -gt 0 ] && ok "1 s path delay beside a 1 s RTO: runs, $est connections" ||
		bad "1 s path delay beside a 1 s RTO: no connection"
else
	bad "1 s path delay beside a 1 s RTO" "$T/rto-err"
fi
# The same family through the application's close timer: a fixed 1 s life.
if "$BIN" run "$T/good.ini" --set workload.life=fixed --set workload.life_mean=1s --duration 20s -q \
	--out "$T/life1" 2>"$T/life1-err"; then
	ok "a fixed 1 s life beside a 1 s RTO: runs"
else
	bad "a fixed 1 s life beside a 1 s RTO" "$T/life1-err"
fi

summary robust
