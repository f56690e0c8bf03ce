#!/usr/bin/env bash
# One mapping, every shipping form: the same Sysmon event ID 1 written as
# EVTX (fixtures/edr/evtx/sysmon.evtx, record 1), Event XML, Winlogbeat JSON
# and EvtxECmd JSON must give the same normalized event. Compared on the
# golden outputs (which tests/formats/run-fixtures.sh holds to what tl
# produces): every normalized field and ts. Left out, since they describe
# the form and not the event: format, ts_raw, ts_rule (how the zone was
# known: 'Z' or '+00:00'), message (the rendered text some forms carry and
# the XML lacks), extra and evidence. NXLog and Wazuh are compared too.
#
# usage: same-event.sh SOURCE_DIR
set -euo pipefail
src=$1
norm() { # the EID 1 line of FILE, without the fields that name the form
	grep -m1 '"event_code":"1",' "$1" |
		sed -e 's/"ts_raw":"[^"]*",//' -e 's/"ts_rule":"[^"]*",//' -e 's/"format":"[^"]*",//' \
			-e 's/"message":\("\([^"\\]\|\\.\)*"\|null\),//' -e 's/,"extra":{.*$//'
}
ref=$(norm "$src/fixtures/edr/windows-event-xml/sysmon-eid1.expect.jsonl")
[ -n "$ref" ] || { echo "FAIL no EID 1 event in the XML fixture"; exit 1; }
case "$ref" in *'"process_guid":"{4a1f0c2e-9d77-673d-5b01-000000002a00}"'*'"parent_process_guid":'*) ;;
*) echo "FAIL the XML form lost the process identity: $ref"; exit 1 ;; esac
fails=0
for f in evtx/sysmon winlogbeat-json/sysmon-eid1 evtxecmd-json/sysmon-eid1 nxlog-windows-json/nxlog \
	wazuh-eventchannel-json/eventchannel; do
	got=$(norm "$src/fixtures/edr/$f.expect.jsonl")
	# NXLog writes EventTime to the second: compare it without the time
	case $f in nxlog*) want=$(printf '%s' "$ref" | sed 's/"ts":"[^"]*",//'); got=$(printf '%s' "$got" | sed 's/"ts":"[^"]*",//') ;;
	*) want=$ref ;; esac
	if [ "$got" = "$want" ]; then
		echo "ok $f"
	else
		echo "FAIL $f differs from the XML form"
		diff <(printf '%s\n' "$want" | tr ',' '\n') <(printf '%s\n' "$got" | tr ',' '\n') | sed 's/^/  /' || true
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
