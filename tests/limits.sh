#!/bin/sh
# Input limits and parser hardening, through the real binary (connsim issue
# 17, items 4, 5 and 9): combinations refused from an estimate before
# anything is allocated (hosts x tables, rate x duration, a sweep's points x
# replications, --max-memory), what the format does not define refused at
# its line, inputs that are not regular files refused at once, client
# addresses that would wrap, and a full disk named as such.  Every refusal
# exits 2, says file:line and key (or the option) and leaves no output.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/limits.sh
set -u
BIN=${CONNSIM:-./connsim}
T=$(mktemp -d)
MNT=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2"; }

# refused NAME SECONDS REGEX -- ARGS...: exit 2 within SECONDS, stderr one
# line matching REGEX, no output directory left behind.
refused() {
	name=$1 secs=$2 re=$3
	shift 4
	rm -rf "$T/out"
	timeout "$secs" "$BIN" "$@" --out "$T/out" -q >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [ $rc -ne 2 ]; then
		bad "$name: exit $rc, expected 2 within ${secs}s" "$T/stderr"
	elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -Eq -- "$re" "$T/stderr"; then
		bad "$name: message does not match /$re/" "$T/stderr"
	elif [ -e "$T/out" ] && [ -n "$(ls -A "$T/out")" ]; then
		bad "$name: left output in $T/out"
	else
		ok "$name"
	fi
}

# ---- item 4: estimates before allocation --------------------------------
# 4096 client hosts with the largest established hash: 1 TiB estimated,
# refused at once (it used to abort after 42 s and 8 GiB).
cat > "$T/hosts.ini" <<'INI'
[experiment]
duration = 10s

[client]
count = 4096
thash_entries = 67108864

[server]
addresses = 10.9.0.1
INI
refused "4096 hosts x largest ehash refused from the estimate" 10 \
	"hosts\.ini:5: \[client\] count = '4096': an estimated [0-9.]+ TiB of memory .* is over --max-memory 8G of 8\.0 GiB" \
	-- run "$T/hosts.ini" --max-memory 8G
# also with the default limit (half the available memory), named as such
refused "the default limit is named" 10 "over the memory limit \(half the available memory; --max-memory\)" \
	-- run "$T/hosts.ini"

# the estimate follows the table: the same hosts with a small hash fit 8G
cat > "$T/hosts-small.ini" <<'INI'
[experiment]
duration = 1s

[client]
count = 16
thash_entries = 1024

[server]
addresses = 10.9.0.1

[workload]
rate = 10
INI
if "$BIN" run "$T/hosts-small.ini" --max-memory 8G --out "$T/small" -q 2>"$T/stderr"; then
	ok "16 hosts with small tables run under --max-memory 8G"
else
	bad "16 hosts with small tables refused" "$T/stderr"
fi
# and the default experiment does not fit 2M, does fit 1G
refused "--max-memory below the default experiment's estimate" 10 \
	"default\.ini:[0-9]+: \[[a-z]+\] [a-z_]+ = .*an estimated [0-9.]+ MiB of memory.* over --max-memory 2M of 2\.0 MiB" \
	-- run experiments/default.ini --max-memory 2M
if "$BIN" run experiments/default.ini --max-memory 1G --out "$T/d" -q 2>"$T/stderr"; then
	ok "the default experiment runs under --max-memory 1G"
else
	bad "the default experiment refused under 1G" "$T/stderr"
fi
refused "--max-memory takes a size" 5 "--max-memory 'lots': expected a size" \
	-- run experiments/default.ini --max-memory lots
refused "--max-memory refuses hexadecimal" 5 "--max-memory '0x10G': expected a size" \
	-- run experiments/default.ini --max-memory 0x10G

# rate x duration: events over the cap
cat > "$T/rate.ini" <<'INI'
[experiment]
duration = 1h

[workload]
rate = 1e9
INI
refused "rate x duration over the event cap" 5 \
	"rate\.ini:5: \[workload\] rate = '1e9': an estimated [0-9.e+]+ events \(rate x duration: 3\.6e\+12 connections\)" \
	-- run "$T/rate.ini"

# a sweep's points x replications: 10,000 x 100,000 refused with the
# estimate before anything is allocated (it crashed allocating 40 GB)
refused "sweep of 10000 points x 100000 replications" 10 \
	"10000 points x 100000 replications: an estimated [0-9.]+ TiB .* over --max-memory 16G of 16\.0 GiB" \
	-- sweep experiments/default.ini --vary workload.rate=1:100:10000 --reps 100000 --max-memory 16G
refused "sweep --max-memory shared by its jobs" 10 "over --max-memory 8M shared by 4 jobs" \
	-- sweep experiments/default.ini --vary workload.rate=1:100:2 --reps 2 --jobs 4 --max-memory 8M

# ---- item 5: what the format does not define ----------------------------
printf '[experiment]\nduration = 1s\n[workload]\nratee[de] = 5\n' > "$T/loc.ini"
refused "a localised key" 5 "loc\.ini:4: \[workload\] ratee\[de\]: a localised key" -- run "$T/loc.ini"
printf '[experiment]\nduration = 1s\n[workload]\nrate = 5\nlife_mean = 1ms\nrate = 6\n' > "$T/dup.ini"
refused "a key repeated in a section" 5 "dup\.ini:6: \[workload\] rate is given twice \(first at line 4\)" \
	-- run "$T/dup.ini"

# ---- item 9 -------------------------------------------------------------
printf '[experiment]\nduration = 1s\n[workload]\nrate = 0x10\n' > "$T/hex.ini"
refused "a hexadecimal number" 5 "hex\.ini:4: \[workload\] rate = '0x10': expected a decimal number" -- run "$T/hex.ini"
printf '[experiment]\nduration = 1s\n[client]\ncount = 010\n' > "$T/oct.ini"
refused "an octal-looking number" 5 "oct\.ini:4: \[client\] count = '010': expected a decimal number" -- run "$T/oct.ini"
printf '[experiment]\nduration = 1e12h\n' > "$T/dur.ini"
refused "an over-limit duration names the limit in its unit" 5 \
	"dur\.ini:2: \[experiment\] duration = '1e12h': expected a duration <= 5e\+06 h$" -- run "$T/dur.ini"
printf '[experiment]\nduration = 0\n' > "$T/dur0.ini"
refused "a zero duration says 1 us, not 1e-06 s" 5 "expected a duration >= 1 us such as" -- run "$T/dur0.ini"

# a UTF-8 byte-order mark: the same run as without it
printf '[experiment]\nduration = 2s\nseed = 3\n[workload]\nrate = 50\nlife_mean = 10ms\n' > "$T/plain.ini"
printf '\357\273\277' | cat - "$T/plain.ini" > "$T/bom.ini"
if "$BIN" run "$T/plain.ini" --out "$T/p" -q && "$BIN" run "$T/bom.ini" --out "$T/b" -q 2>"$T/stderr" &&
	[ "$(grep -v '^#' "$T/p/summary.csv")" = "$(grep -v '^#' "$T/b/summary.csv")" ]; then
	ok "a byte-order mark is skipped: the same summary"
else
	bad "a file with a byte-order mark" "$T/stderr"
fi

refused "/dev/zero as input, at once" 5 "/dev/zero: cannot read: a character device, not a regular file" \
	-- run /dev/zero
mkfifo "$T/fifo"
refused "a FIFO with no writer, at once" 5 "fifo: cannot read: a FIFO, not a regular file" -- run "$T/fifo"
refused "a FIFO as a --sysctl file" 5 "fifo: cannot read: a FIFO" -- run experiments/default.ini --sysctl "$T/fifo"
truncate -s 17M "$T/huge.ini"
refused "a 17 MiB input" 5 "huge\.ini: 17825792 bytes: larger than the 16 MiB" -- run "$T/huge.ini"

printf '[experiment]\nduration = 1s\n[client]\naddress = 255.255.255.250\ncount = 10\n[server]\naddresses = 10.0.0.1\n' \
	> "$T/wrap.ini"
refused "client addresses past 255.255.255.255" 5 \
	"wrap\.ini:4: \[client\] address = '255\.255\.255\.250': \[client\] count = 10 x addresses_per_host = 1 addresses from here run past 255\.255\.255\.255 \(6 fit\)" \
	-- run "$T/wrap.ini"
printf '[experiment]\nduration = 1s\n[client]\naddress = 255.255.255.246\ncount = 10\n[server]\naddresses = 10.0.0.1\n[workload]\nrate = 10\n' \
	> "$T/nowrap.ini"
if "$BIN" run "$T/nowrap.ini" --out "$T/nw" -q 2>"$T/stderr"; then
	ok "ten client addresses ending at 255.255.255.255 run"
else
	bad "ten client addresses ending at 255.255.255.255 refused" "$T/stderr"
fi

# a full disk: "No space left on device" (was "Input/output error").  Needs
# a small file system to fill: a tmpfs, when this user may mount one.
mkdir "$T/full"
if mount -t tmpfs -o size=16k tmpfs "$T/full" 2>/dev/null; then
	MNT="$T/full"
	"$BIN" run experiments/default.ini --out "$T/full/o" -q 2>"$T/stderr"
	rc=$?
	if [ $rc -ne 0 ] && grep -q "cannot write: No space left on device" "$T/stderr" &&
		[ -z "$(find "$T/full/o" -name '*.tmp*' 2>/dev/null)" ]; then
		ok "a full disk is named as such"
	else
		bad "a full disk: exit $rc" "$T/stderr"
	fi
else
	echo "skip a full disk (cannot mount a tmpfs here)"
fi

echo "limits.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
