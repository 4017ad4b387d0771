# A curve from `connsim sweep`: the metrics named in the experiment's
# [sweep] plot (default conn.fail_fraction; several, comma-separated) against
# the first varied key, with 95 % confidence bars; one curve per variant when
# the sweep has variants ([sweep] variants), and the analytical capacity
# ([sweep] capacity) marked when given.
# usage: gnuplot -e "outdir='out/lb'" plots/curve.gp
# Reads outdir/curve.csv; writes outdir/curve.png and outdir/curve.svg.
#
# The legend sits below the plot, outside the data.  Curves that coincide
# (variants a setting does not change, metrics at zero) stay visible: each
# curve has its own open mark, drawn smaller and on a narrower line than the
# one before it, so marks nest instead of hiding each other; a variant keeps
# one colour, the right axis's curves are dashed.  Legends and default axis
# labels say in words what a metric is (label() below), not its column name.
if (!exists("outdir")) outdir = "out/default"
csv = outdir."/curve.csv"
if (system("test -r '".csv."' && echo y") ne "y") { print sprintf("curve.gp: cannot read %s (run connsim first; outdir is its --out)", csv); exit status 1 }
hdr(k) = system("sed -n 's/^# ".k.": //p' ".csv." | head -1")
metrics = hdr("plot")
if (strlen(metrics) == 0) metrics = "conn.fail_fraction"
metrics = system("echo '".metrics."' | tr ',' ' '")
nmetrics = words(metrics)
metrics2 = system("echo '".hdr("plot_y2")."' | tr ',' ' '")
y2lab = hdr("y2_label")
cap_s = hdr("capacity")
cap = strlen(cap_s) > 0 ? real(cap_s) : 0
# a long question is folded onto several title lines, not cut at the edges
question = system("sed -n 's/^# question: //p' ".csv." | head -1 | fold -s -w 100 | sed 's/ *$//'")
qlines = int(system("sed -n 's/^# question: //p' ".csv." | head -1 | fold -s -w 100 | wc -l"))
xlab = hdr("x_label")
ylab = hdr("y_label")
variants = hdr("variants")
nvariants = strlen(variants) > 0 ? int(system("echo '".variants."' | tr '|' '\\n' | wc -l")) : 0
array V[nvariants > 0 ? nvariants : 1]
do for [i=1:nvariants] { V[i] = system("echo '".variants."' | cut -d'|' -f".i) }
# the first varied key is the column after "variant" when there are variants
xcol = nvariants > 0 ? 2 : 1
xkey = system("sed -n '/^[^#]/{p;q}' ".csv." | cut -d, -f".xcol)
# [sweep] x: the x values are a metric's means (a measured quantity)
xmetric = hdr("x")
if (strlen(xmetric) > 0) xkey = xmetric
xval(dummy) = strlen(xmetric) > 0 ? column(xmetric.".mean") : column(xcol)
set datafile separator ","
set datafile commentschars "#"
set grid
set key outside below center horizontal maxcols 2 Left reverse samplen 3 spacing 1.1 height 0.8
if (hdr("x_log") eq "1") set logscale x
# every metric connsim writes is >= 0: anchor the axes at zero unless logarithmic
if (hdr("y_log") eq "1") { set logscale y } else { set yrange [0:*]; set y2range [0:*] }
# a metric in words: the box (nat, firewall) of a BOX.* metric is named;
# a metric not listed here keeps its column name
box_(m) = m[1:strstrt(m, ".") - 1]
rest_(m) = m[strstrt(m, ".") + 1:]
st_(r) = r[10:strlen(r) - 5]
label(m) = m eq "conn.fail_fraction" ? "connects that failed" : \
    m eq "conn.EADDRNOTAVAIL.fraction" ? "connects failed: no free local port" : \
    m eq "conn.ct_drop.fraction" ? "SYN dropped: conntrack table full" : \
    m eq "conn.nat_fail.fraction" ? "SYN dropped: no free NAT tuple" : \
    m eq "conn.paws_drop.fraction" ? "SYN dropped by the PAWS check (tw_recycle)" : \
    m eq "conn.paws_drop.host_fraction" ? "users with a SYN dropped by PAWS" : \
    m eq "conn.syn_tw_collision.fraction" ? "SYN met a TIME_WAIT at the server" : \
    m eq "conn.ETIMEDOUT.fraction" ? "connects timed out" : \
    m eq "conn.first_failure_s" ? "time to the first failed connect (s)" : \
    m eq "conn.setup.mean_ms" ? "mean connect latency (ms)" : \
    m eq "conn.setup.p99_ms" ? "99th percentile connect latency (ms)" : \
    m eq "conn.rate" ? "connect() calls per second" : \
    m eq "client.timewait.mean" ? "client connections in TIME_WAIT (mean)" : \
    m eq "client.TcpExtTCPSynRetrans" ? "SYNs retransmitted by the client" : \
    m eq "client.TcpExtPAWSTimewait" ? "SYNs rejected by PAWS in TIME_WAIT (client)" : \
    m eq "server.TcpExtPAWSTimewait" ? "SYNs rejected by PAWS in a server TIME_WAIT" : \
    m eq "server.timewait.mean" ? "server connections in TIME_WAIT (mean)" : \
    rest_(m) eq "ct.count.mean" ? "conntrack entries, ".box_(m)." (mean)" : \
    rest_(m) eq "ct.count.peak" ? "conntrack entries, ".box_(m)." (peak)" : \
    rest_(m)[1:9] eq "ct.state." && rest_(m)[strlen(rest_(m)) - 4:] eq ".peak" ? st_(rest_(m))." conntrack entries, ".box_(m)." (peak)" : \
    rest_(m) eq "ct.buckets.p99" ? "chain length, 99th percentile" : \
    rest_(m) eq "ct.buckets.poisson_p99" ? "chain length, 99th percentile of a uniform hash" : \
    rest_(m) eq "ct.buckets.max" ? "longest chain" : \
    rest_(m) eq "ct.buckets.poisson_max" ? "longest chain of a uniform hash (expected)" : \
    rest_(m) eq "ct.buckets.load" ? "load factor (conntrack nodes per bucket)" : m
set xlabel (strlen(xlab) > 0 ? xlab : label(xkey)) offset 0,0.3
if (words(metrics2) > 0) { set y2tics; set ytics nomirror; \
                           set y2label (strlen(y2lab) > 0 ? y2lab : label(word(metrics2, 1))." (dashed)") }
if (words(metrics2) > 0 && hdr("y_log") eq "1") set logscale y2
# what a point and its bar are goes in the title: on the axis it made long
# labels run off the figure
set ylabel (strlen(ylab) > 0 ? ylab : label(word(metrics, 1)))
if (cap > 0) { set arrow 1 from cap, graph 0 to cap, graph 1 nohead dt 2 lw 2 lc "black"; \
               set label 1 sprintf("capacity %g", cap) at cap, graph 0.95 offset 1,0 }
# a point belongs to curve i when its variant column holds variant i
sel(i, v) = (strcol(1) eq V[i]) ? v : NaN
# The plot command, one clause per curve (gnuplot's plot-for does not skip
# an empty iteration, so the clauses are built here).
# curve k (1, 2, ...): its own open mark, smaller and on a narrower line than
# curve k - 1, so that coinciding curves show as nested marks
PT = "6 4 8 12 10 14 2 1 3 6 4 8"
mark(k) = sprintf("pt %s ps %.2f lw %.2f", word(PT, (k - 1) % 12 + 1), k > 8 ? 0.8 : 2.6 - 0.25 * (k - 1), k > 8 ? 1 : 3.2 - 0.3 * (k - 1))
clause(i, m, ax) = sprintf("csv using (%s):(column('%s.mean')):(column('%s.ci95')) axes x1%s with yerrorlines %s %s lc %d title '%s'", \
    i > 0 ? sprintf("sel(%d, xval(0))", i) : "xval(0)", m, m, ax, mark(ncurves + 1), ax eq "y2" ? "dt 2" : "dt 1", \
    i > 0 ? i : ncurves + 1, (i > 0 ? V[i] : "").((i > 0 && (nmetrics > 1 || ax eq "y2")) ? ": " : "").((i == 0 || nmetrics > 1 || ax eq "y2") ? label(m).(ax eq "y2" ? " (right axis)" : "") : ""))
cmd = ""
ncurves = 0
do for [i=(nvariants > 0 ? 1 : 0):nvariants] {
    do for [j=1:nmetrics] { cmd = cmd.(strlen(cmd) ? ", " : "").clause(i, word(metrics, j), "y1"); ncurves = ncurves + 1 }
    do for [j=1:words(metrics2)] { cmd = cmd.(strlen(cmd) ? ", " : "").clause(i, word(metrics2, j), "y2"); ncurves = ncurves + 1 }
}
# A curve at zero would run along the bottom border and vanish into it: a
# dry run finds the top of each axis, then the axes start a little below 0.
if (hdr("y_log") ne "1") {
    set table "/dev/null"
    eval "plot ".cmd
    unset table
    ytop = GPVAL_Y_MAX
    # near the right edge the capacity's label goes on the line's left
    if (cap > 0 && cap > GPVAL_X_MIN + 0.75 * (GPVAL_X_MAX - GPVAL_X_MIN)) {
        set label 1 sprintf("capacity %g", cap) at cap, graph 0.95 right offset -1,0
    }
    set yrange [-0.03 * ytop:1.03 * ytop]
    if (words(metrics2) > 0) { y2top = GPVAL_Y2_MAX; set y2range [-0.03 * y2top:1.03 * y2top] }
}
do for [fmt in "png svg"] {
    h = 560 + 22 * ((ncurves + 1) / 2) + 16 * (qlines > 1 ? qlines - 1 : 0)
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1000,h font ",11" } else { set terminal svg noenhanced size 1000,h font ",11" dynamic }
    set output outdir."/curve.".fmt
    set title question."\npoints: means over the replications; bars: 95 % confidence intervals"
    eval "plot ".cmd
    unset output
}
