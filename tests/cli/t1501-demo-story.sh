#!/usr/bin/env bash
# The demo case tells one story across all nine families (fixtures/cases/demo/
# STORY.md): every file is read as the format it is, local-time sources get the
# zone tl.json gives them, 10.20.1.15 was jdoe's in the morning and mchen's at
# night, and the upload is one connection seen by four sources.
# expected/truth.tsv says whose each record is; the attributed timelines are
# checked against it.
. "$(dirname "$0")/lib.sh"
DEMO="$SRC/fixtures/cases/demo"
C="$WORK/demo"
cp -r "$DEMO" "$C"
rm -rf "$C/case.db"* "$C/out" "$C/expected" "$C/custody.jsonl" "$C/replay.tl"
expect_exit 3 "demo ingest: the one garbled proxy line is the only reject" -- "$TL" ingest --no-progress "$C"
q() { "$TL" sql "$C" "$1" | tail -n +2; }

"$TL" sql "$C" "SELECT path, format, format_rule, records, events, rejects, merged, status FROM evidence_files ORDER BY path" >"$WORK/got"
cat >"$WORK/want" <<'T'
path	format	format_rule	records	events	rejects	merged	status
evidence/cloud/111122223333_CloudTrail_us-east-1_20261119T2315Z_Rb7Wm2QcT9sLd4Hn.json.gz	aws-cloudtrail	detected	12	12	0	0	done
evidence/cloud/111122223333_CloudTrail_us-east-1_20261119T2335Z_Xk3PqL0w.json.gz	aws-cloudtrail	detected	4	4	0	0	done
evidence/cloud/trail-export.jsonl	aws-cloudtrail	detected	2	2	0	0	done
evidence/dlp/symantec-dlp.log	symantec-dlp-cef	detected	2	2	0	0	done
evidence/dns/query.log	bind-query	detected	14	14	0	0	done
evidence/edr/ws-0142-events.xml	windows-event-xml	detected	10	10	0	0	done
evidence/firewall/kern.log	iptables	detected	7	7	0	0	done
evidence/hids/audit.log	auditd	detected	31	7	0	24	done
evidence/network/conn.2026-11-19-10-00-00.log	zeek-conn	detected	4	4	0	0	done
evidence/network/conn.log	zeek-conn	detected	4	4	0	0	done
evidence/proxy/access.log	squid-native	detected	8	7	1	0	done
evidence/proxy/access.log.1	squid-native	detected	8	8	0	0	done
evidence/vpn/openvpn.log	openvpn	detected	34	34	0	0	done
T
same "$WORK/want" "$WORK/got" "every file detected as the format it is; records = events + rejects + merged"
[ "$(q "SELECT group_concat(family, ' ') FROM (SELECT DISTINCT family FROM events ORDER BY family)")" = "audit dlp dns edr firewall flow hids proxy vpn" ] &&
	ok "all nine families tell the story" || fail "families: $(q "SELECT group_concat(DISTINCT family) FROM events")"
[ "$(q "SELECT line || ' ' || reason FROM rejects")" = "7 record does not match any pattern of squid-native" ] &&
	ok "the only reject is the garbled proxy line" || fail "rejects: $(q "SELECT line, reason FROM rejects")"

# local wall-clock sources are read in Berlin time, as tl.json says; the rest carry UTC or epochs
[ "$(q "SELECT DISTINCT e.ts_rule FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path IN ('evidence/vpn/openvpn.log', 'evidence/dns/query.log')")" = "zone=Europe/Berlin(config)" ] &&
	ok "OpenVPN and BIND local times read as Europe/Berlin" || fail "vpn/dns ts_rule: $(q "SELECT DISTINCT ts_rule FROM events WHERE family IN ('vpn','dns')")"
q "SELECT DISTINCT e.ts_rule FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/firewall/kern.log'" >"$WORK/u"
contains "$WORK/u" "Europe/Berlin" "netfilter's RFC 3164 lines read as Europe/Berlin"
contains "$WORK/u" "2026" "with the year tl.json gives"
[ "$(q "SELECT ts_raw || ' = ' || strftime('%Y-%m-%dT%H:%M:%SZ', ts / 1000000, 'unixepoch') FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/vpn/openvpn.log' AND e.line = 34")" = "2026-11-20 00:47:30 = 2026-11-19T23:47:30Z" ] &&
	ok "mchen's disconnect after local midnight is still the 19th in UTC" || fail "openvpn.log:34 time"

# who held the address
"$TL" sql "$C" "SELECT user, real_ip, assigned_ip, start, \"end\", ended_by, start_line, end_line FROM sessions WHERE kind = 'vpn' ORDER BY start_us" >"$WORK/got"
cat >"$WORK/want" <<'T'
user	real_ip	assigned_ip	start	end	ended_by	start_line	end_line
jdoe	203.0.113.41	10.20.1.15	2026-11-19T08:12:03.000000Z	2026-11-19T12:40:19.000000Z	logged	10	13
asmith	192.0.2.61	10.20.1.31	2026-11-19T21:45:10.000000Z		open	22	
mchen	198.51.100.146	10.20.1.15	2026-11-19T22:58:41.000000Z	2026-11-19T23:47:30.000000Z	logged	31	34
T
same "$WORK/want" "$WORK/got" "sessions: jdoe then mchen on 10.20.1.15, asmith on 10.20.1.31"

# the upload is one connection seen by the firewall, the sensor and the host
[ "$(q "SELECT group_concat(format, ' ') FROM (SELECT format FROM events WHERE src_ip = '10.20.1.15' AND src_port = 51930 AND dst_ip = '203.0.113.7' AND dst_port = 443 ORDER BY ts)")" = "iptables zeek-conn windows-event-xml" ] &&
	ok "10.20.1.15:51930 -> 203.0.113.7:443 in netfilter, Zeek and Sysmon" || fail "the upload's 5-tuple"
[ "$(q "SELECT bytes_out FROM events WHERE format = 'zeek-conn' AND src_port = 51930")" = 48213994 ] && ok "48 MB out" || fail "upload volume"
[ "$(q "SELECT count(*) FROM events WHERE file = 'C:\\Users\\mchen\\Documents\\hr-reviews-2026.7z'")" = 3 ] &&
	ok "the archive: created, flagged by DLP, deleted" || fail "archive events: $(q "SELECT format, action FROM events WHERE file LIKE '%hr-reviews-2026.7z'")"

# the truth names real records; a record naming its user names the truth's user
tail -n +2 "$DEMO/expected/truth.tsv" >"$WORK/truth"
"$TL" sql "$C" "SELECT f.path, e.line, coalesce(e.user, '') FROM events e JOIN evidence_files f ON f.id = e.file_id ORDER BY 1, 2" |
	tail -n +2 >"$WORK/events"
bad=$(awk -F'\t' 'NR == FNR { ev[$1 "\t" $2] = 1; u[$1 "\t" $2] = $3; next }
	!(($1 "\t" $2) in ev) { print "no event at " $1 ":" $2; next }
	{ n = tolower(u[$1 "\t" $2]); sub(/^example\\+/, "", n); sub(/@example\.com$/, "", n)
	  if (n != "" && n != $3) print $1 ":" $2 " names " u[$1 "\t" $2] ", truth says " $3 }' "$WORK/events" "$WORK/truth")
[ -z "$bad" ] && ok "truth.tsv: $(wc -l <"$WORK/truth") records, each an event, direct names agree" || fail "truth.tsv: $bad"

if "$TL" timeline -h | grep -q -- --no-attributed; then
	evidence_of() { grep -o '"evidence":{"path":"[^"]*","line":[0-9]*' | sed 's/^"evidence":{"path":"\([^"]*\)","line":\([0-9]*\)$/\1\t\2/' | sort -u; }
	grep -v '	tl gap: ' "$WORK/truth" >"$WORK/checkable"
	for who in mchen jdoe asmith; do
		"$TL" timeline --entity "user:$who" --output jsonl "$C" | evidence_of >"$WORK/got.$who"
		awk -F'\t' -v u="$who" '$3 == u { print $1 "\t" $2 }' "$WORK/checkable" | sort -u >"$WORK/want.$who"
		missing=$(comm -23 "$WORK/want.$who" "$WORK/got.$who" | tr '\t' ':' | tr '\n' ' ')
		[ -z "$missing" ] && ok "user:$who: every record the truth gives $who" || fail "user:$who misses $missing"
		foreign=$(awk -F'\t' -v u="$who" '$3 != u { print $1 "\t" $2 }' "$WORK/checkable" | sort -u | comm -12 - "$WORK/got.$who" | tr '\t' ':' | tr '\n' ' ')
		[ -z "$foreign" ] && ok "user:$who: no record of another user or of nobody" || fail "user:$who shows $foreign"
	done
	gaps=$(grep -c '	tl gap: ' "$WORK/truth")
	[ "$gaps" -eq 0 ] || echo "KNOWN GAP: $gaps records the truth marks 'tl gap' (not checked)"
else
	fail "attribution missing from this tl (tl timeline has no --no-attributed)"
fi
finish
