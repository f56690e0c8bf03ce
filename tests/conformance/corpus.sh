#!/usr/bin/env bash
# Conformance over real third-party samples in ../shared/corpus (when present):
# every file of a supported format ingests without a crash, is detected as the
# expected format, and every record ends as an event or a reject. Prints the
# parsed/rejected counts per file. Exits 77 (skipped) without the corpus.
. "$(dirname "$0")/../cli/lib.sh"
CORPUS=${TL_CORPUS:-$SRC/../shared/corpus}
if [ ! -d "$CORPUS" ]; then
	echo "SKIP: no corpus at $CORPUS (set TL_CORPUS to point at shared/corpus)"
	exit 77
fi

# corpus folder -> format tl must detect
declare -A WANT=(
	[proxy/squid_native_syslog]=squid-native
	[flow/zeek_tsv]=zeek-conn
	[flow/zeek_conn_json]=zeek-conn-json
	[audit/aws_cloudtrail_json]=aws-cloudtrail
	[audit/aws_cloudtrail_lookup_jsonl]=aws-cloudtrail
	[dns/zeek_dns_tsv]=zeek-dns
	[dns/zeek_dns_json]=zeek-dns-json
	[proxy/zeek_http_tsv]=zeek-http
	[proxy/zeek_http_json]=zeek-http-json
	[hids/auditd_raw]=auditd
	[hids/auditd_log]=auditd
	[firewall/cisco_asa_syslog]=cisco-asa
	[vpn/cisco_asa_anyconnect_syslog]=cisco-asa
	[firewall/pfsense_filterlog]=pfsense-filterlog
	[firewall/panos_traffic_csv]=panos-csv
	[vpn/panos_globalprotect_csv]=panos-csv
	[audit/okta_system_log_json]=okta-system-log
	[dlp/cef_syslog]=cef
	[edr/windows_event_xml]=windows-event-xml
	[vpn/openvpn_syslog]=openvpn-syslog
	[vpn/strongswan_charon_syslog]=strongswan-charon
)
# files known not to be in the format their folder names, with the reason
declare -A KNOWN=(
	[proxy/squid_native_syslog/pfsense-squid.log]="sample mangled by a Markdown phone-number link: [1598040493.253 325](tel:...)"
	[flow/zeek_tsv/lsass05__conn.log]=""
	[dlp/cef_syslog/cef-test-cef.log]="bare CEF lines with no rt/start/end and no syslog header: no record has a time, so none can be placed on a timeline and detection (0% parse) claims nothing"
)

for dir in $(printf '%s\n' "${!WANT[@]}" | sort); do
	[ -d "$CORPUS/$dir" ] || { echo "note: $dir missing from corpus"; continue; }
	for f in "$CORPUS/$dir"/*; do
		case "$f" in *-expected.json) continue ;; esac
		rel="$dir/$(basename "$f")"
		C=$(new_case "c$RANDOM$RANDOM")
		cp "$f" "$C/evidence/"
		"$TL" ingest --no-progress "$C" >/dev/null 2>"$WORK/err"
		rc=$?
		if [ $rc -gt 4 ]; then
			fail "$rel: tl ingest died (exit $rc)"
			sed 's/^/    /' "$WORK/err" | tail -5
			continue
		fi
		row=$("$TL" sql "$C" "SELECT coalesce(format,'-'), records, events, rejects, meta, (SELECT count(*) FROM events), (SELECT count(*) FROM rejects), merged FROM evidence_files" | tail -n +2)
		IFS=$'\t' read -r fmt rec ev rj meta nev nrj mg <<<"$row"
		echo "    $rel: format=$fmt records=$rec events=$ev rejects=$rj merged=$mg meta=$meta"
		if [ "$rec" != $((ev + rj + mg)) ] || [ "$ev" != "$nev" ] || [ "$rj" != "$nrj" ]; then
			fail "$rel: counts do not add up"
		elif [ "$fmt" != "${WANT[$dir]}" ] && [ -z "${KNOWN[$rel]+x}" ]; then
			fail "$rel: detected as $fmt, wanted ${WANT[$dir]}"
		elif [ "$fmt" != "${WANT[$dir]}" ]; then
			ok "$rel: not detected, as expected (${KNOWN[$rel]})"
		else
			ok "$rel: no crash, every record accounted for"
			# where the corpus has ECS expected output, the normalized values must agree
			if [ -f "$f-expected.json" ] && [ -n "${ECS_COMPARE:-}" ]; then
				"$TL" timeline --output jsonl "$C" >"$WORK/ecs.jsonl"
				if "$ECS_COMPARE" "$f-expected.json" "$WORK/ecs.jsonl" >"$WORK/ecs.out"; then
					ok "$rel: agrees with the ECS expected output ($(tail -1 "$WORK/ecs.out"))"
				else
					fail "$rel: differs from the ECS expected output"
					sed 's/^/    /' "$WORK/ecs.out" | head -20
				fi
			fi
		fi
	done
done
finish
