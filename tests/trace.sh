#!/bin/sh
# connsim trace: the terminal ladder of every built-in scenario against its
# golden file, the rules each scenario exists to show, the scenario file
# format (a printed built-in traces the same; bad lines are named), and the
# options.  Run from the repository root:
#   CONNSIM=./connsim sh tests/trace.sh
# UPDATE=1 rewrites the golden files from the binary: then read the diff
# line by line against the kernel functions the rule lines cite.
set -u
. "$(dirname "$0")/lib.sh"

names=$("$BIN" trace --list | awk '{print $1}')
[ -n "$names" ] && ok "trace --list names scenarios" || bad "trace --list printed nothing"

# 1. Golden files: tests/golden/trace-NAME.txt is `connsim trace NAME --no-color`;
# every built-in has one and every one is a built-in.
for n in $names; do
	g=tests/golden/trace-$n.txt
	if [ "${UPDATE:-0}" = 1 ]; then
		"$BIN" trace "$n" --no-color > "$g"
		continue
	fi
	"$BIN" trace "$n" --no-color > "$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "golden $n: exit $rc" "$T/err"
	elif [ ! -f "$g" ]; then
		bad "built-in $n has no golden file $g"
	elif ! diff -u "$g" "$T/out" > "$T/diff"; then
		bad "golden $n differs from the binary's output" "$T/diff"
	else
		ok "golden $n"
	fi
done
for g in tests/golden/trace-*.txt; do
	n=$(basename "$g" .txt)
	n=${n#trace-}
	echo "$names" | grep -qx "$n" || bad "golden file $g names no built-in scenario"
done

# 2. What each scenario is there to show, line by line (a golden file could
# be regenerated wrong; these say what must be in it).
has() {  # has NAME REGEX: the ladder of NAME has a line matching REGEX
	if grep -Eq "$2" "tests/golden/trace-$1.txt"; then ok "$1: $3"; else bad "$1: $3 (no line /$2/)"; fi
}
hasnt() {
	if grep -Eq "$2" "tests/golden/trace-$1.txt"; then bad "$1: $3 (a line /$2/)"; else ok "$1: $3"; fi
}
has client-closes 'client +state FIN_WAIT2' "the active closer passes FIN_WAIT2"
has client-closes 'client +state TIME_WAIT' "the active closer enters TIME_WAIT"
has client-closes 'rule: TIME_WAIT for 60 s, rounded up to 61\.[0-9]+ s by the timer wheel.s slot \(tcp_time_wait, inet_twsk_schedule\)' "60 s, rounded up by the wheel"
has client-closes '^ +6[01]\.[0-9]+ +client +state CLOSE' "TIME_WAIT ends after 60 to 62 s"
has client-closes 'server +state LAST_ACK' "the passive closer passes LAST_ACK"
hasnt client-closes 'server +state TIME_WAIT' "the passive closer keeps no TIME_WAIT"
has server-closes 'server +state TIME_WAIT' "the server holds the TIME_WAIT"
has server-closes 'client +state LAST_ACK' "the client passes LAST_ACK"
has simultaneous-close 'client +rule: FIN in FIN_WAIT1: simultaneous close, CLOSING \(tcp_fin\)' "the client goes to CLOSING"
has simultaneous-close 'server +state CLOSING' "the server goes to CLOSING"
has simultaneous-close 'server +state TIME_WAIT' "both hold a TIME_WAIT (server)"
has simultaneous-close 'client +state TIME_WAIT' "both hold a TIME_WAIT (client)"
has lost-final-ack 'client +-> server +ACK .* X dropped \(staged\)' "the final ACK is dropped"
has lost-final-ack 'server +rule: FIN retransmitted \(retry 1\): RTO of 200 ms expired \(tcp_retransmit_timer\)' "LAST_ACK retransmits its FIN"
has lost-final-ack 'client +rule: old segment in TIME_WAIT: ACK it, restart the 60 s timer \(tcp_timewait_state_process\)' "TIME_WAIT ACKs it"
has rst-close 'client +-> server +RST\+ACK' "SO_LINGER 0 sends RST"
hasnt rst-close 'state TIME_WAIT' "no TIME_WAIT after an abort"
has tw-reuse 'rule: port 40000 taken over from a TIME_WAIT: tw_reuse, 2\.900 s since it began \(> tcp_tw_reuse_delay\) \(tcp_twsk_unique\)' "tw_reuse takes the port"
has tw-reuse '3\.000300 +server +state ESTABLISHED +\[#2\]' "the second connection is established"
has syn-to-server-tw 'server +rule: SYN accepted in TIME_WAIT: TSval newer than ts_recent \(tcp_timewait_state_process\)' "the SYN is accepted"
has syn-to-server-tw-ack 'server +rule: SYN answered with an ACK in TIME_WAIT' "the SYN is answered with an ACK"
has syn-to-server-tw-ack 'client +-> server +RST ' "SYN_SENT answers with RST"
has syn-to-server-tw-ack 'server +rule: RST kills the TIME_WAIT: tcp_rfc1337 = 0' "which kills the TIME_WAIT"
has rfc1337-assassination 'server +rule: no socket for this segment: answered with RST \(tcp_v4_send_reset\)' "the closed server answers with RST"
has rfc1337-assassination '^ +5\.[0-9]+ +client +state CLOSE' "the TIME_WAIT dies 5 s in"
has rfc1337-protected 'client +rule: RST ignored in TIME_WAIT: tcp_rfc1337 = 1' "the RST is ignored"
has rfc1337-protected '^ +65\.[0-9]+ +client +state CLOSE' "the TIME_WAIT runs 60 s from its restart"
has recycle-nat 'server +rule: TIME_WAIT cut to 3\.5 RTO = 700 ms: tw_recycle' "tw_recycle shortens the TIME_WAIT"
has recycle-nat 'server +rule: SYN dropped: tw_recycle, TSval older than the one cached for this peer address' "client1's SYN is dropped"
hasnt recycle-nat 'server +state SYN_RECV +\[#2\]' "client1 never gets an answer"
has conntrack-full 'firewall +rule: table full: early_drop evicted an unassured entry \(early_drop\)' "early_drop evicts"
has conntrack-full 'firewall +rule: packet dropped: table full, no early_drop candidate in 8 buckets \(early_drop\)' "then finds none"
has conntrack-full 'client +-> firewall SYN .* X dropped: conntrack table full +\[#4\]' "connection 4's SYN is dropped"
has snat-tw-evict 'nat +rule: SNAT port 5000 held by an entry in TIME_WAIT: evicted' "the TIME_WAIT entry is evicted"
has snat-tw-evict 'SNAT 10\.0\.0\.2:[0-9]+ -> 203\.0\.113\.1:5000' "client2 gets the same tuple"

# 3. The format: a built-in printed with --print-scenario traces the same
# from a file; the same seed gives the same ladder, another seed other clocks.
"$BIN" trace --print-scenario lost-final-ack > "$T/s.trace"
"$BIN" trace "$T/s.trace" --no-color > "$T/a" 2>&1 && "$BIN" trace lost-final-ack --no-color > "$T/b" 2>&1
if cmp -s "$T/a" "$T/b"; then ok "a printed built-in traces the same from its file"; else bad "printed built-in traces differently"; fi
"$BIN" trace lost-final-ack --no-color --seed 2 > "$T/c" 2>&1
if ! cmp -s "$T/b" "$T/c" && grep -q 'FIN retransmitted' "$T/c"; then ok "--seed 2: other clocks, same story"; else bad "--seed 2 changed nothing or the story"; fi

# A file of the user's own: a second client behind a NAT, a delayed segment.
cat > "$T/own.trace" <<'EOT'
title two clients behind a NAT   # a comment
set client.count=2
set nat.addresses=203.0.113.9
at 0 client1 connect
at 0 client2 connect
delay client2 SYN 1 300ms
at 1s client2 close 2
at 1s server close 1
EOT
"$BIN" trace "$T/own.trace" --no-color > "$T/own" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'lanes: client1 10.0.0.1, client2 10.0.0.2, nat 203.0.113.9, server' "$T/own" &&
   grep -Eq 'client2 +staged: this segment arrives 300 ms late' "$T/own" &&
   grep -Eq '0\.000000 +client2 +-> nat +SYN .*\(at 0\.300070\)' "$T/own" &&
   grep -Eq 'server +state TIME_WAIT +\[#1\]' "$T/own" && grep -Eq 'client2 +state TIME_WAIT +\[#2\]' "$T/own"; then
	ok "a user's scenario: two clients, a NAT, a staged delay, closes by connection number"
else
	bad "a user's scenario (exit $rc)" "$T/own"
fi
if grep -q "$(printf '\033')" "$T/own"; then bad "--no-color output has escapes"; else ok "--no-color: no escapes"; fi

# 4. Bad input: exit 2, one message naming the file and line (or the option).
badcase() {  # badcase NAME EXPECTED-REGEX FILE-TEXT
	printf '%s\n' "$3" > "$T/bad.trace"
	"$BIN" trace "$T/bad.trace" > "$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$T/out" ] && grep -Eq "$2" "$T/err"; then ok "bad input: $1"; else bad "bad input: $1 (exit $rc)" "$T/err"; fi
}
badcase "unknown statement" 'bad\.trace:2: unknown statement .frobnicate.' "at 0 client connect
frobnicate 3"
badcase "bad flags" "bad\.trace:2: 'SYN\+FOO': flags are" "at 0 client connect
drop client SYN+FOO"
badcase "bad time" 'bad\.trace:1: expected: at TIME HOST' "at soon client connect"
badcase "nothing to trace" 'nothing to trace' "title empty"
badcase "a client the scenario lacks" 'bad\.trace:1: client3: the scenario has 1 client host' "at 0 client3 connect"
badcase "a bad setting names its line" 'bad\.trace:2' "at 0 client connect
set client.sysctl.net.ipv4.tcp_tw_reuse=7"
"$BIN" trace no-such-scenario > "$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "neither a built-in scenario" "$T/err"; then ok "unknown scenario: exit 2"; else bad "unknown scenario (exit $rc)" "$T/err"; fi
"$BIN" trace --bogus > "$T/out" 2>"$T/err"
[ $? -eq 2 ] && ok "unknown option: exit 2" || bad "unknown option"
"$BIN" trace --help > "$T/out" 2>&1
if [ $? -eq 0 ] && grep -q 'Exit status' "$T/out" && grep -q 'drop HOST FLAGS' "$T/out"; then ok "--help: examples, format, exit status"; else bad "--help" "$T/out"; fi

summary trace
