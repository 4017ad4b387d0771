# A curve from `connsim sweep`: the metric named in the experiment's
# [sweep] plot (default conn.fail_fraction) against the first varied key,
# with 95 % confidence bars, and the analytical capacity ([sweep] capacity)
# marked when given.
# usage: gnuplot -e "outdir='out/lb'" plots/curve.gp
# Reads outdir/curve.csv; writes outdir/curve.png and outdir/curve.svg.
if (!exists("outdir")) outdir = "out/default"
csv = outdir."/curve.csv"
metric = system("sed -n 's/^# plot: //p' ".csv." | head -1")
if (strlen(metric) == 0) metric = "conn.fail_fraction"
cap_s = system("sed -n 's/^# capacity: //p' ".csv." | head -1")
cap = strlen(cap_s) > 0 ? real(cap_s) : 0
question = system("sed -n 's/^# question: //p' ".csv." | head -1")
xkey = system("grep -v '^#' ".csv." | head -1 | cut -d, -f1")
xlab = system("sed -n 's/^# x_label: //p' ".csv." | head -1")
ylab = system("sed -n 's/^# y_label: //p' ".csv." | head -1")
set datafile separator ","
set datafile commentschars "#"
set grid
set key top left box opaque
set xlabel (strlen(xlab) > 0 ? xlab : xkey)
set ylabel (strlen(ylab) > 0 ? ylab : metric)." (mean and 95 % CI)"
if (cap > 0) { set arrow 1 from cap, graph 0 to cap, graph 1 nohead dt 2 lw 2 lc "black"; \
               set label 1 sprintf("capacity %.0f", cap) at cap, graph 0.95 offset 1,0 }
do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1000,600 font ",11" } else { set terminal svg noenhanced size 1000,600 font ",11" dynamic }
    set output outdir."/curve.".fmt
    set title question
    plot csv using 1:(column(metric.".mean")):(column(metric.".ci95")) with yerrorlines lw 2 pt 7 title metric
    unset output
}
