# The two sides of a comparison over time: replication 0 of each, overlaid.
# usage: gnuplot -e "outdir='out/default-compare'" plots/compare.gp
# Reads outdir/before-timeseries.csv and outdir/after-timeseries.csv (written
# by connsim compare; header row, '#' comment lines) and outdir/compare.csv
# (for the port pool), and writes outdir/compare.png and outdir/compare.svg.
#
# Before is drawn first, thick and light; after on top of it, thin, dark and
# dashed: where the two coincide (a setting that changes nothing) the dashed
# line runs inside the light band and both stay visible.  The legends sit
# below the panels, outside the data.
if (!exists("outdir")) outdir = "out/default-compare"
before = outdir."/before-timeseries.csv"
after = outdir."/after-timeseries.csv"
set datafile separator ","
set datafile commentschars "#"
set grid
set xlabel "simulated time (s)" offset 0,0.3
set key outside below center horizontal maxcols 2 Left reverse box spacing 1.1 height 0.6

# the port pool connect() draws from: the before side's, from compare.csv (0 if absent)
pool = 0
if (system("test -f ".outdir."/compare.csv && echo y") eq "y") {
    stats outdir."/compare.csv" using (strcol(1) eq "port_pool" ? column(2) : 1/0) nooutput
    if (STATS_records > 0) { pool = STATS_max }
}

# rate from a cumulative counter column: difference between consecutive rows
prev_t = 0; prev_v = 0
rate(t, v) = (dt = t - prev_t, dv = v - prev_v, prev_t = t, prev_v = v, dt > 0 ? dv / dt : 1/0)

# before: light and wide; after: dark, narrow and dashed
b1 = "#9ecae1"; a1 = "#08519c"
b2 = "#fdae6b"; a2 = "#a63603"
bw = 5; aw = 1.5

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1100,900 font ",11" } else { set terminal svg noenhanced size 1100,900 font ",11" dynamic }
    set output outdir."/compare.".fmt
    set multiplot layout 2,1 title "connsim compare: ".outdir." (replication 0 of each side)"
    set ylabel "sockets / ports"
    set format y "%.0f"
    plot before using 1:(column("client.timewait")) with lines lw bw lc rgb b1 title "before: client TIME_WAIT sockets", \
         after using 1:(column("client.timewait")) with lines lw aw dt 2 lc rgb a1 title "after: client TIME_WAIT sockets", \
         before using 1:(column("server.timewait")) with lines lw bw lc rgb b2 title "before: server TIME_WAIT sockets", \
         after using 1:(column("server.timewait")) with lines lw aw dt 2 lc rgb a2 title "after: server TIME_WAIT sockets", \
         (pool > 0 ? pool : 1/0) with lines dt 3 lc "black" title sprintf("ports connect() can use (before): %d", pool)
    # rates over every 10th sample, as plots/timeseries.gp does (TIME_WAIT
    # expiries come in batches at the timer wheel's 2.048 s slots)
    set ylabel "connections per second (10-sample average)"
    prev_t = 0; prev_v = 0
    plot before every 10 using 1:(rate(column(1), column("conn.established"))) with lines lw bw lc rgb b1 title "before: established", \
         after every 10 using 1:(rate(column(1), column("conn.established"))) with lines lw aw dt 2 lc rgb a1 title "after: established", \
         before every 10 using 1:(rate(column(1), column("conn.EADDRNOTAVAIL"))) with lines lw bw lc rgb b2 title "before: failed, EADDRNOTAVAIL", \
         after every 10 using 1:(rate(column(1), column("conn.EADDRNOTAVAIL"))) with lines lw aw dt 2 lc rgb a2 title "after: failed, EADDRNOTAVAIL"
    unset multiplot
    unset output
}
