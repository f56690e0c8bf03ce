#!/usr/bin/env bash
# The engine reads JSON records with a fast reader of its own where it is
# sure to make yajl's calls (src/parse/engine.c: flatten_fast) and leaves
# the rest to yajl. The stored events, rejects and their reasons must be those
# of yajl alone (TL_JSON_YAJL=1): CloudTrail and Okta records rewritten with
# escapes, non-ASCII and broken UTF-8, numbers, deep and empty containers,
# spaced arrays, control bytes, duplicate keys and broken JSON.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
"$WORK/gen" cloudtrail-lines 300 11 >"$WORK/ct.jsonl"
"$WORK/gen" okta 300 11 >"$WORK/okta.jsonl"
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
u = lambda t: t.encode()
edits = [
    lambda l: l.replace(b'"userAgent":"', b'"userAgent":"esc\\"aped \\\\ \\/ \\n\\t\\u00e9\\ud83d\\ude00 ', 1),
    lambda l: l.replace(b'"awsRegion":"', b'"awsRegion":"' + u('M\u00fcnchen \u6771\u4eac '), 1),
    lambda l: l.replace(b'"eventName":"', b'"eventName":"\x7f', 1),
    lambda l: l.replace(b'"eventName":"', b'"eventName":"\x01', 1),
    lambda l: l.replace(b'"awsRegion":"', b'"awsRegion":"\xc3\x28\xe0\x80\xaf\xed\xa0\x80', 1),
    lambda l: l.replace(b'"readOnly":true', b'"readOnly":-0.5e+3,"n1":0,"n2":12345678901234567890123,"n3":1E5', 1),
    lambda l: l.replace(b'"readOnly":true', b'"readOnly":01', 1),
    lambda l: l.replace(b'"readOnly":true', b'"readOnly":truex', 1),
    lambda l: l.replace(b'{', b'{"deep":' + b'{"a":' * 70 + b'1' + b'}' * 70 + b',', 1),
    lambda l: l.replace(b'{', b'{"deep":' + b'[' * 70 + b']' * 70 + b',', 1),
    lambda l: l.replace(b'{', b'{"e1":{},"e2":[],"sp":[ 1 , "a b" , { "k" : [ ] } ],"":"empty key",', 1),
    lambda l: l.replace(b'{', b'{"dup":"a","dup":"b",', 1),
    lambda l: l.replace(b',', b' ,\t', 3).replace(b':', b' :\r', 2),
    lambda l: l.replace(b',', b',\f', 1),
    lambda l: l + b' x',
    lambda l: l.replace(b'}', b'},', 1),
    lambda l: l.replace(b'"', b"'", 2),
    lambda l: l.replace(b'{', b'{"k\\u0041y":"v","k\\"q":1,', 1),
    lambda l: l.replace(b'"uuid":"', b'"uuid":"\\u0000', 1).replace(b'"eventID":"', b'"eventID":"\\u0000', 1),
    lambda l: l,
]
for name in ('ct', 'okta'):
    src = open(f'{w}/{name}.jsonl', 'rb').read().split(b'\n')
    with open(f'{w}/{name}-mixed.jsonl', 'wb') as f:
        for i, l in enumerate(x for x in src if x):
            f.write(edits[i % len(edits)](l) + b'\n')
        # last: a record cut short (the framer reads to the end of the file for it)
        f.write(src[0][: len(src[0]) // 2] + b'\n')
PY
dump() { # dump CASE: what ingest stored
	"$TL" sql "$1" "SELECT e.line, e.ts, e.user, e.src_ip, e.action, e.outcome, e.message, e.extra FROM events e ORDER BY e.file_id, e.line" >"$2"
	"$TL" sql "$1" "SELECT line, reason, excerpt FROM rejects ORDER BY file_id, line" >>"$2"
}
for mode in fast yajl; do
	c=$(new_case "$mode")
	cp "$WORK/ct-mixed.jsonl" "$WORK/okta-mixed.jsonl" "$c/evidence/"
	if [ $mode = yajl ]; then
		TL_JSON_YAJL=1 "$TL" ingest --no-progress "$c" >/dev/null 2>&1
	else
		"$TL" ingest --no-progress "$c" >/dev/null 2>&1
	fi
	dump "$c" "$WORK/$mode.out"
done
same "$WORK/yajl.out" "$WORK/fast.out" "events and rejects (with their reasons) as yajl alone stores them"
n=$(grep -c . "$WORK/fast.out")
[ "$n" -gt 500 ] && ok "the comparison covers the records ($n rows)" || fail "only $n rows compared"
grep -q 'invalid JSON' "$WORK/fast.out" && ok "broken records are rejected with yajl's reason" || fail "no JSON reject in the mix"
grep -q 'esc\\\\"aped' "$WORK/fast.out" && ok "escaped text is decoded as yajl decodes it" || fail "no escaped value stored"
finish
