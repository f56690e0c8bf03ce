#!/usr/bin/env bash
# tl graph: typed relationships with their evidence, from the normalized fields
# of nine kinds of events (an EDR and a DLP written as case formats, OpenVPN,
# Squid, Zeek DNS and conn built in); --depth bounds the walk, pivots that are
# not entities are usage errors naming the value, a cycle in process parent
# data ends, and every output is well-formed and the same bytes twice.
. "$(dirname "$0")/lib.sh"
C=$(new_case graph)
mkdir -p "$C/evidence/edr" "$C/evidence/dlp" "$C/evidence/vpn" "$C/evidence/proxy" "$C/evidence/dns" "$C/evidence/flow" \
	"$C/evidence/dhcp"
cat >"$C/formats/acme-edr.json" <<'DEF'
{
  "name": "acme-edr", "family": "edr", "version": "1",
  "parse": { "type": "json" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "fields": { "class": "class", "action": "event", "user": "user", "host": "host", "process": "image",
              "process_guid": "guid", "parent_process": "parent_image", "parent_process_guid": "parent_guid",
              "file": "path" },
  "sniff": [ { "regex": "^\\{\"time\":\"[^\"]+\",\"agent\":\"acme\"", "score": 90 } ],
  "samples": [ "{\"time\":\"2026-11-19T22:50:00Z\",\"agent\":\"acme\",\"class\":\"file_activity\",\"event\":\"create\",\"user\":\"a\",\"host\":\"h\",\"image\":\"b\",\"guid\":\"g\",\"parent_image\":\"c\",\"parent_guid\":\"p\",\"path\":\"f\"}" ]
}
DEF
cat >"$C/formats/acme-dlp.json" <<'DEF'
{
  "name": "acme-dlp", "family": "dlp", "version": "1",
  "parse": { "type": "json" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "fields": { "class": "=data_security_finding", "action": "verdict", "user": "user", "host": "host",
              "file": "path", "rule": "policy" },
  "sniff": [ { "regex": "^\\{\"time\":\"[^\"]+\",\"dlp\":", "score": 90 } ],
  "samples": [ "{\"time\":\"2026-11-19T22:50:00Z\",\"dlp\":1,\"verdict\":\"blocked\",\"user\":\"a\",\"host\":\"h\",\"path\":\"x\",\"policy\":\"p\"}" ]
}
DEF
G1='{A1B2C3D4-0001-0000-0000-000000000001}' G2='{A1B2C3D4-0002-0000-0000-000000000002}'
# pid reuse: each of two processes names the other as its parent
C1='{C0C0C0C0-0001-0000-0000-00000000C1C1}' C2='{C0C0C0C0-0002-0000-0000-00000000C2C2}'
cat >"$C/evidence/edr/edr.jsonl" <<EOF
{"time":"2026-11-19T08:05:00Z","agent":"acme","class":"authentication","event":"logon","user":"jdoe","host":"WS-0042"}
{"time":"2026-11-19T08:05:02Z","agent":"acme","class":"process_activity","event":"create","user":"jdoe","host":"WS-0042","image":"C:\\\\Windows\\\\explorer.exe","guid":"$G1"}
{"time":"2026-11-19T08:40:10Z","agent":"acme","class":"process_activity","event":"create","user":"jdoe","host":"WS-0042","image":"C:\\\\Program Files\\\\7-Zip\\\\7z.exe","guid":"$G2","parent_image":"C:\\\\Windows\\\\explorer.exe","parent_guid":"$G1"}
{"time":"2026-11-19T08:40:15Z","agent":"acme","class":"file_activity","event":"create","user":"jdoe","host":"WS-0042","image":"C:\\\\Program Files\\\\7-Zip\\\\7z.exe","guid":"$G2","path":"C:\\\\Users\\\\jdoe\\\\Documents\\\\q4-payroll.7z"}
{"time":"2026-11-19T08:41:00Z","agent":"acme","class":"process_activity","event":"terminate","user":"jdoe","host":"WS-0042","image":"C:\\\\Program Files\\\\7-Zip\\\\7z.exe","guid":"$G2"}
{"time":"2026-11-19T09:00:00Z","agent":"acme","class":"process_activity","event":"create","user":"svc","host":"SRV-01","image":"/usr/bin/a","guid":"$C1","parent_image":"/usr/bin/b","parent_guid":"$C2"}
{"time":"2026-11-19T09:00:01Z","agent":"acme","class":"process_activity","event":"create","user":"svc","host":"SRV-01","image":"/usr/bin/b","guid":"$C2","parent_image":"/usr/bin/a","parent_guid":"$C1"}
EOF
cat >"$C/evidence/dlp/dlp.jsonl" <<'EOF'
{"time":"2026-11-19T08:41:30Z","dlp":1,"verdict":"monitor","user":"jdoe","host":"WS-0042","path":"C:\\Users\\jdoe\\Documents\\q4-payroll.7z","policy":"Payroll data leaving the company"}
EOF
cat >"$C/evidence/vpn/openvpn.log" <<'EOF'
2026-11-19 07:00:01 OpenVPN 2.6.8 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]
2026-11-19 07:00:01 Initialization Sequence Completed
2026-11-19 08:02:11 198.51.100.44:51234 VERIFY OK: depth=0, CN=jdoe
2026-11-19 08:02:11 198.51.100.44:51234 [jdoe] Peer Connection Initiated with [AF_INET]198.51.100.44:51234
2026-11-19 08:02:11 jdoe/198.51.100.44:51234 MULTI_sva: pool returned IPv4=10.8.0.6, IPv6=(Not enabled)
2026-11-19 08:02:11 jdoe/198.51.100.44:51234 MULTI: Learn: 10.8.0.6 -> jdoe/198.51.100.44:51234
2026-11-19 08:02:11 jdoe/198.51.100.44:51234 MULTI: primary virtual IP for jdoe/198.51.100.44:51234: 10.8.0.6
2026-11-19 09:15:40 jdoe/198.51.100.44:51234 SIGTERM[soft,remote-exit] received, client-instance exiting
EOF
# the workstation's lease (ISC dhcpd through syslog)
cat >"$C/evidence/dhcp/dhcpd.log" <<'EOF'
<30>1 2026-11-19T07:58:00.000000+00:00 dhcp01 dhcpd 912 - - DHCPACK on 10.20.1.42 to 00:1a:2b:3c:4d:42 (WS-0042) via eth0
EOF
# 2026-11-19 08:20 and 08:21 UTC, from the VPN address
cat >"$C/evidence/proxy/access.log" <<'EOF'
1795076400.017     87 10.8.0.6 TCP_MISS/200 18342 GET http://www.example.com/index.html - HIER_DIRECT/198.51.100.20 text/html
1795076470.480   2210 10.8.0.6 TCP_MISS/200 512 POST http://transfer.sh/upload/q4-payroll.7z - HIER_DIRECT/144.76.136.153 text/plain
EOF
cat >"$C/evidence/dns/dns.jsonl" <<'EOF'
{"ts":1795076469.004112,"uid":"CQ2mW31nSxPq7vHd4e","id.orig_h":"10.8.0.6","id.orig_p":53211,"id.resp_h":"10.20.0.53","id.resp_p":53,"proto":"udp","trans_id":41180,"rtt":0.012034,"query":"transfer.sh","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["transfer.sh.cdn.example","144.76.136.153"],"TTLs":[300.0,300.0],"rejected":false}
EOF
cat >"$C/evidence/flow/conn.jsonl" <<'EOF'
{"ts":1795076470.250981,"uid":"CHhAvVGS1DHFjwGM9a","id.orig_h":"10.8.0.6","id.orig_p":51234,"id.resp_h":"144.76.136.153","id.resp_p":443,"proto":"tcp","service":"ssl","duration":60.012345,"orig_bytes":5120344,"resp_bytes":8123,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":3812,"orig_ip_bytes":5273176,"resp_pkts":2011,"resp_ip_bytes":112543}
EOF
expect_exit 0 "the case ingests" -- "$TL" ingest --no-progress "$C"

# edges as "FROM -type-> TO count=N bytes=B evidence=PATH:LINE,...", from the Cytoscape JSON
edges() { # edges JSONFILE
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
el = d["elements"]
label = {n["data"]["id"]: n["data"]["label"] for n in el["nodes"]}
for e in el["edges"]:
    x = e["data"]
    ev = ",".join("%s:%d" % (v["path"], v["line"]) for v in x["evidence"])
    assert x["evidence_total"] == x["count"]
    print("%s -%s-> %s count=%d bytes=%d evidence=%s%s" % (label[x["source"]], x["type"], label[x["target"]], x["count"], x["bytes"], ev,
          " attributed" if x.get("attributed") else ""))
for n in el["nodes"]:
    print("node %s %s depth=%s%s" % (n["data"]["type"], n["data"]["label"], n["data"].get("depth"),
          "" if n["data"]["expanded"] else " unexpanded"))
for n in d["notes"]:
    print("note " + n)
PY
}
if ! command -v python3 >/dev/null; then
	echo "skip: python3 (TEST_PACKAGES in ./run) reads the JSON"
	exit 77
fi

expect_exit 0 "graph around a user, depth 2, as Cytoscape JSON" -- "$TL" graph --entity user:jdoe --depth 2 --output json "$C"
cp "$WORK/out" "$WORK/d2.json"
edges "$WORK/d2.json" >"$WORK/d2" || fail "the JSON does not parse as Cytoscape elements"
contains "$WORK/d2" '^jdoe -assigned_ip-> 10\.8\.0\.6 count=1 bytes=0 evidence=evidence/vpn/openvpn\.log:5$' "user -> VPN address from the sessions view, with its evidence line"
contains "$WORK/d2" '^jdoe -logged_in_from-> 198\.51\.100\.44 count=1 .*evidence/vpn/openvpn\.log:4$' "user -> real address from the VPN logon"
contains "$WORK/d2" '^jdoe -logged_on_to-> ws-0042 count=1 .*evidence=evidence/edr/edr\.jsonl:1$' "user -> workstation from the EDR logon"
contains "$WORK/d2" '^10\.8\.0\.6 -uploaded_to-> transfer\.sh count=2 bytes=5120344 evidence=evidence/flow/conn\.jsonl:1,evidence/proxy/access\.log:2$' "VPN address -> upload domain: the proxy's POST and the flow's 5 MB out, which goes to the domain the proxy names for its address"
contains "$WORK/d2" '^10\.8\.0\.6 -connected_to-> www\.example\.com count=1 bytes=18342 evidence=evidence/proxy/access\.log:1$' "an ordinary GET is a connection, with its bytes"
grep -q '^10\.8\.0\.6 -[a-z_]*-> 144\.76\.136\.153 ' "$WORK/d2" && fail "the upload flow stayed on the bare address" || ok "no edge left on the bare address"
contains "$WORK/d2" '^10\.8\.0\.6 -queried-> transfer\.sh count=1 .*evidence=evidence/dns/dns\.jsonl:1$' "the DNS query"
contains "$WORK/d2" '^ws-0042 -created_file-> .*q4-payroll\.7z count=1 .*evidence=evidence/edr/edr\.jsonl:4$' "workstation -> archive (EDR file event)"
contains "$WORK/d2" '^7z\.exe .*-created_file-> .*q4-payroll\.7z count=1 .*evidence/edr/edr\.jsonl:4$' "the writing process -> archive"
contains "$WORK/d2" '^explorer\.exe .*-parent_of-> 7z\.exe .*evidence=evidence/edr/edr\.jsonl:3$' "process tree by GUID"
contains "$WORK/d2" '^jdoe -executed-> 7z\.exe .*evidence/edr/edr\.jsonl:3$' "user -> process"
contains "$WORK/d2" '^.*q4-payroll\.7z -flagged_by_dlp-> Payroll data leaving the company count=1 .*evidence=evidence/dlp/dlp\.jsonl:1$' "archive -> DLP policy"
contains "$WORK/d2" '^jdoe -flagged_by_dlp-> Payroll data leaving the company ' "user -> DLP policy"
# the proxy's POST and the flow name only 10.8.0.6; jdoe's VPN session attributes them to him
contains "$WORK/d2" '^jdoe -uploaded_to-> transfer\.sh count=2 bytes=5120344 evidence=evidence/flow/conn\.jsonl:1,evidence/proxy/access\.log:2 attributed$' \
	"user -> upload domain, attributed through the VPN address (an edge of its own beside the address's)"
contains "$WORK/d2" '^transfer\.sh -resolved_to-> 144\.76\.136\.153 count=1 ' "depth 2: the upload domain, one hop out, is expanded"
contains "$WORK/d2" '^node domain www\.example\.com depth=2 unexpanded$' "depth 2 stops where it should: a domain two hops out is not expanded"
grep -q 'terminate\|a -parent_of\|/usr/bin' "$WORK/d2" && fail "the unrelated process tree leaked into the neighbourhood" || ok "nothing unrelated"
contains "$WORK/d2" '^node user jdoe depth=0$' "the pivot is depth 0"
contains "$WORK/d2" '^node domain transfer\.sh depth=1$' "the upload domain is depth 1: the address's upload is the user's by attribution"

expect_exit 0 "depth 3" -- "$TL" graph --entity user:jdoe --depth 3 --output json "$C"
edges "$WORK/out" >"$WORK/d3"
contains "$WORK/d3" '^transfer\.sh -resolved_to-> 144\.76\.136\.153 count=1 bytes=0 evidence=evidence/dns/dns\.jsonl:1$' "depth 3: the DNS answer (names among the answers are not addresses)"
grep -q 'cdn.example' "$WORK/d3" && fail "a CNAME answer became a node" || ok "a CNAME answer is not an address"

expect_exit 0 "a host's neighbourhood" -- "$TL" graph --entity host:WS-0042 --output json "$C"
edges "$WORK/out" >"$WORK/host"
contains "$WORK/host" '^ws-0042 -assigned_ip-> 10\.20\.1\.42 count=1 bytes=0 evidence=evidence/dhcp/dhcpd\.log:1$' "host -> leased address from the DHCP lease (sessions view)"
contains "$WORK/host" '^node host ws-0042 depth=0$' "the pivot as typed (WS-0042) is the canonical host"

expect_exit 0 "depth 1" -- "$TL" graph --entity user:jdoe --output json "$C"
edges "$WORK/out" >"$WORK/d1"
grep -q 'created_file\|^10\.8\.0\.6 -\|resolved_to' "$WORK/d1" && fail "depth 1 reaches two hops" || ok "depth 1 (the default) stays one hop out"
contains "$WORK/d1" '^jdoe -uploaded_to-> transfer\.sh count=2 .* attributed$' "depth 1 has the user's attributed upload"
contains "$WORK/d1" '^jdoe -assigned_ip-> 10\.8\.0\.6 ' "depth 1 has the user's own edges"

expect_exit 0 "depth 0" -- "$TL" graph --entity user:jdoe --depth 0 --output json "$C"
edges "$WORK/out" >"$WORK/d0"
[ "$(grep -c . "$WORK/d0")" = 1 ] && contains "$WORK/d0" '^node user jdoe depth=0( unexpanded)?$' "depth 0 is the pivot alone" ||
	fail "depth 0: $(cat "$WORK/d0")"

# --from/--to bound the events
expect_exit 0 "a time window" -- "$TL" graph --entity user:jdoe --depth 2 --from 2026-11-19T08:30Z --to 2026-11-19T08:45Z --output json "$C"
edges "$WORK/out" >"$WORK/win"
grep -q 'logged_on_to\|explorer\.exe -\|uploaded_to' "$WORK/win" && fail "--from/--to: events outside the window shown" ||
	ok "--from/--to leave out the 08:05 logon and the 08:21 upload"
contains "$WORK/win" '^7z\.exe .*-created_file-> ' "and keep what happened inside the window"

# a cycle in process parent data (pid reuse) ends
expect_exit 0 "a process parent cycle, depth 6" -- timeout 30 "$TL" graph --entity "process:$C1" --depth 6 --output json "$C"
edges "$WORK/out" >"$WORK/cyc"
contains "$WORK/cyc" '^a \{\.\.0001-0000-0000\.\.\} -parent_of-> b \{\.\.0002-0000-0000\.\.\} count=1 .*edr\.jsonl:7$' "one way round the cycle (a GUID's middle groups tell instances apart)"
contains "$WORK/cyc" '^b \{\.\.0002-0000-0000\.\.\} -parent_of-> a \{\.\.0001-0000-0000\.\.\} count=1 .*edr\.jsonl:6$' "and the other, each once"

# usage errors name the value
expect_exit 2 "an address that is not one" -- "$TL" graph --entity ip:300.1.2.3 "$C"
contains "$WORK/err" "300\.1\.2\.3" "the message names the value"
expect_exit 2 "an unknown entity type" -- "$TL" graph --entity colour:red "$C"
contains "$WORK/err" "unknown type 'colour'" "the message names the type"
expect_exit 2 "no TYPE:" -- "$TL" graph --entity jdoe "$C"
contains "$WORK/err" "'jdoe'" "the message names what was given"
expect_exit 2 "an empty value" -- "$TL" graph --entity user: "$C"
contains "$WORK/err" "user:" "the message names the entity"
expect_exit 2 "a url cannot be a pivot" -- "$TL" graph --entity url:http://transfer.sh/ "$C"
contains "$WORK/err" "http://transfer.sh/" "the message names the value"
expect_exit 2 "--depth out of range" -- "$TL" graph --depth 7 "$C"
contains "$WORK/err" "'7'" "the message names the depth"
expect_exit 2 "an unknown output" -- "$TL" graph --output gif "$C"
contains "$WORK/err" "'gif'" "the message names the format"

# GraphML: well-formed, keys for Gephi/yEd, the same edges
expect_exit 0 "GraphML" -- "$TL" graph --entity user:jdoe --depth 2 --output graphml "$C"
cp "$WORK/out" "$WORK/g.graphml"
if command -v xmllint >/dev/null; then
	xmllint --noout "$WORK/g.graphml" 2>"$WORK/xerr" && ok "GraphML is well-formed XML" || fail "GraphML: $(head -3 "$WORK/xerr")"
else
	fail "xmllint missing (libxml2-utils, TEST_PACKAGES in ./run)"
fi
for k in type label first last count bytes evidence; do
	contains "$WORK/g.graphml" "<key id=\"[a-z_]+\" for=\"(node|edge)\" attr.name=\"$k\"" "GraphML declares the key '$k'"
done
contains "$WORK/g.graphml" '<data key="etype">uploaded_to</data>.*<data key="evidence">evidence/flow/conn.jsonl:1; evidence/proxy/access.log:2</data>' "GraphML edge with its type and evidence"
contains "$WORK/g.graphml" '<data key="value">C:\\Users\\jdoe\\Documents\\q4-payroll.7z</data>|q4-payroll.7z</data>' "GraphML keeps the file's value"

# dot, SVG and PNG: deterministic, and the pictures carry the labels
for f in dot svg png graphml json; do
	"$TL" graph --entity user:jdoe --depth 2 --output $f "$C" >"$WORK/a.$f" 2>"$WORK/a.err"
	TZ=Asia/Kathmandu LC_ALL=C.UTF-8 "$TL" graph --entity user:jdoe --depth 2 --output $f "$C" >"$WORK/b.$f" 2>>"$WORK/a.err"
	cmp -s "$WORK/a.$f" "$WORK/b.$f" && [ -s "$WORK/a.$f" ] && ok "$f: byte-identical across two runs (TZ and locale changed)" || fail "$f differs between runs"
	[ -s "$WORK/a.err" ] && fail "$f: something on stderr: $(head -3 "$WORK/a.err")" || ok "$f: nothing on stderr (Graphviz's messages are routed)"
done
contains "$WORK/a.dot" '^digraph tl \{' "dot text"
contains "$WORK/a.dot" 'subgraph "cluster_process"' "clustered by entity type"
contains "$WORK/a.dot" 'label="uploaded_to \(2, 4\.9 MiB\)"' "edges are labelled with type, count and bytes"
contains "$WORK/a.dot" 'cluster_legend' "with a legend"
xmllint --noout "$WORK/a.svg" 2>/dev/null && ok "the SVG is well-formed" || fail "the SVG is not well-formed XML"
# (Graphviz writes '-' in SVG text as &#45;)
for l in '>jdoe<' '>10\.8\.0\.6<' '>transfer\.sh<' '>ws&#45;0042<' 'q4&#45;payroll\.7z<' '>uploaded_to \(2, 4\.9 MiB\)<' '>legend<'; do
	contains "$WORK/a.svg" "$l" "the SVG shows $l"
done
[ "$(head -c 8 "$WORK/a.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok "the PNG is a PNG" || fail "not a PNG"

# the whole case, capped with a note
expect_exit 0 "the whole case, at most 4 nodes" -- "$TL" graph --max-nodes 4 --output json "$C"
contains "$WORK/err" "note: capped: 4 of [0-9]+ nodes shown" "the cap is said on stderr"
edges "$WORK/out" >"$WORK/all"
[ "$(grep -c '^node ' "$WORK/all")" = 4 ] && ok "4 nodes" || fail "$(grep -c '^node ' "$WORK/all") nodes"
contains "$WORK/all" '^note capped: 4 of' "and in the output"
expect_exit 0 "the whole case" -- "$TL" graph --output json "$C"
edges "$WORK/out" >"$WORK/all"
contains "$WORK/all" '^a \{\.\..* -parent_of-> b ' "the whole case holds the other process tree too"

# into CASE/out, recorded in the custody log
expect_exit 0 "an SVG into CASE/out" -- "$TL" graph --entity user:jdoe --depth 2 --output svg -o jdoe.svg "$C"
cmp -s "$C/out/jdoe.svg" "$WORK/a.svg" && ok "out/jdoe.svg is the same picture" || fail "out/jdoe.svg differs"
contains "$C/custody.jsonl" '"out/jdoe.svg"' "the custody log records it"
expect_exit 0 "tl replay draws it again" -- "$TL" replay --into "$WORK/again" "$C"
contains "$WORK/out" "MATCH +out/jdoe.svg" "the replayed picture is the same bytes"

# a hub (more than 5,000 events) is shown, not expanded, and the note names it
H=$(new_case hub)
mkdir -p "$H/evidence/proxy"
{
	echo '1795076400.000     10 10.9.9.9 TCP_MISS/200 900 GET http://one.example/a - HIER_DIRECT/192.0.2.1 text/html'
	awk 'BEGIN { for (i = 1; i <= 5001; i++) printf "%d.000     10 10.9.9.9 TCP_MISS/200 900 GET http://big.example/%d - HIER_DIRECT/192.0.2.2 text/html\n", 1795076401 + i, i }'
} >"$H/evidence/proxy/access.log"
"$TL" ingest --no-progress "$H" >/dev/null 2>&1
expect_exit 0 "a walk through a hub" -- "$TL" graph --entity domain:one.example --depth 2 --output json "$H"
contains "$WORK/err" "note: depth 1: 1 hubs shown, not expanded \(more than 5000 events each\): ip '10\.9\.9\.9'" "the hub is named in a note"
edges "$WORK/out" >"$WORK/hub.txt"
contains "$WORK/hub.txt" '^10\.9\.9\.9 -connected_to-> one\.example count=1 ' "the hub's edge to the pivot is shown"
grep -q 'big\.example' "$WORK/hub.txt" && fail "the hub was expanded" || ok "the hub's 5,001 other events were not read"

# the insider case (fixtures/cases/insider): from user:alice, her other spellings
# (alice@example.com in M365, EXAMPLE\alice in the DLP export) are looked up too,
# and the story's two paths are there: user -> VPN address -> upload domain,
# user -> workstation -> archive -> DLP policy
I="$WORK/insider"
cp -r "$SRC/fixtures/cases/insider" "$I"
rm -rf "$I/case.db"* "$I/out" "$I/expected" "$I/custody.jsonl" "$I/replay.tl"
"$TL" ingest --no-progress "$I" >/dev/null 2>&1
expect_exit 0 "the insider case around user:alice" -- "$TL" graph --entity user:alice --depth 2 --output json "$I"
edges "$WORK/out" >"$WORK/ins.txt"
[ "$(grep -c '^alice -accessed_resource-> ' "$WORK/ins.txt")" = 12 ] && ok "her 12 SharePoint downloads, written as alice@example.com" ||
	fail "alice's resources: $(grep -c '^alice -accessed_resource-> ' "$WORK/ins.txt")"
contains "$WORK/ins.txt" '^alice -assigned_ip-> 10\.50\.0\.22 ' "user -> VPN address"
contains "$WORK/ins.txt" '^10\.50\.0\.22 -uploaded_to-> transfer\.sh count=4 .*evidence/firewall/pan-traffic\.log:1,.*evidence/flow/conn\.json:4' "VPN address -> upload domain, the volume from the firewall and Zeek conn"
contains "$WORK/ins.txt" '^alice -logged_on_to-> ws-0217 ' "user -> workstation"
contains "$WORK/ins.txt" '^ws-0217 -created_file-> .*q4-comp\.zip ' "workstation -> archive"
contains "$WORK/ins.txt" '^.*q4-comp\.zip -flagged_by_dlp-> HR Data Protection' "archive -> DLP policy"

# a pivot never scans: without its index the lookup fails and says how to build it
if command -v sqlite3 >/dev/null; then
	cp -r "$C" "$WORK/noidx"
	sqlite3 "$WORK/noidx/case.db" "DROP INDEX events_process_guid"
	expect_exit 1 "a missing index is an error, not a full scan" -- "$TL" graph --entity "process:$C1" "$WORK/noidx"
	contains "$WORK/err" "lacks the index 'events_process_guid': run tl ingest" "the error says how to build it"
	"$TL" ingest --no-progress "$WORK/noidx" >/dev/null 2>&1
	expect_exit 0 "ingest rebuilds it" -- "$TL" graph --entity "process:$C1" "$WORK/noidx"
fi
finish
