#!/usr/bin/env bash
# tl replay's ingest runs at the edges (docs/commands/replay.md): a --format
# choice made in a later run is repeated in that run; an archive's members
# come with it; a file replaced with --new-version comes in the run that took
# in its current content; a file no custody entry read comes last and replay
# says so; an extracted --with-evidence package replays its runs too.
. "$(dirname "$0")/lib.sh"
A="$WORK/a"
cp -r "$SRC/fixtures/cases/demo" "$A"
rm -rf "$A/case.db"* "$A/out" "$A/expected" "$A/custody.jsonl" "$A/replay.tl"
mkdir -p "$WORK/held"
mv "$A/evidence/vpn" "$WORK/held/"
"$TL" ingest --no-progress "$A" >/dev/null 2>&1
# run 2: the VPN log inside a tar, beside a note tl cannot read
mkdir -p "$WORK/t"
cp "$WORK/held/vpn/openvpn.log" "$WORK/t/"
printf 'call the ISP back on monday\n' >"$WORK/t/notes.txt"
mkdir -p "$A/evidence/bundle"
tar -cf "$A/evidence/bundle/vpn.tar" -C "$WORK/t" notes.txt openvpn.log
"$TL" ingest --no-progress "$A" >/dev/null 2>&1
# run 3 (custody entry 4; 3 is the tl sql): a copy of the proxy log, forced
fmt=$("$TL" sql "$A" "SELECT format FROM evidence_files WHERE path='evidence/proxy/access.log'" | tail -1)
mkdir -p "$A/evidence/forced"
sed '1s/^/# exported by hand\n/' "$A/evidence/proxy/access.log" >"$A/evidence/forced/proxy-copy.txt"
"$TL" ingest --no-progress --format "$fmt" "$A" "$A/evidence/forced" >/dev/null 2>&1
# run 4: the firewall log grows and replaces its old version
cp "$A/evidence/firewall/kern.log" "$WORK/kern.old"
tail -n 1 "$WORK/kern.old" >>"$A/evidence/firewall/kern.log"
"$TL" ingest --no-progress --new-version "$A" >/dev/null 2>&1
[ "$("$TL" sql "$A" "SELECT count(*) FROM superseded_files" | tail -n 1)" = 1 ] && ok "kern.log's old version is superseded" ||
	fail "no superseded version"
"$TL" sql -o bindings.tsv "$A" "SELECT id, kind, subject, value, start_ts, source FROM bindings ORDER BY kind, subject, start_ts, value"
"$TL" timeline --output jsonl -o timeline.jsonl "$A"
"$TL" manifest "$A" >/dev/null

expect_exit 0 "replay of the four runs" -- "$TL" replay --into "$WORK/r" "$A"
contains "$WORK/out" "^ingest run 1 of 4 \(as custody entry 1\): 11 evidence files$" "run 1 without kern.log, whose content now came later"
contains "$WORK/out" "^ingest run 2 of 4 \(as custody entry 2\): 1 evidence files$" "run 2: the archive, once for its members"
contains "$WORK/out" "^ingest run 3 of 4 \(as custody entry 4\): 1 evidence files, some with --format$" "run 3: the forced file"
contains "$WORK/out" "^ingest run 4 of 4 \(as custody entry 5\): 1 evidence files$" "run 4: kern.log as it is now"
contains "$WORK/out" "^replay: 2 outputs, 2 match, 0 differ$" "every output matches"
contains "$WORK/out" "^replay: [0-9]+ evidence files, [0-9]+ as the original run had them, 0 differ$" "every outcome matches"
[ "$("$TL" sql "$WORK/r" "SELECT format_rule FROM evidence_files WHERE path='evidence/forced/proxy-copy.txt'" | tail -1)" = "--format" ] &&
	ok "the forced file is forced in the replay" || fail "the replay detected the forced file"
[ "$("$TL" sql "$WORK/r" "SELECT status FROM evidence_files WHERE path='evidence/bundle/vpn.tar!/notes.txt'" | tail -1)" = unsupported ] &&
	ok "the archive's note is unsupported in the replay too" || fail "the note's outcome in the replay"

# an extracted --with-evidence package (no case.db) replays its runs
expect_exit 0 "package with evidence" -- "$TL" package --with-evidence -o "$WORK/a.tar.gz" "$A"
mkdir -p "$WORK/x"
tar -xzf "$WORK/a.tar.gz" -C "$WORK/x"
expect_exit 0 "the extracted package replays" -- "$TL" replay --into "$WORK/rp" "$WORK/x/a"
contains "$WORK/out" "^ingest run 3 of 4 \(as custody entry 4\): 1 evidence files, some with --format$" "from its custody log"
contains "$WORK/out" "^replay: 2 outputs, 2 match, 0 differ$" "every output matches"

# a file no ingest entry read (a log edited by hand) comes last, named
E="$WORK/e"
cp -r "$A" "$E"
sed -i 's#{"path":"evidence/bundle/vpn.tar","sha256":"[0-9a-f]*"},##g' "$E/custody.jsonl"
if grep -q 'evidence/bundle/vpn.tar"' "$E/custody.jsonl"; then fail "the test's edit of the log"; fi
"$TL" replay --into "$WORK/re" "$E" >"$WORK/out" 2>&1
contains "$WORK/out" "^NOTE evidence evidence/bundle/vpn.tar!/openvpn.log: read by no ingest in custody.jsonl, ingested with the last run$" "replay names the file"
contains "$WORK/out" "^ingest run 3 of 4 \(as custody entry 5\): 1 evidence files$" "the other runs keep their order"
contains "$WORK/out" "^ingest run 4 of 4 \(files no ingest read\): 1 evidence files$" "and the archive comes last"
contains "$WORK/out" "^replay: [0-9]+ evidence files, [0-9]+ as the original run had them, 0 differ$" "with the outcomes it had"
finish
