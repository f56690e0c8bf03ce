#!/usr/bin/env bash
# A bulk export, then an archive: carol downloads 11 files of a SharePoint
# folder in 2m 30s (the burst's first download linked to its last:
# export-burst), then 7-Zip starts under her name 1m 30s after the last one,
# its command line naming the folder (bulk-archive, same user); the archive
# file, written by a record that names no user, is hers through her logon on
# that workstation. Not linked: a .rar written on a host where someone else
# logged on last, an archive 38 minutes after the burst, and dave's three
# downloads (no burst) before his own 7-Zip.
. "$(dirname "$0")/lib.sh"
C=$(new_case arch)
mkdir -p "$C/evidence/m365" "$C/evidence/edr"
dl() { # dl SECONDS USER FILE
	printf '{"CreationTime":"%s","Id":"7a1f2a%02d-3e4d-4b5a-8c9d-0a1b2c3d4e5f","Operation":"FileDownloaded","OrganizationId":"0e1dddce-163e-4b0b-9e33-87ba56ac4655","RecordType":6,"UserType":0,"Version":1,"Workload":"SharePoint","ClientIP":"203.0.113.9","ObjectId":"https://example.sharepoint.com/sites/Finance/Shared Documents/Budget/%s","UserId":"%s@example.com","EventSource":"SharePoint","ItemType":"File","SiteUrl":"https://example.sharepoint.com/sites/Finance/","SourceFileName":"%s","SourceRelativeUrl":"Shared Documents/Budget"}\n' \
		"$(date -u -d @$((1795165200 + $1)) +%Y-%m-%dT%H:%M:%S)" "$(( $1 % 97 ))" "$3" "$2" "$3"
}
{
	for i in $(seq 0 10); do dl $((i * 15)) carol "budget-$i.xlsx"; done
	for i in 0 1 2; do dl $((i * 20 + 7)) dave "plan-$i.docx"; done
} >"$C/evidence/m365/audit.jsonl"
X="http://schemas.microsoft.com/win/2004/08/events/event"
S="<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/>"
SEC="<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>"
logon() { # logon TIME HOST USER LOGONID RECORD
	echo "<Event xmlns='$X'><System>$SEC<EventID>4624</EventID><TimeCreated SystemTime='$1'/><EventRecordID>$5</EventRecordID><Channel>Security</Channel><Computer>$2</Computer></System><EventData><Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectLogonId'>0x3e7</Data><Data Name='TargetUserName'>$3</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='TargetLogonId'>$4</Data><Data Name='LogonType'>2</Data><Data Name='IpAddress'>127.0.0.1</Data></EventData></Event>"
}
sysmon() { # sysmon ID TIME HOST RECORD DATA...
	local id=$1 t=$2 h=$3 r=$4
	shift 4
	echo "<Event xmlns='$X'><System>$S<EventID>$id</EventID><TimeCreated SystemTime='$t'/><EventRecordID>$r</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>$h</Computer></System><EventData>$*</EventData></Event>"
}
{
	logon 2026-11-20T08:50:00.0000000Z WS-0160.corp.example.com carol 0x7a11 5001
	logon 2026-11-20T08:55:00.0000000Z WS-0161.corp.example.com eve 0x7b22 5002
	sysmon 1 2026-11-20T09:04:00.0000000Z WS-0160.corp.example.com 5003 "<Data Name='ProcessGuid'>{9b1e0a42-2000-673d-5a01-000000004d00}</Data><Data Name='ProcessId'>7100</Data><Data Name='Image'>C:\\Program Files\\7-Zip\\7z.exe</Data><Data Name='CommandLine'>7z.exe a C:\\Users\\carol\\budget.7z C:\\Users\\carol\\Downloads\\Budget\\*</Data><Data Name='User'>CORP\\carol</Data><Data Name='LogonId'>0x7a11</Data>"
	# written by a process whose start is not in the evidence, with no user
	sysmon 11 2026-11-20T09:04:05.0000000Z WS-0160.corp.example.com 5004 "<Data Name='ProcessGuid'>{9b1e0a42-2001-673d-5a01-000000004d00}</Data><Data Name='ProcessId'>7200</Data><Data Name='Image'>C:\\Windows\\explorer.exe</Data><Data Name='TargetFilename'>C:\\Users\\carol\\Desktop\\budget-copy.zip</Data>"
	sysmon 11 2026-11-20T09:05:00.0000000Z WS-0161.corp.example.com 5005 "<Data Name='ProcessGuid'>{9b1e0a42-2002-673d-5a01-000000004d00}</Data><Data Name='ProcessId'>7300</Data><Data Name='Image'>C:\\Program Files\\WinRAR\\WinRAR.exe</Data><Data Name='TargetFilename'>C:\\Users\\eve\\notes.rar</Data>"
	sysmon 1 2026-11-20T09:03:00.0000000Z WS-0170.corp.example.com 5006 "<Data Name='ProcessGuid'>{9b1e0a42-2003-673d-5a01-000000004d00}</Data><Data Name='ProcessId'>7400</Data><Data Name='Image'>C:\\Program Files\\7-Zip\\7z.exe</Data><Data Name='CommandLine'>7z.exe a plans.7z plans</Data><Data Name='User'>CORP\\dave</Data>"
	sysmon 11 2026-11-20T09:40:30.0000000Z WS-0160.corp.example.com 5007 "<Data Name='ProcessGuid'>{9b1e0a42-2004-673d-5a01-000000004d00}</Data><Data Name='ProcessId'>7500</Data><Data Name='Image'>C:\\Program Files\\7-Zip\\7z.exe</Data><Data Name='TargetFilename'>C:\\Users\\carol\\later.7z</Data><Data Name='User'>CORP\\carol</Data>"
} >"$C/evidence/edr/events.xml"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
"$TL" sources "$C" >"$WORK/sources"
contains "$WORK/sources" "m365-audit +14 +14 +0" "the audit log is read as Microsoft 365 (14 events)"

expect_exit 0 "tl chain --entity user:carol" -- "$TL" chain --entity user:carol "$C"
cp "$WORK/out" "$WORK/carol"
contains "$WORK/carol" "^Chains from user:carol: 1 chain; " "one chain"
contains "$WORK/carol" "^   2\. -> 09:00:00\.000  carol@example\.com FileDownloaded .*/Budget/budget-0\.xlsx from 203\.0\.113\.9 \(m365-audit; evidence/m365/audit\.jsonl:1\)$" "the burst's first download is a step"
contains "$WORK/carol" "^        because the last of 11 downloads by carol in 2m 30s \(a bulk export: 10 or more within 15m\), the first in step 2 \(evidence/m365/audit\.jsonl:1\) \[export-burst\]$" "its last download follows from it"
contains "$WORK/carol" "^        because a bulk export of 11 downloads by carol within 15m ends with step 3; 7z\.exe started by the same user carol 1m 30s later; its command line names Budget, the folder of the downloads \[bulk-archive\]$" "7-Zip by the same user, naming the folder"
contains "$WORK/carol" "^        because a bulk export of 11 downloads by carol within 15m ends with step 3; budget-copy\.zip written on WS-0160\.corp\.example\.com in the logon session 0x7a11 of carol \(evidence/edr/events\.xml:1\) 1m 35s later \[bulk-archive\]$" "an archive naming no user: hers by her logon on the host"
for no in notes.rar later.7z; do
	grep -q "$no" "$WORK/carol" && fail "$no is linked" || ok "$no is not linked"
done
expect_exit 0 "tl chain --entity user:dave" -- "$TL" chain --entity user:dave "$C"
contains "$WORK/out" "^Chains from user:dave: 0 chains; " "three downloads and an archive: no bulk export"
expect_exit 0 "backwards, from the archive" -- "$TL" chain --entity file:budget-copy.zip "$C"
contains "$WORK/out" "\[bulk-archive\]$" "the archive's chain reaches the burst"
contains "$WORK/out" "evidence/m365/audit\.jsonl:1\)$" "and its first download"
finish
