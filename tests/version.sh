#!/bin/sh
# The build's incremental rules, in a fresh clone of this checkout's HEAD:
#   - `connsim --version` names the commit it was built from, and a new
#     commit changes it without `make clean`: the version lives in the
#     generated build/version.h, which cmd/provenance.c alone includes, so
#     the make after a commit compiles that one object and relinks;
#   - a make with nothing new compiles and links nothing;
#   - a header's change recompiles the files that include it (-MMD -MP);
#   - without git (an unpacked tarball) the version is "unknown".
#
#   sh tests/version.sh      (from the top of a git checkout; .ci/run runs it)
#
# It builds with -O0 to stay quick: about 20 s on two shared cores.
set -eu
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
start=$(date +%s)
fail() { echo "version.sh: FAIL: $*" >&2; exit 1; }

git clone -q "$top" "$tmp/c"
cd "$tmp/c"
build() {  # make; what it compiled and linked, sorted, one a line, in $tmp/made
	make -j2 OPT=-O0 connsim > "$tmp/log" 2>&1 || { cat "$tmp/log"; fail "make failed"; }
	awk '/^ar /     { print "ar " $3; next }
	     / -c /     { for (i = 1; i < NF; i++) if ($i == "-c") print $(i + 1); next }
	     / -o /     { for (i = 1; i < NF; i++) if ($i == "-o") print "link " $(i + 1) }' \
		"$tmp/log" | sort > "$tmp/made"
}
made() { tr '\n' ' ' < "$tmp/made"; }
check_version() {  # the binary names HEAD's short hash (or "unknown")
	v=$(./connsim --version)
	case "$v" in
	"connsim $1" | "connsim $1"-* | "connsim "*-g"$1" | "connsim "*-g"$1"-*) ;;
	*) fail "connsim --version says '$v', expected $1" ;;
	esac
}

build
check_version "$(git rev-parse --short HEAD)"

build
[ -z "$(made)" ] || fail "a make with nothing new rebuilt: $(made)"

git -c user.name=version-test -c user.email=version-test@invalid -c commit.gpgsign=false \
	commit -q --allow-empty -m "an empty commit"
build
check_version "$(git rev-parse --short HEAD)"
[ "$(made)" = "ar build/libcmd.a cmd/provenance.c link connsim " ] ||
	fail "after a commit, expected provenance.c compiled and the links, got: $(made)"

# A header's users rebuild: every file that includes sim/rng.h, and not a
# file that does not (sim/bug.c includes sim/bug.h alone).
sleep 1  # a timestamp newer than the objects', on a file system with 1 s resolution
touch sim/rng.h
build
for f in $(grep -l '#include "sim/rng.h"' sim/*.c models/*.c cmd/*.c); do
	grep -qx "$f" "$tmp/made" || fail "sim/rng.h changed but $f was not recompiled"
done
! grep -qx sim/bug.c "$tmp/made" || fail "sim/rng.h changed and sim/bug.c, which does not include it, was recompiled"

# Without git the version is "unknown", and only provenance.c recompiles.
rm -rf .git
build
check_version unknown
[ "$(made)" = "ar build/libcmd.a cmd/provenance.c link connsim " ] || fail "without git, expected provenance.c compiled, got: $(made)"

echo "version.sh: ok ($(($(date +%s) - start)) s)"
