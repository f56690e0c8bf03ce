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
	[edr/mde_json]=mde-advanced-hunting
	[edr/mde_alerts_api_json]=mde-alerts
	[edr/crowdstrike_fdr_json]=crowdstrike-fdr
	[edr/osquery_results_json]=osquery-results
	[hids/wazuh_alerts_json]=wazuh-alerts-json
	[hids/wazuh_alerts_log]=wazuh-alerts-log
	[hids/auditd_auoms_json]=auoms-syslog-json
	[audit/aws_s3_access_csv]=aws-honeybucket-csv
	[audit/azure_activity_jsonl]=azure-activity
	[audit/azure_ad_audit_json]=entra-id-audit
	[audit/gcp_cloud_audit_jsonl]=gcp-cloud-audit
	[audit/github_audit_json]=github-audit
	[audit/google_workspace_reports_json]=google-workspace-reports
	[audit/k8s_audit_aks_json]=k8s-audit
	[audit/m365_office_activity_json]=m365-audit
	[audit/m365_unified_audit_jsonl]=m365-audit
	[dlp/m365_dlp_audit_jsonl]=m365-audit
	[dns/bind_named_syslog]=bind-query
	[dns/dnsmasq_syslog]=dnsmasq
	[dns/unbound_syslog]=unbound
	[firewall/cisco_pix_asa_syslog]=cisco-asa
	[firewall/fortigate_kv]=fortigate
	[firewall/iptables_netfilter_syslog]=iptables
	[firewall/netscreen_syslog]=netscreen
	[firewall/windows_firewall_w3c]=windows-firewall
	[flow/aws_vpc_flow_v2]=aws-vpc-flow
	[flow/aws_vpc_flow_v5]=aws-vpc-flow
	[flow/suricata_eve_json]=suricata-eve
	[proxy/bluecoat_elff]=bluecoat-elff
	[proxy/zscaler_nss_web_json]=zscaler-nss-web
	[vpn/openvpn_syslog]=openvpn-syslog
	[vpn/strongswan_charon_syslog]=strongswan-charon
)
# files known not to be in the format their folder names, with the reason
declare -A KNOWN=(
	[dns/bind_named_syslog/ossec-named.ini]="OSSEC ruleset test file (ini): test cases, not a log"
	[dns/dnsmasq_syslog/ossec-dnsmasq.ini]="OSSEC ruleset test file (ini): test cases, not a log"
	[dns/unbound_syslog/ossec-unbound.ini]="OSSEC ruleset test file (ini): test cases, not a log"
	[firewall/cisco_pix_asa_syslog/ossec-pix.ini]="OSSEC ruleset test file (ini): test cases, not a log"
	[firewall/cisco_pix_asa_syslog/ossec-pix.log]="bare %ASA/%PIX messages cut from OSSEC tests: no syslog header and no device timestamp, so no record has a time and none can be placed on a timeline"
	[firewall/netscreen_syslog/ossec-netscreen.ini]="OSSEC ruleset test file (ini): test cases, not a log"
	[edr/sysmon_evtx]=evtx
	[edr/windows_security_evtx]=evtx
	[edr/windows_system_evtx]=evtx
	[edr/sysmon_winlogbeat_json]=winlogbeat-json
	[edr/sysmon_nxlog_json]=nxlog-windows-json
	[edr/sysmon_json]=nxlog-windows-json
	[edr/windows_events_json]=azure-windows-event-json
	[edr/sysmon_linux_syslog_json]=azure-windows-event-json
	[edr/sysmon_ossec_eventchannel]=ossec-winevtlog
	[edr/sysmon_ossec_eventchannel/ossec-sysmon.ini]="an ossec-logtest rules test file (sections of 'log 1 pass = ...', rule, alert, decoder), not a log"
	[proxy/squid_native_syslog/pfsense-squid.log]="sample mangled by a Markdown phone-number link: [1598040493.253 325](tel:...)"
	[flow/zeek_tsv/lsass05__conn.log]=""
	[dlp/cef_syslog/cef-test-cef.log]="bare CEF lines with no rt/start/end and no syslog header: no record has a time, so none can be placed on a timeline and detection (0% parse) claims nothing"
)
# files whose format differs from their folder's
declare -A WANT_FILE=(
	[edr/sysmon_json/sysmon_log4shell_cve2021_44228_java_serialized_object_2022-05-13045800.json]=azure-windows-event-json
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
		want=${WANT_FILE[$rel]:-${WANT[$dir]}}
		# an EVTX file holds as many records as libevtx's own evtxexport lists
		case "$f" in *.evtx)
			if command -v evtxexport >/dev/null; then
				n=$(evtxexport "$f" 2>/dev/null | grep -c '^Event number')
				[ "$n" = "$ev" ] || fail "$rel: $ev events, evtxexport lists $n"
			else
				echo "    note: evtxexport (libevtx-utils) not installed: $rel not compared"
			fi ;;
		esac
		if [ "$rec" != $((ev + rj + mg)) ] || [ "$ev" != "$nev" ] || [ "$rj" != "$nrj" ]; then
			fail "$rel: counts do not add up"
		elif [ "$fmt" != "$want" ] && [ -z "${KNOWN[$rel]+x}" ]; then
			fail "$rel: detected as $fmt, wanted $want"
		elif [ "$fmt" != "$want" ]; then
			ok "$rel: not detected, as expected (${KNOWN[$rel]})"
		else
			ok "$rel: no crash, every record accounted for"
			# where the corpus has ECS expected output, the normalized values must agree
			if [ -f "$f-expected.json" ] && [ -n "${ECS_COMPARE:-}" ]; then
				"$TL" timeline --all-copies --output jsonl "$C" >"$WORK/ecs.jsonl" # one row per record, copies too
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
