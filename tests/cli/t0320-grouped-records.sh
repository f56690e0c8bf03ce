#!/usr/bin/env bash
# Many records, one event: auditd's interleaved SYSCALL/EXECVE/PATH/... records
# become one event per serial, and the accounting still proves nothing was lost
# (records = events + rejects + merged) in tl sources and the ingest summary.
. "$(dirname "$0")/lib.sh"
C=$(new_case grouped)
cp "$SRC/fixtures/hids/auditd/interleaved.log" "$C/evidence/audit.log"

expect_exit 0 "tl formats lists the registered C parser" -- "$TL" formats
contains "$WORK/out" "^auditd +hids +1\.1\.0 +builtin:parsers/hids/auditd\.c" "auditd is a built-in format, origin its source"
expect_exit 3 "ingest detects auditd; the cut line is a reject" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "23 records -> 7 events, 1 rejects, 15 merged;" "the summary counts merged records"
expect_exit 0 "tl sources" -- "$TL" sources "$C"
contains "$WORK/out" "^done +auditd +23 +7 +1 +15 +0 " "per file: records, events, rejects, merged, meta"
contains "$WORK/out" "records = events \+ rejects \+ merged: yes" "the totals add up"
q() { "$TL" sql "$C" "$1" | tail -n +2; }
[ "$(q "SELECT line || ' ' || event_code || ' ' || json_extract(extra, '\$.\"audit.lines\"') FROM events WHERE seq = 1221")" = \
	"1 SYSCALL,EXECVE,CWD,PATH,PROCTITLE [1,3,5,7,8,10,12]" ] &&
	ok "interleaved serial 1221: one event at its first line, listing all its lines" ||
	fail "serial 1221: $(q "SELECT line, event_code, extra FROM events WHERE seq = 1221")"
[ "$(q "SELECT process_cmdline FROM events WHERE seq = 1221")" = 'bash -c cp /etc/shadow "/tmp/x y"' ] &&
	ok "hex-encoded arguments are decoded" || fail "cmdline: $(q "SELECT process_cmdline FROM events WHERE seq = 1221")"
[ "$(q "SELECT json_extract(extra, '\$.\"audit.closed\"') FROM events WHERE seq = 1230")" = end-of-file ] &&
	ok "a group left open is flushed at end of file" || fail "1230 not flushed"
[ "$(q "SELECT line || ': ' || reason FROM rejects")" = \
	"16: not an audit record (expected 'type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): ...')" ] &&
	ok "the cut line is a reject with its reason" || fail "reject: $(q "SELECT line, reason FROM rejects")"
expect_exit 3 "tl formats test shows groups" -- "$TL" formats test auditd "$C/evidence/audit.log"
contains "$WORK/out" "audit.log:3: offset [0-9]+, [0-9]+ bytes: merged into an open group" "merged records are shown as such"
contains "$WORK/out" "^7 events, 1 rejects, 15 merged, 0 header/blank lines" "formats test counts like ingest"
finish
