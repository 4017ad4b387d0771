#!/bin/sh
# contrib/slurm/sweep.sbatch end to end on a real Slurm: a one-node cluster
# on localhost (munged, slurmctld and slurmd from Debian's slurm-wlm and
# munge, with a generated slurm.conf, all in a temporary directory, on free
# ports), a sweep submitted as a job array (one task per element, then as
# shards with CONNSIM_SHARDS), merged, and compared with the unsharded
# curve.  Needs root (slurmd runs jobs as their user) and the packages:
#   apt-get install slurm-wlm munge
#   CONNSIM=./connsim sh tests/slurm.sh        (make test-slurm)
set -u
BIN=${CONNSIM:-./connsim}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
for c in munged slurmctld slurmd sbatch scontrol sinfo; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "slurm.sh: $c is missing (Debian packages slurm-wlm munge)" >&2
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "slurm.sh: needs root (slurmd starts jobs as their user)" >&2
	exit 1
fi
T=$(mktemp -d /tmp/connsim-slurm.XXXXXX)
chmod 755 "$T"
cleanup() {
	# our daemons only, by the pids their pid files name
	for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munged.pid"; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -20 "$2" | sed 's/^/     /'; }
t0=$(date +%s)

# munge: a key of our own, its socket in $T
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge.key"
mkdir -m 700 "$T/munge"
munged --force --key-file="$T/munge.key" --socket="$T/munge/munge.socket" \
	--pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/seed" ||
	{ bad "munged did not start" "$T/munged.log"; exit 1; }

# two free ports for slurmctld and slurmd
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p1=$(port)
p2=$(port)
[ "$p1" = "$p2" ] && p2=$((p1 + 1))
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$T/state" "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=connsimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -i || { bad "slurmctld did not start" "$T/slurmctld.log"; exit 1; }
slurmd -N "$host" || { bad "slurmd did not start" "$T/slurmd.log"; exit 1; }
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
	i=$((i + 1))
	if [ $i -gt 60 ]; then
		bad "the node did not come up" "$T/slurmctld.log"
		exit 1
	fi
	sleep 1
done
ok "a one-node Slurm on localhost ($(sinfo -h -o '%N %c CPUs %t'))"

# The sweep: variants and two --vary keys, 8 points x 3 reps = 24 tasks.
EXP=experiments/lb.ini
set -- --reps 3 --set experiment.duration=60s --set experiment.warmup=5s \
	--vary workload.rate=300,900 --vary workload.life_mean=10ms,100ms \
	--variant baseline --variant 'reuse: net.ipv4.tcp_tw_reuse=1'
body() { sed -e '1{/^# connsim .*:/d}' -e '/^# command:/d' "$1"; }
"$BIN" sweep "$EXP" "$@" --quiet --jobs 2 --out "$T/full" || bad "unsharded sweep"
body "$T/full/curve.csv" > "$T/ref.csv"
n=$("$BIN" sweep "$EXP" "$@" --list-tasks)
# compare NAME DIR: merge DIR, compare with the unsharded curve
compare() {
	if "$BIN" merge --quiet "$2" 2>"$T/merge.err" && body "$2/curve.csv" | cmp -s - "$T/ref.csv"; then
		ok "$1: merged, the unsharded curve"
	else
		bad "$1: the merge fails or differs" "$T/merge.err"
	fi
}
export CONNSIM="$BIN"  # the binary sweep.sbatch runs

# One task per array element (jobs start in this, the submission directory).
if sbatch --wait --array=0-$((n - 1)) --output="$T/job-%A_%a.out" contrib/slurm/sweep.sbatch \
	"$EXP" "$T/array" "$@" >"$T/sbatch.out" 2>&1; then
	ok "sbatch --wait --array=0-$((n - 1)): every element succeeded"
else
	cat "$T"/job-*.out >> "$T/sbatch.out" 2>/dev/null
	bad "sbatch --array=0-$((n - 1))" "$T/sbatch.out"
fi
compare "$n array elements, one task each" "$T/array"

# Three shards, the array's index as K of --shard K/3.
rm -f "$T"/job-*.out
if CONNSIM_SHARDS=3 sbatch --wait --array=0-2 --output="$T/job-%A_%a.out" contrib/slurm/sweep.sbatch \
	"$EXP" "$T/shards" "$@" >"$T/sbatch.out" 2>&1; then
	ok "CONNSIM_SHARDS=3 sbatch --wait --array=0-2: every element succeeded"
else
	cat "$T"/job-*.out >> "$T/sbatch.out" 2>/dev/null
	bad "CONNSIM_SHARDS=3 sbatch --array=0-2" "$T/sbatch.out"
fi
compare "3 array elements, one shard each" "$T/shards"

echo "slurm.sh: $pass passed, $fail failed in $(( $(date +%s) - t0 )) s"
[ $fail -eq 0 ]
