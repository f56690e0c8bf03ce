#!/usr/bin/env bash
# Every `tl ...` example in README.md and docs/ runs (issue 9: docs that cannot
# drift): each example line — a quick-start line of README.md or a `$ tl ...`
# transcript line in docs/ — runs against a fresh copy of the ingested demo
# case (CASE and /tmp/d are that copy; any other /tmp/NAME a fresh folder).
# It must exit with a documented status other than 2 (a usage error means the
# example no longer matches the command line) and without a sanitizer report.
# Examples that cannot run here are listed in tests/docs/examples-skip.txt,
# each with its reason: that list is the explicit mark.
. "$(dirname "$0")/../cli/lib.sh"
mkdir -p "$WORK/bin"
ln -s "$TL" "$WORK/bin/tl"
T="$WORK/template"
cp -r "$SRC/fixtures/cases/demo" "$T"
rm -rf "$T/case.db"* "$T/out" "$T/expected" "$T/custody.jsonl" "$T/replay.tl"
"$TL" ingest --no-progress "$T" >/dev/null 2>&1
"$TL" timeline --output jsonl -o timeline.jsonl "$T"
"$TL" manifest "$T" >/dev/null
skip="$SRC/tests/docs/examples-skip.txt"
n=0
(cd "$SRC" && grep -nE '^    (\$ )?tl [a-z]' README.md docs/*.md docs/commands/*.md docs/formats/*.md 2>/dev/null) >"$WORK/examples"
while IFS= read -r hit; do
	file=${hit%%:*}
	rest=${hit#*:}
	line=${rest%%:*}
	text=${rest#*:}
	text=${text#    }
	case $file in
	README.md) ;;
	*) case $text in '$ '*) ;; *) continue ;; esac ;; # in docs/, only transcripts ("$ tl ..."), not synopses
	esac
	text=${text#\$ }
	text=${text%%  #*} # a trailing comment
	text=${text%"${text##*[! ]}"} # and the spaces before it
	if grep -qF -- "$file	$text" "$skip" 2>/dev/null || grep -qxF -- "$file:$line" <(cut -f1 "$skip" 2>/dev/null); then
		continue
	fi
	n=$((n + 1))
	E="$WORK/e$n"
	mkdir -p "$E"
	cp -r "$T" "$E/d"
	# placeholders first: $E itself lies under /tmp and must not be rewritten again
	cmd=$(printf '%s' "$text" | sed -e 's#/tmp/d\b#@D@#g' -e 's#\bCASE\b#@D@#g' -e 's#/tmp/#@T@/#g' |
		sed -e "s#@D@#$E/d#g" -e "s#@T@#$E#g")
	(cd "$E/d" && PATH="$WORK/bin:$PATH" timeout 60 bash -c "$cmd" >"$E/out" 2>"$E/err" </dev/null)
	rc=$?
	if grep -q "Sanitizer\|runtime error" "$E/err"; then
		fail "$file:$line: $text (a sanitizer report)"
		head -5 "$E/err" | sed 's/^/    /'
	elif [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || [ "$rc" -gt 5 ]; then
		fail "$file:$line: $text (exit $rc)"
		head -5 "$E/err" | sed 's/^/    /'
	else
		ok "$file:$line: $text"
	fi
	rm -rf "$E"
done <"$WORK/examples"
[ "$n" -ge 40 ] && ok "$n examples ran" || fail "only $n examples found"
finish
