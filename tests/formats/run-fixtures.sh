#!/usr/bin/env bash
# Golden-file format fixtures.
#
# usage: run-fixtures.sh TL_BINARY SOURCE_DIR
#
# Every SOURCE_DIR/fixtures/<family>/<format>/<case>.<ext> that has a
# <case>.expect.jsonl beside it (<case> is the file name up to its first dot)
# is ingested alone into a fresh case; the test checks that
#   - `tl ingest` exits 0 or 3,
#   - detection by content chose <format> (evidence_files.format),
#   - records = events + rejects + merged (records grouped into another's event),
#   - `tl timeline --output jsonl` equals <case>.expect.jsonl,
#   - if <case>.expect-sources.txt exists, it equals
#     "records=N events=N rejects=N meta=N" from evidence_files (then
#     " merged=N" when records were merged).
# If <case>.expect-mtime exists, the copy's modification time is set to the epoch
# seconds it holds before ingest: for formats whose only time is the file's
# mtime (openvpn-ipp), which a checkout would otherwise set to any moment.
# With TL_UPDATE_EXPECTED=1 the expected files are rewritten instead (the
# .expect-sources.txt only where one already exists).
#
# Prints "ok <path>" or "FAIL <path>" (with the reason or diff) per case, then
# "N passed, M failed"; exits 1 if any case failed.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 TL_BINARY SOURCE_DIR" >&2
	exit 2
fi
tl=$1
src=$2
case "$tl" in /*) ;; *) tl="$PWD/$tl" ;; esac
[ -x "$tl" ] || { echo "$0: not executable: $tl" >&2; exit 2; }
[ -d "$src/fixtures" ] || { echo "$0: no fixtures/ under $src" >&2; exit 2; }
update=${TL_UPDATE_EXPECTED:-0}

work=$(mktemp -d "${TMPDIR:-/tmp}/tl-fixtures.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
declare -A seen=()

# run_case FILE REL FORMAT EXPECT SOURCES -> prints ok/FAIL; returns 0 on pass
run_case() {
	local file=$1 rel=$2 format=$3 expect=$4 sources=$5
	local dir rc got line why=""
	dir=$(mktemp -d "$work/case.XXXXXX")
	if ! "$tl" init "$dir/case" >"$dir/init.out" 2>&1; then
		echo "FAIL $rel"
		echo "  tl init failed:"; sed 's/^/  /' "$dir/init.out"
		return 1
	fi
	mkdir -p "$dir/case/evidence"
	cp -p "$file" "$dir/case/evidence/"
	if [ -f "${expect%.expect.jsonl}.expect-mtime" ]; then
		touch -d "@$(head -n 1 "${expect%.expect.jsonl}.expect-mtime")" "$dir/case/evidence/$(basename "$file")"
	fi
	rc=0
	"$tl" ingest --no-progress "$dir/case" >"$dir/ingest.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		echo "FAIL $rel"
		echo "  tl ingest exited $rc:"; sed 's/^/  /' "$dir/ingest.out"
		return 1
	fi
	got=$("$tl" sql "$dir/case" "SELECT format FROM evidence_files" | tail -n +2)
	if [ "$got" != "$format" ]; then
		why="detected format '${got}', expected '${format}'"
	fi
	line=$("$tl" sql "$dir/case" \
		"SELECT 'records=' || records || ' events=' || events || ' rejects=' || rejects || ' meta=' || meta || CASE WHEN merged THEN ' merged=' || merged ELSE '' END FROM evidence_files" |
		tail -n +2)
	if [ -z "$why" ] && ! "$tl" sql "$dir/case" \
		"SELECT records = events + rejects + merged FROM evidence_files" | tail -n +2 | grep -qx 1; then
		why="records != events + rejects + merged ($line)"
	fi
	"$tl" timeline --output jsonl "$dir/case" >"$dir/timeline.jsonl"

	if [ "$update" = 1 ]; then
		cp "$dir/timeline.jsonl" "$expect"
		[ -f "$sources" ] && printf '%s\n' "$line" >"$sources"
		if [ -n "$why" ]; then
			echo "FAIL $rel"; echo "  $why"
			return 1
		fi
		echo "ok $rel (expected files rewritten)"
		return 0
	fi

	if [ -f "$sources" ] && [ -z "$why" ]; then
		local want
		want=$(head -n 1 "$sources")
		[ "$want" = "$line" ] || why="sources: got '$line', expected '$want'"
	fi
	if [ -z "$why" ] && ! diff -u --label "$(basename "$expect")" --label "tl timeline" \
		"$expect" "$dir/timeline.jsonl" >"$dir/diff"; then
		why="timeline differs:"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $rel"
		echo "  $why"
		[ -s "$dir/diff" ] 2>/dev/null && sed 's/^/  /' "$dir/diff"
		return 1
	fi
	echo "ok $rel"
	return 0
}

while IFS= read -r -d '' file; do
	rel=${file#"$src"/}
	rel=${rel#./}
	base=$(basename "$file")
	case "$base" in *.expect.jsonl | *.expect-sources.txt | *.expect-mtime | .* | *.md) continue ;; esac
	casename=${base%%.*}
	d=$(dirname "$file")
	expect="$d/$casename.expect.jsonl"
	[ -f "$expect" ] || continue
	format=$(basename "$d")
	key="$d/$casename"
	if [ -n "${seen[$key]:-}" ]; then
		echo "FAIL $rel"
		echo "  case name '$casename' also used by ${seen[$key]}"
		failed=$((failed + 1))
		continue
	fi
	seen[$key]=$rel
	if run_case "$file" "$rel" "$format" "$expect" "$d/$casename.expect-sources.txt"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done < <(find "$src/fixtures" -mindepth 3 -maxdepth 3 -type f -print0 | LC_ALL=C sort -z)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
