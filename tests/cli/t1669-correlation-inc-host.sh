#!/usr/bin/env bash
# Incremental correlation through a host (docs/correlation.md#incremental):
# proxy events of an address bound to a host (EDR network event, ip-host)
# are attributed to the host's user (process owner, host-user) via
# src_ip>host. A later EDR export shows bob starting a process on that host:
# alice's window ends there, and the events attributed through the host
# after that become bob's, though the new file names neither the address nor
# those events. Compared with one ingest, and with the whole run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/corr-lib.sh"
mde() { # mde TIME ACTION USER: an MDE advanced-hunting record on ws-0900
	local who=""
	[ -n "$3" ] && who="\"AccountDomain\":\"example\",\"AccountName\":\"$3\",\"InitiatingProcessAccountDomain\":\"example\",\"InitiatingProcessAccountName\":\"$3\","
	if [ "$2" = ConnectionSuccess ]; then
		printf '{"Timestamp":"%s","DeviceId":"9e0d","DeviceName":"ws-0900.corp.example.com","ActionType":"ConnectionSuccess","RemoteIP":"198.51.100.7","RemotePort":443,"LocalIP":"10.7.7.7","LocalPort":50000,"Protocol":"Tcp","InitiatingProcessFileName":"svchost.exe","InitiatingProcessId":900,%s"ReportId":1}\n' "$1" "$who"
	else
		printf '{"Timestamp":"%s","DeviceId":"9e0d","DeviceName":"ws-0900.corp.example.com","ActionType":"ProcessCreated","FileName":"notepad.exe","FolderPath":"C:\\\\Windows\\\\notepad.exe","ProcessId":4000,"ProcessCommandLine":"notepad.exe",%s"InitiatingProcessFileName":"explorer.exe","InitiatingProcessId":3000,"ReportId":2}\n' "$1" "$who"
	fi
}
at() { date -u -d "2026-11-24T$1Z" +%s; }
sq() { printf '%d.000    100 10.7.7.7 TCP_MISS/200 1000 GET http://example.com/%s - HIER_DIRECT/192.0.2.1 text/html\n' "$(at "$1")" "$2"; }
mkdir -p "$WORK/a" "$WORK/b"
{ mde 2026-11-24T10:00:00.0000000Z ConnectionSuccess ""; mde 2026-11-24T10:00:30.0000000Z ProcessCreated alice; } >"$WORK/a/mde-a.json"
{ sq 10:05:00 a; sq 10:20:00 b; sq 10:40:00 c; } >"$WORK/a/proxy.log"
mde 2026-11-24T10:15:00.0000000Z ProcessCreated bob >"$WORK/b/mde-b.json"

ONE=$(new_case one)
cp "$WORK/a/"* "$WORK/b/"* "$ONE/evidence/"
"$TL" ingest --no-progress "$ONE" >"$WORK/one.out" 2>&1
by() { "$TL" sql "$1" "SELECT a.value || ' ' || a.via FROM attributions a JOIN events e ON e.id = a.event_id WHERE a.kind = 'user' AND e.url LIKE '%/$2'" | tail -n 1; }
[ "$(by "$ONE" a)" = "alice src_ip>host" ] && [ "$(by "$ONE" b)" = "bob src_ip>host" ] &&
	ok "one ingest: alice then bob, through the host" || { fail "one ingest: a '$(by "$ONE" a)', b '$(by "$ONE" b)'"; cat "$WORK/one.out"; }

TWO=$(new_case two)
cp "$WORK/a/"* "$TWO/evidence/"
"$TL" ingest --no-progress "$TWO" >/dev/null 2>&1
[ "$(by "$TWO" b)" = "alice src_ip>host" ] && ok "before bob's process, alice is behind the host" || fail "before: '$(by "$TWO" b)'"
cp -r "$TWO" "$WORK/full"
cp "$WORK/b/"* "$TWO/evidence/"
TL_CORR_FULL=never "$TL" ingest --no-progress --timings "$TWO" >/dev/null 2>"$WORK/err"
contains "$WORK/err" "^correlation: incremental \(1 subjects rebuilt" "bob's process rebuilds the host's bindings only"
[ "$(by "$TWO" b)" = "bob src_ip>host" ] && [ "$(by "$TWO" c)" = "bob src_ip>host" ] && [ "$(by "$TWO" a)" = "alice src_ip>host" ] &&
	ok "the events behind the host after 10:15 are bob's now" || fail "after: a '$(by "$TWO" a)', b '$(by "$TWO" b)', c '$(by "$TWO" c)'"
proj "$ONE" "$WORK/one.proj"
proj "$TWO" "$WORK/two.proj"
same "$WORK/one.proj" "$WORK/two.proj" "two ingests conclude what one does"
cp "$WORK/b/"* "$WORK/full/evidence/"
TL_CORR_FULL=1 "$TL" ingest --no-progress "$WORK/full" >/dev/null 2>&1
for t in "bindings ORDER BY id" "attributions ORDER BY event_id, kind"; do
	"$TL" sql "$TWO" "SELECT * FROM $t" >"$WORK/inc.rows"
	"$TL" sql "$WORK/full" "SELECT * FROM $t" >"$WORK/full.rows"
	same "$WORK/inc.rows" "$WORK/full.rows" "incremental and whole runs: the same $t"
done
finish
