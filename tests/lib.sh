# The harness every command-line test script shares (sourced, after set -u):
# BIN, the binary under test ($CONNSIM, else ./connsim); T, a temporary
# directory removed at exit; ok/bad, which count and print one check each
# (bad shows FILE, indented, when given); summary NAME, the closing line
# "NAME: N passed, M failed", and the script's status; col and within99
# (below) read a run's summary and compare a rate with a formula.
BIN=${CONNSIM:-./connsim}
T=$(mktemp -d)
# chmod first: a test may leave an unreadable file or directory behind
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/     /' "$2"; return 0; }
summary() { echo "$1: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

col() { # col DIR NAME: a column of DIR/summary.csv
	awk -F, -v n="$2" '/^#/ { next } !h { for (i = 1; i <= NF; i++) if ($i == n) c = i; h = 1; next } { print $c }' \
		"$1/summary.csv"
}

# within99 DIV F [RES]: reads one value per replication (2 to 10 of them),
# each divided by DIV (a count over a window of DIV seconds: a rate), and
# prints their mean with the half-width of its 99 % interval (Student's t,
# widened by the values' resolution RES, 1/DIV unless given); succeeds when
# F lies in that interval.
within99() {
	awk -v w="$1" -v f="$2" -v res="${3:-}" '
		BEGIN { split("63.657 9.925 5.841 4.604 4.032 3.707 3.499 3.355 3.250", t, " ") }  # t(0.995, 1..9)
		{ x[NR] = $1 / w; s += x[NR] }
		END {
			n = NR
			if (n < 2 || n > 10) { printf "%d replications, not 2 to 10", n; exit 2 }
			m = s / n
			for (i = 1; i <= n; i++) v += (x[i] - m) ^ 2
			hw = t[n - 1] * sqrt(v / (n - 1)) / sqrt(n) + (res == "" ? 1 / w : res)
			printf "%.4f +- %.4f", m, hw
			exit (m - f > hw || f - m > hw)
		}'
}
