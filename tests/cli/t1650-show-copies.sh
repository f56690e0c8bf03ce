#!/usr/bin/env bash
# tl show lists an event's copies (docs/commands/show.md, docs/correlation.md#copies):
# on fixtures/cases/copies, Sysmon as EVTX and as Winlogbeat JSON (record-id),
# CloudTrail re-delivered gzipped (record-id, several records on one line), and
# syslog relayed by two collectors (content). Each copy line names evidence that
# `tl show` of that copy re-reads and re-hashes to the same SHA-256.
. "$(dirname "$0")/lib.sh"
CASE_SRC="$SRC/fixtures/cases/copies"
C=$(new_case copies)
cp -r "$CASE_SRC/evidence/." "$C/evidence/"
cp "$CASE_SRC/tl.json" "$C/tl.json"
expect_exit 0 "ingest the copies case" -- "$TL" ingest --no-progress "$C"
id_of() { "$TL" sql "$1" "SELECT e.id FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/$2' AND e.offset = $3" | tail -n +2; }

EVTX=$(id_of "$C" edr/sysmon.evtx 4608)
JSON=$(id_of "$C" edr/forwarded/winlogbeat-sysmon.json 0)
expect_exit 0 "tl show of a Sysmon event that is a copy" -- "$TL" show --context 0 "$C" edr/sysmon.evtx:1
cp "$WORK/out" "$WORK/evtx"
sed -n '/^copies/,$p' "$WORK/evtx" >"$WORK/got"
cat >"$WORK/want" <<T
copies (2, basis record-id; * marks this event):
    id $(printf '%-8s' "$JSON") evidence/edr/forwarded/winlogbeat-sysmon.json:1  offset 0, length 1910  sha256 945373893c42b2fe285a371fb6d0ec992350cee332daeadefa80ef3a57434d57
  * id $(printf '%-8s' "$EVTX") evidence/edr/sysmon.evtx:1  offset 4608, length 3596  sha256 dd281e1445cc645954193d984b07727aca55cdcb79b0eae88ddad57e2250f70d
T
same "$WORK/want" "$WORK/got" "EVTX copy: both copies in timeline order, this one marked, basis record-id"
contains "$WORK/evtx" '^raw sha256 ok dd281e1445cc645954193d984b07727aca55cdcb79b0eae88ddad57e2250f70d$' \
	"the marked copy's SHA-256 is the one re-read from the evidence"
# the other copy, shown by its id: the same group, the mark moves
expect_exit 0 "tl show of the forwarded copy by id" -- "$TL" show --context 0 "$C" "$JSON"
contains "$WORK/out" '^raw sha256 ok 945373893c42b2fe285a371fb6d0ec992350cee332daeadefa80ef3a57434d57$' \
	"the other copy's listed SHA-256 is what its own tl show re-hashes"
contains "$WORK/out" "^  \* id $JSON +evidence/edr/forwarded/winlogbeat-sysmon\.json:1 " "the mark is on the event shown"
contains "$WORK/out" "^    id $EVTX +evidence/edr/sysmon\.evtx:1 " "and the EVTX copy is listed unmarked"

# content basis: syslog relayed by two collectors
expect_exit 0 "tl show of a relayed syslog line" -- "$TL" show --context 0 "$C" syslog/collector-b/messages:3
contains "$WORK/out" '^copies \(2, basis content; \* marks this event\):$' "relayed syslog: basis content"
contains "$WORK/out" '^    id [0-9]+ +evidence/syslog/collector-a/messages:4  offset 377, length 152  sha256 [0-9a-f]{64}$' \
	"the first collector's line, by its own line and offset"
# a CloudTrail record re-delivered gzipped, several records on one line
expect_exit 0 "tl show of a re-delivered CloudTrail record" -- "$TL" show --context 0 "$C" \
	cloud/delivery-2/111122223333_CloudTrail_us-east-1_20261119T2340Z_a1-redelivered.json.gz:1#3
contains "$WORK/out" '^copies \(2, basis record-id; \* marks this event\):$' "CloudTrail: basis record-id (eventID)"
contains "$WORK/out" '^    id [0-9]+ +evidence/cloud/delivery-1/111122223333_CloudTrail_us-east-1_20261119T2340Z_a1\.json:1  offset 1691, ' \
	"the first delivery's record at the same offset"
contains "$WORK/out" '^  \* id [0-9]+ +evidence/cloud/delivery-2/.*a1-redelivered\.json\.gz:1  offset 1691, ' \
	"the gzipped copy is this event"

# no section for an event without copies: a line repeated in one file is a second occurrence
expect_exit 0 "tl show of an event without copies" -- "$TL" show --context 0 "$C" syslog/collector-a/messages:3
grep -q '^copies' "$WORK/out" && fail "an event without copies has a copies section" || ok "no copies section without copies"
# the section comes before the context, after the raw record check
expect_exit 0 "tl show with context" -- "$TL" show "$C" edr/sysmon.evtx:2
awk '/^raw sha256/{a=NR} /^copies/{b=NR} /^context/{c=NR} END{exit !(a && b && c && a < b && b < c)}' "$WORK/out" &&
	ok "order: raw record check, copies, context" || fail "section order"
finish
