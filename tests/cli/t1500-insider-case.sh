#!/usr/bin/env bash
# The correlation fixture of issue 14 (fixtures/cases/insider, told in its
# STORY.md): alice, on VPN, holds 10.50.0.22, the address bob held earlier the
# same day; she downloads HR files from SharePoint, zips them, DLP flags the
# zip, she uploads it to transfer.sh. expected/ holds the ground truth:
# truth.tsv (who each record belongs to), graph-edges.tsv and chain.tsv.
# Every correlation feature is asserted against it: attribution, the graph,
# the chain and the entities.
. "$(dirname "$0")/lib.sh"
INS="$SRC/fixtures/cases/insider"
X="$INS/expected"
C="$WORK/insider"
cp -r "$INS" "$C"
rm -rf "$C/case.db"* "$C/out" "$C/expected" "$C/custody.jsonl" "$C/replay.tl"

expect_exit 0 "ingest of the insider case rejects nothing" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "ingested 9 of 9 files \(.*0 unsupported, 0 failed, 0 partial\): 67 records -> 67 events, 0 rejects" "67 records, 67 events"
q() { "$TL" sql "$C" "$1" | tail -n +2; }

# every file: its format, and records = events + rejects + merged
"$TL" sql "$C" "SELECT path, format, format_rule, records, events, rejects, merged, status FROM evidence_files ORDER BY path" >"$WORK/got"
cat >"$WORK/want" <<'T'
path	format	format_rule	records	events	rejects	merged	status
evidence/dlp/dg-export.log	digital-guardian-cef	detected	2	2	0	0	done
evidence/dns/dnsmasq.log	dnsmasq	detected	13	13	0	0	done
evidence/edr/advanced-hunting.json	mde-advanced-hunting	detected	8	8	0	0	done
evidence/firewall/pan-traffic.log	panos-csv	detected	3	3	0	0	done
evidence/flow/conn.json	zeek-conn-json	detected	4	4	0	0	done
evidence/flow/ssl.json	zeek-ssl-json	detected	4	4	0	0	done
evidence/m365/audit.jsonl	m365-audit	detected	12	12	0	0	done
evidence/proxy/access.log	squid-native	detected	6	6	0	0	done
evidence/vpn/asa.log	cisco-asa	detected	15	15	0	0	done
T
same "$WORK/want" "$WORK/got" "each file detected as the format it is, every record an event"
for f in dlp/dg-export.log dns/dnsmasq.log edr/advanced-hunting.json firewall/pan-traffic.log flow/conn.json \
	flow/ssl.json m365/audit.jsonl proxy/access.log vpn/asa.log; do
	want=$(awk -F'\t' -v p="evidence/$f" '$1 == p { print $2 }' "$WORK/want")
	"$TL" detect "$C/evidence/$f" >"$WORK/d" 2>&1
	grep -q "^$C/evidence/$f: $want (" "$WORK/d" && ok "tl detect $f: $want" || fail "tl detect $f: $(head -1 "$WORK/d")"
done
"$TL" sources "$C" >"$WORK/src"
contains "$WORK/src" "records = events \+ rejects \+ merged: yes" "tl sources: the totals add up"

# the sessions view: 10.50.0.22 was bob's, then alice's, the same day
"$TL" sql "$C" "SELECT user, real_ip, assigned_ip, start, \"end\", ended_by, start_file, start_line, end_file, end_line
  FROM sessions WHERE kind = 'vpn' ORDER BY start_us" >"$WORK/got"
cat >"$WORK/want" <<'T'
user	real_ip	assigned_ip	start	end	ended_by	start_file	start_line	end_file	end_line
bob	203.0.113.77	10.50.0.22	2026-11-24T14:10:02.000000Z	2026-11-24T18:31:12.000000Z	logged	evidence/vpn/asa.log	3	evidence/vpn/asa.log	8
carol	192.0.2.140	10.50.0.23	2026-11-24T15:20:45.000000Z	2026-11-24T22:40:09.000000Z	logged	evidence/vpn/asa.log	5	evidence/vpn/asa.log	15
alice	198.51.100.188	10.50.0.22	2026-11-24T20:05:32.000000Z	2026-11-24T20:40:03.000000Z	logged	evidence/vpn/asa.log	11	evidence/vpn/asa.log	14
T
same "$WORK/want" "$WORK/got" "sessions: bob then alice on 10.50.0.22, with start, end and evidence lines"

# the ground truth names records that exist, and every record that names its
# user directly names the user the truth gives it
tail -n +2 "$X/truth.tsv" >"$WORK/truth"
"$TL" sql "$C" "SELECT f.path, e.line, coalesce(e.user, '') FROM events e JOIN evidence_files f ON f.id = e.file_id ORDER BY 1, 2" |
	tail -n +2 >"$WORK/events"
bad=$(awk -F'\t' 'NR == FNR { ev[$1 "\t" $2] = 1; u[$1 "\t" $2] = $3; next }
	!(($1 "\t" $2) in ev) { print "no event at " $1 ":" $2; next }
	{ n = tolower(u[$1 "\t" $2]); sub(/^example\\+/, "", n); sub(/@example\.com$/, "", n)
	  if (n != "" && n != $3) print $1 ":" $2 " names " u[$1 "\t" $2] ", truth says " $3 }' "$WORK/events" "$WORK/truth")
[ -z "$bad" ] && ok "truth.tsv: $(wc -l <"$WORK/truth") records, each an event, direct names agree" || fail "truth.tsv: $bad"
naddr=$(awk -F'\t' 'NR == FNR { u[$1 "\t" $2] = $3; next } u[$1 "\t" $2] == "" && $3 != "-"' "$WORK/events" "$WORK/truth" | wc -l)
[ "$naddr" -ge 20 ] && ok "$naddr records carry only an address and need attribution" || fail "only $naddr address-only records"
# the trap: bob's upload to transfer.sh left the same address-only traces as alice's
[ "$(q "SELECT count(*) FROM events WHERE src_ip = '10.50.0.22' AND (dst_ip = '198.51.100.210' OR domain = 'transfer.sh' OR message LIKE '%transfer.sh%') AND user IS NULL")" -ge 8 ] &&
	ok "both uploads to transfer.sh came from 10.50.0.22 without a user name" || fail "transfer.sh traces from 10.50.0.22"
awk -F'\t' 'NR > 1 { print $2 "\t" $3 }' "$X/chain.tsv" | while IFS=$'\t' read -r p l; do
	grep -q "^$p	$l	" "$WORK/events" || echo "chain.tsv: no event at $p:$l"
done >"$WORK/bad"
[ ! -s "$WORK/bad" ] && ok "chain.tsv names existing records" || fail "$(cat "$WORK/bad")"

has_command() { "$TL" help | grep -q "^  $1 "; }
evidence_of() { grep -o '"evidence":{"path":"[^"]*","line":[0-9]*' | sed 's/^"evidence":{"path":"\([^"]*\)","line":\([0-9]*\)$/\1\t\2/' | sort -u; }

# attribution: each user's timeline holds exactly the truth's records of that
# user, none of another's, none the truth leaves unattributed
if "$TL" timeline -h | grep -q -- --no-attributed; then
	for who in alice bob carol; do
		"$TL" timeline --entity "user:$who" --output jsonl "$C" | evidence_of >"$WORK/got.$who"
		awk -F'\t' -v u="$who" '$3 == u { print $1 "\t" $2 }' "$WORK/truth" | sort -u >"$WORK/want.$who"
		missing=$(comm -23 "$WORK/want.$who" "$WORK/got.$who" | tr '\t' ':' | tr '\n' ' ')
		[ -z "$missing" ] && ok "user:$who: every record the truth gives $who" || fail "user:$who misses $missing"
		foreign=$(awk -F'\t' -v u="$who" '$3 != u { print $1 "\t" $2 }' "$WORK/truth" | sort -u | comm -12 - "$WORK/got.$who" | tr '\t' ':' | tr '\n' ' ')
		[ -z "$foreign" ] && ok "user:$who: no record of another user or of nobody" || fail "user:$who shows $foreign"
	done
	"$TL" timeline --entity user:alice --no-attributed --output jsonl "$C" | evidence_of >"$WORK/named"
	awk -F'\t' '$3 == "" { print $1 "\t" $2 }' "$WORK/events" | sort -u | comm -12 - "$WORK/named" >"$WORK/u"
	[ ! -s "$WORK/u" ] && ok "--no-attributed: only records naming alice" || fail "--no-attributed shows $(tr '\n' ' ' <"$WORK/u")"
	"$TL" timeline --output jsonl "$C" | grep '"path":"evidence/flow/conn.json","line":4,' >"$WORK/u"
	contains "$WORK/u" '"attributed_user":"alice"' "JSONL: the upload flow is attributed to alice"
	"$TL" timeline --output jsonl "$C" | grep '"path":"evidence/flow/conn.json","line":2,' >"$WORK/u"
	contains "$WORK/u" '"attributed_user":"bob"' "JSONL: bob's earlier upload flow is attributed to bob"
else
	fail "attribution missing from this tl (tl timeline has no --no-attributed)"
fi

# the graph: user -> VPN address -> upload domain, user -> workstation -> archive
if has_command graph; then
	expect_exit 0 "tl graph --output json" -- "$TL" graph --output json "$C"
	cp "$WORK/out" "$WORK/graph.json"
	python3 - "$WORK/graph.json" "$X/graph-edges.tsv" >"$WORK/u" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["elements"]
def key(d):
    t, v = d.get("type", ""), str(d.get("value", d.get("label", ""))).lower()
    return t + ":" + (v.split(".")[0] if t == "host" else v)
nodes = {n["data"]["id"]: key(n["data"]) for n in g["nodes"]}
have = {(e["data"]["type"], nodes[e["data"]["source"]], nodes[e["data"]["target"]]) for e in g["edges"]}
for line in open(sys.argv[2]).read().splitlines()[1:]:
    t, a, b = line.split("\t")
    ta, va = a.split(":", 1)
    tb, vb = b.split(":", 1)
    want = (t, ta + ":" + va.lower(), tb + ":" + vb.lower())
    print(("ok " if want in have else "missing ") + line)
PY
	grep '^missing ' "$WORK/u" >"$WORK/bad"
	[ ! -s "$WORK/bad" ] && ok "graph: every edge of graph-edges.tsv" || fail "graph: $(tr '\n' ';' <"$WORK/bad")"
else
	fail "tl graph missing from this tl"
fi

# the chain: bulk export -> archive -> DLP -> upload, each step with its evidence
expect_exit 0 "tl chain --entity user:alice --output jsonl" -- "$TL" chain --entity user:alice --output jsonl "$C"
grep -o '"evidence":{"path":"[^"]*","line":[0-9]*' "$WORK/out" | sed 's/^"evidence":{"path":"\([^"]*\)","line":\([0-9]*\)$/\1\t\2/' >"$WORK/steps"
awk -F'\t' 'NR > 1 { print $2 "\t" $3 }' "$X/chain.tsv" >"$WORK/want"
# the truth's steps appear in the chain, in this order
miss=$(grep -vxF -f "$WORK/steps" "$WORK/want" | tr '\t' ':' | tr '\n' ' ')
[ -z "$miss" ] && ok "chain: every step of chain.tsv" || fail "chain: missing $miss"
grep -xF -f "$WORK/want" "$WORK/steps" | awk '!seen[$0]++' >"$WORK/order"
grep -xF -f "$WORK/steps" "$WORK/want" >"$WORK/want.found"
same "$WORK/want.found" "$WORK/order" "chain: the steps come in chain.tsv's order"
# the trap: bob's upload from the same address to the same domain is no step of alice's chain
bobs=$(awk -F'\t' '$3 == "bob" { print $1 "\t" $2 }' "$WORK/truth" | sort -u | comm -12 - <(sort -u "$WORK/steps") | tr '\t' ':' | tr '\n' ' ')
[ -z "$bobs" ] && ok "chain: no record of bob's" || fail "chain: bob's records in alice's chain: $bobs"
expect_exit 0 "tl chain text" -- "$TL" chain --entity user:alice "$C"
contains "$WORK/out" "dg-export.log:2" "the text chain names the DLP finding's evidence line"

# entities: alice's three spellings are one user, and bob stays bob
if has_command entities; then
	expect_exit 0 "tl entities --type user" -- "$TL" entities "$C" --type user
	contains "$WORK/out" "^user	alice	" "alice is one user entity"
	grep -Eqi '^user	(example\\+alice|alice@example\.com)	' "$WORK/out" && fail "an alias of alice listed as another user" || ok "alice's aliases are not separate users"
	contains "$WORK/out" "^user	bob	" "bob is another"
else
	fail "tl entities missing from this tl"
fi
finish
