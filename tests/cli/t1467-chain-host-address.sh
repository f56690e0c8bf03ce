#!/usr/bin/env bash
# A DLP finding that names a workstation but no address, and an upload that
# names an address but no user: they meet through the workstation's own EDR
# network events, which show it using that address; the reason cites that
# event's evidence line. Found forwards (from the file) and backwards (from
# the address).
. "$(dirname "$0")/lib.sh"
C=$(new_case ha)
mkdir -p "$C/evidence/edr" "$C/evidence/dlp" "$C/evidence/proxy"
X="http://schemas.microsoft.com/win/2004/08/events/event"
S="<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/>"
H="<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-0150.corp.example.com</Computer></System>"
{
	echo "<Event xmlns='$X'><System>$S<EventID>3</EventID><TimeCreated SystemTime='2026-11-20T10:00:00.5000000Z'/><EventRecordID>9001</EventRecordID>$H<EventData><Data Name='ProcessGuid'>{9a1e0a42-1000-673d-5a01-000000003c00}</Data><Data Name='ProcessId'>5120</Data><Data Name='Image'>C:\\Windows\\System32\\svchost.exe</Data><Data Name='User'>NT AUTHORITY\\NETWORK SERVICE</Data><Data Name='Protocol'>tcp</Data><Data Name='SourceIp'>10.20.5.50</Data><Data Name='SourcePort'>49811</Data><Data Name='DestinationIp'>10.20.0.10</Data><Data Name='DestinationPort'>443</Data></EventData></Event>"
	echo "<Event xmlns='$X'><System>$S<EventID>11</EventID><TimeCreated SystemTime='2026-11-20T10:05:00.2500000Z'/><EventRecordID>9002</EventRecordID>$H<EventData><Data Name='ProcessGuid'>{9a1e0a42-1001-673d-5b01-000000003c00}</Data><Data Name='ProcessId'>6400</Data><Data Name='Image'>C:\\Program Files\\7-Zip\\7z.exe</Data><Data Name='TargetFilename'>C:\\Users\\bob\\Documents\\plans.zip</Data><Data Name='User'>CORP\\bob</Data></EventData></Event>"
} >"$C/evidence/edr/sysmon.xml"
echo '<134>Nov 20 10:06:00 dlp-enforce01 CEF:0|Symantec|DLP|16.0|Plans|Product plans|High|act=Passed suser=bob.builder@example.com shost=WS-0150.corp.example.com fname=plans.zip fsize=9211003 cs1Label=Policy cs1=Product plans cs4Label=Incident ID cs4=91001 cs5Label=Blocked cs5=No rt=1795169160000' >"$C/evidence/dlp/dlp.log"
echo '1795169220.000   4100 10.20.5.50 TCP_MISS/200 310 PUT http://files.example.org/plans.zip - HIER_DIRECT/198.51.100.70 text/plain' >"$C/evidence/proxy/access.log"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1

expect_exit 0 "from the file" -- "$TL" chain --entity file:plans.zip "$C"
contains "$WORK/out" "^Chain 1: 3 steps, 2026-11-20 10:05:00.250 to 10:07:00.000 UTC$" "file written, finding, upload"
contains "$WORK/out" "^        because from 10.20.5.50, an address the host WS-0150.corp.example.com of step 2 used \(evidence/edr/sysmon.xml:1\), 1m later; the URL names plans.zip \[uploaded\]$" "the upload is the workstation's: its EDR record of that address, cited"
if grep -q "svchost" "$WORK/out"; then fail "the EDR event is evidence for the link, not a step"; else
	ok "the EDR event is evidence for the link, not a step"; fi
expect_exit 0 "from the address" -- "$TL" chain --entity ip:10.20.5.50 "$C"
contains "$WORK/out" "^Chain 1: 3 steps, 2026-11-20 10:05:00.250 to 10:07:00.000 UTC$" "the same chain, found backwards from the upload"
contains "$WORK/out" "DLP flagged plans.zip \(passed\), policy 'Plans: Product plans', user bob.builder \(symantec-dlp-cef; evidence/dlp/dlp.log:1\)" "the finding without an address"
finish
