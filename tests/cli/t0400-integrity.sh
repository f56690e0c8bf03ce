#!/usr/bin/env bash
# Evidence integrity: custody log hash chain, outputs in CASE/out, the manifest
# and SHA256SUMS (checked by coreutils alone), and tl verify naming each
# tampered item: evidence, output, custody entry, database.
. "$(dirname "$0")/lib.sh"
A=$(demo_case a manifest)

# outputs land in out/, never outside it
[ -s "$A/out/timeline.jsonl" ] && ok "timeline -o writes CASE/out/NAME" || fail "no out/timeline.jsonl"
expect_exit 1 "an output name cannot climb out of out/" -- "$TL" timeline -o ../escape.txt "$A"
expect_exit 1 "nor be absolute" -- "$TL" sql -o /tmp/escape.txt "$A" "SELECT 1"
[ ! -e "$A/escape.txt" ] && ok "nothing was written outside out/" || fail "escape.txt exists"

# custody: one entry per command, chained
n=$(wc -l <"$A/custody.jsonl")
[ "$n" -ge 5 ] && ok "custody log has an entry per command ($n)" || fail "custody log has $n entries"
contains "$A/custody.jsonl" '"argv":\["[^"]*tl","ingest",' "entries keep the command line"
contains "$A/custody.jsonl" '"inputs":\[\{"path":"evidence/cloud/111122223333_CloudTrail' "ingest lists its evidence inputs with hashes"
contains "$A/custody.jsonl" '"outputs":\[\{"path":"out/timeline.jsonl","sha256":"[0-9a-f]{64}"' "outputs are recorded with hashes"
contains "$A/custody.jsonl" '"exit":1,' "failed commands are recorded too"

# manifest and SHA256SUMS
contains "$A/out/manifest.json" '"events_digest": \{.*"events": 115, "sha256": "[0-9a-f]{64}"' "manifest carries the events digest"
contains "$A/out/manifest.json" '"path": "timeline.jsonl", "sha256": "[0-9a-f]{64}", "custody_entry": [0-9]+' "outputs name the custody entry that made them"
if (cd "$A/out" && sha256sum -c --quiet SHA256SUMS); then ok "sha256sum -c SHA256SUMS passes"; else fail "sha256sum -c"; fi
grep -q '  \.\./evidence/proxy/access.log$' "$A/out/SHA256SUMS" && ok "evidence is listed relative to out/" || fail "evidence paths"
expect_exit 0 "verify on an untouched case" -- "$TL" verify "$A"
contains "$WORK/out" "^verify: [0-9]+ ok, 0 failed" "verify summary"

# the digest does not depend on the order of ingest
B="$WORK/b"
cp -r "$SRC/fixtures/cases/demo" "$B"
rm -rf "$B/case.db"* "$B/out" "$B/expected" "$B/custody.jsonl" "$B/replay.tl"
for d in proxy hids cloud dlp network edr vpn firewall dns; do "$TL" ingest --no-progress --threads 1 "$B" "$B/evidence/$d" 2>/dev/null; done
"$TL" manifest "$B" >/dev/null
"$TL" timeline --output jsonl -o timeline.jsonl "$B"
"$TL" sql -o per-format.tsv "$B" "SELECT format, count(*) FROM events GROUP BY 1 ORDER BY 1"
# binding ids follow the order bindings were first found in (stable ids): compared without them
noid() { sed -E 's/"binding":\{"id":[0-9]+/"binding":{"id":N/g' "$1"; }
noid "$A/out/timeline.jsonl" >"$WORK/a.noid"
noid "$B/out/timeline.jsonl" >"$WORK/b.noid"
same "$WORK/a.noid" "$WORK/b.noid" "same timeline with 1 and 2 threads, any ingest order (binding ids aside)"
same "$A/out/per-format.tsv" "$B/out/per-format.tsv" "same sql output with 1 and 2 threads, any ingest order"
da=$(grep -o '"events": 115, "sha256": "[0-9a-f]*"' "$A/out/manifest.json")
db=$(grep -o '"events": 115, "sha256": "[0-9a-f]*"' "$B/out/manifest.json")
[ -n "$da" ] && [ "$da" = "$db" ] && ok "same events digest whatever the ingest order and thread count" || fail "digests differ: $da / $db"

# concurrent commands on one case serialize their custody entries
P=$(demo_case p manifest)
for i in 1 2 3 4 5 6 7 8; do "$TL" sources "$P" >/dev/null & done
wait
expect_exit 0 "eight concurrent commands leave an intact custody chain" -- "$TL" verify "$P"
contains "$WORK/out" "custody.jsonl \(1[0-9] entries, chain intact\)" "every entry is there"

# a case copied elsewhere verifies: nothing in it depends on where it lies
cp -r "$A" "$WORK/moved-case"
expect_exit 0 "a copied case verifies in its new place" -- "$TL" verify "$WORK/moved-case"

# a changed evidence file is refused, unless ingested explicitly as a new version
V=$(demo_case v manifest)
printf '%s\n' '1795131500.000      9 10.20.1.15 TCP_MISS/200 900 GET http://late.example.com/ mchen HIER_DIRECT/192.0.2.9 text/html' >>"$V/evidence/proxy/access.log"
expect_exit 4 "a changed evidence file is refused" -- "$TL" ingest --no-progress "$V"
contains "$WORK/err" "'evidence/proxy/access.log' changed since it was ingested .*--new-version" "the refusal names the file and the way out"
expect_exit 3 "--new-version replaces it" -- "$TL" ingest --no-progress --new-version "$V"
"$TL" sql "$V" "SELECT count(*) FROM superseded_files WHERE path = 'evidence/proxy/access.log'" >"$WORK/n"
contains "$WORK/n" "^1$" "the old version is kept in superseded_files"
"$TL" sql "$V" "SELECT events FROM evidence_files WHERE path = 'evidence/proxy/access.log'" >"$WORK/n"
contains "$WORK/n" "^8$" "the new version's events replace the old ones"
"$TL" manifest "$V" >/dev/null
expect_exit 0 "the case verifies after the new version" -- "$TL" verify "$V"

# tampering, one kind at a time, each named
T=$(demo_case t1 manifest)
printf 'X' | dd of="$T/evidence/proxy/access.log" bs=1 seek=10 conv=notrunc 2>/dev/null
expect_exit 5 "a changed evidence byte fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL evidence/proxy/access.log: sha256 is" "verify names the evidence file"

T=$(demo_case t2 manifest)
rm "$T/out/per-format.tsv"
expect_exit 5 "a deleted output fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL out/SHA256SUMS: per-format.tsv: cannot read" "verify names the output"

T=$(demo_case t3 manifest)
echo "extra line" >>"$T/out/timeline.jsonl"
expect_exit 5 "an edited output fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL out/SHA256SUMS: timeline.jsonl: sha256 is" "verify names the edited output"

T=$(demo_case t4 manifest)
sed -i '2s/"exit":[0-9]*/"exit":0/; 2s/"user":"[^"]*"/"user":"mallory"/' "$T/custody.jsonl"
expect_exit 5 "an edited custody entry fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL custody entry 3: previous-entry hash does not match" "verify names the entry after the edit"

T=$(demo_case t5 manifest)
sed -i '2d' "$T/custody.jsonl"
expect_exit 5 "a deleted custody entry fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL custody entry 2: " "verify names where the chain breaks"

T=$(demo_case t5b manifest)
# two steps swapped by hand: timeline and sql lines with their #> lines
awk '/^tl /{n++} {blk[n]=blk[n] $0 "\n"} END{printf "%s%s%s", blk[0], blk[2], blk[1]}' "$T/replay.tl" >"$WORK/swapped"
cp "$WORK/swapped" "$T/replay.tl"
expect_exit 5 "a swapped replay step fails verify" -- "$TL" verify "$T"
contains "$WORK/out" "^FAIL replay.tl step 1: does not match" "verify names the replay step"

T=$(demo_case t6 manifest)
size=$(stat -c %s "$T/case.db")
truncate -s $((size / 2)) "$T/case.db"
rm -f "$T/case.db-wal" "$T/case.db-shm"
"$TL" verify "$T" >"$WORK/out" 2>&1
rc=$?
[ $rc -ne 0 ] && ok "a truncated database fails verify (exit $rc)" || fail "truncated database passed verify"
contains "$WORK/out" "FAIL (case.db|events digest)" "verify names the database"

T=$(demo_case t7 manifest)
"$TL" sql "$T" "SELECT 1" >/dev/null
sqlite3_bin=$(command -v sqlite3 || true)
if [ -n "$sqlite3_bin" ]; then
	"$sqlite3_bin" "$T/case.db" "UPDATE event_rows SET user='someone-else' WHERE user='mchen' AND parser_id IN (SELECT id FROM event_parsers WHERE format='squid-native')"
	expect_exit 5 "an edited event fails verify" -- "$TL" verify "$T"
	contains "$WORK/out" "^FAIL events digest: " "verify names the events digest"
else
	echo "note: sqlite3 CLI not installed; event-edit tamper test skipped"
fi
finish
