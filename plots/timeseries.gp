# One run of connsim over time: the tables that can run out, each against
# its limit, and connections per second with every way they failed.
# usage: gnuplot -e "outdir='out/default'" plots/timeseries.gp
# Reads outdir/timeseries.csv (header row, '#' comment lines) and, for the
# limits, outdir/summary.json (the verdict's own numbers; else
# summary.csv's port_pool and the CSV's "in force" lines); writes
# outdir/timeseries.png and outdir/timeseries.svg.
#
# Panels, from the top, each present only when the run has its table:
#   conntrack  a box ([firewall] or [nat]) exists: its entries
#              (nf_conntrack_count) against nf_conntrack_max, and for a NAT
#              the source-NAT mappings per destination against the tuples
#              the NAT can use per destination;
#   ports      always: the client's local ports per destination and its
#              TIME_WAITs against the ports connect() can use;
#   rates      always: attempts, established, and each cause of failure
#              that occurred (table-full drops, NAT tuple failures, PAWS
#              drops, EADDRNOTAVAIL, ETIMEDOUT).
# Every panel's title gives the peak against the limit, so the one that ran
# out reads at a glance.  Legends sit in the right margin, outside the
# data; curves that can coincide differ in width, dash and marks.
if (!exists("outdir")) outdir = "out/default"
csv = outdir."/timeseries.csv"
if (system("test -r '".csv."' && echo y") ne "y") { print sprintf("timeseries.gp: cannot read %s (run connsim first; outdir is its --out)", csv); exit status 1 }
json = outdir."/summary.json"
set datafile separator ","
set datafile commentschars "#"

# the CSV's header row, and whether it has a column
header = system("sed -n '/^[^#]/{p;q}' ".csv)
has(c) = strstrt(",".header.",", ",".c.",") > 0
# a "# " line of the CSV's provenance, and a number the verdict wrote
hdr(pat) = system("sed -n 's/^#   ".pat."/\\1/p' ".csv." | head -1")
jlim(id) = system('test -f '.json.' && sed -n ''/"id": "'.id.'"/,/}/s/.*"limit": \([0-9.e+]*\).*/\1/p'' '.json.' | head -1')
jpeak(id) = system('test -f '.json.' && sed -n ''/"id": "'.id.'"/,/}/s/.*"peak": \([0-9.e+]*\).*/\1/p'' '.json.' | head -1')
jwhat(id) = system('test -f '.json.' && sed -n ''/"id": "'.id.'"/,/}/s/.*"what": "\(.*\)".*/\1/p'' '.json.' | head -1')
num(s, dflt) = strlen(s) > 0 ? real(s) : dflt

# client hosts x destinations (address, port): ports are per pair
nclients = int(num(hdr("clients: \\([0-9]*\\) host.*"), 1))
ndests = int(num(hdr("clients: .*server ports: \\([0-9]*\\);.*"), 1)) * \
         int(num(hdr("clients: .*server addresses: \\([0-9]*\\).*"), 1))
pairs = nclients * ndests

# the port pool connect() draws from: the verdict's, else summary.csv's
pool = num(jlim("ports"), 0)
if (pool == 0 && system("test -f ".outdir."/summary.csv && echo y") eq "y") {
    stats outdir."/summary.csv" using (column("port_pool")) nooutput
    pool = STATS_max
}

# boxes: a [firewall] and/or a [nat], each with its own conntrack table
# a gateway ([nat] kind other than netfilter) has no conntrack table: its
# panel shows its ports held against the limit the verdict reports, per
# the verdict's scope (a destination, a VM and destination)
gw = has("nat.ports_held")
boxes = (has("firewall.ct.count") ? "firewall " : "").(has("nat.ct.count") && !gw ? "nat" : "")
nboxes = words(boxes)
gwlim = gw ? num(jlim("nat.nat"), 0) : 0
gwpeak = gw ? num(jpeak("nat.nat"), 0) : 0
gwwhat = gw ? jwhat("nat.nat") : ""
gwper = 1
if (gw) { stats csv using (column("nat.ports_held")) nooutput; gwper = (gwpeak > 0 && STATS_max > 0) ? STATS_max / gwpeak : 1 }
array CTMAX[2]
do for [i=1:nboxes] {
    b = word(boxes, i)
    CTMAX[i] = num(jlim("conntrack.".b), num(hdr(b.": .*nf_conntrack_max = \\([0-9]*\\).*"), 0))
}
hasnat = has("nat.snat.mappings")
tuples = hasnat ? num(jlim("nat.nat"), 0) : 0

# peaks over the run (stats is a command, not a function: taken here)
array CTPEAK[2]
do for [i=1:nboxes] {
    stats csv using (column(word(boxes, i).".ct.count")) nooutput
    CTPEAK[i] = STATS_max
}
natpeak = 0
if (hasnat) { stats csv using (column("nat.snat.mappings") / ndests) nooutput; natpeak = STATS_max }
stats csv using (column("client.dest_ports")) nooutput
portpeak = STATS_max
stats csv using (column("server.timewait")) nooutput
srvtw = STATS_max
# which causes of failure occurred: their cumulative counts at the end
last(c) = has(c) ? real(system("grep -v '^#' ".csv." | tail -1 | cut -d, -f".colno(c))) : 0
colno(c) = int(system("sed -n '/^[^#]/{p;q}' ".csv." | tr ',' '\\n' | grep -nx '".c."' | cut -d: -f1"))
pct(p, l) = l > 0 ? sprintf(" (%.0f %%)", 100 * p / l) : ""

# rates are over every 10th sample (TIME_WAIT expiries come in batches at
# the timer wheel's slot boundaries, 2.048 s at HZ=250, which rates over
# 1 s samples alias): 10 x the sampling interval, read from the first rows
avg_s = 10 * num(system("sed -n '/^[^#]/p' ".csv." | sed -n 3p | cut -d, -f1"), 1)
# rate from a cumulative counter column: difference between consecutive rows
prev_t = 0; prev_v = 0
rate(t, v) = (dt = t - prev_t, dv = v - prev_v, prev_t = t, prev_v = v, dt > 0 ? dv / dt : 1/0)

# the rates panel: attempts (wide, light) and established (narrow, dark,
# dashed) coincide when nothing fails; then one curve per cause that occurred
R = sprintf("csv every 10 using 1:(rate(column(1), column('conn.attempts'))) with lines lw 6 lc rgb '#bdbdbd' title 'connect() attempts'")
R = R.", csv every 10 using 1:(rate(column(1), column('conn.established'))) with lines lw 1.5 dt 2 lc rgb '#000000' title 'connections established'"
nfail = 0
fail(c, t, pt, col) = sprintf(", csv every 10 using 1:(rate(column(1), column('%s'))) with linespoints lw 2 pt %d pi 3 ps 0.8 lc rgb '%s' title '%s'", c, pt, col, t)
# the box's drops go on the conntrack panel's right axis: they are packets
# (a SYN and its retransmissions), at the instant the table refused them
D = ""
drop(c, t, pt, col) = sprintf(", csv every 10 using 1:(rate(column(1), column('%s'))) axes x1y2 with linespoints lw 2 pt %d pi 3 ps 0.8 lc rgb '%s' title '%s'", c, pt, col, t)
do for [i=1:nboxes] {
    b = word(boxes, i)
    if (last(b.".ct.drop") > 0) { D = D.drop(b.".ct.drop", "packets dropped: ".b." table full", 5, "#d62728") }
}
if (hasnat && last("nat.snat.failed") > 0) { D = D.drop("nat.snat.failed", "SYNs dropped: no free NAT tuple", 9, "#e377c2") }
if (last("server.TcpExtPAWSPassive") > 0) { R = R.fail("server.TcpExtPAWSPassive", "SYNs dropped by PAWS (tw_recycle)", 11, "#8c564b"); nfail = nfail + 1 }
if (last("conn.EADDRNOTAVAIL") > 0) { R = R.fail("conn.EADDRNOTAVAIL", "connects failed: no free local port", 7, "#1f77b4"); nfail = nfail + 1 }
if (last("conn.EADDRINUSE") > 0) { R = R.fail("conn.EADDRINUSE", "bind() failed: no free port", 13, "#17becf"); nfail = nfail + 1 }
if (last("conn.ETIMEDOUT") > 0) { R = R.fail("conn.ETIMEDOUT", "connects timed out (every SYN lost)", 15, "#ff7f0e"); nfail = nfail + 1 }

npanels = 2 + (nboxes > 0 ? 1 : 0) + (gw ? 1 : 0)
question = system("sed -n 's/^# question: //p' ".csv." | head -1 | fold -s -w 100 | sed 's/ *$//'")
set grid
set xlabel "simulated time (s)"
set format y "%.0f"
set yrange [0:*]
# the plots end at 0.62 of the width: a right axis, then the legends
set lmargin at screen 0.08
set rmargin at screen 0.62
set key at screen 0.70, graph 1 left top vertical Left reverse noopaque nobox samplen 3 spacing 1.1

do for [fmt in "png svg"] {
    h = 60 + 330 * npanels
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1300,h font ",11" } else { set terminal svg noenhanced size 1300,h font ",11" dynamic }
    set output outdir."/timeseries.".fmt
    set format y "%.0f"
    set multiplot layout npanels,1 title (strlen(question) > 0 ? question."\n" : "")."connsim run: ".outdir
    if (nboxes > 0) {
        t = ""
        do for [i=1:nboxes] { t = t.(i > 1 ? "; " : "").sprintf("%s: peak %.0f of %.0f entries%s", word(boxes, i), CTPEAK[i], CTMAX[i], pct(CTPEAK[i], CTMAX[i])) }
        if (hasnat) { t = t.sprintf("\nNAT: peak %.0f of %.0f tuples per destination%s", natpeak, tuples, pct(natpeak, tuples)) }
        set title "conntrack table: ".t
        set ylabel (hasnat ? "entries, tuples" : "conntrack entries")
        P = ""
        do for [i=1:nboxes] {
            b = word(boxes, i)
            P = P.(i > 1 ? ", " : "").sprintf("csv using 1:(column('%s.ct.count')) with lines lw 3 lc %d title 'conntrack entries, %s'", b, i, b)
            if (CTMAX[i] > 0) { P = P.sprintf(", %g with lines dt 3 lw 2 lc %d title 'nf_conntrack_max, %s: %.0f'", CTMAX[i], i, b, CTMAX[i]) }
        }
        if (hasnat) {
            P = P.sprintf(", csv using 1:(column('nat.snat.mappings') / %d) with linespoints lw 1.5 dt 2 pt 6 pi 20 lc rgb '#9467bd' title 'NAT mappings per destination'", ndests)
            if (tuples > 0) { P = P.sprintf(", %g with lines dt 4 lw 2 lc rgb '#9467bd' title 'NAT tuples per destination: %.0f'", tuples, tuples) }
        }
        if (strlen(D) > 0) {
            set y2tics; set ytics nomirror; set y2range [0:*]
            set y2label "packets dropped per second"
        }
        prev_t = 0; prev_v = 0
        eval "plot ".P.D
        unset y2tics; unset y2label; set ytics mirror
    }
    if (gw) {
        set title sprintf("%s: peak %.0f of %.0f%s", strlen(gwwhat) > 0 ? gwwhat : "gateway ports", gwpeak, gwlim, pct(gwpeak, gwlim))
        set ylabel "ports held"
        P = sprintf("csv using 1:(column('nat.ports_held') / %g) with lines lw 3 lc rgb '#9467bd' title 'gateway ports held'", gwper)
        if (gwlim > 0) { P = P.sprintf(", %g with lines dt 4 lw 2 lc rgb '#9467bd' title 'limit: %.0f'", gwlim, gwlim) }
        if (last("conn.hit.nat_fail") > 0) {
            set y2tics; set ytics nomirror; set y2range [0:*]
            set y2label "per second"
            P = P.drop("conn.hit.nat_fail", "connections that lost a SYN: no gateway port", 9, "#e377c2")
        }
        prev_t = 0; prev_v = 0
        eval "plot ".P
        unset y2tics; unset y2label; set ytics mirror
    }
    set title sprintf("client ports: peak %.0f of %.0f per %s%s", portpeak, pool, pairs > 1 ? "client host and destination" : "destination", pct(portpeak, pool))
    set ylabel (pairs > 1 ? "ports per client host and destination" : "ports, connections")
    P = sprintf("csv using 1:(column('client.dest_ports')) with lines lw 6 lc rgb '#9ecae1' title 'ports in use'")
    P = P.sprintf(", csv using 1:(column('client.timewait') / %d) with linespoints lw 1.5 dt 2 pt 6 pi 25 lc rgb '#08519c' title 'connections in TIME_WAIT, client'", pairs)
    if (srvtw > 0) { P = P.", csv using 1:(column('server.timewait')) with lines lw 2 lc rgb '#e6550d' title 'connections in TIME_WAIT, server (all)'" }
    if (pool > 0) { P = P.sprintf(", %g with lines dt 3 lw 2 lc rgb '#000000' title 'ports connect() can use: %.0f'", pool, pool) }
    eval "plot ".P
    set title sprintf("connections per second (averages over %g s)%s", avg_s, nfail > 0 ? "" : "; no connect() failed")
    set ylabel "per second"
    # a few connections a minute must not read as 0 on every tic
    set format y "%g"
    prev_t = 0; prev_v = 0
    eval "plot ".R
    unset multiplot
    unset output
}
