#!/usr/bin/env bash
# connsim checked against the kernel it runs on (`make validate-kernel`).
#
# Each scenario is an experiment file of contrib/validate/ (*.ini).  The same
# file drives both sides:
#   kernel:  network namespaces named csv-<pid>-<scenario>-{c,r,s} (client,
#            router when the file has a [firewall] or [nat] box, server),
#            joined by veth pairs; the file's [sysctl] keys are set inside the
#            namespaces (never in the initial one); csvload paces constant
#            connects and samples, each second, TIME_WAIT counts
#            (/proc/net/sockstat) and nf_conntrack_count inside the
#            namespaces; nstat and `conntrack -S` are read at the end;
#   connsim: `connsim run FILE` with the host's kernel release choosing the
#            profile (--sysctl with kernel.osrelease: prof_for_release) and
#            the host's CONFIG_HZ.
# It then prints one table (scenario, quantity, kernel, connsim, difference,
# tolerance, within) and writes it as markdown.
#
# Usage: validate.sh [--full] [--out DIR] [--connsim BIN] [--load BIN]
#        (DIR: out/validate-kernel; the table goes to DIR.md)
#        validate.sh --table ROWS.tsv      (format a rows file; no root)
#   quick (default): every scenario at its file's duration (60-130 s), in
#                    two parallel phases: about 3.5 minutes in all;
#   --full:          every scenario for 610 s (steady-state ceilings measured
#                    over 300-610 s): about 21 minutes.
# Exit status: 0 every row within tolerance; 1 a row outside it (the table
# says which); 2 usage error or a failed step; 0 with one line "skipped: ..."
# on stdout when it cannot run here (not root, no network namespaces, no nft
# or conntrack).  It needs root.  Ctrl-C removes the namespaces.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CONNSIM=${CONNSIM:-$ROOT/connsim}
LOAD=${LOAD:-$ROOT/build/contrib/validate/csvload}
OUT=$ROOT/out/validate-kernel
FULL=${FULL:-0}
TABLE_ONLY=

while [ $# -gt 0 ]; do
	case $1 in
	--full) FULL=1 ;;
	--out) OUT=$2; shift ;;
	--connsim) CONNSIM=$2; shift ;;
	--load) LOAD=$2; shift ;;
	--table) TABLE_ONLY=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "validate.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$FULL" = 1 ] || FULL=0

. "$HERE/lib.sh"

if [ -n "$TABLE_ONLY" ]; then
	vk_table "$TABLE_ONLY" "$(uname -r)" quick
	exit $?
fi

skip() { echo "skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
for t in ip nft conntrack nstat timeout; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is missing (make validate-kernel installs iproute2, nftables, conntrack)"
done
[ -x "$LOAD" ] || { echo "validate.sh: $LOAD not built (make validate-kernel builds it)" >&2; exit 2; }
[ -x "$CONNSIM" ] || { echo "validate.sh: $CONNSIM not built" >&2; exit 2; }

PREFIX=csv-$$-
PIDS=()
cleanup() {
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX"); do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'echo "validate.sh: interrupted; namespaces removed" >&2; cleanup; exit 130' INT TERM

probe=${PREFIX}probe
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
ip netns exec "$probe" true 2>/dev/null || skip "cannot enter a network namespace"
ip netns del "$probe"

KREL=$(uname -r)
HZ=$(vk_hz)
W=$OUT/work
rm -rf "$W"
mkdir -p "$W" || exit 2
printf 'kernel.osrelease = %s\n' "$KREL" > "$W/osrelease.conf"
SCENARIOS=${VALIDATE_SCENARIOS:-ports reuse reuse-delay server-first dests firewall masq}
if [ "$FULL" = 1 ]; then mode=full; else mode=quick; fi
echo "validate-kernel ($mode): Linux $KREL, HZ=$HZ; scenarios: $SCENARIOS"

# kernel_run NAME: the scenario in namespaces; writes $W/NAME.kernel.csv,
# NAME.{c,s}.nstat, NAME.r.conntrack.
kernel_run() {
	local name=$1 ini=$HERE/$1.ini
	local dur rate close ports box c s r peer
	dur=$(vk_ini "$ini" experiment duration | tr -d s)
	[ "$FULL" = 1 ] && dur=610
	rate=$(vk_ini "$ini" workload rate)
	close=$(vk_ini "$ini" workload close)
	ports=$(vk_ini "$ini" server ports)
	box=
	grep -q '^\[firewall\]' "$ini" && box=firewall
	grep -q '^\[nat\]' "$ini" && box=nat
	c=${PREFIX}$name-c s=${PREFIX}$name-s r=${PREFIX}$name-r
	ip netns add "$c" && ip netns add "$s" || return 1
	local n
	for n in "$c" "$s"; do ip -n "$n" link set lo up; done
	if [ -z "$box" ]; then
		ip link add vc netns "$c" type veth peer name vs netns "$s" || return 1
		ip -n "$c" addr add 10.77.2.2/24 dev vc
		ip -n "$s" addr add 10.77.2.1/24 dev vs
		ip -n "$c" link set vc up
		ip -n "$s" link set vs up
		peer="-w s=/run/netns/$s"
	else
		ip netns add "$r" || return 1
		ip -n "$r" link set lo up
		ip link add vc netns "$c" type veth peer name rc netns "$r" || return 1
		ip link add vs netns "$s" type veth peer name rs netns "$r" || return 1
		ip -n "$c" addr add 10.77.1.1/24 dev vc
		ip -n "$r" addr add 10.77.1.254/24 dev rc
		ip -n "$r" addr add 10.77.2.254/24 dev rs
		ip -n "$s" addr add 10.77.2.1/24 dev vs
		ip -n "$c" link set vc up; ip -n "$r" link set rc up
		ip -n "$r" link set rs up; ip -n "$s" link set vs up
		ip -n "$c" route add default via 10.77.1.254
		ip -n "$s" route add default via 10.77.2.254
		ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
		if [ "$box" = firewall ]; then
			printf '%s\n' 'table inet csv {' \
				' chain csvfwd { type filter hook forward priority 0; policy drop;' \
				'  ct state established,related accept' \
				'  ct state new accept' '  }' '}' | ip netns exec "$r" nft -f - || return 1
		else
			local np
			np=$(vk_ini "$ini" nat ports | tr ' ' '-')
			printf '%s\n' 'table ip csv {' \
				' chain csvpost { type nat hook postrouting priority 100;' \
				"  oifname \"rs\" meta l4proto tcp masquerade to :$np" '  }' '}' | ip netns exec "$r" nft -f - || return 1
		fi
		vk_sysctls "$ini" "$box.sysctl" | while read -r kv; do ip netns exec "$r" sysctl -qw "$kv" || echo "validate.sh: $name: router: sysctl $kv failed" >&2; done
		peer="-w s=/run/netns/$s -w r=/run/netns/$r"
	fi
	vk_sysctls "$ini" sysctl client.sysctl | while read -r kv; do ip netns exec "$c" sysctl -qw "$kv" || echo "validate.sh: $name: client: sysctl $kv failed" >&2; done
	vk_sysctls "$ini" sysctl server.sysctl | while read -r kv; do ip netns exec "$s" sysctl -qw "$kv" || echo "validate.sh: $name: server: sysctl $kv failed" >&2; done

	local plist dlist p lo hi
	plist=$(vk_ports "$ports")
	dlist=
	for p in ${plist//,/ }; do dlist="$dlist${dlist:+,}10.77.2.1:$p"; done
	ip netns exec "$s" timeout $((dur + 40)) "$LOAD" serve -a 10.77.2.1 -p "$plist" -t $((dur + 20)) -m "$close" \
		2>"$W/$name.serve.err" &
	local spid=$!
	sleep 0.5
	# shellcheck disable=SC2086
	ip netns exec "$c" timeout $((dur + 30)) "$LOAD" connect -d "$dlist" -r "$rate" -t "$dur" -m "$close" \
		-s 1 -w c=/run/netns/"$c" $peer >"$W/$name.kernel.csv" 2>"$W/$name.load.err"
	local rc=$?
	ip netns exec "$c" nstat -az >"$W/$name.c.nstat" 2>/dev/null
	ip netns exec "$s" nstat -az >"$W/$name.s.nstat" 2>/dev/null
	[ -n "$box" ] && ip netns exec "$r" conntrack -S >"$W/$name.r.conntrack" 2>/dev/null
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	for n in "$c" "$s" "$r"; do ip netns del "$n" 2>/dev/null; done
	return $rc
}

# connsim_run NAME: the same file in connsim, into $W/NAME.sim/.
connsim_run() {
	local name=$1 ini=$HERE/$1.ini d=()
	[ "$FULL" = 1 ] && d=(--duration 610s)
	local hosts="client server"
	grep -q '^\[firewall\]' "$ini" && hosts="$hosts firewall"
	grep -q '^\[nat\]' "$ini" && hosts="$hosts nat"
	local sets=() h
	for h in $hosts; do sets+=(--set "$h.hz=$HZ"); done
	"$CONNSIM" run "$ini" --sysctl "$W/osrelease.conf" "${sets[@]}" "${d[@]}" -q --out "$W/$name.sim" \
		>/dev/null 2>"$W/$name.sim.err"
}

# Two phases: the scenarios with a conntrack table may not run together,
# because the host has one gc worker whose interval averages the remaining
# timeouts of every namespace's entries (nf_conntrack_core.c gc_worker):
# the masq router's entries would shorten the firewall's gc period.  The
# others have no conntrack (no rule in their namespaces asks for it).
t_start=$(date +%s)
fail=0
phase() {
	local sc names=()
	PIDS=()
	for sc in "$@"; do
		kernel_run "$sc" &
		PIDS+=($!)
		names+=("$sc")
	done
	for i in "${!PIDS[@]}"; do
		wait "${PIDS[$i]}" || { echo "validate.sh: kernel run of scenario ${names[$i]} failed (see $W)" >&2; fail=1; }
	done
	PIDS=()
}
first=() second=()
for sc in $SCENARIOS; do
	if [ "$sc" = masq ]; then second+=("$sc"); else first+=("$sc"); fi
done
[ ${#first[@]} -gt 0 ] && phase "${first[@]}"
[ ${#second[@]} -gt 0 ] && phase "${second[@]}"
for sc in $SCENARIOS; do
	connsim_run "$sc" || { echo "validate.sh: connsim run of $sc failed: $(cat "$W/$sc.sim.err")" >&2; fail=1; }
done
[ $fail = 0 ] || exit 2
profile=$(sed -n 's/^#   client: profile = \([^ ]*\).*/\1/p' "$W/ports.sim/summary.csv" | head -1)

vk_rows "$W" "$SCENARIOS" "$FULL" > "$W/rows.tsv" || exit 2
mkdir -p "$OUT"
vk_table "$W/rows.tsv" "$KREL" "$mode" "$profile" "$HZ" "$(( $(date +%s) - t_start ))" "$OUT.md"
