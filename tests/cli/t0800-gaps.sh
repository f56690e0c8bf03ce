#!/usr/bin/env bash
# Gaps and tamper indicators, one mechanism fed by every format: sequence breaks
# (definition "sequence"), clock going backwards ("ordered_within"), silences
# (any format), and records that are tampering in themselves (maps.indicator).
. "$(dirname "$0")/lib.sh"
C=$(new_case gaps)
mkdir -p "$C/evidence/app" "$C/evidence/proxy" "$C/evidence/cloud"
cat >"$C/formats/acme-audit.json" <<'DEF'
{
  "name": "acme-audit", "family": "audit", "version": "1",
  "parse": { "type": "json" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "sequence": "record_id",
  "ordered_within": 1,
  "fields": { "action": "event", "user": "user" },
  "maps": { "indicator": { "from": "event", "values": { "audit_log_cleared": "log-tampering: audit log cleared" } } },
  "sniff": [ { "regex": "^\\{\"record_id\"", "score": 90 } ],
  "samples": [ "{\"record_id\":1,\"time\":\"2026-11-19T23:00:00Z\",\"event\":\"login\",\"user\":\"a\"}" ]
}
DEF
{
	echo '{"record_id":1,"time":"2026-11-19T23:00:00Z","event":"login","user":"mchen"}'
	echo '{"record_id":2,"time":"2026-11-19T23:00:05Z","event":"read","user":"mchen"}'
	echo '{"record_id":6,"time":"2026-11-19T23:00:09Z","event":"read","user":"mchen"}'
	echo '{"record_id":7,"time":"2026-11-19T22:10:00Z","event":"audit_log_cleared","user":"root"}'
	echo '{"record_id":8,"time":"2026-11-19T23:00:12Z","event":"logout","user":"mchen"}'
} >"$C/evidence/app/audit.jsonl"
# a proxy that logs every minute, then falls silent for three hours
for i in $(seq 0 29); do
	printf '%d.000     12 10.20.1.15 TCP_MISS/200 512 GET http://www.example.com/%d - HIER_DIRECT/192.0.2.80 text/html\n' $((1795129200 + i * 60)) "$i"
done >"$C/evidence/proxy/access.log"
for i in $(seq 30 39); do
	printf '%d.000     12 10.20.1.15 TCP_MISS/200 512 GET http://www.example.com/%d - HIER_DIRECT/192.0.2.80 text/html\n' $((1795129200 + 10800 + i * 60)) "$i"
done >>"$C/evidence/proxy/access.log"
echo '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"mchen"},"eventTime":"2026-11-19T23:40:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","requestParameters":{"name":"management-trail"},"eventID":"0b1c2d3e-1111-4222-8333-444455556666"}' >"$C/evidence/cloud/trail.jsonl"

"$TL" ingest --no-progress "$C" 2>/dev/null
expect_exit 0 "tl gaps runs" -- "$TL" gaps "$C"
contains "$WORK/out" "^sequence-break +2026-11-19T23:00:09.000000Z +evidence/app/audit.jsonl:3 +record number 6 follows 2: 3 records missing" "a jump in the source's record numbers"
contains "$WORK/out" "^clock-backwards +2026-11-19T22:10:00.000000Z +evidence/app/audit.jsonl:4 +time goes back" "time going backwards in an ordered source"
contains "$WORK/out" "^tamper-indicator +2026-11-19T22:10:00.000000Z +evidence/app/audit.jsonl:4 +log-tampering: audit log cleared" "a user format's own indicator"
contains "$WORK/out" "^tamper-indicator +2026-11-19T23:40:00.000000Z +evidence/cloud/trail.jsonl:1 +log-tampering: CloudTrail logging stopped" "CloudTrail StopLogging"
contains "$WORK/out" "^silence +.*evidence/proxy/access.log:31 +nothing for 03h01m00s" "a silence far beyond the file's rhythm"
contains "$WORK/out" "^5 found: 1 sequence breaks, 1 clock going backwards, 1 silences, 2 tamper indicators$" "the summary counts each kind"
"$TL" timeline --output jsonl "$C" >"$WORK/t.jsonl"
contains "$WORK/t.jsonl" '"indicator":"log-tampering: CloudTrail logging stopped"' "the timeline carries the indicator"
contains "$WORK/t.jsonl" '"sequence":6\}' "and the source's record number"
contains "$WORK/t.jsonl" '"record_id":6' "which also stays in extra"
"$TL" manifest "$C" >/dev/null
contains "$C/out/manifest.json" '"gaps": \{"sequence_breaks": 1, "clock_backwards": 1, "silences": 1, "tamper_indicators": 2\}' "the manifest counts them"
"$TL" timeline "$C" >"$WORK/text"
contains "$WORK/text" "!! log-tampering: audit log cleared" "the text timeline flags indicators"

# gaps uses the ordered_within ingest used (stored per evidence file), not
# today's definition: dropping it from the definition changes nothing until
# the file is ingested again
sed -i '/"ordered_within": 1,/d' "$C/formats/acme-audit.json"
expect_exit 0 "tl gaps after the definition changed" -- "$TL" gaps "$C"
contains "$WORK/out" "^clock-backwards +2026-11-19T22:10:00.000000Z +evidence/app/audit.jsonl:4" "still the clock check ingest's definition asked for"
if command -v sqlite3 >/dev/null; then
	sqlite3 "$C/case.db" "UPDATE evidence_files SET ordered_within_us = NULL WHERE path = 'evidence/app/audit.jsonl'"
	expect_exit 0 "tl gaps on a file with no recorded ordered_within" -- "$TL" gaps "$C"
	contains "$WORK/out" "^4 found: 1 sequence breaks, 0 clock going backwards" "no recorded ordered_within, no clock check"
else
	echo "note: sqlite3 CLI not installed; the pre-v3 case is not simulated"
fi
finish
