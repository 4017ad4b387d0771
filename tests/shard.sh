#!/bin/sh
# A sweep split into tasks (connsim sweep --shard / --task) and merged
# (connsim merge) gives the curve of the unsharded sweep, byte for byte
# apart from the provenance lines: with 1, 2 and 3 shards, with a shard
# killed mid-run and run again, and with the tasks run through GNU parallel
# (skipped, with a message, when parallel is not installed; CI installs it).
# Mismatched and incomplete sets are refused with exit 2.  Run from the
# repository root:
#   CONNSIM=./connsim sh tests/shard.sh
set -u
. "$(dirname "$0")/lib.sh"
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac

# A sweep with variants and two --vary keys: 2 variants x 2 x 2 = 8 points,
# 3 replications: 24 tasks of about a tenth of a second.
sweep() {
	"$BIN" sweep experiments/lb.ini --reps 3 --set experiment.duration=120s --set experiment.warmup=5s \
		--vary workload.rate=300,900 --vary workload.life_mean=10ms,100ms \
		--variant baseline --variant 'reuse: net.ipv4.tcp_tw_reuse=1' --jobs 1 --quiet "$@"
}
# The curve without its provenance lines (version and command).
body() { sed -e '1{/^# connsim .*:/d}' -e '/^# command:/d' "$1"; }
# same NAME DIR: DIR's merged curve is the unsharded one
same() {
	if [ ! -f "$2/curve.csv" ]; then
		bad "$1: no curve.csv"
	elif body "$2/curve.csv" | cmp -s - "$T/ref.csv"; then
		ok "$1: the merged curve is the unsharded one"
	else
		body "$2/curve.csv" | diff - "$T/ref.csv" | head -5 > "$T/diff"
		bad "$1: the merged curve differs" "$T/diff"
	fi
}

sweep --out "$T/full" 2>"$T/err" || bad "unsharded sweep" "$T/err"
body "$T/full/curve.csv" > "$T/ref.csv"
[ -s "$T/ref.csv" ] || bad "unsharded sweep: no curve"

n=$(sweep --list-tasks)
[ "$n" = 24 ] && ok "--list-tasks: 24" || bad "--list-tasks: '$n', expected 24 (8 points x 3 reps)"

# N shards, one after another, each into its own directory; merged
for N in 1 2 3; do
	dirs=
	k=0
	while [ $k -lt $N ]; do
		sweep --out "$T/n$N-$k" --shard $k/$N 2>"$T/err" || bad "shard $k/$N" "$T/err"
		dirs="$dirs $T/n$N-$k"
		k=$((k + 1))
	done
	[ -e "$T/n$N-0/curve.csv" ] && bad "$N shards: a shard wrote a curve"
	# shellcheck disable=SC2086
	"$BIN" merge --quiet --out "$T/n$N" $dirs 2>"$T/err" || bad "merge of $N shards" "$T/err"
	same "$N shards" "$T/n$N"
done

# Two shards in one directory at once (as a job array on a shared disk).
sweep --out "$T/both" --shard 0/2 2>"$T/err0" &
p0=$!
sweep --out "$T/both" --shard 1/2 2>"$T/err1"
rc1=$?
wait $p0
rc0=$?
[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] || bad "two shards into one directory: exit $rc0, $rc1" "$T/err0"
"$BIN" merge --quiet "$T/both" 2>"$T/err" || bad "merge of two shards in one directory" "$T/err"
same "2 concurrent shards, one directory" "$T/both"

# A shard killed mid-run (SIGTERM) keeps the tasks it finished and leaves no
# temporary; run again, it runs only the rest.
sweep --out "$T/kill" --shard 0/2 2>"$T/err" &
pk=$!
i=0
while [ $i -lt 600 ] && ! ls "$T/kill/tasks" 2>/dev/null | grep -q '^task-.*\.csv$'; do
	sleep 0.02
	i=$((i + 1))
done
kill -TERM $pk 2>/dev/null
wait $pk 2>/dev/null  # no "Terminated" notice
rc=$?
done_before=$(ls "$T/kill/tasks" | grep -c '^task-.*\.csv$')
tmps=$(ls "$T/kill/tasks" | grep -c 'tmp$')
if [ $rc -eq 143 ] && [ "$done_before" -ge 1 ] && [ "$done_before" -lt 12 ] && [ "$tmps" -eq 0 ]; then
	ok "SIGTERM mid-shard: exit 143, $done_before of 12 tasks kept, no temporary"
else
	bad "SIGTERM mid-shard: exit $rc, $done_before of 12 tasks kept, $tmps temporaries (expected 143, 1..11, 0)"
fi
"$BIN" merge "$T/kill" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "tasks missing: " "$T/err" &&
   [ ! -e "$T/kill/curve.csv" ]; then
	ok "merge of an incomplete set: exit 2, names the missing tasks, no curve"
else
	bad "merge of an incomplete set: exit $rc" "$T/err"
fi
sweep --out "$T/kill" --shard 0/2 2>"$T/err" || bad "rerun of the killed shard" "$T/err"
sweep --out "$T/kill" --shard 1/2 --quiet 2>"$T/err" || bad "the other shard" "$T/err"
"$BIN" merge --quiet "$T/kill" 2>"$T/err" || bad "merge after the rerun" "$T/err"
same "killed and rerun shard" "$T/kill"
# a rerun of a complete shard runs nothing: its task files stay as they were
touch -d '2001-01-01' "$T/kill/tasks/task-000000.csv"
sweep --out "$T/kill" --shard 0/2 2>/dev/null
[ "$(find "$T/kill/tasks/task-000000.csv" -newer "$T/ref.csv")" = "" ] &&
	ok "a complete task is skipped on rerun" || bad "a complete task was run again"

# Tasks through GNU parallel: {} from seq counts from 0, {#} from 1.
if command -v parallel >/dev/null 2>&1; then
	cat > "$T/task.sh" <<SH
#!/bin/sh
cd "$(pwd)" && exec "$BIN" sweep experiments/lb.ini --reps 3 --set experiment.duration=120s \
	--set experiment.warmup=5s --vary workload.rate=300,900 --vary workload.life_mean=10ms,100ms \
	--variant baseline --variant 'reuse: net.ipv4.tcp_tw_reuse=1' --jobs 1 --quiet "\$@"
SH
	parallel --will-cite -j2 sh "$T/task.sh" --out "$T/par" --task {} ::: $(seq 0 $((n - 1))) 2>"$T/err" ||
		bad "parallel --task {}" "$T/err"
	"$BIN" merge --quiet "$T/par" 2>"$T/err" || bad "merge of the parallel tasks" "$T/err"
	same "GNU parallel, --task {} ::: \$(seq 0 23)" "$T/par"
	parallel --will-cite -j3 sh "$T/task.sh" --out "$T/par1" --index-base 1 --shard {#}/3 ::: a b c \
		2>"$T/err" || bad "parallel --index-base 1 --shard {#}/3" "$T/err"
	"$BIN" merge --quiet "$T/par1" 2>"$T/err" || bad "merge of the parallel shards" "$T/err"
	same "GNU parallel, --index-base 1 --shard {#}/3" "$T/par1"
else
	echo "skip GNU parallel is not installed (Debian package parallel): its tests did not run"
fi

# --task I --index-base 1 is task I - 1, file task-(I-1)
sweep --out "$T/one" --task 24 --index-base 1 2>"$T/err" || bad "--task 24 --index-base 1" "$T/err"
[ "$(ls "$T/one/tasks")" = task-000023.csv ] && ok "--task 24 --index-base 1 writes task-000023.csv" ||
	bad "--task 24 --index-base 1 wrote: $(ls "$T/one/tasks" | tr '\n' ' ')"

# expect_error NAME PATTERN -- connsim args...: exit 2, one line, no curve
expect_error() {
	name=$1 pat=$2
	shift 3
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q -- "$pat" "$T/err"; then
		ok "$name: exit 2, one line"
	else
		bad "$name: exit $rc (expected 2, one line matching '$pat')" "$T/err"
	fi
}
expect_error "--task out of range" "expected an integer in \[0, 23\]" -- sweep --out "$T/e" --task 24
expect_error "--task 0 with --index-base 1" "expected an integer in \[1, 24\]" -- sweep --out "$T/e" --task 0 --index-base 1
expect_error "--shard 3/3" "--shard 3/3: expected K/N" -- sweep --out "$T/e" --shard 3/3
expect_error "--shard x" "--shard x: expected K/N" -- sweep --out "$T/e" --shard x
expect_error "--shard and --task" "give one of them" -- sweep --out "$T/e" --shard 0/2 --task 1
expect_error "--index-base 2" "--index-base 2: expected 0 or 1" -- sweep --out "$T/e" --task 1 --index-base 2
[ -e "$T/e" ] && bad "a bad option left $T/e"
# tasks of another seed, or other settings, in the same directory or merged
expect_error "rerun with another seed into the same directory" "a task of another sweep (seed 1 vs 2)" -- \
	sweep --out "$T/n1-0" --task 0 --seed 2
sweep --out "$T/seed2" --task 5 --seed 2 2>/dev/null
expect_error "merge of two seeds" "tasks of different sweeps (seed 1 vs 2)" -- "$BIN" merge --out "$T/m" "$T/n1-0" "$T/seed2"
sweep --out "$T/set" --task 5 --set workload.close=server 2>/dev/null
expect_error "merge of two settings" "tasks of different sweeps (settings" -- "$BIN" merge --out "$T/m" "$T/n1-0" "$T/set"
sweep --out "$T/reps" --task 5 --reps 4 2>/dev/null
expect_error "merge of two reps" "tasks of different sweeps (reps 3 vs 4)" -- "$BIN" merge --out "$T/m" "$T/n1-0" "$T/reps"
[ -e "$T/m" ] && bad "a refused merge left $T/m"
printf 'nonsense\n' > "$T/n1-0/tasks/task-000099.csv"
expect_error "merge of a damaged task file" "task-000099.csv:1: not a complete connsim task file" -- \
	"$BIN" merge --out "$T/m" "$T/n1-0"
mkdir "$T/e0"
expect_error "merge of an empty directory" "no task files" -- "$BIN" merge "$T/e0"

# The Kubernetes manifest: valid YAML, an Indexed Job whose completions are
# the tasks of the experiment it runs, as shipped, and whose pods take the
# completion index as --task.
if python3 -c 'import yaml' 2>/dev/null; then
	m=$(python3 - contrib/k8s/sweep-job.yaml <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d["spec"]
c = s["template"]["spec"]["containers"][0]["command"]
exp = [a for a in c if a.endswith(".ini")][0].replace("/usr/local/share/connsim/", "")
ok = d["kind"] == "Job" and s["completionMode"] == "Indexed" and c[c.index("--task") + 1] == "$(JOB_COMPLETION_INDEX)"
print(s["completions"], exp, "ok" if ok else "bad")
PY
	) 2>"$T/err"
	set -- $m
	if [ "${3:-}" = ok ] && [ "$1" = "$("$BIN" sweep "$2" --list-tasks 2>/dev/null)" ]; then
		ok "contrib/k8s/sweep-job.yaml: an Indexed Job of $1 completions, the tasks of $2"
	else
		bad "contrib/k8s/sweep-job.yaml: '$m'" "$T/err"
	fi
else
	echo "skip PyYAML is not installed: contrib/k8s/sweep-job.yaml not checked"
fi

summary shard.sh
