# Occupancy and failures over time for one run of connsim.
# usage: gnuplot -e "outdir='out/default'" plots/timeseries.gp
# Reads outdir/timeseries.csv (header row, '#' comment lines) and writes
# outdir/timeseries.png and outdir/timeseries.svg.
if (!exists("outdir")) outdir = "out/default"
csv = outdir."/timeseries.csv"
set datafile separator ","
set datafile commentschars "#"
set key top left box opaque
set grid
set xlabel "simulated time (s)"

# the port pool connect() draws from, from the summary (0 if absent)
pool = 0
if (system("test -f ".outdir."/summary.csv && echo y") eq "y") {
    stats outdir."/summary.csv" using (column("port_pool")) nooutput
    pool = STATS_max
}

# rate from a cumulative counter column: difference between consecutive rows
prev_t = 0; prev_v = 0
rate(t, v) = (dt = t - prev_t, dv = v - prev_v, prev_t = t, prev_v = v, dt > 0 ? dv / dt : 1/0)

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1100,700 font ",11" } else { set terminal svg noenhanced size 1100,700 font ",11" dynamic }
    set output outdir."/timeseries.".fmt
    set multiplot layout 2,1 title "connsim: ".outdir
    set ylabel "sockets / ports"
    set format y "%.0f"
    plot csv using 1:(column("client.timewait")) with lines lw 2 title "client TIME_WAIT sockets", \
         (pool > 0 ? pool : 1/0) with lines dt 3 lc "black" title sprintf("ports connect() can use: %d", pool), \
         csv using 1:(column("client.ports_in_use")) with lines lw 2 dt 2 title "client ports in use", \
         csv using 1:(column("server.timewait")) with lines lw 2 title "server TIME_WAIT sockets"
    # rates over every 10th sample: TIME_WAIT expiries come in batches at the
    # timer wheel's slot boundaries (2.048 s at HZ=250), which 1 s rates alias
    set ylabel "connections per second (10-sample average)"
    prev_t = 0; prev_v = 0
    plot csv every 10 using 1:(rate(column(1), column("conn.attempts"))) with lines lw 2 title "connect() attempts", \
         csv every 10 using 1:(rate(column(1), column("conn.established"))) with lines lw 2 title "established", \
         csv every 10 using 1:(rate(column(1), column("conn.EADDRNOTAVAIL"))) with lines lw 2 title "failed: EADDRNOTAVAIL"
    unset multiplot
    unset output
}
