# A curve from `connsim sweep`: the metrics named in the experiment's
# [sweep] plot (default conn.fail_fraction; several, comma-separated) against
# the first varied key, with 95 % confidence bars; one curve per variant when
# the sweep has variants ([sweep] variants), and the analytical capacity
# ([sweep] capacity) marked when given.
# usage: gnuplot -e "outdir='out/lb'" plots/curve.gp
# Reads outdir/curve.csv; writes outdir/curve.png and outdir/curve.svg.
if (!exists("outdir")) outdir = "out/default"
csv = outdir."/curve.csv"
hdr(k) = system("sed -n 's/^# ".k.": //p' ".csv." | head -1")
metrics = hdr("plot")
if (strlen(metrics) == 0) metrics = "conn.fail_fraction"
metrics = system("echo '".metrics."' | tr ',' ' '")
nmetrics = words(metrics)
metrics2 = system("echo '".hdr("plot_y2")."' | tr ',' ' '")
y2lab = hdr("y2_label")
cap_s = hdr("capacity")
cap = strlen(cap_s) > 0 ? real(cap_s) : 0
question = hdr("question")
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
set key top left box opaque
if (hdr("x_log") eq "1") set logscale x
# every metric connsim writes is >= 0: anchor the axes at zero unless logarithmic
if (hdr("y_log") eq "1") { set logscale y } else { set yrange [0:*]; set y2range [0:*] }
set xlabel (strlen(xlab) > 0 ? xlab : xkey)
if (words(metrics2) > 0) { set y2tics; set ytics nomirror; \
                           set y2label (strlen(y2lab) > 0 ? y2lab : word(metrics2, 1)) }
if (words(metrics2) > 0 && hdr("y_log") eq "1") set logscale y2
set ylabel (strlen(ylab) > 0 ? ylab : word(metrics, 1))." (mean and 95 % CI)"
if (cap > 0) { set arrow 1 from cap, graph 0 to cap, graph 1 nohead dt 2 lw 2 lc "black"; \
               set label 1 sprintf("capacity %.0f", cap) at cap, graph 0.04 offset 1,0 }
# a point belongs to curve i when its variant column holds variant i
sel(i, v) = (strcol(1) eq V[i]) ? v : NaN
# The plot command, one clause per curve (gnuplot's plot-for does not skip
# an empty iteration, so the clauses are built here).
clause(i, m, ax) = sprintf("csv using (%s):(column('%s.mean')):(column('%s.ci95')) axes x1%s with yerrorlines lw 2 %s lc %d title '%s'", \
    i > 0 ? sprintf("sel(%d, xval(0))", i) : "xval(0)", m, m, ax, ax eq "y2" ? "dt 2 pt 6" : "pt 7", \
    i > 0 ? i : ncurves + 1, (i > 0 ? V[i] : "").((i > 0 && (nmetrics > 1 || ax eq "y2")) ? " " : "").((i == 0 || nmetrics > 1 || ax eq "y2") ? m : ""))
cmd = ""
ncurves = 0
do for [i=(nvariants > 0 ? 1 : 0):nvariants] {
    do for [j=1:nmetrics] { cmd = cmd.(strlen(cmd) ? ", " : "").clause(i, word(metrics, j), "y1"); ncurves = ncurves + 1 }
    do for [j=1:words(metrics2)] { cmd = cmd.(strlen(cmd) ? ", " : "").clause(i, word(metrics2, j), "y2"); ncurves = ncurves + 1 }
}
do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1000,600 font ",11" } else { set terminal svg noenhanced size 1000,600 font ",11" dynamic }
    set output outdir."/curve.".fmt
    set title question
    eval "plot ".cmd
    unset output
}
