#!/bin/sh
# The layers run one way: sim/ (the engine, config reading, output) <- models/
# (one module per kernel mechanism) <- cmd/ (the commands).  This fails,
# naming file and line, when
#   - a file in sim/ names a kernel mechanism or setting (a sysctl, a TCP
#     name, conntrack, TIME_WAIT: the engine knows none of them), or
#     includes a models/ or cmd/ header;
#   - a file in models/ includes a cmd/ header;
#   - a file in cmd/ includes models/ct.h or models/box.h (commands reach
#     conntrack and the boxes through the world and the measurement module).
#
#   sh tests/layers.sh [DIR]      (DIR: the top of the tree, default .)
# `make check` runs it (make check-layers).
set -u
cd "${1:-.}" || exit 2
status=0

# rule GREP-OPTIONS PATTERN WHY FILE...: every match is a violation
rule() {
	opts=$1 pat=$2 why=$3
	shift 3
	[ $# -gt 0 ] || return 0
	out=$(grep -n -H $opts -e "$pat" "$@")
	[ -n "$out" ] || return 0
	printf '%s\n' "$out" | while IFS= read -r l; do
		# file:line: why: the line as written
		f=${l%%:*} r=${l#*:}
		n=${r%%:*} t=${r#*:}
		printf '%s:%s: %s: %s\n' "$f" "$n" "$why" "$(printf '%s' "$t" | sed 's/^[[:space:]]*//')"
	done >&2
	status=1
}

# the files of a directory, *.c and *.h (none: nothing)
files() { for f in "$1"/*.[ch]; do [ -f "$f" ] && printf '%s\n' "$f"; done; }

# Kernel names, in any case: sysctl and its paths, nf_conntrack_*, tcp_*
# (functions and settings), the TcpExt counters, and the mechanisms themselves.
KERNEL='sysctl|net\.ipv4|net\.netfilter|nf_conntrack|tcp_[a-z]|tcpext|\<tcp\>|time_?wait|conntrack'

# shellcheck disable=SC2046  # file names have no spaces
rule -iE "$KERNEL" "sim/ names a kernel mechanism or setting" $(files sim)
rule -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<](models|cmd)/' \
	"sim/ includes a models/ or cmd/ header" $(files sim)
rule -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]cmd/' \
	"models/ includes a cmd/ header" $(files models)
rule -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]models/(ct|box)\.h' \
	"cmd/ includes conntrack's or the boxes' header" $(files cmd)

[ $status -eq 0 ] || echo "layers.sh: the layers above are crossed (sim/ <- models/ <- cmd/)" >&2
exit $status
