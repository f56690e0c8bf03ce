#!/usr/bin/env bash
# Replay on real cases (issue 9): the original run's per-file outcomes are
# recorded and repeated — a file tl cannot read is expected, not fatal; a
# --format choice is repeated; a different outcome is a DIFFER — and an
# extracted --with-evidence package replays.
. "$(dirname "$0")/lib.sh"
A="$WORK/a"
cp -r "$SRC/fixtures/cases/demo" "$A"
rm -rf "$A/case.db"* "$A/out" "$A/expected" "$A/custody.jsonl" "$A/replay.tl"
printf 'call the ISP back on monday\nticket 4411\n' >"$A/evidence/notes.txt"
expect_exit 4 "a notes.txt beside the logs is not ingested (exit 4)" -- "$TL" ingest --no-progress "$A"
# an analyst's --format choice: a copy of the proxy log read as the format it is
mkdir -p "$A/evidence/forced"
cp "$A/evidence/proxy/access.log" "$A/evidence/forced/proxy-copy.txt"
sed -i '1s/^/# exported by hand\n/' "$A/evidence/forced/proxy-copy.txt"
fmt=$("$TL" sql "$A" "SELECT format FROM evidence_files WHERE path='evidence/proxy/access.log'" | tail -1)
"$TL" ingest --no-progress --format "$fmt" "$A" "$A/evidence/forced" >/dev/null 2>&1
[ "$("$TL" sql "$A" "SELECT format_rule FROM evidence_files WHERE path='evidence/forced/proxy-copy.txt'" | tail -1)" = "--format" ] &&
	ok "the --format choice is recorded" || fail "no --format rule recorded"
"$TL" timeline --output jsonl -o timeline.jsonl "$A"
"$TL" manifest "$A" >/dev/null
contains "$A/out/manifest.json" '"path": "evidence/forced/proxy-copy.txt", [^}]*"format_rule": "--format"' "the manifest records the --format choice"

expect_exit 0 "replay of a case with an unsupported file and a --format choice matches" -- "$TL" replay --into "$WORK/r1" "$A"
contains "$WORK/out" "^replay: 1 outputs, 1 match, 0 differ$" "the output matches"
contains "$WORK/out" "^replay: [0-9]+ evidence files, [0-9]+ as the original run had them, 0 differ$" "every file's outcome is repeated"
[ "$("$TL" sql "$WORK/r1" "SELECT status FROM evidence_files WHERE path='evidence/notes.txt'" | tail -1)" = unsupported ] &&
	ok "notes.txt is unsupported in the replay too" || fail "notes.txt outcome in the replay"
[ "$("$TL" sql "$WORK/r1" "SELECT format_rule FROM evidence_files WHERE path='evidence/forced/proxy-copy.txt'" | tail -1)" = "--format" ] &&
	ok "the replay repeats the --format choice" || fail "the replay detected the forced file instead"

# a different outcome is a DIFFER like any other: the original said unsupported, now it is read
B="$WORK/b"
cp -r "$A" "$B"
sqlite3 "$B/case.db" "UPDATE evidence_files SET status='failed' WHERE path='evidence/notes.txt'" 2>/dev/null
if [ "$("$TL" sql "$B" "SELECT status FROM evidence_files WHERE path='evidence/notes.txt'" | tail -1)" = failed ]; then
	expect_exit 5 "a changed outcome is a difference" -- "$TL" replay --into "$WORK/r2" "$B"
	contains "$WORK/out" "^DIFFER evidence evidence/notes.txt: failed \(no format\) then, unsupported \(no format\) now" "the file and both outcomes are named"
fi

# an extracted --with-evidence package replays (it has no case.db)
expect_exit 0 "package with evidence" -- "$TL" package --with-evidence -o "$WORK/a.tar.gz" "$A"
mkdir -p "$WORK/x"
tar -xzf "$WORK/a.tar.gz" -C "$WORK/x"
[ ! -e "$WORK/x/a/case.db" ] && ok "the package holds no case.db" || fail "case.db in the package"
expect_exit 0 "the extracted package replays" -- "$TL" replay --into "$WORK/r3" "$WORK/x/a"
contains "$WORK/out" "^replay: 1 outputs, 1 match, 0 differ$" "its output matches"
contains "$WORK/out" "^replay: [0-9]+ evidence files, [0-9]+ as the original run had them, 0 differ$" "its outcomes come from the manifest"
# without evidence: the missing thing is named
expect_exit 0 "package without evidence" -- "$TL" package -o "$WORK/n.tar.gz" "$A"
mkdir -p "$WORK/y"
tar -xzf "$WORK/n.tar.gz" -C "$WORK/y"
expect_exit 1 "an extracted package without evidence cannot replay" -- "$TL" replay --into "$WORK/r4" "$WORK/y/a"
contains "$WORK/err" "evidence file 'evidence/proxy/access.log' is missing" "the missing evidence is named"
contains "$WORK/err" "without --with-evidence cannot be replayed" "and why"
if grep -q "case.db" "$WORK/err"; then fail "the error blames case.db"; else ok "the error does not blame case.db"; fi
finish
