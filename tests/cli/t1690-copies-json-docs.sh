#!/usr/bin/env bash
# Copies of JSON-document sources (CloudTrail, Okta) as keying reads them
# since it reads only the columns a record identity needs (src/store/copies.c,
# narrow rows): a record repeated in one file and re-delivered in another is
# one occurrence by its id; a record of the same file without an id is keyed
# by its content, whose fields are then read; Okta records meet by uuid. A
# re-parse rekeys a file whose links exist (a link and a key are replaced,
# not added twice). Expected groups are written out, and the lazy keying must
# agree with TL_COPIES_KEY_ALL=1.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
E="$WORK/ev"
mkdir -p "$E/a" "$E/b"
"$WORK/gen" cloudtrail-lines 40 7 >"$WORK/ct.jsonl"
"$WORK/gen" okta 30 7 >"$WORK/okta.jsonl"
# a: records 1-20, record 3 again at the end, and record 5 without its eventID twice
{ sed -n '1,20p' "$WORK/ct.jsonl"; sed -n '3p' "$WORK/ct.jsonl"; } >"$E/a/ct-1.jsonl"
sed -n '5p' "$WORK/ct.jsonl" | sed 's/"eventID":"[^"]*",//' >"$WORK/noid.jsonl"
cat "$WORK/noid.jsonl" >>"$E/a/ct-1.jsonl"
# b: a re-delivery of records 10-12 and the id-less record, then records 21-40
{ sed -n '10,12p' "$WORK/ct.jsonl"; cat "$WORK/noid.jsonl"; sed -n '21,40p' "$WORK/ct.jsonl"; } >"$E/b/ct-2.jsonl"
# Okta: a file and a re-delivery of its records 2 and 7
cp "$WORK/okta.jsonl" "$E/a/okta.jsonl"
sed -n '2p;7p' "$WORK/okta.jsonl" >"$E/b/okta-again.jsonl"
q() { "$TL" sql "$1" "$2" | tail -n +2; }
groups() { "$TL" sql "$1" "SELECT c.basis, group_concat(m, ' = ') FROM (SELECT c.occurrence_id AS o, c.basis, f.path || ':' || e.line AS m
  FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id ORDER BY o, m) c GROUP BY c.o ORDER BY 2" | sed 's|evidence/||g'; }

run() { # run NAME MODE: ingest a, then b, then re-parse a/ct-1.jsonl
	local c
	c=$(new_case "$1")
	cp -r "$E/a" "$c/evidence/"
	if [ "$2" = all ]; then export TL_COPIES_KEY_ALL=1; fi
	"$TL" ingest --no-progress "$c" >/dev/null 2>&1 || fail "$1: ingest a"
	cp -r "$E/b" "$c/evidence/"
	"$TL" ingest --no-progress "$c" >/dev/null 2>&1 || fail "$1: ingest b"
	groups "$c" >"$WORK/g.$1.before"
	"$TL" ingest --no-progress --reparse=evidence/a/ct-1.jsonl "$c" >/dev/null 2>&1 || fail "$1: re-parse"
	unset TL_COPIES_KEY_ALL
	groups "$c" >"$WORK/g.$1"
	q "$c" "SELECT event_id, occurrence_id, basis FROM copies ORDER BY event_id" >"$WORK/rows.$1"
	echo "$c"
}
C=$(run lazy lazy)
run all all >/dev/null
cat >"$WORK/want" <<'T'
basis	group_concat(m, ' = ')
record-id	a/ct-1.jsonl:10 = b/ct-2.jsonl:1
record-id	a/ct-1.jsonl:11 = b/ct-2.jsonl:2
record-id	a/ct-1.jsonl:12 = b/ct-2.jsonl:3
record-id	a/ct-1.jsonl:21 = a/ct-1.jsonl:3
content	a/ct-1.jsonl:22 = b/ct-2.jsonl:4
record-id	a/okta.jsonl:2 = b/okta-again.jsonl:1
record-id	a/okta.jsonl:7 = b/okta-again.jsonl:2
T
same "$WORK/want" "$WORK/g.lazy.before" "groups: CloudTrail by eventID (in one file and across files), the id-less record by content, Okta by uuid"
same "$WORK/want" "$WORK/g.lazy" "the same groups after a re-parse of the first file"
same "$WORK/rows.all" "$WORK/rows.lazy" "copies rows as when keying every file"
[ "$(q "$C" "SELECT count(*) FROM copy_keys k JOIN events e ON e.id = k.event_id")" = "$(q "$C" "SELECT count(*) FROM events")" ] &&
	ok "one key per event, none left behind by the re-parse" || fail "keys: $(q "$C" "SELECT count(*) FROM copy_keys") for $(q "$C" "SELECT count(*) FROM events") events"
[ "$(q "$C" "SELECT count(*) FROM copy_keys k LEFT JOIN events e ON e.id = k.event_id WHERE e.id IS NULL")" = 0 ] &&
	ok "no key of a cleared event" || fail "stale keys"
finish
