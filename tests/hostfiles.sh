#!/bin/sh
# Hosts' sysctl files read as the hosts are: a real `sysctl -a` of a 4.4 and
# of a 6.18 host (tests/data/README says where they come from) choose the
# profile, memory and ehash size; what they set shows in --dry-run with its
# source; conntrack settings without a box warn; --sysctl HOST:FILE prefixes.
# The expected values are read from the files themselves.  Run from the
# repository root:
#   CONNSIM=./connsim sh tests/hostfiles.sh
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data
F4=$D/sysctl-a-4.4.txt
F6=$D/sysctl-a-6.18.txt
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$T/stdout"; sed 's/^/     stderr: /' "$T/stderr"; fi; }

cat > "$T/good.ini" <<'INI'
[experiment]
duration = 2s
sample = 500ms

[workload]
rate = 200
life_mean = 10ms
INI
# mk NAME LINE...: good.ini with LINEs appended from line 8
mk() { f="$T/$1.ini"; shift; cp "$T/good.ini" "$f"; printf '%s\n' "$@" >> "$f"; echo "$f"; }

# val FILE NAME: a sysctl's value in a dump (indent and tabs as the dump has them)
val() { sed -n "s/^ *$2 = //p" "$1" | head -1 | tr '\t' ' '; }
# line FILE NAME: its line number
line() { grep -n "^ *$2 = " "$1" | head -1 | cut -d: -f1; }
# dry ARGS...: connsim run --dry-run into $T/stdout, $T/stderr
dry() { "$BIN" run "$@" --dry-run >"$T/stdout" 2>"$T/stderr"; }
# has SECTION NAME VALUE SOURCE: the dry run shows it in that section
has() {
	awk -v s="[$1]" '/^\[/ { in_s = ($0 == s) } in_s' "$T/stdout" |
		grep -qxF "  $2 = $3   ($4)"
}

# The profile each release stands for (prof_for_release), by the release's line.
for f in "$F4" "$F6"; do
	rel=$(val "$f" kernel.osrelease)
	case $rel in 4.4.*) want=4.4 ;; 6.18.*) want=6.15 ;; *) want=unknown ;; esac
	ln=$(line "$f" kernel.osrelease)
	dry "$T/good.ini" --sysctl "$f" || bad "$rel: --dry-run failed" "$T/stderr"
	if has client profile "$want" "--sysctl $f:$ln" && has server profile "$want" "--sysctl $f:$ln" &&
	   grep -qF "connsim: $f: kernel.osrelease $rel: profile $want for client and server (override with --profile or [client] profile)" "$T/stderr"; then
		ok "$rel selects profile $want, said on stderr"
	else
		bad "$rel selects profile $want, said on stderr" "$T/stderr"
	fi
	# the port range the scenario uses is the file's
	pr=$(val "$f" net.ipv4.ip_local_port_range | tr -s ' ')
	pl=$(line "$f" net.ipv4.ip_local_port_range)
	check "$rel: port range $pr from line $pl" has client net.ipv4.ip_local_port_range "$pr" "--sysctl $f:$pl"
	# memory from kernel.threads-max (RAM / 128 KiB), ehash from tcp_max_tw_buckets (ehash / 2)
	tm=$(val "$f" kernel.threads-max)
	mem=$(awk -v t="$tm" 'BEGIN { printf "%.17g", t / 8192 }')
	tw=$(val "$f" net.ipv4.tcp_max_tw_buckets)
	check "$rel: memory $mem GiB from kernel.threads-max $tm" \
		has server memory "$mem" "--sysctl $f:$(line "$f" kernel.threads-max)"
	check "$rel: ehash $((2 * tw)) entries = 2 x tcp_max_tw_buckets" has client ehash_entries "$((2 * tw))" "derived from memory"
	check "$rel: the inferred ehash said on stderr" \
		grep -qF "$f: net.ipv4.tcp_max_tw_buckets $tw: ehash $((2 * tw)) entries for client and server" "$T/stderr"
	check "$rel: the HZ assumed is said, and shown as the default" \
		sh -c "grep -qF 'CONFIG_HZ is not in sysctl: HZ 250 assumed for client and server' '$T/stderr' && grep -qxF '  hz = 250   (default)' '$T/stdout'"
done

# An explicit profile wins over the file: --profile, --set, the experiment's [client].
dry "$T/good.ini" --sysctl "$F4" --profile 4.12
check "--profile wins over kernel.osrelease, and says so" sh -c "! grep -q '  profile = 4.4 ' '$T/stdout' && [ \$(grep -c '  profile = 4.12   (--profile)' '$T/stdout') -eq 2 ] && grep -qxF 'connsim: --profile 4.12 wins over the profiles the sysctl files select' '$T/stderr'"
dry "$T/good.ini" --sysctl "$F4" --set client.profile=5.15
check "--set client.profile wins for the client only" \
	sh -c "grep -qxF '  profile = 5.15   (--set)' '$T/stdout' && grep -qF 'profile 4.4 for server' '$T/stderr' && grep -qF 'the profile given for client wins' '$T/stderr'"
has server profile 4.4 "--sysctl $F4:$(line "$F4" kernel.osrelease)" && ok "... and the file's for the server" || bad "... and the file's for the server" "$T/stdout"
f=$(mk explicit '[client]' 'profile = 3.10')
dry "$f" --sysctl "$F4"
check "[client] profile in the experiment wins over the file" has client profile 3.10 "$f:9"

# A host-only file: client: sets the client's profile, not the server's.
dry "$T/good.ini" --sysctl "client:$F4"
check "client:FILE: the client's profile only" \
	sh -c "grep -qxF '  profile = current   (default)' '$T/stdout' && grep -qF 'profile 4.4 for client (override with --profile or [client] profile)' '$T/stderr'"

# The experiment's own sysctl_file for one host.
f=$(mk named '[server]' "sysctl_file = $PWD/$F6")
dry "$f"
check "[server] sysctl_file: the server's profile from its osrelease" \
	has server profile 6.15 "sysctl file $PWD/$F6:$(line "$F6" kernel.osrelease)"

# HZ is a per-host key; --set works on it.
dry "$T/good.ini" --sysctl "$F6" --set client.hz=1000
check "--set client.hz=1000 shows in --dry-run, the server keeps the default" \
	sh -c "grep -qxF '  hz = 1000   (--set)' '$T/stdout' && grep -qxF '  hz = 250   (default)' '$T/stdout' && grep -qF 'HZ 250 assumed for server' '$T/stderr'"

# An ehash the memory does not give: thash_entries takes the file's size;
# an explicit memory wins.
printf 'kernel.osrelease = 5.15.0-91-generic\nnet.ipv4.tcp_max_tw_buckets = 4096\n' > "$T/small.conf"
dry "$T/good.ini" --sysctl "$T/small.conf"
check "tcp_max_tw_buckets 4096 sets ehash 8192 (thash_entries)" \
	sh -c "grep -qxF '  ehash_entries = 8192   (--sysctl $T/small.conf:2)' '$T/stdout' && grep -qF 'ehash 8192 entries for client and server (as thash_entries' '$T/stderr'"
dry "$T/good.ini" --sysctl "$T/small.conf" --set client.memory=4
check "an explicit memory wins over tcp_max_tw_buckets" \
	sh -c "grep -qxF '  ehash_entries = 32768   (derived from memory)' '$T/stdout' && grep -qF 'the memory given for client gives 32768' '$T/stderr'"
printf 'net.ipv4.tcp_max_tw_buckets = 5000\n' > "$T/tuned.conf"
dry "$T/good.ini" --sysctl "$T/tuned.conf"
check "a tuned tcp_max_tw_buckets (not a power of two) leaves ehash to memory" \
	sh -c "grep -qF 'is not a kernel default' '$T/stderr' && grep -qxF '  ehash_entries = 131072   (derived from memory)' '$T/stdout'"

# Conntrack settings without a box: one warning per file, naming the fix.
ctl=$(grep -n '^ *net\.netfilter\.nf_conntrack_buckets = ' "$F6" | cut -d: -f1)
dry "$T/good.ini" --sysctl "$F6"
check "a sysctl -a with conntrack values and no box: one warning naming the fix" \
	sh -c "[ \$(grep -c 'warning:' '$T/stderr') -eq 1 ] && grep -qF 'connsim: warning: $F6:$ctl: net.netfilter.nf_conntrack_buckets: nf_conntrack settings have no effect: the experiment has no [firewall] or [nat] box; add a [firewall] section, or load the file with --sysctl firewall:$F6' '$T/stderr'"
f=$(mk ctnobox '[sysctl]' 'net.netfilter.nf_conntrack_max = 1000' 'net.netfilter.nf_conntrack_tcp_timeout_time_wait = 30')
dry "$f"
check "[sysctl] conntrack settings and no box: one warning naming the line" \
	sh -c "[ \$(grep -c 'warning:' '$T/stderr') -eq 1 ] && grep -qF 'warning: $f:9: net.netfilter.nf_conntrack_max: nf_conntrack settings have no effect: the experiment has no [firewall] or [nat] box' '$T/stderr'"
fw=$(mk fw '[firewall]' 'delay = 20us')
dry "$fw" --sysctl "$F4"
check "with a [firewall] box: no warning, the box takes the file's conntrack sizes" \
	sh -c "! grep -q warning '$T/stderr' && grep -qxF '  net.netfilter.nf_conntrack_buckets = $(val "$F4" net.netfilter.nf_conntrack_buckets)   (--sysctl $F4:$(line "$F4" net.netfilter.nf_conntrack_buckets))' '$T/stdout'"
f=$(mk ctbox '[firewall]' '[sysctl]' 'net.netfilter.nf_conntrack_max = 1000')
dry "$f"
check "[sysctl] conntrack settings with a box: no warning" sh -c "! grep -q warning '$T/stderr'"

# Warnings never change outputs: a conntrack setting that acts nowhere
# leaves every data line as it was.
rm -rf "$T/o1" "$T/o2"
printf 'net.netfilter.nf_conntrack_max = 77\n' > "$T/ct.conf"
if "$BIN" run "$T/good.ini" --out "$T/o1" -q 2>/dev/null && "$BIN" run "$T/good.ini" --sysctl "$T/ct.conf" --out "$T/o2" -q 2>"$T/stderr" &&
   grep -q 'warning:' "$T/stderr"; then
	same=1
	for o in "$T"/o1/*; do
		# the header records the inputs (the command, the values given); the data must not move
		grep -v '^#' "$o" > "$T/a"; grep -v '^#' "$T/o2/$(basename "$o")" > "$T/b"
		cmp -s "$T/a" "$T/b" || same=0
	done
	[ "$same" -eq 1 ] && ok "the no-box warning changes no output" || bad "the no-box warning changes no output"
else
	bad "the no-box warning changes no output" "$T/stderr"
fi

# firewall: and nat: prefixes: the box's sysctl section.
dry "$fw" --sysctl "firewall:$F4"
check "firewall:FILE: the box's profile and conntrack, not the hosts'" \
	sh -c "grep -qF 'profile 4.4 for firewall' '$T/stderr' && [ \$(grep -c '  profile = current   (default)' '$T/stdout') -eq 2 ] && ! grep -q warning '$T/stderr'"
has firewall profile 4.4 "--sysctl $F4:$(line "$F4" kernel.osrelease)" && ok "... shown in [firewall]" || bad "... shown in [firewall]" "$T/stdout"
nat=$(mk nat '[nat]' 'addresses = 203.0.113.1')
dry "$nat" --sysctl "nat:$F6"
check "nat:FILE: the NAT box's profile and conntrack max" \
	sh -c "grep -qF 'profile 6.15 for nat' '$T/stderr' && grep -qF '  net.netfilter.nf_conntrack_max = $(val "$F6" net.netfilter.nf_conntrack_max)   (--sysctl $F6:' '$T/stdout'"

# Errors: one line, exit 2, nothing written.
expect_error() {
	name=$1 pat=$2
	shift 2
	rm -rf "$T/out"
	"$BIN" "$@" --out "$T/out" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l < "$T/stderr")" -eq 1 ] && grep -Eq -- "$pat" "$T/stderr" && [ ! -e "$T/out" ]; then
		ok "$name"
	else
		bad "$name (exit $rc)" "$T/stderr"
	fi
}
expect_error "nat:FILE without a [nat] box" "^connsim: --sysctl nat:.*: the experiment has no \[nat\] box; add a \[nat\] section" \
	run "$T/good.ini" --sysctl "nat:$F4"
expect_error "firewall:FILE without a [firewall] box" "the experiment has no \[firewall\] box; add a \[firewall\] section" \
	run "$T/good.ini" --sysctl "firewall:$F4"
expect_error "an unknown prefix" "^connsim: --sysctl router:.*: unknown host 'router' \(expected FILE, or client:, server:, nat: or firewall:" \
	run "$T/good.ini" --sysctl "router:$F4"
printf 'kernel.osrelease = banana\n' > "$T/banana.conf"
expect_error "an osrelease that is no release" "banana\.conf:1: kernel.osrelease = 'banana': expected a kernel release" \
	run "$T/good.ini" --sysctl "$T/banana.conf"
# (after the notes of what the file set: the error is the last line)
rm -rf "$T/out"
"$BIN" run "$T/good.ini" --sysctl "$F6" --profile 4.4 --out "$T/out" >"$T/stdout" 2>"$T/stderr"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -e "$T/out" ] && tail -1 "$T/stderr" |
   grep -Eq "sysctl-a-6\.18\.txt:$(line "$F6" net.ipv4.tcp_tw_reuse): \[sysctl\] net.ipv4.tcp_tw_reuse = '2': value 2 \(loopback only\) exists from Linux 4.19"; then
	ok "a 6.18 file on hosts said to be 4.4: its tcp_tw_reuse = 2 is an error naming the line"
else
	bad "a 6.18 file on hosts said to be 4.4: its tcp_tw_reuse = 2 is an error naming the line (exit $rc)" "$T/stderr"
fi

summary hostfiles
