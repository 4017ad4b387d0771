# The harness every command-line test script shares (sourced, after set -u):
# BIN, the binary under test ($CONNSIM, else ./connsim); T, a temporary
# directory removed at exit; ok/bad, which count and print one check each
# (bad shows FILE, indented, when given); summary NAME, the closing line
# "NAME: N passed, M failed", and the script's status.
BIN=${CONNSIM:-./connsim}
T=$(mktemp -d)
# chmod first: a test may leave an unreadable file or directory behind
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/     /' "$2"; return 0; }
summary() { echo "$1: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
