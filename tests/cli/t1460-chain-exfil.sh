#!/usr/bin/env bash
# tl chain on its own case: archive created -> flagged by DLP -> uploaded by
# the same address, with the causes of the archive (the tool downloaded by a
# browser, then executed, in a logon session) and every step's evidence line.
# A chain is selective: another user's upload to the same site, and what the
# same host did besides, stay out.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

expect_exit 0 "tl chain --entity file:q4.7z" -- "$TL" chain --entity file:q4.7z "$C"
cp "$WORK/out" "$WORK/file.txt"
contains "$WORK/file.txt" "^Chains from file:q4.7z: 1 chain; 2 events name it; window 10m$" "header: pivot, chains, pivot events, window"
contains "$WORK/file.txt" "^Chain 1: 11 steps, 2026-11-19 23:30:02.120 to 23:44:00.118 UTC$" "one chain of 11 steps, from the logon to the upload"
contains "$WORK/file.txt" "^   9\. -> 23:41:07.120  WS-0142.corp.example.com: mchen created C:\\\\Users\\\\mchen\\\\Desktop\\\\q4.7z with 7zr.exe \(Sysmon 11; evidence/edr/sysmon-ws0142.xml:8 record 5031\)$" "the archive written, with its Sysmon record and line"
contains "$WORK/file.txt" "^  10\. -> 23:42:10.000  WS-0142: DLP flagged q4.7z \(passed\), policy 'Confidential Finance: Archive of finance share', user mchen at 10.20.1.42 \(symantec-dlp-cef; evidence/dlp/symantec-dlp.log:2\)$" "the DLP finding on it, with its evidence line"
contains "$WORK/file.txt" "^        because same file name q4.7z as the file written in step 9, 1m 2s earlier \[dlp-flagged\]$" "why the finding follows the archive"
contains "$WORK/file.txt" "^  11\. -> 23:44:00.118  mchen PUT http://transfer.sh/q4.7z from 10.20.1.42, status 200 \(squid-native; evidence/proxy/access.log:3\)$" "the upload, with its evidence line"
contains "$WORK/file.txt" "^        because same address 10.20.1.42 as step 10, 1m 50s later; the URL names q4.7z \[uploaded\]$" "why the upload follows the finding"
contains "$WORK/file.txt" "because started from C:.+Downloads.+7zr.exe, the file written in step 7 \[executed\]" "the archiver ran from the file written before (written -> executed)"
contains "$WORK/file.txt" "because written by the same browser process as the connection in step 6, 4s later \[downloaded\]" "the archiver was written by the browser that connected (download -> disk)"
contains "$WORK/file.txt" "because in logon session 0x5a3c1f on WS-0142.corp.example.com opened in step 1 \[logon-session\]" "processes in the logon session of step 1"
contains "$WORK/file.txt" "because its parent process GUID .7c1e0a42-5e25-673d-1c00-000000002b00. is the process started in step 2 \[process-tree\]" "the process tree by ProcessGuid"
if grep -q "akim\|leads-old\|lsass\|notepad\|updsvc\|intranet\|favicon\|Sysmon 5;" "$WORK/file.txt"; then
	fail "the chain holds only causes and effects of the archive"
	grep -n "akim\|leads-old\|lsass\|notepad\|updsvc\|intranet\|favicon\|Sysmon 5;" "$WORK/file.txt" | sed 's/^/    /'
else
	ok "the chain holds only causes and effects of the archive (no other user's upload, no unrelated process)"
fi

# the steps are in time order and every step after the first says why
awk '/^ +[0-9]+\. /{ n++ } END { exit n == 11 ? 0 : 1 }' "$WORK/file.txt" && ok "11 step lines" || fail "11 step lines"
steps=$(grep -cE '^ +[0-9]+\. ->' "$WORK/file.txt"); why=$(grep -cE '^        (because|leads to step)' "$WORK/file.txt")
[ "$steps" = 10 ] && [ "$why" = 10 ] && ok "every step after the first is explained (10 of 10)" || fail "steps after the first: $steps, explained: $why"

# the pivot user: the same story, plus the service chain whose injected
# process connected as mchen; akim's upload is a chain of its own elsewhere
expect_exit 0 "tl chain --entity user:mchen" -- "$TL" chain --entity user:mchen "$C"
cp "$WORK/out" "$WORK/user.txt"
contains "$WORK/user.txt" "^Chains from user:mchen: 2 chains; [0-9]+ events name it; window 10m$" "two chains from the user"
contains "$WORK/user.txt" "^Chain 1: 14 steps, 2026-11-19 23:30:02.120 to 23:44:01.020 UTC$" "the exfiltration chain, with the lookups that led to the upload"
contains "$WORK/user.txt" "because 10.20.1.42 looked up transfer.sh in step 12, 1s before \[resolved\]" "name resolved -> request to that name from the same client"
if grep -q "akim\|10.20.1.77\|intranet" "$WORK/user.txt"; then fail "another user's upload and an unlinked request stay out"; else
	ok "another user's upload and an unlinked request stay out"; fi

# the upload is not linked to the finding when the window is shorter
# than the 1m 50s between them
expect_exit 0 "tl chain --window 90s" -- "$TL" chain --entity file:q4.7z --window 90s "$C"
contains "$WORK/out" "^Chains from file:q4.7z: 1 chain; 2 events name it; window 90s$" "the window is shown"
if grep -q "\[uploaded\]" "$WORK/out"; then fail "--window 90s drops the upload 1m 50s after the finding"; else
	ok "--window 90s drops the upload 1m 50s after the finding"; fi
contains "$WORK/out" "\[dlp-flagged\]" "the finding 1m 2s after the archive still links"

# --from/--to bound every step
expect_exit 0 "tl chain --from" -- "$TL" chain --entity file:q4.7z --from 2026-11-19T23:40Z "$C"
contains "$WORK/out" "^Chain 1: 3 steps, 2026-11-19 23:41:07.120 to 23:44:00.118 UTC$" "--from cuts the causes before it"
finish
