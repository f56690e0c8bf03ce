#!/usr/bin/env bash
# valgrind over the demo (ingest + timeline + sources on a copy of
# fixtures/cases/demo) and tl chain on fixtures/cases/chain, with
# --leak-check=full and --error-exitcode=1.
# valgrind cannot run an ASan binary: when the tl under test is sanitized
# (SANITIZED=1), a plain Debug tl is built beside it in VG_BUILD first.
# Skipped (77) when valgrind is not installed.
set -u
command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 77; }
case "$(echo "${SANITIZED:-OFF}" | tr a-z A-Z)" in OFF | 0 | FALSE | NO | N | "") SANITIZED=0 ;; *) SANITIZED=1 ;; esac
if [ "$SANITIZED" = 1 ]; then
	cmake -S "$SRC" -B "$VG_BUILD" -DCMAKE_BUILD_TYPE=Debug -DTL_SANITIZE=OFF -DTL_TESTS=OFF >/dev/null &&
		cmake --build "$VG_BUILD" --target tl -j2 >"$VG_BUILD.log" 2>&1 ||
		{ echo "cannot build a plain tl for valgrind:"; tail -20 "$VG_BUILD.log"; exit 1; }
	TL="$VG_BUILD/tl"
fi
. "$SRC/tests/cli/lib.sh"
cp -r "$SRC/fixtures/cases/demo" "$WORK/demo"
rm -rf "$WORK/demo/case.db"* "$WORK/demo/out" "$WORK/demo/expected"
VG=(valgrind -q --error-exitcode=99 --suppressions="$SRC/tests/valgrind/pcre2-jit.supp" --suppressions="$SRC/tests/valgrind/graphviz.supp" --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --track-fds=no)
vg() { # vg WANT DESCRIPTION -- tl args...
	local want=$1 what=$2
	shift 3
	"${VG[@]}" "$TL" "$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		fail "$what (exit $got, wanted $want; 99 = valgrind found errors)"
		sed 's/^/    /' "$WORK/err" | head -60
	fi
}
vg 3 "ingest under valgrind: no errors, no leaks" -- ingest --no-progress "$WORK/demo"
vg 0 "timeline under valgrind" -- timeline "$WORK/demo"
vg 0 "timeline jsonl under valgrind" -- timeline --output jsonl "$WORK/demo"
vg 0 "sources under valgrind" -- sources "$WORK/demo"
vg 0 "graph (Cytoscape JSON) under valgrind" -- graph --entity user:mchen --depth 2 --output json "$WORK/demo"
vg 0 "graph (SVG through libgvc) under valgrind" -- graph --output svg "$WORK/demo"
vg 0 "re-ingest (nothing to do) under valgrind" -- ingest --no-progress "$WORK/demo"
cp -r "$SRC/fixtures/cases/chain" "$WORK/chain"
"$TL" ingest --no-progress "$WORK/chain" >/dev/null 2>&1
vg 0 "chain under valgrind (every rule of the chain case)" -- chain --entity user:mchen "$WORK/chain"
vg 0 "chain md under valgrind" -- chain --entity host:srv-db01 --output md "$WORK/chain"
finish
