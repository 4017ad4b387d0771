#!/bin/sh
# Network namespaces on one host through the real binary: [nat] and
# [firewall] naming the same host share one conntrack gc worker (one per
# kernel, conntrack_gc_work in nf_conntrack_core.c), whose interval then
# averages both tables' remaining timeouts; boxes on one host must agree on
# the kernel, else exit 2 with file:line and key and no output.
# Run from the repository root:
#   CONNSIM=./connsim sh tests/netns.sh
set -u
. tests/lib.sh

cat >"$T/ns.ini" <<'INI'
[experiment]
duration = 120s
warmup = 60s
seed = 7
[client]
profile = current
count = 4
[server]
profile = current
[nat]
profile = current
[firewall]
profile = current
[firewall.sysctl]
net.netfilter.nf_conntrack_tcp_timeout_time_wait = 10
[workload]
rate = 20
INI

"$BIN" run -q "$T/ns.ini" -o "$T/alone" >/dev/null 2>"$T/err" || bad "alone run" "$T/err"
"$BIN" run -q "$T/ns.ini" -o "$T/shared" -s nat.host=node1 -s firewall.host=node1 >/dev/null 2>"$T/err" ||
	bad "shared run" "$T/err"
a=$(col "$T/alone" firewall.ct.count.mean)
s=$(col "$T/shared" firewall.ct.count.mean)
na=$(col "$T/alone" nat.ct.count.mean)
ns=$(col "$T/shared" nat.ct.count.mean)
# 20 connections/s each stay 10 s in the firewall's TIME_WAIT, then until the
# next gc pass: on average half its interval.  Alone, the firewall's own
# entries (about 10 s left each) pull the interval well under 30 s: fewer
# than 20 x (10 + 15) = 500 entries.  Shared, the NAT's 2,400 entries of
# 120 s hold it near 60 s (GC_SCAN_INTERVAL_MAX), over 40 s: more than
# 20 x (10 + 20) = 600.
if awk -v a="$a" -v s="$s" 'BEGIN { exit !(a > 200 && a < 500 && s > 600) }'; then
	ok "firewall count: $a alone, $s sharing the NAT's host (gc interval ~60 s)"
else
	bad "firewall count: $a alone, $s shared (want < 500 and > 600)"
fi
[ "$na" = "$ns" ] && ok "NAT's count unchanged ($na): its entries set the interval either way" ||
	bad "NAT's count $na alone, $ns shared"
grep -q '^#   nat and firewall: namespaces of host node1, one conntrack gc worker' "$T/shared/summary.csv" &&
	! grep -q 'namespaces of host' "$T/alone/summary.csv" && ok "the header says which boxes share a host" ||
	bad "header line for the shared host"

# a firewall on another kernel cannot share the NAT's host
printf '[nat]\nhost = node1\n[firewall]\nprofile = 5.15\nhost = node1\n' >"$T/bad.ini"
sed -n '1,9p;16,$p' "$T/ns.ini" | sed '/^\[nat\]/,/^\[firewall\]/d' >"$T/base.ini"
cat "$T/base.ini" "$T/bad.ini" >"$T/two.ini"
"$BIN" run -q "$T/two.ini" -o "$T/out2" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$T/out2" ] && grep -q 'two.ini:[0-9]*:.*host.*kernel profile differs' "$T/err"; then
	ok "different kernels on one host: exit 2, $(cat "$T/err")"
else
	bad "different kernels on one host: rc $rc" "$T/err"
fi
summary netns
