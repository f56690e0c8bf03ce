#!/usr/bin/env bash
# tl graph walks attributed users (docs/commands/graph.md, docs/correlation.md#graph):
# on fixtures/cases/insider the proxy, flow and firewall records of alice's
# upload name only 10.50.0.22, the VPN address bob held hours earlier for his
# own transfer.sh upload. The VPN bindings attribute each record to its holder,
# so user:alice reaches transfer.sh in one hop, on an attributed edge of her
# records only, with the binding shown; bob gets his. The lookup of a user's
# attributed events goes through the attributions_value index or fails.
. "$(dirname "$0")/lib.sh"
if ! command -v python3 >/dev/null; then
	echo "skip: python3 (TEST_PACKAGES in ./run) reads the JSON"
	exit 77
fi
INS="$SRC/fixtures/cases/insider"
C="$WORK/insider"
cp -r "$INS" "$C"
rm -rf "$C/case.db"* "$C/out" "$C/expected" "$C/custody.jsonl" "$C/replay.tl"
expect_exit 0 "ingest of the insider case" -- "$TL" ingest --no-progress "$C"

# "FROM -type-> TO count=N bytes=B evidence=PATH:LINE,... [attributed by ID/KIND/SOURCE/SUBJECT/VIA@PATH:LINE ...]"
edges() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
el = d["elements"]
label = {n["data"]["id"]: n["data"]["label"] for n in el["nodes"]}
for e in el["edges"]:
    x = e["data"]
    ev = ",".join("%s:%d" % (v["path"], v["line"]) for v in x["evidence"])
    att = ""
    if x.get("attributed"):
        att = " attributed by " + " ".join("%d/%s/%s/%s/%s@%s:%d" % (b["id"], b["kind"], b["source"], b["subject"], b["via"], b["path"], b["line"]) for b in x["bindings"])
    print("%s -%s-> %s count=%d bytes=%d evidence=%s%s" % (label[x["source"]], x["type"], label[x["target"]], x["count"], x["bytes"], ev, att))
for n in el["nodes"]:
    print("node %s %s depth=%s" % (n["data"]["type"], n["data"]["label"], n["data"].get("depth")))
PY
}
ALICE_VPN=$("$TL" sql "$C" "SELECT id FROM bindings WHERE kind = 'ip-user' AND value = 'alice'" | tail -n +2)
BOB_VPN=$("$TL" sql "$C" "SELECT id FROM bindings WHERE kind = 'ip-user' AND value = 'bob'" | tail -n +2)

expect_exit 0 "alice's neighbourhood (depth 1, the default) as JSON" -- "$TL" graph --entity user:alice --output json "$C"
edges "$WORK/out" >"$WORK/alice"
contains "$WORK/alice" "^alice -uploaded_to-> transfer\.sh count=2 bytes=77083806 evidence=evidence/firewall/pan-traffic\.log:3,evidence/flow/conn\.json:4 attributed by $ALICE_VPN/ip-user/vpn/10\.50\.0\.22/src_ip@evidence/vpn/asa\.log:11$" \
	"alice -> transfer.sh in one hop: her firewall session and Zeek flow, attributed by her VPN session (asa.log:11)"
grep -q 'pan-traffic\.log:1\|conn\.json:2' "$WORK/alice" && fail "bob's upload (pan-traffic.log:1, conn.json:2) is on alice's graph" ||
	ok "bob's upload from the same address is not alice's"
contains "$WORK/alice" "^alice -downloaded_from-> example\.sharepoint\.com count=3 .* attributed by $ALICE_VPN/ip-user/vpn/" \
	"the download burst through the firewall, flow and proxy is hers too"
contains "$WORK/alice" '^node domain transfer\.sh depth=1$' "the upload domain is one hop from alice"
contains "$WORK/alice" '^alice -assigned_ip-> 10\.50\.0\.22 ' "the address the attribution went through is beside it"
grep -q '^10\.50\.0\.22 -' "$WORK/alice" && fail "depth 1 shows the address's own edges" || ok "the address's own edges wait for depth 2"

expect_exit 0 "bob's neighbourhood" -- "$TL" graph --entity user:bob --output json "$C"
edges "$WORK/out" >"$WORK/bob"
contains "$WORK/bob" "^bob -uploaded_to-> transfer\.sh count=2 bytes=4256641 evidence=evidence/firewall/pan-traffic\.log:1,evidence/flow/conn\.json:2 attributed by $BOB_VPN/ip-user/vpn/10\.50\.0\.22/src_ip@evidence/vpn/asa\.log:3$" \
	"bob -> transfer.sh: his own upload, by his VPN session (asa.log:3)"
expect_exit 0 "carol's neighbourhood" -- "$TL" graph --entity user:carol --output json "$C"
edges "$WORK/out" >"$WORK/carol"
grep -q 'attributed' "$WORK/carol" && fail "carol's small requests became user edges" ||
	ok "plain connections give no user edge, as for a named user"

# depth 2: the address's own edge still holds every holder's records, apart
expect_exit 0 "alice, depth 2" -- "$TL" graph --entity user:alice --depth 2 --output json "$C"
edges "$WORK/out" >"$WORK/alice2"
contains "$WORK/alice2" '^10\.50\.0\.22 -uploaded_to-> transfer\.sh count=4 .*evidence=evidence/firewall/pan-traffic\.log:1,evidence/firewall/pan-traffic\.log:3,evidence/flow/conn\.json:2,evidence/flow/conn\.json:4$' \
	"the address's direct edge keeps both uploads (not attributed)"
[ "$(grep -c '^alice -uploaded_to-> transfer\.sh ' "$WORK/alice2")" = 1 ] && ok "one attributed edge, not merged with another" ||
	fail "alice's uploaded_to edges: $(grep -c '^alice -uploaded_to-> transfer\.sh ' "$WORK/alice2")"

# a window before alice's session: nothing of hers on that address
expect_exit 0 "alice before her session" -- "$TL" graph --entity user:alice --to 2026-11-24T19:00Z --output json "$C"
grep -q 'transfer\.sh' "$WORK/out" && fail "a window before alice's session reaches transfer.sh" || ok "before her session no upload is hers"

# dot and SVG: attributed edges are drawn apart, the binding in the tooltip
expect_exit 0 "dot" -- "$TL" graph --entity user:alice "$C"
cp "$WORK/out" "$WORK/alice.dot"
contains "$WORK/alice.dot" '\[label="uploaded_to, attributed \(2, 73\.5 MiB\)", color="#c0392b", fontcolor="#c0392b", style=dotted, penwidth=1\.6, tooltip="[^"]*; attributed by binding [0-9]+ \(vpn ip-user 10\.50\.0\.22 via src_ip, evidence/vpn/asa\.log:11\)"\];$' \
	"dot: dotted, labelled attributed, the binding and its evidence in the tooltip"
contains "$WORK/alice.dot" 'label="flagged_by_dlp \(1\)", .*style=dashed' "a DLP edge keeps its own dashes"
"$TL" graph --entity user:alice "$C" | cmp -s - "$WORK/alice.dot" && ok "dot: the same bytes twice" || fail "dot differs between runs"
expect_exit 0 "svg" -- "$TL" graph --entity user:alice --output svg "$C"
contains "$WORK/out" 'stroke-dasharray="1,5"' "SVG: the attributed edge is drawn dotted"
contains "$WORK/out" 'uploaded_to, attributed \(2, 73\.5 MiB\)' "SVG: and labelled"

# GraphML: declared keys, the attributed edge says so
expect_exit 0 "graphml" -- "$TL" graph --entity user:alice --output graphml "$C"
contains "$WORK/out" '<key id="attributed" for="edge" attr.name="attributed" attr.type="boolean"/>' "GraphML declares 'attributed'"
contains "$WORK/out" "<data key=\"etype\">uploaded_to</data>.*<data key=\"attributed\">true</data><data key=\"bindings\">$ALICE_VPN vpn ip-user 10\.50\.0\.22 via src_ip evidence/vpn/asa\.log:11</data></edge>" \
	"GraphML: the attributed upload with its binding"

# the whole case: attributed edges too, each user's own
expect_exit 0 "the whole case" -- "$TL" graph --output json "$C"
edges "$WORK/out" >"$WORK/all"
[ "$(grep -c ' attributed by ' "$WORK/all")" = 4 ] && ok "the whole case: 4 attributed edges (alice's upload and her downloads, bob's upload)" ||
	fail "attributed edges in the whole case: $(grep -c ' attributed by ' "$WORK/all")"

# index-bound: without attributions_value the lookup fails, naming the index, instead of scanning
cp -r "$C" "$WORK/noidx"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DROP INDEX attributions_value'); c.commit()" "$WORK/noidx/case.db"
expect_exit 1 "a user pivot without the attributions index" -- "$TL" graph --entity user:alice "$WORK/noidx"
contains "$WORK/err" "lacks the index 'attributions_value'" "the error names the index"
finish
