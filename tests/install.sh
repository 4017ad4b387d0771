#!/bin/sh
# make install, and what it installs: the binary works from another
# directory with the installed experiments and plot scripts; the man page
# renders without warnings and documents every command and option the binary
# has; the bash completion completes from the installed binary; DESTDIR stages
# and uninstall removes.  Run from the repository root (make check-install):
#   MAKE=make sh tests/install.sh
# Checks whose tool is missing (groff/mandoc, bash, gnuplot) are skipped with
# a message.
set -u
MAKE=${MAKE:-make}
SANITIZE=${SANITIZE:-}
SRC=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/     /' "$2"; }
skipped() { skip=$((skip + 1)); echo "skip $1"; }
have() { command -v "$1" >/dev/null 2>&1; }

P=$T/usr
if $MAKE --no-print-directory -s install PREFIX="$P" SANITIZE="$SANITIZE" >"$T/log" 2>&1; then
	ok "make install PREFIX=$P"
else
	bad "make install PREFIX=$P failed" "$T/log"
	echo "install: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
BIN=$P/bin/connsim
MAN=$P/share/man/man1/connsim.1
COMP=$P/share/bash-completion/completions/connsim

# every file in its place
missing=
for f in "$BIN" "$MAN" "$COMP" "$P/share/connsim/plots/timeseries.gp" "$P/share/connsim/plots/curve.gp"; do
	[ -f "$f" ] || missing="$missing $f"
done
for e in experiments/*.ini; do
	[ -f "$P/share/connsim/experiments/${e#experiments/}" ] || missing="$missing $e"
done
[ -x "$BIN" ] || missing="$missing (bin/connsim not executable)"
if [ -z "$missing" ]; then ok "installed files"; else bad "not installed:$missing"; fi

# the installed binary, from a directory that is not the sources
mkdir -p "$T/elsewhere"
cd "$T/elsewhere" || exit 1
if "$BIN" --help >"$T/help" 2>&1 && grep -q '^Commands:' "$T/help" && grep -q '^  run ' "$T/help"; then
	ok "installed connsim --help from another directory"
else
	bad "installed connsim --help from another directory" "$T/help"
fi
if "$BIN" --version >"$T/version" 2>&1 && grep -q '^connsim ' "$T/version"; then
	ok "installed connsim --version"
else
	bad "installed connsim --version" "$T/version"
fi
# an installed experiment runs from here, and writes where --out says
if "$BIN" run "$P/share/connsim/experiments/default.ini" --duration 30s --warmup 0s --quiet --out run1 >"$T/run" 2>&1 &&
	[ -s run1/timeseries.csv ] && [ -s run1/summary.csv ]; then
	ok "installed experiment runs from another directory"
else
	bad "installed experiment runs from another directory" "$T/run"
fi
# the installed plot script draws it (it reads only outdir)
if ! have gnuplot; then
	skipped "installed timeseries.gp (gnuplot not installed)"
elif [ -s run1/timeseries.csv ] &&
	gnuplot -e "outdir='run1'" "$P/share/connsim/plots/timeseries.gp" >"$T/gp" 2>&1 && [ -s run1/timeseries.png ]; then
	ok "installed timeseries.gp renders from another directory"
else
	bad "installed timeseries.gp renders from another directory" "$T/gp"
fi
# and a small sweep with the installed curve.gp
if "$BIN" sweep "$P/share/connsim/experiments/default.ini" --vary workload.rate=100,200 --reps 2 --jobs 1 \
	--set experiment.duration=5s --set experiment.warmup=0s --quiet --out sweep1 >"$T/sweep" 2>&1 &&
	[ -s sweep1/curve.csv ]; then
	ok "installed experiment sweeps from another directory"
else
	bad "installed experiment sweeps from another directory" "$T/sweep"
fi
if ! have gnuplot; then
	skipped "installed curve.gp (gnuplot not installed)"
elif [ -s sweep1/curve.csv ] &&
	gnuplot -e "outdir='sweep1'" "$P/share/connsim/plots/curve.gp" >"$T/gp" 2>&1 && [ -s sweep1/curve.png ]; then
	ok "installed curve.gp renders from another directory"
else
	bad "installed curve.gp renders from another directory" "$T/gp"
fi
cd "$SRC" || exit 1

# the man page renders without a warning
rendered=0
if have groff; then
	# -P-cbou: plain text, no overstriking, so the grep sees words
	if groff -man -Tutf8 -ww -P-cbou "$MAN" >"$T/man.txt" 2>"$T/groff.err" && [ ! -s "$T/groff.err" ] &&
		grep -q 'EXIT STATUS' "$T/man.txt"; then
		ok "man page renders with groff -ww, no warning"
	else
		bad "man page: groff -man -ww" "$T/groff.err"
	fi
	rendered=1
fi
if have mandoc; then
	if mandoc -Tlint "$MAN" >"$T/mandoc.err" 2>&1; then
		ok "man page passes mandoc -Tlint"
	else
		bad "man page: mandoc -Tlint" "$T/mandoc.err"
	fi
	rendered=1
fi
[ "$rendered" = 1 ] || skipped "man page rendering (neither groff nor mandoc installed)"

# the man page documents every command the binary lists and every long
# option of each command's --help (the source says \- for -)
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' "$T/help")
undoc=
for c in $cmds; do
	grep -q "^\.BI\{0,1\} $c\( \|$\)" "$MAN" || undoc="$undoc $c"
	for o in $("$BIN" "$c" --help 2>/dev/null | sed -n 's/^ *\(-[A-Za-z?], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p;
		s/^usage: .*\[--\([a-z][a-z-]*\)\].*/\1/p'); do
		# --dry-run is written \-\-dry\-run: a BRE with each - as \\-
		pat=$(printf '%s' "--$o" | sed 's/-/\\\\-/g')
		grep -q -- "$pat" "$MAN" || undoc="$undoc $c:--$o"
	done
done
if [ -z "$cmds" ]; then
	bad "no commands in connsim --help" "$T/help"
elif [ -z "$undoc" ]; then
	ok "man page documents every command and option ($(echo $cmds))"
else
	bad "man page lacks:$undoc"
fi

# the bash completion, sourced and called as bash calls it; expectations come
# from the binary's own listings, so they hold whatever profiles exist
if ! have bash; then
	skipped "bash completion (bash not installed)"
else
	mkdir -p "$T/exps/sub"
	: >"$T/exps/one.ini"
	: >"$T/exps/two.ini"
	: >"$T/exps/notes.txt"
	: >"$T/sysctl.conf"
	profiles4=$("$BIN" profiles | grep -o '^4[.0-9]*:' | tr -d : | tr '\n' ' ')
	allprofiles=$("$BIN" profiles | sed -n 's/^\([^ :][^ :]*\): .*/\1/p' | tr '\n' ' ')
	explain=
	grep -q '^  explain ' "$T/help" && explain=1
	cat >"$T/comp.bash" <<'EOF'
. "$COMP"
n=0 f=0
# t EXPECTED WORD... : complete the last WORD (bash splits = and : into words
# of their own, so the tests do too) and compare the sorted candidates
t() {
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_connsim
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	want=$(printf '%s\n' $want | sort | tr '\n' ' ')
	if [[ $got == "$want" ]]; then
		echo "ok   completion: ${*:2}<TAB> -> $got"
	else
		echo "FAIL completion: ${*:2}<TAB> -> '$got', expected '$want'"
		f=$((f + 1))
	fi
	n=$((n + 1))
}
[[ $(complete -p connsim) == *"-F _connsim"* ]] || { echo "FAIL complete -p connsim"; f=$((f + 1)); }
t "sweep" "$BIN" sw
t "--help --version" "$BIN" --
t "--profile" "$BIN" run --pro
t "$PROFILES4" "$BIN" run --profile 4
t "$PROFILES4" "$BIN" run --profile = 4
t "$PROFILES4" "$BIN" sweep -p 4
t "$ALLPROFILES" "$BIN" run --profile ""
t "--vary --variant" "$BIN" sweep --va
t "--markdown --help" "$BIN" keys -
t "net.ipv4.tcp_tw_reuse= net.ipv4.tcp_tw_reuse_delay=" "$BIN" run --set net.ipv4.tcp_tw_reuse
t "client.sysctl.net.ipv4.tcp_fin_timeout=" "$BIN" run --set client.sysctl.net.ipv4.tcp_fin
t "workload.rate= workload.rate_per_client=" "$BIN" sweep --vary workload.ra
t "$PROFILES4" "$BIN" sweep --vary profile = 4
t "$DIR/exps/one.ini $DIR/exps/two.ini $DIR/exps/sub" "$BIN" run "$DIR/exps/"
t "$DIR/exps/one.ini" "$BIN" sweep -q "$DIR/exps/o"
t "client: firewall: nat: server:" "$BIN" run --sysctl ""
t "$DIR/sysctl.conf" "$BIN" run --sysctl "$DIR/sysctl"
t "$DIR/sysctl.conf" "$BIN" run --sysctl client : "$DIR/sysctl"
t "$DIR/exps" "$BIN" run --out "$DIR/ex"
t "" "$BIN" run --seed ""
t "check" "$BIN" che
t "--proposed" "$BIN" check --prop
t "both client server" "$BIN" check --close ""
t "$DIR/sysctl.conf" "$BIN" check --proposed client : "$DIR/sysctl"
t "$DIR/exps/one.ini" "$BIN" check "$DIR/exps/o"
if [[ -n $EXPLAIN ]]; then
	t "explain" "$BIN" expl
	t "net.ipv4.tcp_tw_reuse net.ipv4.tcp_tw_reuse_delay" "$BIN" explain net.ipv4.tcp_tw_reuse
	t "--help --list" "$BIN" explain -
else
	echo "skip completion of explain names (this connsim has no explain command)"
fi
echo "completion: $n cases, $f failed"
exit $((f > 0))
EOF
	# from an empty directory, so a file name completes only what a case made
	mkdir -p "$T/empty"
	if (cd "$T/empty" && COMP="$COMP" BIN="$BIN" DIR="$T" PROFILES4="$profiles4" ALLPROFILES="$allprofiles" \
		EXPLAIN="$explain" bash --norc --noprofile "$T/comp.bash") >"$T/comp.out" 2>&1 && [ -n "$profiles4" ]; then
		ok "bash completion ($(tail -n 1 "$T/comp.out"))"
	else
		bad "bash completion" "$T/comp.out"
	fi
fi

# DESTDIR stages under its root; uninstall removes what install put
if $MAKE --no-print-directory -s install PREFIX=/opt/connsim DESTDIR="$T/stage" SANITIZE="$SANITIZE" >"$T/log" 2>&1 &&
	[ -x "$T/stage/opt/connsim/bin/connsim" ] && [ -f "$T/stage/opt/connsim/share/man/man1/connsim.1" ]; then
	ok "make install DESTDIR= PREFIX=/opt/connsim stages under DESTDIR"
else
	bad "make install DESTDIR=" "$T/log"
fi
$MAKE --no-print-directory -s uninstall PREFIX="$P" SANITIZE="$SANITIZE" >"$T/log" 2>&1
left=$(find "$P" -type f | sed "s|^$P/||")
if [ -z "$left" ]; then
	ok "make uninstall removes every installed file"
else
	bad "make uninstall left: $(echo $left)" "$T/log"
fi

echo "install: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
