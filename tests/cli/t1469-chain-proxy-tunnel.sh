#!/usr/bin/env bash
# A proxy CONNECT tunnel is the same transfer as the connection it carried:
# squid logs it when it closes, with its duration and the client's address
# but no client port. Linked (proxy-tunnel): a flow from the same client to
# the tunnel's destination (the proxy's upstream address when it went
# direct, else a DNS answer for the CONNECT host) and port, begun while the
# tunnel was open (2 s of slack). Not linked: another destination, another
# port, a flow begun before the tunnel opened, a parent proxy's address with
# no answer to stand for it, a denied CONNECT; hostile durations and ports
# are bounded. Then the insider case: the tunnel of alice's
# upload joins her chain, and address-only records are hers by attribution.
. "$(dirname "$0")/lib.sh"
C=$(new_case tun)
mkdir -p "$C/evidence/proxy" "$C/evidence/flow" "$C/evidence/dns"
echo '{"ts":1795200039.0,"uid":"CdNs0000000000001","id.orig_h":"10.30.0.8","id.orig_p":53100,"id.resp_h":"10.30.0.53","id.resp_p":53,"proto":"udp","trans_id":4100,"query":"files.example.org","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["192.0.2.77"],"TTLs":[300.0],"rejected":false}' >"$C/evidence/dns/dns.json"
conn() { # conn TS PORT DST DPORT BYTES
	printf '{"ts":%s,"uid":"Cf%s","id.orig_h":"10.30.0.8","id.orig_p":%s,"id.resp_h":"%s","id.resp_p":%s,"proto":"tcp","duration":20.0,"orig_bytes":%s,"resp_bytes":4100,"conn_state":"SF","history":"ShADadFf"}\n' "$1" "$2" "$2" "$3" "$4" "$5"
}
{
	conn 1795200030.0 50003 192.0.2.77 443 2000000   # before the tunnel opened
	conn 1795200040.3 50001 192.0.2.77 443 5000000   # the tunnel's connection
	conn 1795200050.0 50002 192.0.2.99 443 3000000   # another destination
	conn 1795200060.0 50004 192.0.2.77 80 1000       # another port
} >"$C/evidence/flow/conn.json"
cat >"$C/evidence/proxy/access.log" <<'LOG'
1795200100.500  60000 10.30.0.8 TCP_TUNNEL/200 4100 CONNECT files.example.org:443 - FIRSTUP_PARENT/10.0.0.5 -
1795200100.900  70000 10.30.0.8 TCP_TUNNEL/200 2100 CONNECT other.example.org:443 - FIRSTUP_PARENT/10.0.0.5 -
1795200101.000 999999999999 10.30.0.8 TCP_TUNNEL/200 10 CONNECT [2001:db8::1]:443 - HIER_DIRECT/2001:db8::1 -
1795200101.100  60000 10.30.0.8 TCP_TUNNEL/200 10 CONNECT files.example.org:4430000000 - HIER_DIRECT/192.0.2.77 -
1795200101.200  60000 10.30.0.8 TCP_DENIED/403 10 CONNECT files.example.org:443 - HIER_DIRECT/192.0.2.77 -
LOG
"$TL" ingest --no-progress "$C" >/dev/null 2>&1

expect_exit 0 "tl chain --entity ip:10.30.0.8" -- "$TL" chain --entity ip:10.30.0.8 "$C"
cp "$WORK/out" "$WORK/ip"
contains "$WORK/ip" "^        because the same transfer as step [0-9]+: a CONNECT tunnel to files\.example\.org:443 from 10\.30\.0\.8, open 60\.000s until the proxy logged it; the connection began 0\.200s before it opened; files\.example\.org is 192\.0\.2\.77 by the DNS answer evidence/dns/dns\.json:1 \[proxy-tunnel\]$" "the tunnel through a parent proxy: its host's DNS answer is the flow's destination"
n=$(grep -c '\[proxy-tunnel\]$' "$WORK/ip")
[ "$n" = 1 ] && ok "one proxy-tunnel link: not another destination, port, an earlier flow, or a host no answer names" ||
	fail "$n proxy-tunnel links: $(grep 'proxy-tunnel' "$WORK/ip")"
grep -q 'CONNECT other\.example\.org' "$WORK/ip" && fail "the tunnel to other.example.org is linked" ||
	ok "a parent proxy's address is not the destination: the other tunnel stays alone"
expect_exit 0 "from the domain" -- "$TL" chain --entity domain:files.example.org "$C"
contains "$WORK/out" "\[proxy-tunnel\]$" "found from the domain too"

# the insider case (fixtures/cases/insider, STORY.md)
I="$WORK/insider"
cp -r "$SRC/fixtures/cases/insider" "$I"
rm -rf "$I/case.db"* "$I/expected"
"$TL" ingest --no-progress "$I" >/dev/null 2>&1
expect_exit 0 "tl chain --entity user:alice" -- "$TL" chain --entity user:alice "$I"
cp "$WORK/out" "$WORK/alice"
contains "$WORK/alice" "^  1[0-9]\. -> 20:21:23\.514  CONNECT transfer\.sh:443 from 10\.50\.0\.22, status 200 \(squid-native; evidence/proxy/access\.log:6\)$" "the proxy's record of alice's upload is a step"
contains "$WORK/alice" "^        and the same transfer as step [0-9]+: a CONNECT tunnel to transfer\.sh:443 from 10\.50\.0\.22, open 95\.360s until the proxy logged it; the connection began 0\.049s before it opened; the proxy's upstream address 198\.51\.100\.210 is its destination \[proxy-tunnel\]$" "the Zeek flow began 49 ms before squid's tunnel opened (HIER_DIRECT)"
grep -q 'access\.log:3)' "$WORK/alice" && fail "bob's tunnel of the afternoon is in alice's chain" || ok "bob's tunnel of the afternoon is not"
contains "$WORK/alice" "^        and a bulk export of 12 downloads by alice within 15m ends with step [0-9]+; same user alice \(this record attributed by the vpn binding of 10\.50\.0\.22\), 6m 14s later \[bulk-export\]$" "the address-only flow is alice's by attribution, and the reason says which binding"
# the excerpt of alice's chain in docs/commands/chain.md is the real output
awk '$0 == "<!-- chain-excerpt:user:alice -->" { on = 1; next } on && /^```$/ { if (started) exit; started = 1; next } on && started && $0 != "..."' \
	"$SRC/docs/commands/chain.md" >"$WORK/excerpt"
bad=$(grep -vxF -f "$WORK/alice" "$WORK/excerpt" | head -3)
[ -s "$WORK/excerpt" ] && [ -z "$bad" ] && ok "docs/commands/chain.md: $(wc -l <"$WORK/excerpt") excerpt lines, each a line of the real output" ||
	fail "docs/commands/chain.md excerpt differs from the output: $bad"
expect_exit 0 "tl chain --output jsonl" -- "$TL" chain --entity user:alice --output jsonl "$I"
contains "$WORK/out" '"link":"proxy-tunnel"' "JSONL names the rule"
finish
