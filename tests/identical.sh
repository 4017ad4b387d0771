#!/bin/sh
# Outputs of every experiment and test scenario, for checking that a change
# (a refactoring, a speed change) leaves every result byte-identical.
#
#   sh tests/identical.sh BIN DIR [quick]
#
# writes into DIR, with BIN as connsim: for every experiment
# `run` with seeds 1, 2 and 3 (timeseries, summary, chains), and
# for every experiment with a [sweep] section its curve with --jobs 2 (the
# experiment's reps) and --jobs 1 (--reps 2).  'quick' skips the sweeps.
# Version and command lines are removed, so two builds' DIRs compare with
# `diff -r OLD NEW`.
set -eu
BIN=$1 DIR=$2 MODE=${3:-full}
mkdir -p "$DIR"
strip() {  # the provenance lines that name the build and the command
	for f in "$1"/*.csv; do
		[ -f "$f" ] || continue
		sed -e '1{/^# connsim .*:/d}' -e '/^# command:/d' "$f" > "$f.s" && mv "$f.s" "$f"
	done
}
for e in experiments/*.ini; do
	n=$(basename "$e" .ini)
	for s in 1 2 3; do
		"$BIN" run "$e" --seed $s --quiet --out "$DIR/run-$n-$s" >/dev/null
		strip "$DIR/run-$n-$s"
	done
	if [ "$MODE" != quick ] && grep -q '^\[sweep\]' "$e"; then
		"$BIN" sweep "$e" --jobs 2 --quiet --out "$DIR/sweep2-$n" >/dev/null
		"$BIN" sweep "$e" --jobs 1 --reps 2 --quiet --out "$DIR/sweep1-$n" >/dev/null
		strip "$DIR/sweep2-$n"
		strip "$DIR/sweep1-$n"
	fi
done
echo "outputs of $BIN in $DIR"
