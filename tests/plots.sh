#!/bin/sh
# The figures: plots/timeseries.gp picks its panels from the run's columns
# (a conntrack panel against nf_conntrack_max when a box exists, NAT tuples
# when a NAT exists, a gateway's ports against its limit instead of conntrack, ports always; a failure curve only for a cause that
# occurred) and names what it plots in words; plots/curve.gp names metrics
# in words and puts its legend below the plot.  Each check reads the SVG the
# script wrote (its texts are the legends, titles and axis labels), and every
# script must run without a word on stderr.  Skipped without gnuplot.
#   CONNSIM=./connsim sh tests/plots.sh
set -u
. tests/lib.sh

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "skip plots (gnuplot not installed)"
	summary plots
	exit 0
fi

# run EXPERIMENT NAME ARGS...: a short run into $T/NAME, drawn by timeseries.gp
draw() {
	e=$1 n=$2
	shift 2
	if ! "$BIN" run "experiments/$e.ini" --quiet --out "$T/$n" "$@" >"$T/$n.log" 2>&1; then
		bad "$n: connsim run $e" "$T/$n.log"
		return 1
	fi
	gnuplot -e "outdir='$T/$n'" plots/timeseries.gp >"$T/$n.gp" 2>&1
	if [ $? -eq 0 ] && [ ! -s "$T/$n.gp" ] && [ -s "$T/$n/timeseries.png" ] && [ -s "$T/$n/timeseries.svg" ]; then
		ok "$n: timeseries.gp draws PNG and SVG, silently"
	else
		bad "$n: timeseries.gp" "$T/$n.gp"
		return 1
	fi
	# the SVG's texts, one a line
	sed -n 's/.*<text>\(.*\)<\/text>.*/\1/p' "$T/$n/timeseries.svg" >"$T/$n.txt"
}
has() { grep -qxF "$2" "$T/$1.txt"; }
hasre() { grep -q "$2" "$T/$1.txt"; }
check() {  # check NAME WHAT yes|no TEXT: TEXT is (not) a text of NAME's figure
	if { [ "$3" = yes ] && has "$1" "$4"; } || { [ "$3" = no ] && ! has "$1" "$4"; }; then
		ok "$1: $2"
	else
		bad "$1: $2 ('$4' $([ "$3" = yes ] && echo missing || echo present))" "$T/$1.txt"
	fi
}

# No box: ports and rates only.  The default experiment runs out of ports at
# 47 s, so the ports panel reads 100 % and the failures have their curve.
if draw default nobox --duration 60s --warmup 30s; then
	if hasre nobox conntrack; then bad "nobox: no conntrack panel without a box" "$T/nobox.txt"; else ok "nobox: no conntrack panel without a box"; fi
	check nobox "the port limit is drawn" yes "ports connect() can use: 28232"
	check nobox "the panel title gives the peak against the limit" yes "client ports: peak 28232 of 28232 per destination (100 %)"
	check nobox "EADDRNOTAVAIL, in words, has its curve" yes "connects failed: no free local port"
	check nobox "axis labels are words" yes "connections in TIME_WAIT, client"
	if grep -v '^connsim run: ' "$T/nobox.txt" | grep -Eq '(conn|client|server|firewall|nat)\.[A-Za-z]'; then bad "nobox: no metric names in the figure" "$T/nobox.txt"; else ok "nobox: no metric names in the figure"; fi
fi

# A firewall box: the conntrack panel against its nf_conntrack_max (the
# verdict's number, 1048576 in chains.ini); nothing failed, so no failure
# curve, and the title says so.
if draw chains firewall --duration 20s --warmup 10s; then
	check firewall "a conntrack panel for the box" yes "conntrack entries, firewall"
	check firewall "against nf_conntrack_max" yes "nf_conntrack_max, firewall: 1048576"
	check firewall "no NAT curve without a NAT" no "NAT mappings per destination"
	check firewall "no failure curve when nothing failed" no "connects failed: no free local port"
	check firewall "the rates panel says none failed" yes "connections per second (averages over 10 s); no connect() failed"
	check firewall "16 clients x 4 destinations: ports per host and destination" yes "ports per client host and destination"
fi

# The table fills: its drops go on the conntrack panel's right axis.
if draw memcache full --duration 60s --warmup 30s --set workload.rate=1400; then
	check full "table-full drops are drawn" yes "packets dropped: firewall table full"
	check full "on a right axis of their own" yes "packets dropped per second"
	check full "the conntrack panel reads 100 %" yes "conntrack table: firewall: peak 65536 of 65536 entries (100 %)"
fi

# A NAT: conntrack and the NAT's tuples per destination, the verdict's 64512.
if draw snat-k8s nat --duration 20s --warmup 10s; then
	check nat "a conntrack panel for the NAT box" yes "conntrack entries, nat"
	check nat "NAT mappings are drawn" yes "NAT mappings per destination"
	check nat "against the NAT's tuples" yes "NAT tuples per destination: 64512"
fi

# A gateway ([nat] kind = aws-nat-gateway): no conntrack table, so no
# conntrack panel; its ports held against the verdict's limit instead, and
# the SYNs it dropped on the right axis.
if draw aws-natgw gw --duration 80s --warmup 40s --set nat.connections_per_destination=1000; then
	if hasre gw "conntrack entries"; then bad "gw: no conntrack panel for a gateway" "$T/gw.txt"; else ok "gw: no conntrack panel for a gateway"; fi
	check gw "the gateway's panel against its limit" yes "AWS NAT Gateway ports per destination (nat): peak 1000 of 1000 (100 %)"
	check gw "its limit line" yes "limit: 1000"
	check gw "its dropped SYNs, in words" yes "connections that lost a SYN: no gateway port"
fi

# tw_recycle behind a NAT: the server's PAWS drops have their curve (a label
# with no quote in it: gnuplot's titles are quoted strings).
if draw recycle-nat paws --duration 300s --warmup 100s --set client.count=8; then
	check paws "PAWS drops, in words" yes "SYNs dropped by PAWS (tw_recycle)"
	check paws "timed-out connects, in words" yes "connects timed out (every SYN lost)"
fi

# Without summary.json (an older run directory) the limits come from the
# CSV's "in force" lines and summary.csv.
if [ -d "$T/firewall" ]; then
	rm -f "$T/firewall/summary.json" "$T/firewall/timeseries.svg"
	gnuplot -e "outdir='$T/firewall'" plots/timeseries.gp >"$T/old.gp" 2>&1 &&
		sed -n 's/.*<text>\(.*\)<\/text>.*/\1/p' "$T/firewall/timeseries.svg" >"$T/old.txt"
	check old "without summary.json: nf_conntrack_max from the CSV" yes "nf_conntrack_max, firewall: 1048576"
	check old "without summary.json: the port pool from summary.csv" yes "ports connect() can use: 28232"
fi

# curve.gp: a small sweep with two metrics, one on the right axis, no labels
# given: the legend and axes name them in words.
if "$BIN" sweep experiments/default.ini --vary workload.rate=300,600 --reps 2 --jobs 1 --quiet \
	--set experiment.duration=60s --set experiment.warmup=30s --set sweep.plot=conn.fail_fraction \
	--set sweep.plot_y2=conn.setup.mean_ms --out "$T/sweep" >"$T/sweep.log" 2>&1; then
	if gnuplot -e "outdir='$T/sweep'" plots/curve.gp >"$T/curve.gp" 2>&1 && [ ! -s "$T/curve.gp" ] &&
		[ -s "$T/sweep/curve.png" ]; then
		ok "curve: curve.gp draws PNG and SVG, silently"
	else
		bad "curve: curve.gp" "$T/curve.gp"
	fi
	sed -n 's/.*<text>\(.*\)<\/text>.*/\1/p' "$T/sweep/curve.svg" >"$T/curve.txt"
	check curve "a metric's legend in words" yes "connects that failed"
	check curve "the right axis's metric in words" yes "mean connect latency (ms) (right axis)"
	check curve "the left axis label in words" yes "connects that failed"
	check curve "the title says what points and bars are" yes "points: means over the replications; bars: 95 % confidence intervals"
	if grep -q 'conn\.' "$T/curve.txt"; then bad "curve: no metric names in the figure" "$T/curve.txt"; else ok "curve: no metric names in the figure"; fi
else
	bad "curve: connsim sweep" "$T/sweep.log"
fi

# A directory without the CSV: one line naming it, a failing status.
if gnuplot -e "outdir='$T/none'" plots/timeseries.gp >"$T/none.gp" 2>&1; then
	bad "none: timeseries.gp succeeds without a CSV" "$T/none.gp"
elif grep -q "timeseries.gp: cannot read $T/none/timeseries.csv" "$T/none.gp" && [ "$(wc -l <"$T/none.gp")" -eq 1 ]; then
	ok "none: timeseries.gp says which CSV it cannot read, and fails"
else
	bad "none: timeseries.gp's message" "$T/none.gp"
fi

summary plots
