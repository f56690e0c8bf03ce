#!/usr/bin/env bash
# The benchmark harness must not rot: bench/harness.py --quick (small sizes,
# one repetition) runs every contender and every section, and every peer's
# row count agrees with tl's. No speed is asserted. Then proof that a count
# disagreement fails the run: a tl whose timeline loses one row.
# Needs TL and SRC; skipped (77) when a peer is not installed (./run test and
# bench/run install them).
set -uo pipefail
: "${TL:?}" "${SRC:?}"
for t in python3 sqlite3 lnav evtxexport evtx_dump.py /usr/bin/time cc; do
	command -v "$t" >/dev/null || { echo "skip: $t is not installed"; exit 77; }
done
WORK=$(mktemp -d /tmp/tl-bench-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }

python3 "$SRC/bench/harness.py" --tl "$TL" --quick --workdir "$WORK/w" >"$WORK/out.md" 2>"$WORK/err"
rc=$?
[ $rc -eq 0 ] && ok "harness --quick exits 0" || { no "harness --quick exits $rc"; tail -30 "$WORK/err"; }
grep -q FAIL "$WORK/out.md" && no "results mention FAIL: $(grep FAIL "$WORK/out.md" | head -3)" || ok "no FAIL in the results"
for f in squid zeek-tsv zeek-json zeek-dns bind iptables asa vpcflow cef cloudtrail okta mixed; do
	row=$(grep "^| $f | " "$WORK/out.md" | head -1)
	# records, then python and import times present, counts ok
	if [[ $row =~ \|\ ok\ \|$ ]] && ! [[ $row =~ \|\ -\ \| ]]; then ok "ingest row $f: every contender ran, counts agree"; else no "ingest row $f: $row"; fi
done
for f in squid cloudtrail; do
	row=$(grep -E "^\| $f \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+×? \| same \|$" "$WORK/out.md" | head -1)
	[ -n "$row" ] && ok "threads row $f: one and two threads timed, same events" || no "threads row $f missing or DIFFER"
done
for when in "10 s after" "touching (1 s)"; do
	row=$(grep -F "| squid | " "$WORK/out.md" | grep -F "| $when | " | head -1)
	# at --quick's size the new lines reach a quarter of the case: correlation says it ran whole, and why
	[[ $row =~ \|\ [0-9.]+\ %\ \| ]] && [[ $row =~ \|\ (incremental|full)\ .*\|$ ]] && ok "incremental row ($when): a ratio, and which correlation path ran" ||
		no "incremental row ($when): $row"
done
rows=("^| cold: ingest + timeline" "^| warm: timeline" "^| tl ingest |" "^| evtxexport" "first page" "(all "
	"(attributed first page)" "attributed)\`" "tl graph --entity user:" "tl chain --entity user:" "tl entities --type user"
	"tl bindings (first page")
# python-evtx cannot read the repository's synthetic fixture: it runs on the real corpus only
[ -d "$SRC/../shared/corpus/edr/sysmon_evtx" ] && rows+=("^| evtx_dump.py")
for q in "${rows[@]}"; do
	row=$(grep -F -- "${q#^}" "$WORK/out.md" | head -1)
	[[ $row == *"| ok |" ]] && ok "row '${q#^}' ran, counts agree" || no "row '${q#^}': ${row:-missing}"
done

# where the time goes: every ingest row (the twelve formats, the question case)
# has the seven phases of tl ingest --timings, with numbers
n=$(grep -cE '^\| [a-z0-9-]+ \| [0-9.]+ \([0-9]+ %\) \| ([0-9.]+ \([0-9]+ %\) \| ){5}[0-9.]+ \| [0-9.]+ \|$' "$WORK/out.md")
[ "$n" -eq 13 ] && ok "phase rows from tl ingest --timings: 13" || no "phase rows: $n, expected 13 (12 formats and the question case)"

# a tl whose timeline drops its last row: the lnav comparison must fail the run
cat >"$WORK/bad-tl" <<EOS
#!/usr/bin/env bash
if [ "\$1" = timeline ]; then "$TL" "\$@" | sed '\$d'; exit \${PIPESTATUS[0]}; fi
exec "$TL" "\$@"
EOS
chmod +x "$WORK/bad-tl"
python3 "$SRC/bench/harness.py" --tl "$WORK/bad-tl" --quick --only lnav --workdir "$WORK/w" >"$WORK/bad.md" 2>"$WORK/bad.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "lnav cold rows .* != tl rows" "$WORK/bad.md"; then
	ok "a count disagreement fails the run"
else
	no "a count disagreement was not caught (exit $rc)"
fi
# the same tl on the question latencies: the user's attributed timeline is one line short
python3 "$SRC/bench/harness.py" --tl "$WORK/bad-tl" --quick --only query --workdir "$WORK/w" >"$WORK/badq.md" 2>"$WORK/badq.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "tl timeline --entity user:.*--output jsonl.*: [0-9]* lines, expected" "$WORK/badq.md"; then
	ok "a short answer to a question fails the run"
else
	no "a short answer to a question was not caught (exit $rc)"
fi
[ $fails -eq 0 ] || { echo "$fails failed; results:"; cat "$WORK/out.md"; exit 1; }
