#!/usr/bin/env bash
# VPN sessions as identity evidence: OpenVPN (behind syslog), Cisco ASA
# AnyConnect and strongSwan charon logs give the `sessions` view (docs/schema.md#sessions): who held
# which inside address, from when to when, why the session ended, and the
# evidence lines of its start and end. 10.8.0.6 and 10.50.0.22 are each held
# by two users on the same day.
. "$(dirname "$0")/lib.sh"
C=$(new_case sessions)
cp -r "$SRC/fixtures/cases/vpn-sessions/evidence/." "$C/evidence/"
expect_exit 0 "ingest of the OpenVPN and ASA logs" -- "$TL" ingest --no-progress "$C"
"$TL" sources "$C" >"$WORK/src"
contains "$WORK/src" "openvpn-syslog +27 +27 +0" "every OpenVPN syslog line is an openvpn-syslog event"
contains "$WORK/src" "cisco-asa +11 +11 +0" "every ASA line is an event"
contains "$WORK/src" "strongswan-charon +17 +17 +0" "every charon line is a strongswan-charon event"

"$TL" sql "$C" "SELECT user, real_ip, real_port, assigned_ip, device, start, \"end\", ended_by, duration_s,
  bytes_in, bytes_out, start_file, start_line, end_file, end_line FROM sessions WHERE kind = 'vpn' ORDER BY start_us" >"$WORK/got"
cat >"$WORK/want" <<'T'
user	real_ip	real_port	assigned_ip	device	start	end	ended_by	duration_s	bytes_in	bytes_out	start_file	start_line	end_file	end_line
mchen@example.com	198.51.100.44		10.10.0.2	vpn-gw	2026-11-19T07:02:11.402113Z	2026-11-19T08:15:40.220502Z	logged	4408			evidence/ipsec/charon.log	7	evidence/ipsec/charon.log	13
mchen	198.51.100.44	51234	10.8.0.6	vpn-gw	2026-11-19T07:02:11.615731Z	2026-11-19T08:15:40.220415Z	logged	4408			evidence/vpn-gw/openvpn.log	8	evidence/vpn-gw/openvpn.log	11
alice	198.51.100.80		10.50.0.21	vpn-asa	2026-11-19T09:00:01.000000Z	2026-11-19T09:45:10.000000Z	logged	2709	1834231	402113	evidence/vpn-asa/asa.log	3	evidence/vpn-asa/asa.log	6
jdoe	203.0.113.9	40112	10.8.0.6	vpn-gw	2026-11-19T09:30:05.334506Z	2026-11-19T16:00:00.012441Z	restart	23394			evidence/vpn-gw/openvpn.log	16	evidence/vpn-gw/openvpn.log	26
ahmed	192.0.2.77	1194	10.8.0.10	vpn-gw	2026-11-19T09:59:00.004980Z	2026-11-19T11:10:31.550199Z	logged	4291			evidence/vpn-gw/openvpn.log	20	evidence/vpn-gw/openvpn.log	23
carol	203.0.113.50		10.50.0.22	vpn-asa	2026-11-19T12:00:15.000000Z	2026-11-19T13:58:41.000000Z	reassigned	7106			evidence/vpn-asa/asa.log	8	evidence/vpn-asa/asa.log	10
dave	198.51.100.91		10.50.0.22	vpn-asa	2026-11-19T13:58:41.000000Z	2026-11-19T15:30:02.000000Z	logged	5481	93120455	2210984	evidence/vpn-asa/asa.log	10	evidence/vpn-asa/asa.log	11
T
same "$WORK/want" "$WORK/got" "sessions: user, real and assigned address, start, end, why it ended, evidence lines"

q() { "$TL" sql "$C" "$1" | tail -n +2; }
[ "$(q "SELECT group_concat(user, ',') FROM (SELECT user FROM sessions WHERE assigned_ip = '10.8.0.6' ORDER BY start_us)")" = mchen,jdoe ] &&
	ok "10.8.0.6 held by mchen, then jdoe, on 2026-11-19" || fail "10.8.0.6 holders"
# who held 10.50.0.22 at 13:00Z? carol (her session has no logged end, the next assignment closes it)
[ "$(q "SELECT user FROM sessions WHERE assigned_ip = '10.50.0.22' AND start_us <= 1795093200000000 AND (end_us IS NULL OR end_us > 1795093200000000)")" = carol ] &&
	ok "attribution at an instant: 10.50.0.22 at 13:00Z is carol" || fail "attribution at an instant"

# an address assignment with nothing after it stays open-ended, and says so
printf '%s\n' '<29>1 2026-11-20T08:00:00.000001+01:00 vpn-gw openvpn 2210 - - eve/198.51.100.7:50000 MULTI_sva: pool returned IPv4=10.8.0.14, IPv6=(Not enabled)' >"$C/evidence/vpn-gw/openvpn-2.log"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
[ "$(q "SELECT ended_by || '|' || coalesce(\"end\", 'NULL') || '|' || coalesce(end_line, 'NULL') FROM sessions WHERE user = 'eve'")" = 'open|NULL|NULL' ] &&
	ok "a session with no end in the evidence is open-ended" || fail "open-ended session: $(q "SELECT * FROM sessions WHERE user='eve'")"
# DHCP: a lease runs through its renewals to its release; the address then goes to another MAC
cp "$SRC/fixtures/dns/isc-dhcpd/dhcpd.log" "$C/evidence/dhcpd.log"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
"$TL" sql "$C" "SELECT mac, client_host, assigned_ip, start, \"end\", ended_by, start_line, end_line FROM sessions WHERE kind = 'dhcp' ORDER BY start_us" >"$WORK/got"
cat >"$WORK/want" <<'T'
mac	client_host	assigned_ip	start	end	ended_by	start_line	end_line
00:1a:2b:3c:4d:5e	LT-MCHEN-01	10.20.1.15	2026-11-19T07:01:58.021330Z	2026-11-19T16:30:00.118002Z	logged	5	15
7c:5c:f8:01:02:03	android-4f1c2a	10.20.1.15	2026-11-19T16:45:13.001120Z		open	17	
T
same "$WORK/want" "$WORK/got" "dhcp leases: MAC, host name, address, from the first DHCPACK to the DHCPRELEASE"
expect_exit 1 "the view is read-only like every table" -- "$TL" sql "$C" "DELETE FROM sessions"
finish
