#!/usr/bin/env bash
# Manifest signatures (tl manifest --sign, tl verify --pubkey) and the CASE/UCO
# JSON-LD export (tl manifest --output case-uco).
. "$(dirname "$0")/lib.sh"

# --- signatures -----------------------------------------------------------
if command -v openssl >/dev/null; then
	K="$WORK/keys"
	mkdir -p "$K"
	openssl genpkey -algorithm ed25519 -out "$K/key.pem" 2>/dev/null
	openssl pkey -in "$K/key.pem" -pubout -out "$K/pub.pem"
	openssl genpkey -algorithm ed25519 -out "$K/other.pem" 2>/dev/null
	openssl pkey -in "$K/other.pem" -pubout -out "$K/other-pub.pem"
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.pem" 2>/dev/null
	openssl pkey -in "$K/rsa.pem" -pubout -out "$K/rsa-pub.pem"

	S=$(demo_case s)
	expect_exit 0 "manifest --sign writes the manifest and its signature" -- "$TL" manifest --sign "$K/key.pem" "$S"
	[ -s "$S/out/manifest.json.sig" ] && ok "out/manifest.json.sig exists" || fail "no out/manifest.json.sig"
	[ "$(wc -l <"$S/out/manifest.json.sig")" -eq 1 ] && grep -Eq '^[A-Za-z0-9+/]{86}==$' "$S/out/manifest.json.sig" &&
		ok "the signature is one line of base64" || fail "signature format: $(cat "$S/out/manifest.json.sig")"
	base64 -d "$S/out/manifest.json.sig" >"$WORK/sig.bin"
	if openssl pkeyutl -verify -pubin -inkey "$K/pub.pem" -rawin -in "$S/out/manifest.json" \
		-sigfile "$WORK/sig.bin" >/dev/null 2>&1; then
		ok "openssl pkeyutl -verify accepts the signature (documented check by hand)"
	else
		fail "openssl pkeyutl -verify rejects the signature"
	fi
	contains "$S/custody.jsonl" '"path":"out/manifest.json.sig","sha256":"[0-9a-f]{64}"' "the signature is recorded in custody"
	if grep -q 'manifest.json.sig' "$S/out/manifest.json" "$S/out/SHA256SUMS"; then
		fail "the manifest lists its own signature"
	else
		ok "the manifest does not list its own signature"
	fi

	expect_exit 0 "verify --pubkey on an untouched signed case" -- "$TL" verify --pubkey "$K/pub.pem" "$S"
	contains "$WORK/out" '^OK   out/manifest.json.sig \(Ed25519 signature valid\)' "verify reports the valid signature"
	contains "$WORK/out" '^OK   out/SHA256SUMS agrees with the signed manifest' "verify ties SHA256SUMS to the signed manifest"

	# signing twice gives the same manifest and signature (Ed25519 is deterministic)
	cp "$S/out/manifest.json.sig" "$WORK/sig1"
	"$TL" manifest --sign "$K/key.pem" "$S" >/dev/null
	same "$WORK/sig1" "$S/out/manifest.json.sig" "re-signing an unchanged case gives the same signature"
	expect_exit 0 "verify --pubkey after signing twice" -- "$TL" verify --pubkey "$K/pub.pem" "$S"

	expect_exit 5 "verify --pubkey with another key fails" -- "$TL" verify --pubkey "$K/other-pub.pem" "$S"
	contains "$WORK/out" '^FAIL out/manifest.json.sig: signature does not match' "verify names the signature (other key)"

	T=$(demo_case t1)
	"$TL" manifest --sign "$K/key.pem" "$T" >/dev/null
	sed -i 's/"events": 115,/"events": 116,/' "$T/out/manifest.json"
	expect_exit 5 "a tampered manifest.json fails verify --pubkey" -- "$TL" verify --pubkey "$K/pub.pem" "$T"
	contains "$WORK/out" '^FAIL out/manifest.json.sig: ' "verify names the signature (tampered manifest)"

	# an output edited and SHA256SUMS rewritten to match: only the signature catches it
	T=$(demo_case t2)
	"$TL" manifest --sign "$K/key.pem" "$T" >/dev/null
	echo "extra line" >>"$T/out/timeline.jsonl"
	sha=$(sha256sum "$T/out/timeline.jsonl" | cut -d' ' -f1)
	sed -i "s/^[0-9a-f]*  timeline.jsonl\$/$sha  timeline.jsonl/" "$T/out/SHA256SUMS"
	expect_exit 5 "an output edited along with SHA256SUMS fails verify --pubkey" -- "$TL" verify --pubkey "$K/pub.pem" "$T"
	contains "$WORK/out" '^FAIL out/SHA256SUMS: timeline.jsonl: lists [0-9a-f]{16}\.\.\., the signed manifest recorded' \
		"verify names the output the signed manifest disagrees on"

	T=$(demo_case t3)
	"$TL" manifest --sign "$K/key.pem" "$T" >/dev/null
	rm "$T/out/manifest.json.sig"
	expect_exit 5 "a missing signature fails verify --pubkey" -- "$TL" verify --pubkey "$K/pub.pem" "$T"
	contains "$WORK/out" '^FAIL out/manifest.json.sig: cannot read' "verify names the missing signature"

	T=$(demo_case t4)
	expect_exit 1 "manifest --sign with an RSA key is an error" -- "$TL" manifest --sign "$K/rsa.pem" "$T"
	contains "$WORK/err" "rsa.pem' is not an Ed25519 key \(it holds RSA\)" "the error says the key is not Ed25519"
	[ -s "$T/out/manifest.json" ] && [ ! -e "$T/out/manifest.json.sig" ] &&
		ok "the manifest stays written, no signature" || fail "manifest/signature after a bad key"
	expect_exit 1 "manifest --sign with a public key is an error" -- "$TL" manifest --sign "$K/pub.pem" "$T"
	contains "$WORK/err" "cannot read a PEM private key" "the error says no private key was found"
	expect_exit 1 "manifest --sign with a missing key file is an error" -- "$TL" manifest --sign "$K/none.pem" "$T"
	expect_exit 1 "verify --pubkey with an RSA key is an error" -- "$TL" verify --pubkey "$K/rsa-pub.pem" "$S"
	contains "$WORK/err" "is not an Ed25519 key" "the verify error says the key is not Ed25519"
	openssl pkey -in "$K/key.pem" -aes256 -passout pass:secret -out "$K/enc.pem" 2>/dev/null
	expect_exit 1 "an encrypted key is refused, not prompted for" -- "$TL" manifest --sign "$K/enc.pem" "$T" </dev/null
	contains "$WORK/err" "encrypted private key" "the error says the key is encrypted"
else
	echo "note: openssl CLI not installed; signature tests skipped"
fi

# --- CASE/UCO -------------------------------------------------------------
U=$(demo_case u)
expect_exit 0 "manifest --output case-uco" -- "$TL" manifest --output case-uco "$U"
J="$U/out/manifest.case-uco.jsonld"
[ -s "$J" ] && ok "out/manifest.case-uco.jsonld exists" || fail "no out/manifest.case-uco.jsonld"
contains "$J" '"case-investigation": "https://ontology.caseontology.org/case/investigation/"' "@context names the CASE namespace"
contains "$J" '"uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/"' "@context names the UCO namespaces"
contains "$J" '"@type": "uco-tool:Tool"' "a uco-tool:Tool for tl"
contains "$J" '"uco-tool:version": "[0-9]+\.[0-9]+\.[0-9]+"' "with its version"
contains "$J" '"@type": "case-investigation:ProvenanceRecord"' "a provenance record"
contains "$J" '"uco-core:name": "tl ingest"' "an investigative action for the ingest"
contains "$J" '"uco-core:description": "custody.jsonl entry [0-9]+ .*wrote out/timeline.jsonl' "an action per output naming its custody entry"
nev=$(grep -c '^[0-9a-f]\{64\}  \.\./evidence/' "$U/out/SHA256SUMS")
nfile=$(grep -c '"@type": "uco-observable:File"' "$J")
# evidence + timeline.jsonl + per-format.tsv + manifest.json
[ "$nfile" -eq $((nev + 3)) ] && ok "one File per evidence file and output ($nfile)" || fail "$nfile Files for $nev evidence files"
missing=0
while read -r sha name; do
	case $name in ../*) name=${name#../} ;; *) name=out/$name ;; esac
	grep -q "\"uco-observable:filePath\": \"$name\"" "$J" && grep -q "\"@value\": \"$sha\"" "$J" || {
		missing=1
		echo "    missing: $name $sha"
	}
done <"$U/out/SHA256SUMS"
[ $missing -eq 0 ] && ok "every file of SHA256SUMS is in the graph with its SHA256" || fail "files missing from the graph"
contains "$J" '"uco-types:hashMethod": \{"@type": "uco-vocabulary:HashNameVocab", "@value": "SHA256"\}' "hashes are SHA256 uco-types:Hash"
if grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$J"; then fail "the graph carries a time"; else ok "no times in the graph"; fi
# balanced brackets, a cheap structural check without a JSON tool in CI
opens=$(tr -cd '{[' <"$J" | wc -c)
closes=$(tr -cd '}]' <"$J" | wc -c)
[ "$opens" -eq "$closes" ] && ok "brackets balance" || fail "brackets: $opens open, $closes close"
contains "$U/custody.jsonl" '"path":"out/manifest.case-uco.jsonld","sha256":"[0-9a-f]{64}"' "the JSON-LD is recorded in custody"

cp "$J" "$WORK/uco1"
cp "$U/out/manifest.json" "$WORK/manifest1"
"$TL" manifest --output case-uco "$U" >/dev/null
same "$WORK/manifest1" "$U/out/manifest.json" "running manifest twice gives the same manifest.json"
same "$WORK/uco1" "$J" "running manifest twice gives the same JSON-LD bytes"

# another folder, same case: same bytes (nothing from the absolute path)
cp -r "$U" "$WORK/moved"
"$TL" manifest --output case-uco "$WORK/moved" >/dev/null
same "$WORK/uco1" "$WORK/moved/out/manifest.case-uco.jsonld" "a moved case gives the same JSON-LD bytes"

"$TL" manifest "$U" >/dev/null
[ ! -e "$J" ] && ok "a plain re-run removes the stale JSON-LD" || fail "stale JSON-LD left in out/"
expect_exit 0 "verify after all that" -- "$TL" verify "$U"
expect_exit 2 "an unknown manifest output is a usage error" -- "$TL" manifest --output rdf "$U"
finish
