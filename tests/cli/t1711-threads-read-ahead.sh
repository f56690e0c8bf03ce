#!/usr/bin/env bash
# With --threads 2 or more, each file's records are read (decompressed,
# decoded, framed, hashed) ahead in a thread of their own, in batches of at
# most 4096 records / 4 MB (src/parse/reader-ahead.c), and parsed on the main
# thread. Every kind of reading must give what one thread gives: many
# batches, records past the batch's bytes, gzip, a corrupt gzip (partial:
# the error comes after the records before it), UTF-16 with a byte order
# mark, a JSON document, archive members, auditd's grouping, rejects.
# Compared: events and rejects with their ids, the evidence files' rows,
# tl sources, and the messages of the ingest.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
E="$WORK/ev"
mkdir -p "$E/proxy" "$E/cloud" "$E/hids" "$E/odd" "$WORK/tar/logs"
"$WORK/gen" squid 20000 11 >"$E/proxy/access.log"
"$WORK/gen" squid 6000 12 | gzip -n >"$E/proxy/access.1.gz"
# a corrupt gzip: records, then an error mid-stream
"$WORK/gen" squid 9000 13 | gzip -n >"$E/proxy/corrupt.gz"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$E/proxy/corrupt.gz" bs=1 seek=60000 conv=notrunc 2>/dev/null
"$WORK/gen" cloudtrail-doc 3000 14 >"$E/cloud/trail.json"
"$WORK/gen" cloudtrail-lines 2000 15 >"$E/cloud/trail.jsonl"
# lines longer than a batch's 4 MB between short ones, and lines that do not parse
{
	"$WORK/gen" squid 100 16
	printf '1795129262.412 118 10.20.1.15 TCP_MISS/200 1 GET http://big.example.com/%s - HIER_NONE/- -\n' "$(head -c 5000000 /dev/zero | tr '\0' a)"
	"$WORK/gen" squid 100 17
	printf 'not a squid line\n%.0s' 1 2 3
} >"$E/proxy/long.log"
"$WORK/gen" squid 50 18 | iconv -f UTF-8 -t UTF-16BE | { printf '\xfe\xff'; cat; } >"$E/odd/utf16.log"
for f in "$SRC"/fixtures/hids/auditd/*.log; do cp "$f" "$E/hids/audit-$(basename "$f")"; done
"$WORK/gen" squid 5000 19 >"$WORK/tar/logs/a.log"
"$WORK/gen" zeek-tsv 3000 20 >"$WORK/tar/logs/conn.log"
tar -C "$WORK/tar" -czf "$E/odd/bundle.tar.gz" logs
touch -d @1795000000 "$E"/*/*

q() { "$TL" sql "$1" "$2"; }
for t in 1 2 4; do
	c=$(new_case "t$t") && cp -rp "$E"/. "$c/evidence/"
	"$TL" ingest --no-progress --threads "$t" "$c" >"$WORK/t$t.log" 2>&1
	echo "exit $?" >>"$WORK/t$t.log"
	{
		q "$c" "SELECT * FROM events ORDER BY id"
		q "$c" "SELECT * FROM rejects ORDER BY id"
		q "$c" "SELECT * FROM evidence_files ORDER BY id"
		"$TL" sources "$c"
	} >"$WORK/t$t.dump" 2>&1
	# the summary's elapsed time is the clock's
	sed -i -e "s|$c|CASE|g" -e 's/ in [0-9.]*s$//' "$WORK/t$t.log" "$WORK/t$t.dump"
	[ "$t" = 1 ] && n=$(q "$c" "SELECT count(*) FROM events" | tail -n 1)
done
[ "$n" -gt 30000 ] && ok "one thread: $n events (many batches)" || fail "one thread: only $n events"
contains "$WORK/t1.dump" "partial" "the corrupt gzip is partial"
contains "$WORK/t1.dump" "utf-16be" "the UTF-16 file is read as UTF-16BE"
contains "$WORK/t1.dump" "bundle.tar.gz!/logs/conn.log" "the archive's members are read"
contains "$WORK/t1.dump" "big.example.com" "the 5 MB line is an event"
for t in 2 4; do
	same "$WORK/t1.dump" "$WORK/t$t.dump" "--threads $t: the same events, rejects, file rows and sources"
	same "$WORK/t1.log" "$WORK/t$t.log" "--threads $t: the same messages and exit status"
done
finish
