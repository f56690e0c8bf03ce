#!/usr/bin/env bash
# tl entities: one canonical form per user, host, address, domain, ... with the
# spellings seen and configured as aliases (docs/correlation.md#entities), and
# the timeline pivot that expands to every known spelling.
. "$(dirname "$0")/lib.sh"
C=$(new_case ent)
mkdir -p "$C/evidence/app"
cat >"$C/formats/acme-app.json" <<'DEF'
{
  "name": "acme-app", "family": "edr", "version": "1",
  "parse": { "type": "json" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "fields": { "action": "event", "user": "user", "target_user": "target", "host": "host", "src_host": "src_host",
              "src_ip": "src", "dst_ip": "dst", "domain": "domain", "url": "url", "file": "file", "file_name": "name",
              "file_hash": "hash", "process": "proc" },
  "sniff": [ { "regex": "^\\{\"time\"", "score": 90 } ],
  "samples": [ "{\"time\":\"2026-11-19T23:00:00Z\",\"event\":\"login\",\"user\":\"a\",\"target\":\"b\"}" ]
}
DEF
cat >"$C/evidence/app/a.jsonl" <<'EOF2'
{"time":"2026-11-19T23:00:00Z","event":"login","user":"JDOE","host":"WS-0142.corp.acme.com","src":"::ffff:10.20.1.42"}
{"time":"2026-11-19T23:00:01Z","event":"login","user":"jdoe","host":"ws-0142","src_host":"WS-0142"}
{"time":"2026-11-19T23:00:02Z","event":"login","user":"jdoel","host":"10.20.1.43"}
{"time":"2026-11-19T23:00:03Z","event":"upload","user":"ACME\\mchen","url":"https://A.B.Transfer.SH/up/q4.zip","dst":"203.0.113.7"}
{"time":"2026-11-19T23:00:04Z","event":"mail","user":"mchen@acme.com","domain":"a.b.transfer.sh."}
{"time":"2026-11-19T23:00:05Z","event":"exec","user":"NT AUTHORITY\\SYSTEM","proc":"C:\\Windows\\System32\\CMD.EXE","file":"C:\\Users\\MChen\\Q4.zip","name":"Q4.zip","hash":"SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,SHA256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}
{"time":"2026-11-19T23:00:06Z","event":"logon","user":"E10442","target":"-"}
{"time":"2026-11-19T23:00:07Z","event":"logon","user":"WS01$","target":"(null)"}
{"time":"2026-11-19T23:00:08Z","event":"logon","user":"N/A","host":"-","src":"300.1.2.3"}
{"time":"2026-11-19T23:00:09Z","event":"logon","user":"x\u0001y","host":"bad host"}
EOF2
# the case config: another account, an employee id and a personal address for mchen
sed -i -e 's|^  "aliases": {$|&\n    "mchen": ["E10442", "mei.chen@gmail.com", "ACME\\\\mei.chen"]|' \
	-e 's|^  "inventory": \[$|&\n    { "host": "ws-0142", "owner": "mchen", "ips": ["10.20.1.42"] }|' "$C/tl.json"
expect_exit 0 "ingest with aliases and inventory in tl.json" -- "$TL" ingest --no-progress "$C"

expect_exit 0 "tl entities runs" -- "$TL" entities "$C"
cp "$WORK/out" "$WORK/all"
contains "$WORK/all" "^type	value	registrable	first_seen	last_seen	events	aliases$" "a header line"
contains "$WORK/all" "^user	jdoe	-	2026-11-19T23:00:00.000000Z	2026-11-19T23:00:01.000000Z	2	JDOE \(1\)$" \
	"JDOE and jdoe are one user, its first and last event in the timeline's form"
contains "$WORK/all" "^user	jdoel	-	2026-11-19T23:00:02.000000Z	2026-11-19T23:00:02.000000Z	1	-$" \
	"jdoel is someone else"
contains "$WORK/all" "^user	mchen	-	2026-11-19T23:00:03.000000Z	2026-11-19T23:00:06.000000Z	3	ACME\\\\mchen \(1\), ACME\\\\mei.chen \(config\), E10442 \(1, config\), mchen@acme.com \(1\), mei.chen@gmail.com \(config\)$" \
	"ACME\\mchen, mchen@acme.com and the configured E10442 are one identity"
contains "$WORK/all" "^email	mchen@acme.com	" "a UPN spelling is also an e-mail address"
contains "$WORK/all" "^user	ws01\\$	.*	WS01\\$ \(1\)$" "a machine account keeps its \$"
! grep -qiE "^user	(system|nt authority|n/a|x)" "$WORK/all" && ok "system principals and placeholders are no users" ||
	fail "a system principal or placeholder became a user"
! grep -q "(null)\|300\.1\.2\.3\|bad host" "$WORK/all" && ok "placeholders, non-addresses and bad names are no entities" ||
	fail "a hostile value became an entity"
contains "$WORK/all" "^host	ws-0142	-	2026-11-19T23:00:00.000000Z	2026-11-19T23:00:01.000000Z	2	WS-0142 \(1\), WS-0142.corp.acme.com \(1\)$" \
	"an FQDN and its short name are one host, an event naming it twice counts once"
contains "$WORK/all" "^ip	10.20.1.42	.*	::ffff:10.20.1.42 \(1\)$" "an IPv4-mapped address is the IPv4 address"
contains "$WORK/all" "^ip	10.20.1.43	" "an address in the host field is an ip"
! grep -q "^host	10\.20\.1\.43" "$WORK/all" && ok "... and no host" || fail "an address became a host"
contains "$WORK/all" "^domain	a.b.transfer.sh	transfer.sh	2026-11-19T23:00:03.000000Z	2026-11-19T23:00:04.000000Z	2	" \
	"a.b.transfer.sh: registrable transfer.sh, named by the URL and the domain field"
contains "$WORK/all" "^url	https://a.b.transfer.sh/up/q4.zip	transfer.sh	" "a URL: scheme and host lower case, its registrable domain"
contains "$WORK/all" "^file	c:\\\\users\\\\mchen\\\\q4.zip	" "a Windows path is case-folded"
! grep -q "^file	Q4.zip" "$WORK/all" && ok "the base name of a file with a path is no entity of its own" ||
	fail "file_name counted beside file"
contains "$WORK/all" "^process	c:\\\\windows\\\\system32\\\\cmd.exe	" "a process path"
contains "$WORK/all" "^hash	e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855	" \
	"the longest digest of a hash list, lower case"

# deterministic, and --type / --grep select
"$TL" entities "$C" >"$WORK/again"
same "$WORK/all" "$WORK/again" "the listing is the same on every run"
expect_exit 0 "--type user" -- "$TL" entities --type user "$C"
[ "$(grep -c . "$WORK/out")" -eq 5 ] && ! grep -qv "^user	\|^type	" "$WORK/out" && ok "--type user: the header and 4 users" ||
	fail "--type user lists $(cat "$WORK/out")"
expect_exit 0 "--grep on an alias" -- "$TL" entities --grep 'mei\.chen@GMAIL' "$C"
contains "$WORK/out" "^user	mchen	" "--grep matches a configured alias, case ignored"
[ "$(grep -c . "$WORK/out")" -eq 2 ] && ok "... and nothing else" || fail "--grep lists $(cat "$WORK/out")"
expect_exit 0 "--grep matches nothing" -- "$TL" entities --grep 'no-such-thing' "$C"
[ "$(cat "$WORK/out")" = "$(head -1 "$WORK/all")" ] && ok "the header alone when nothing matches" || fail "no match printed $(cat "$WORK/out")"

# csv and jsonl
expect_exit 0 "--output csv" -- "$TL" entities --type user --output csv "$C"
contains "$WORK/out" "^type,value,registrable,first_seen,last_seen,events,aliases$" "csv header"
contains "$WORK/out" '^user,jdoe,,2026-11-19T23:00:00.000000Z,2026-11-19T23:00:01.000000Z,2,"\[""JDOE""\]"$' \
	"csv: aliases as a JSON array in one quoted cell"
expect_exit 0 "--output jsonl" -- "$TL" entities --type domain --output jsonl "$C"
contains "$WORK/out" '^\{"type":"domain","value":"a.b.transfer.sh","registrable":"transfer.sh","first_seen":"2026-11-19T23:00:03.000000Z","last_seen":"2026-11-19T23:00:04.000000Z","events":2,"aliases":\[\{"alias":"A.B.Transfer.SH","source":"seen","events":1\},\{"alias":"a.b.transfer.sh.","source":"seen","events":1\}\]\}$' \
	"jsonl: one object per entity, aliases with source and count"
if command -v python3 >/dev/null; then
	"$TL" entities --output jsonl "$C" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' &&
		ok "every jsonl line parses" || fail "a jsonl line does not parse"
fi

# the pivot: every spelling of the identity, configured ones included
expect_exit 0 "timeline --entity user:E10442" -- "$TL" timeline --entity user:E10442 "$C"
cp "$WORK/out" "$WORK/by-id"
expect_exit 0 "timeline --entity user:mchen" -- "$TL" timeline --entity user:mchen "$C"
same "$WORK/by-id" "$WORK/out" "user:E10442 and user:mchen select the same events"
[ "$(grep -c "app/a.jsonl:" "$WORK/out")" -eq 3 ] && grep -q "a.jsonl:4 " "$WORK/out" && grep -q "a.jsonl:5 " "$WORK/out" &&
	grep -q "a.jsonl:7 " "$WORK/out" && ok "... lines 4, 5 and 7: ACME\\mchen, mchen@acme.com, E10442" ||
	fail "the pivot selected: $(cat "$WORK/out")"
expect_exit 0 "timeline --entity user:jdoe" -- "$TL" timeline --entity user:JDoe "$C"
[ "$(grep -c "app/a.jsonl:" "$WORK/out")" -eq 2 ] && ! grep -q "a.jsonl:3 " "$WORK/out" &&
	ok "user:JDoe finds JDOE and jdoe, not jdoel" || fail "user:JDoe selected: $(cat "$WORK/out")"
expect_exit 0 "timeline --entity host:FQDN" -- "$TL" timeline --entity host:ws-0142.CORP.acme.com "$C"
[ "$(grep -c "app/a.jsonl:" "$WORK/out")" -eq 2 ] && ok "host:FQDN finds the short name too" ||
	fail "host pivot selected: $(cat "$WORK/out")"
expect_exit 0 "--exact turns the expansion off" -- "$TL" timeline --exact --entity user:E10442 "$C"
[ "$(grep -c "app/a.jsonl:" "$WORK/out")" -eq 1 ] && ok "--exact: only the spelling given" ||
	fail "--exact selected: $(cat "$WORK/out")"

# bad input
expect_exit 2 "an unknown --type is a usage error" -- "$TL" entities --type usr "$C"
contains "$WORK/err" "unknown entity type 'usr'" "... naming the value"
expect_exit 2 "an unknown --output is a usage error" -- "$TL" entities --output xml "$C"
contains "$WORK/err" "unknown format 'xml'" "... naming it"
expect_exit 2 "a bad --grep pattern is a usage error" -- "$TL" entities --grep '(' "$C"
expect_exit 2 "no case" -- "$TL" entities
expect_exit 0 "-h" -- "$TL" entities -h
contains "$WORK/out" "^usage: tl entities CASE" "usage on stdout"
finish
