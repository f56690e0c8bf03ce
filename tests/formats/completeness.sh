#!/usr/bin/env bash
# Every built-in format is complete (docs/format-definitions.md, "Adding your
# own format"): golden fixtures under fixtures/<family>/<name>/, a docs page
# docs/formats/<name>.md, and a line in the fuzz-records harness (a C parser
# is fuzzed by construction: tests/unit/test-registry.c checks its seed). The
# detection matrix (tests/conformance/detection-matrix.sh) covers every
# fixture, so a fixture is also the format's row there.
set -u
TL=$1
SRC=$2
fails=0 n=0
while read -r name family _ origin _; do
	[ "$name" = name ] && continue
	n=$((n + 1))
	ls "$SRC/fixtures/$family/$name/"*.expect.jsonl >/dev/null 2>&1 ||
		{ echo "FAIL - $name: no golden fixture fixtures/$family/$name/*.expect.jsonl"; fails=$((fails + 1)); }
	[ -f "$SRC/docs/formats/$name.md" ] ||
		{ echo "FAIL - $name: no docs page docs/formats/$name.md"; fails=$((fails + 1)); }
	grep -q "(formats/$name.md)" "$SRC/docs/README.md" ||
		{ echo "FAIL - $name: docs/README.md does not list docs/formats/$name.md"; fails=$((fails + 1)); }
	case "$origin" in
	*.c) ;;
	*) grep -q "{ \"$name\", NULL }" "$SRC/tests/fuzz/fuzz-records.c" ||
		{ echo "FAIL - $name: no line { \"$name\", NULL } in tests/fuzz/fuzz-records.c"; fails=$((fails + 1)); } ;;
	esac
done < <("$TL" formats)
echo "$n built-in formats checked, $fails problems"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]
