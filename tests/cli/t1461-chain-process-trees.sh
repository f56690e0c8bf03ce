#!/usr/bin/env bash
# Process trees without GUIDs (auditd: host + pid + start time) where pids are
# reused: two processes started in the same millisecond name each other as
# parent (a cycle), and pid 5100 is taken again by cron later. The walk must
# end, link each child to the latest start of its parent pid before it, and
# never the other way round. With GUIDs (Sysmon), the service's process, what
# it did (Sysmon 8/10) and what the injected process did after.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

timeout 30 "$TL" chain --entity host:srv-db01 "$C" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 0 ] && ok "a pid-reuse cycle ends (exit 0 within 30 s)" || fail "a pid-reuse cycle ends (exit $rc)"
contains "$WORK/out" "^Chains from host:srv-db01: 2 chains; 5 events name it; window 10m$" "two trees on srv-db01"
contains "$WORK/out" "^Chain 1: 3 steps, 2026-11-19 23:45:00.000 to 23:45:10.512 UTC$" "bash, its child python and its child curl"
contains "$WORK/out" "^   2\. -> 23:45:00.000  srv-db01: 1007 started /usr/bin/python3.11 \(pid 5200\): python3 /opt/db/dump.py \(auditd; evidence/hids/audit.log:4 record 7102\)$" "python, started in the same millisecond as bash"
contains "$WORK/out" "^Chain 2: 2 steps, 2026-11-19 23:45:20.000 to 23:45:30.250 UTC$" "cron (pid 5100 again) and its child tar"
# tar's parent pid 5100 is cron (line 10), not bash (line 1) that had it first
awk '/^Chain 2:/{c=1} c && /started \/usr\/bin\/tar/{t=1} END{exit !t}' "$WORK/out" && ok "tar is in cron's chain" || fail "tar is in cron's chain"
awk '/^Chain 1:/{c=1} /^Chain 2:/{c=0} c && /tar czf/{bad=1} END{exit bad}' "$WORK/out" && ok "tar is not bash's child (pid reused)" || fail "tar is not bash's child (pid reused)"
n=$(grep -c "parent pid 5100 on srv-db01, the latest process started with that pid before it \[process-tree\]" "$WORK/out")
[ "$n" = 3 ] && ok "three children of pid 5100, each linked to the latest start of 5100 before it" || fail "children of pid 5100: $n"
if grep -q "parent pid 5200" "$WORK/out"; then fail "bash (pid 5100, parent 5200) is not made the child of python (pid 5200) started after it"; else
	ok "bash is not made the child of python started after it (no cycle)"; fi

# GUIDs: the service installed, its process, its injection into notepad, and
# what notepad did after (also seen by Zeek); lsass access is what updsvc did
expect_exit 0 "tl chain --entity process:updsvc.exe" -- "$TL" chain --entity process:updsvc.exe "$C"
contains "$WORK/out" "^Chain 1: 6 steps, 2026-11-19 23:50:00.441 to 23:52:00.112 UTC$" "one chain of six steps"
contains "$WORK/out" "service 'UpdSvc' installed: \"C:.+updsvc.exe\" -k run \(System 7045; evidence/edr/sysmon-ws0142.xml:10 record 21877\)" "the service installation (System 7045)"
contains "$WORK/out" "because started from C:.+ProgramData.+upd.+updsvc.exe, the image of the service installed in step 1 \('UpdSvc'\) \[service-started\]" "service installed -> its process started"
contains "$WORK/out" "updsvc.exe opened C:.+lsass.exe \(access 0x1010\) \(Sysmon 10; evidence/edr/sysmon-ws0142.xml:12 record 5110\)" "process access (Sysmon 10) as the service's action"
contains "$WORK/out" "injected a thread into C:.+notepad.exe \(Sysmon 8; evidence/edr/sysmon-ws0142.xml:13 record 5111\)" "remote thread (Sysmon 8)"
contains "$WORK/out" "and done by the process C:.+notepad.exe injected into in step 4 \(process GUID .7c1e0a42-6170-673d-4a01-000000002b00.\), 17s later \[process-access\]" "injection -> the target's connection"
contains "$WORK/out" "because the same connection as step 5 \(10.20.1.42:50388 -> 198.51.100.99:8443\), seen by zeek-conn and by the host 0.004s apart \[same-connection\]" "the host's and the sensor's record of one connection"

# from the user, the service chain holds only the causes of what ran as mchen:
# not the lsass access, which led nowhere mchen is named
expect_exit 0 "tl chain --entity user:mchen" -- "$TL" chain --entity user:mchen "$C"
if grep -q "lsass" "$WORK/out"; then fail "causes only, backwards: no lsass access in the user's chains"; else
	ok "causes only, backwards: no lsass access in the user's chains"; fi
contains "$WORK/out" "^Chain 2: 5 steps, 2026-11-19 23:50:00.441 to 23:52:00.112 UTC$" "the service chain, reached backwards from notepad's connection"
finish
