#!/bin/sh
# connsim explain: golden outputs, defaults that agree with the profile table,
# and bad input.  Run from the repository root:
#   CONNSIM=./connsim sh tests/explain.sh
# UPDATE=1 rewrites the golden files from the binary (then read the diff:
# each golden file was checked against the code and the kernel function it
# cites).
set -u
. "$(dirname "$0")/lib.sh"

# 1. Golden files: tests/golden/explain-NAME.txt is `connsim explain NAME`.
for g in tests/golden/explain-*.txt; do
	name=$(basename "$g" .txt)
	name=${name#explain-}
	if [ "${UPDATE:-0}" = 1 ]; then
		"$BIN" explain "$name" > "$g"
		continue
	fi
	"$BIN" explain "$name" > "$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "golden $name: exit $rc" "$T/err"
	elif ! diff -u "$g" "$T/out" > "$T/diff"; then
		bad "golden $name differs from the binary's output" "$T/diff"
	else
		ok "golden $name"
	fi
done

# 2. The defaults printed are the profile table's, as `connsim profiles`
# prints it (both read models/prof.c), in the output and in the golden file.
"$BIN" profiles > "$T/profiles"
# The table: a header row "rule PROFILE...", then a row per rule whose
# label may have several words; the values are the last NF - 1 - ... columns,
# one per profile, in the header's order.
row() {  # row LABEL: "PROFILE VALUE" lines for the table row with that label
	awk -v label="$1" '
	$1 == "rule" && !np { np = NF - 1; for (i = 2; i <= NF; i++) name[i - 1] = $i; next }
	np && index($0, label " ") == 1 {
		for (i = 1; i <= np; i++) print name[i], $(NF - np + i)
	}' "$T/profiles"
}
row "tcp_tw_reuse default" > "$T/want-reuse"
row "ip_local_port_range lo" > "$T/want-lo"
row "ip_local_port_range hi" > "$T/want-hi"
paste -d " " "$T/want-lo" "$T/want-hi" | awk '{ print $1, $2, $4 }' > "$T/want-range"
# "Default per profile" lines: "  NAME   VALUE ..."
defaults() {
	awk '/^Default per profile/ { on = 1; next } on && /^  / { print; next } { on = 0 }' "$1"
}
"$BIN" explain net.ipv4.tcp_tw_reuse > "$T/reuse"
"$BIN" explain net.ipv4.ip_local_port_range > "$T/range"
defaults "$T/reuse" | awk '{ print $1, $2 }' > "$T/got-reuse"
defaults "$T/range" | awk '{ print $1, $2, $3 }' > "$T/got-range"
if [ "$(wc -l < "$T/want-reuse")" -lt 7 ]; then
	bad "tcp_tw_reuse defaults: could not read connsim profiles" "$T/profiles"
elif ! diff -u "$T/want-reuse" "$T/got-reuse" > "$T/diff"; then
	bad "tcp_tw_reuse defaults differ from connsim profiles" "$T/diff"
else
	ok "tcp_tw_reuse defaults are the profile table's ($(tr '\n' ' ' < "$T/got-reuse"))"
fi
if ! diff -u "$T/want-range" "$T/got-range" > "$T/diff"; then
	bad "ip_local_port_range defaults differ from connsim profiles" "$T/diff"
else
	ok "ip_local_port_range defaults are the profile table's"
fi
g=tests/golden/explain-net.ipv4.tcp_tw_reuse.txt
defaults "$g" | awk '{ print $1, $2 }' > "$T/golden-reuse"
if ! diff -u "$T/want-reuse" "$T/golden-reuse" > "$T/diff"; then
	bad "$g: defaults differ from the profile table" "$T/diff"
else
	ok "golden tcp_tw_reuse defaults match the profile table"
fi

# 3. Other spellings of a name give the same text.
"$BIN" explain net.netfilter.nf_conntrack_max > "$T/a"
for alias in net.ipv4.netfilter.ip_conntrack_max nf_conntrack_max net/netfilter/nf_conntrack_max; do
	"$BIN" explain "$alias" > "$T/b" 2>&1
	if cmp -s "$T/a" "$T/b"; then ok "alias $alias"; else bad "alias $alias" "$T/b"; fi
done
"$BIN" explain TcpExtTW > "$T/a"
"$BIN" explain client.TcpExtTW > "$T/b" 2>&1
if cmp -s "$T/a" "$T/b"; then ok "column name client.TcpExtTW"; else bad "column name client.TcpExtTW" "$T/b"; fi

# 4. Bad input: exit 2 and one line on stderr, nothing on stdout.
# expect_error NAME PATTERN ARGS...
expect_error() {
	name=$1 pat=$2
	shift 2
	"$BIN" explain "$@" > "$T/stdout" 2> "$T/stderr"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		bad "$name: exit $rc, expected 2" "$T/stderr"
	elif [ "$(wc -l < "$T/stderr")" -ne 1 ]; then
		bad "$name: expected one line on stderr" "$T/stderr"
	elif [ -s "$T/stdout" ]; then
		bad "$name: printed on stdout" "$T/stdout"
	elif ! grep -Eq -- "$pat" "$T/stderr"; then
		bad "$name: message does not match /$pat/" "$T/stderr"
	else
		ok "$name"
	fi
}
expect_error "unknown sysctl with hint" "unknown name 'tcp_tw_reus'; did you mean net\.ipv4\.tcp_tw_reuse\?" tcp_tw_reus
expect_error "unknown counter with hint" "unknown name 'TcpExtTWRecyled'; did you mean TcpExtTWRecycled\?" TcpExtTWRecyled
expect_error "unknown name far from all" "unknown name 'zzzzzzzzzzzzzzzz' \(connsim explain --list" zzzzzzzzzzzzzzzz
expect_error "no name" "^usage: connsim explain NAME"
expect_error "two names" "^usage: connsim explain NAME" TcpExtTW TcpExtTWKilled
expect_error "bad option" "Unknown option --nope" --nope

# 5. --list and --help.
"$BIN" explain --list > "$T/list"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^Sysctls:' "$T/list" && grep -q '^Counters:' "$T/list" &&
	grep -q '^  net.ipv4.tcp_tw_reuse$' "$T/list" && grep -q '^  insert_failed$' "$T/list"; then
	ok "--list groups sysctls and counters"
else
	bad "--list (exit $rc)" "$T/list"
fi
"$BIN" explain --help > "$T/help"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'Exit status' "$T/help" && grep -q 'connsim explain TcpExtTWRecycled' "$T/help"; then
	ok "--help with examples and exit status"
else
	bad "--help (exit $rc)" "$T/help"
fi

summary explain.sh
