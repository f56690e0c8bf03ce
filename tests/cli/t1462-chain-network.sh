#!/usr/bin/env bash
# Network links: a name looked up (BIND query log, no answer logged) -> a
# request naming it from the same client; an endpoint's lookup (Sysmon 22,
# answer in QueryResults) -> its connection to the answered address; the
# host's record (Sysmon 3) and the sensor's (Zeek conn.log) of one connection.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

expect_exit 0 "tl chain --entity ip:10.20.1.77" -- "$TL" chain --entity ip:10.20.1.77 "$C"
contains "$WORK/out" "^Chains from ip:10.20.1.77: 1 chain; 3 events name it; window 10m$" "one chain from the other client"
contains "$WORK/out" "^   1\. 2026-11-19 23:42:58.301 UTC  10.20.1.77 looked up transfer.sh \(bind-query; evidence/dns/query.log:1\)$" "the lookup, with its line"
contains "$WORK/out" "^   2\. -> 23:42:59.204  akim PUT http://transfer.sh/leads-old.csv from 10.20.1.77, status 200 \(squid-native; evidence/proxy/access.log:2\)$" "the request that followed"
contains "$WORK/out" "^        because 10.20.1.77 looked up transfer.sh in step 1, 903ms before \[resolved\]$" "why: same client, the name it looked up"
if grep -q "mchen\|10.20.1.42" "$WORK/out"; then fail "the other client's lookups of the same name stay out"; else
	ok "the other client's lookups of the same name stay out"; fi
# akim's DLP finding (23:12) is 30 minutes before the upload: outside the
# window, so no 'uploaded' link
if grep -q "\[uploaded\]" "$WORK/out"; then fail "a DLP finding 30 minutes earlier is outside the window"; else
	ok "a DLP finding 30 minutes earlier is outside the window"; fi

expect_exit 0 "tl chain --entity domain:dl.7-zip.example" -- "$TL" chain --entity domain:dl.7-zip.example "$C"
contains "$WORK/out" "chrome.exe looked up dl.7-zip.example -> ::ffff:203.0.113.50 \(Sysmon 22; evidence/edr/sysmon-ws0142.xml:4 record 5011\)" "the endpoint's lookup with its answer"
contains "$WORK/out" "and WS-0142.corp.example.com resolved dl.7-zip.example to 203.0.113.50 in step 4, 280ms before \[resolved\]" "answer address -> connection to it from that host"
contains "$WORK/out" "because the same connection as step 5 \(10.20.1.42:50123 -> 203.0.113.50:443\), seen by zeek-conn and by the host 0.026s apart \[same-connection\]" "Zeek and Sysmon 3 records of one connection (4-tuple, 26 ms apart)"
contains "$WORK/out" "^   5\. -> 23:35:10.455  connection 10.20.1.42:50123 -> 203.0.113.50:443/tcp, 1822 bytes out \(zeek-conn; evidence/network/conn.log:9\)$" "the sensor's record as a step, with its line"
contains "$WORK/out" "^        leads to step 6 \[same-connection\]$" "a step found as a cause says where it leads"
# Zeek's record of the SMB session to 10.20.0.30 shares the client address only
if grep -q "10.20.0.30\|50241" "$WORK/out"; then fail "a flow sharing only the client address is not linked"; else
	ok "a flow sharing only the client address is not linked"; fi
finish
