#!/usr/bin/env bash
# Attribution through time-bounded bindings (docs/correlation.md#bindings-and-attribution)
# on fixtures/cases/attribution: 10.8.0.6 is held by alice (OpenVPN, 08:00-11:00)
# and by bob (13:00-17:00) the same day; Squid, BIND, Zeek and netfilter lines
# from 10.8.0.6 at 09:00, 12:00 and 14:00 name no user. 10.8.0.10 is claimed by
# carol (OpenVPN) and dave (ASA AnyConnect) at once: a conflict. 10.20.1.15 is
# leased to LT-ALICE-01 (ISC dhcpd) where alice is logged on (Windows 4624/4634);
# carol authenticated to the proxy from 10.20.1.40 at 15:00.
. "$(dirname "$0")/lib.sh"
C=$(new_case attribution)
cp -r "$SRC/fixtures/cases/attribution/evidence/." "$C/evidence/"
"$TL" ingest --no-progress "$C" >"$WORK/ingest" 2>&1
[ $? -eq 0 ] && ok "ingest of the attribution case" || fail "ingest: $(cat "$WORK/ingest")"
contains "$WORK/ingest" "warning: 1 binding conflict: 1 event left unattributed" "ingest reports the conflict"

# one line per event of a timeline: time, format, src_ip, user, attributed user and host
tsv() { python3 -c '
import sys, json
for l in sys.stdin:
    e = json.loads(l)
    print("\t".join(str(x) for x in (e["ts"][11:19], e["format"], e["src_ip"], e["user"], e.get("attributed_user"), e.get("attributed_host"))))'; }

"$TL" timeline --entity user:alice --output jsonl "$C" | tsv >"$WORK/alice"
grep -P '^09:00:00\t(iptables|bind-query|squid-native|zeek-conn)\t10.8.0.6\tNone\talice\t' "$WORK/alice" | wc -l | grep -qx 4 &&
	ok "alice's timeline has the four 09:00 events from 10.8.0.6, attributed to her" || fail "alice 09:00: $(cat "$WORK/alice")"
grep -Eq '^(12|14):00' "$WORK/alice" && fail "alice's timeline has a 12:00 or 14:00 event" || ok "alice's timeline has nothing of 12:00 or 14:00"
grep -qP '^09:30:00\tsquid-native\t10.20.1.15\tNone\talice\tlt-alice-01$' "$WORK/alice" &&
	ok "10.20.1.15 at 09:30: host LT-ALICE-01 by its DHCP lease, user alice by her logon on it" || fail "chain: $(cat "$WORK/alice")"

"$TL" timeline --entity user:bob --output jsonl "$C" | tsv >"$WORK/bob"
grep -P '^14:00:00\t(iptables|bind-query|squid-native|zeek-conn)\t10.8.0.6\tNone\tbob\t' "$WORK/bob" | wc -l | grep -qx 4 &&
	ok "bob's timeline has the four 14:00 events from 10.8.0.6" || fail "bob 14:00: $(cat "$WORK/bob")"
grep -Eq '^(09|12):00' "$WORK/bob" && fail "bob's timeline has a 09:00 or 12:00 event" || ok "bob's timeline has nothing of 09:00 or 12:00"

"$TL" timeline --output jsonl "$C" | tsv >"$WORK/all"
[ "$(grep -cP '^12:00:00\t[a-z-]+\t10.8.0.6\tNone\tNone\tNone$' "$WORK/all")" = 4 ] &&
	ok "the four 12:00 events (between the two sessions) are attributed to nobody" || fail "12:00: $(grep ^12: "$WORK/all")"
grep -qP '^10:30:00\tsquid-native\t10.8.0.10\tNone\tNone\tNone$' "$WORK/all" &&
	ok "10.8.0.10 at 10:30, held by carol and dave at once: not attributed" || fail "conflict event: $(grep ^10:30 "$WORK/all")"
grep -qP '^15:05:00\tbind-query\t10.20.1.40\tNone\tcarol\tNone$' "$WORK/all" && grep -qP '^15:30:00\tbind-query\t10.20.1.40\tNone\tNone\tNone$' "$WORK/all" &&
	ok "proxy authentication binds 10.20.1.40 to carol for 15 minutes: 15:05 is hers, 15:30 nobody's" || fail "proxy window"
grep -qP '\tNone\t(alice|bob|carol)\t.*' "$WORK/all" && ! grep -P '\t(alice|bob|carol|dave)\t(alice|bob|carol|dave)\t' "$WORK/all" | grep -q . &&
	ok "events that name their own user are never re-attributed" || fail "re-attributed"

# the attribution object: binding, rule, source, evidence lines
"$TL" timeline --entity user:bob --output jsonl "$C" | grep '"format":"zeek-conn"' >"$WORK/bobzeek"
contains "$WORK/bobzeek" '"attributed_user":"bob","attribution":\{"user":\{"via":"src_ip","binding":\{"id":7,"kind":"ip-user","subject":"10.8.0.6","value":"bob","start":"2026-11-19T13:00:00.000000Z","end":"2026-11-19T17:00:00.000000Z","end_rule":"session-end","source":"vpn"\},"evidence":\[\{"path":"evidence/vpn/openvpn.log","line":8\},\{"path":"evidence/vpn/openvpn.log","line":9\}\]\}\}\}$' \
	"JSONL: attributed_user and attribution {binding, evidence} after the event's own keys"
"$TL" timeline --output jsonl "$C" | grep -c '"attributed_' | grep -qx 10 && ok "every attributed event carries it, pivot or not (10)" || fail "attributed count"

# --no-attributed: only events naming bob
"$TL" timeline --entity user:bob --no-attributed --output jsonl "$C" | tsv >"$WORK/bobdirect"
[ "$(cut -f4 "$WORK/bobdirect" | sort -u)" = bob ] && [ "$(wc -l <"$WORK/bobdirect")" = 3 ] &&
	ok "--no-attributed: the three events naming bob, no attributed ones" || fail "--no-attributed: $(cat "$WORK/bobdirect")"

# text: the attributed user is marked ~, with the binding's evidence in the detail
"$TL" timeline --entity user:bob --family dns "$C" >"$WORK/text"
contains "$WORK/text" '~bob +10\.8\.0\.6:53213 .*~user bob: vpn 10\.8\.0\.6 #7 evidence/vpn/openvpn\.log:8$' "text: USER ~bob and the binding in the detail"
# CSV: three more columns
"$TL" timeline --entity user:bob --family dns --output csv "$C" >"$WORK/csv"
head -1 "$WORK/csv" | grep -q ',attributed_user,attributed_host,attribution'$'\r''$' && ok "CSV header ends with the attribution columns" || fail "csv header"
contains "$WORK/csv" ',"bob",,"\{""user"":\{""via"":""src_ip""' "CSV row: attributed user, no host, attribution JSON"

# host pivot
"$TL" timeline --entity host:LT-ALICE-01 --output jsonl "$C" | tsv >"$WORK/host"
grep -qP '^09:30:00\tsquid-native\t10.20.1.15\t' "$WORK/host" && ok "--entity host: includes the events attributed to the host" || fail "host pivot: $(cat "$WORK/host")"

# tl bindings: every binding with its rule, source and evidence; the conflict
"$TL" bindings "$C" >"$WORK/got"
cat >"$WORK/want" <<'T'
ID    KIND       SUBJECT          VALUE         START                        END                          END RULE         SOURCE      EVENTS  ATTRIBUTED  EVIDENCE
1     host-user  lt-alice-01      alice         2026-11-19T08:05:00.000000Z  2026-11-19T17:30:00.000000Z  logoff           logon       1       1           evidence/edr/winlogbeat.json:1, evidence/edr/winlogbeat.json:2
2     ip-host    10.20.1.15       lt-alice-01   2026-11-19T08:01:58.021330Z  2026-11-19T18:00:00.118002Z  lease-end        dhcp        1       1           evidence/dhcp/dhcpd.log:2, evidence/dhcp/dhcpd.log:3
3     ip-user    10.20.1.40       carol         2026-11-19T15:00:00.000000Z  2026-11-19T15:15:00.000000Z  window           proxy-auth  1       1           evidence/proxy/access.log:6
4     ip-user    10.8.0.10        carol         2026-11-19T09:00:00.000000Z  2026-11-19T12:00:00.000000Z  session-end      vpn         1       0           evidence/vpn/openvpn.log:4, evidence/vpn/openvpn.log:6
5     ip-user    10.8.0.10        dave          2026-11-19T10:00:00.000000Z  2026-11-19T11:00:00.000000Z  session-end      vpn         1       0           evidence/vpn/asa.log:2, evidence/vpn/asa.log:3
6     ip-user    10.8.0.6         alice         2026-11-19T08:00:00.000000Z  2026-11-19T11:00:00.000000Z  session-end      vpn         1       4           evidence/vpn/openvpn.log:2, evidence/vpn/openvpn.log:5
7     ip-user    10.8.0.6         bob           2026-11-19T13:00:00.000000Z  2026-11-19T17:00:00.000000Z  session-end      vpn         1       4           evidence/vpn/openvpn.log:8, evidence/vpn/openvpn.log:9

conflict 1: ip-user 10.8.0.10 bound by #4 and #5 at once from 2026-11-19T10:00:00.000000Z to 2026-11-19T11:00:00.000000Z: 1 event in it left unattributed
T
same "$WORK/want" "$WORK/got" "tl bindings: bindings with start, end, end rule, source, counts, evidence; the conflict"
"$TL" bindings --entity user:dave --output jsonl "$C" >"$WORK/dave"
[ "$(wc -l <"$WORK/dave")" = 2 ] && contains "$WORK/dave" '^\{"type":"conflict","id":1,"kind":"ip-user","subject":"10.8.0.10","bindings":\[4,5\],"start":"2026-11-19T10:00:00.000000Z","end":"2026-11-19T11:00:00.000000Z","events":1\}$' \
	"tl bindings --entity user:dave --output jsonl: his binding and its conflict"
"$TL" sql "$C" "SELECT count(*) FROM attributions" | tail -1 | grep -qx 11 && ok "11 attributions stored (10 users, 1 host)" || fail "attributions count"

# deterministic and recomputed: a second ingest (nothing new) gives the same rows, ids included
"$TL" ingest -q "$C" >/dev/null 2>&1
"$TL" bindings "$C" >"$WORK/again"
same "$WORK/got" "$WORK/again" "a second ingest recomputes the same bindings and ids"
# events are never changed: the events digest does not read attributions
d1=$("$TL" sql "$C" "SELECT count(*) FROM events WHERE user IS NULL" | tail -1)
[ "$d1" = 19 ] && ok "events keep their own (absent) user" || fail "events changed: $d1"

# a window from tl.json: proxy authentication for an hour takes 15:30 in
sed -i 's|^{|{ "attribution": { "proxy_window": "1h", "logon_window": "8h" },|' "$C/tl.json"
"$TL" ingest -q "$C" >/dev/null 2>&1
"$TL" timeline --entity user:carol --family dns --output jsonl "$C" | tsv >"$WORK/carol"
grep -qP '^15:30:00\tbind-query\t10.20.1.40\tNone\tcarol' "$WORK/carol" && ok "tl.json attribution.proxy_window 1h: 15:30 is carol's" || fail "window config: $(cat "$WORK/carol")"
sed -i 's|"proxy_window": "1h"|"proxy_window": "soon"|' "$C/tl.json"
expect_exit 1 "a window that is not a duration is an error" -- "$TL" ingest -q "$C"
contains "$WORK/err" 'tl.json:[0-9]+:[0-9]+: a window is a duration such as "30s", "15m", "8h" or "1d"' "naming tl.json:LINE:COL"

# a case without VPN, DHCP, logon or inventory evidence: timelines work, attribution says none
N=$(new_case none)
printf '%s\n' '1795078800.120     87 10.8.0.6 TCP_MISS/200 18342 GET http://intranet.example.com/ - HIER_DIRECT/10.20.0.80 text/html' >"$N/evidence/access.log"
"$TL" ingest -q "$N" >/dev/null 2>&1
expect_exit 0 "timeline of a user in a case without bindings" -- "$TL" timeline --entity user:alice "$N"
contains "$WORK/err" "^tl: attribution: none available \(no VPN session, DHCP lease, logon, sign-in, proxy authentication or inventory binding in this case\)" "the pivot says attribution is not available"
"$TL" timeline --output jsonl "$N" | grep -q attributed && fail "an unattributed case has attribution keys" || ok "no attribution keys without bindings"
"$TL" bindings "$N" >"$WORK/none.txt"
contains "$WORK/none.txt" "^attribution: none available" "tl bindings says none available"

# bad input
expect_exit 2 "--kind must be a binding kind" -- "$TL" bindings --kind ip-mac "$C"
contains "$WORK/err" "unknown kind 'ip-mac'" "naming the kind"
expect_exit 2 "--entity of a type without bindings" -- "$TL" bindings --entity domain:x.com "$C"
expect_exit 2 "--entity without a value" -- "$TL" bindings --entity user "$C"
finish
