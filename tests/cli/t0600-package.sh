#!/usr/bin/env bash
# Handoff packages: tl package writes a .tar.gz GNU tar reads, the same case
# gives the same bytes, and tl verify --package checks one without unpacking
# it — after it was moved away from the case, and against tampering,
# truncation and hostile archives.
. "$(dirname "$0")/lib.sh"
A=$(demo_case demo manifest)
mkdir -p "$WORK/p"

expect_exit 0 "tl package -h" -- "$TL" package -h
contains "$WORK/out" "^usage: tl package" "package answers -h with its usage"
expect_exit 2 "-o is required" -- "$TL" package "$A"

# without evidence
expect_exit 0 "package without evidence" -- "$TL" package -o "$WORK/p/plain.tar.gz" "$A"
contains "$WORK/out" "^sha256 [0-9a-f]{64}  " "the package's sha256 is printed when it lies outside the case"
tar -tzf "$WORK/p/plain.tar.gz" >"$WORK/list" 2>"$WORK/err" && ok "GNU tar lists the package" || fail "tar -tzf"
for m in demo/out/manifest.json demo/out/SHA256SUMS demo/custody.jsonl demo/replay.tl demo/tl.json \
	demo/out/timeline.jsonl demo/out/per-format.tsv; do
	grep -qx "$m" "$WORK/list" && ok "package holds $m" || fail "package lacks $m"
done
grep -q '^demo/evidence/.' "$WORK/list" && fail "evidence packed without --with-evidence" || ok "no evidence without --with-evidence"
grep -v '^demo/' "$WORK/list" && fail "a member outside the top folder" || ok "every member under demo/"
tar -tvzf "$WORK/p/plain.tar.gz" | grep -v ' tl/tl .* 1970-01-01 00:00 ' && fail "member metadata not fixed" || ok "owner tl/tl and time 0 on every member"
expect_exit 1 "an existing package is not replaced" -- "$TL" package -o "$WORK/p/plain.tar.gz" "$A"
contains "$WORK/err" "exists \(--force replaces it\)" "the refusal says why"

# with evidence
expect_exit 0 "package with evidence" -- "$TL" package --with-evidence -o "$WORK/p/full.tar.gz" "$A"
tar -tzf "$WORK/p/full.tar.gz" >"$WORK/list"
for m in demo/evidence/proxy/access.log demo/evidence/network/conn.log demo/evidence/cloud/trail-export.jsonl; do
	grep -qx "$m" "$WORK/list" && ok "package holds $m" || fail "package lacks $m"
done
mkdir "$WORK/x" && tar -xzf "$WORK/p/full.tar.gz" -C "$WORK/x" && ok "GNU tar extracts it" || fail "tar -xzf"
if (cd "$WORK/x/demo/out" && sha256sum -c --quiet SHA256SUMS); then ok "sha256sum -c passes in the extracted package"; else fail "sha256sum -c in the extracted package"; fi
cmp -s "$WORK/x/demo/evidence/proxy/access.log" "$A/evidence/proxy/access.log" && ok "evidence bytes unchanged" || fail "evidence differs"

# the same case gives the same bytes, wherever it lies (the custody log grows
# with each command, so it is put back as it was before each run)
cp "$A/custody.jsonl" "$WORK/custody.saved"
"$TL" package -o "$WORK/p/one.tar.gz" "$A" >/dev/null
cp "$WORK/custody.saved" "$A/custody.jsonl"
"$TL" package -o "$WORK/p/two.tar.gz" "$A" >/dev/null
cmp -s "$WORK/p/one.tar.gz" "$WORK/p/two.tar.gz" && ok "packaging twice gives identical bytes" || fail "package bytes differ"
mkdir "$WORK/elsewhere"
cp -r "$A" "$WORK/elsewhere/demo"
cp "$WORK/custody.saved" "$WORK/elsewhere/demo/custody.jsonl"
(cd "$WORK/elsewhere" && "$TL" package -o ../p/three.tar.gz demo >/dev/null)
cmp -s "$WORK/p/one.tar.gz" "$WORK/p/three.tar.gz" && ok "the same bytes from a copy of the case elsewhere" || fail "package depends on the case's location"
rm -rf "$WORK/elsewhere"

# the packaging is itself in the custody log
tail -1 "$A/custody.jsonl" >"$WORK/last"
contains "$WORK/last" '"argv":\["[^"]*tl","package",' "the package command has a custody entry"

# moved away, the case gone: it still verifies
mkdir "$WORK/handed"
mv "$WORK/p/plain.tar.gz" "$WORK/p/full.tar.gz" "$WORK/handed/"
mv "$A" "$WORK/demo.gone"
expect_exit 0 "a moved package verifies without the case (with evidence)" -- "$TL" verify --package "$WORK/handed/full.tar.gz"
contains "$WORK/out" "^OK   out/SHA256SUMS: \.\./evidence/proxy/access\.log$" "evidence lines checked when packed"
contains "$WORK/out" "^OK   out/SHA256SUMS: manifest\.json$" "the manifest against its SHA256SUMS line"
contains "$WORK/out" "^OK   custody\.jsonl \([0-9]+ entries, chain intact\)" "the custody chain"
contains "$WORK/out" "^verify: [0-9]+ ok, 0 failed$" "verify summary"
expect_exit 0 "a moved package verifies without the case (no evidence)" -- "$TL" verify --package "$WORK/handed/plain.tar.gz"
contains "$WORK/out" "^SKIP out/SHA256SUMS: \.\./evidence/proxy/access\.log: not in package \(packaged without evidence\)" "evidence lines skipped, not failed"
[ ! -e "$WORK/demo.gone/custody.jsonl.new" ] && [ ! -e "$WORK/handed/demo" ] && ok "verify --package extracted nothing" || fail "files appeared"
expect_exit 2 "verify --package takes no case too" -- "$TL" verify --package "$WORK/handed/plain.tar.gz" "$WORK/demo.gone"
mv "$WORK/demo.gone" "$A"

# tampering: a byte of an output inside the archive
gzip -dc "$WORK/handed/plain.tar.gz" >"$WORK/t.tar"
blk=$(tar -tvR -f "$WORK/t.tar" | sed -n 's/^block \([0-9]*\): .* demo\/out\/timeline\.jsonl$/\1/p')
if [ -n "$blk" ]; then
	printf 'X' | dd of="$WORK/t.tar" bs=1 seek=$(((blk + 1) * 512 + 20)) conv=notrunc 2>/dev/null
	gzip -c "$WORK/t.tar" >"$WORK/tampered.tar.gz"
	expect_exit 5 "a changed output byte in the package fails verify" -- "$TL" verify --package "$WORK/tampered.tar.gz"
	contains "$WORK/out" "^FAIL out/SHA256SUMS: timeline\.jsonl: sha256 is" "verify names the member"
else
	fail "tar -R found no block for demo/out/timeline.jsonl"
fi

# a member added after packaging
gzip -dc "$WORK/handed/plain.tar.gz" >"$WORK/t.tar"
mkdir -p "$WORK/add/demo/out" && echo "not from tl" >"$WORK/add/demo/out/extra.txt"
tar -rf "$WORK/t.tar" -C "$WORK/add" demo/out/extra.txt
gzip -c "$WORK/t.tar" >"$WORK/added.tar.gz"
expect_exit 5 "an added member fails verify" -- "$TL" verify --package "$WORK/added.tar.gz"
contains "$WORK/out" "^FAIL out/extra\.txt: in the package but not in out/SHA256SUMS" "verify names the added member"

# a custody entry edited inside the package
gzip -dc "$WORK/handed/plain.tar.gz" >"$WORK/t.tar"
mkdir "$WORK/c" && tar -xf "$WORK/t.tar" -C "$WORK/c"
sed -i '2s/"exit":[0-9]*/"exit":0/; 2s/"user":"[^"]*"/"user":"mallory"/' "$WORK/c/demo/custody.jsonl"
tar --format=ustar --owner=0 --group=0 -czf "$WORK/custody.tar.gz" -C "$WORK/c" demo
expect_exit 5 "an edited custody entry in the package fails verify" -- "$TL" verify --package "$WORK/custody.tar.gz"
contains "$WORK/out" "^FAIL custody entry 3: previous-entry hash does not match" "verify names the entry after the edit"

# truncated, damaged, not a package at all
size=$(stat -c %s "$WORK/handed/full.tar.gz")
head -c $((size * 2 / 3)) "$WORK/handed/full.tar.gz" >"$WORK/cut.tar.gz"
"$TL" verify --package "$WORK/cut.tar.gz" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 5 ] || [ $rc -eq 1 ] && ok "a truncated package fails verify (exit $rc)" || fail "truncated package: exit $rc"
cat "$WORK/out" "$WORK/err" >"$WORK/all"
contains "$WORK/all" "cut short|damaged" "the message says it is cut short"
head -c 100 "$WORK/handed/full.tar.gz" >"$WORK/stub.tar.gz"
expect_exit 1 "a stub of a package is unreadable" -- "$TL" verify --package "$WORK/stub.tar.gz"
contains "$WORK/err" "not a readable tl package" "and says so"
echo "hello" >"$WORK/hello.txt"
expect_exit 1 "a text file is not a package" -- "$TL" verify --package "$WORK/hello.txt"
expect_exit 1 "a missing package" -- "$TL" verify --package "$WORK/nope.tar.gz"

# hostile members: climbing out, links; nothing is ever written
if command -v python3 >/dev/null; then
	python3 - "$WORK/evil.tar.gz" "$WORK/handed/plain.tar.gz" <<'PY'
import io, sys, tarfile
src = tarfile.open(sys.argv[2], "r:gz")
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as out:
    for m in src.getmembers():
        out.addfile(m, src.extractfile(m) if m.isfile() else None)
    data = b"owned\n"
    ti = tarfile.TarInfo("demo/../../evil.sh"); ti.size = len(data)
    out.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("demo/out/link"); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc/passwd"
    out.addfile(ti)
    ti = tarfile.TarInfo("demo/out/" + "x" * 150); ti.size = 1
    out.addfile(ti, io.BytesIO(b"y"))
PY
	(cd "$WORK" && "$TL" verify --package evil.tar.gz >out 2>err)
	rc=$?
	[ $rc -eq 5 ] && ok "a hostile package fails verify" || fail "hostile package: exit $rc"
	contains "$WORK/out" "^FAIL demo/\.\./\.\./evil\.sh: unsafe member name" "a climbing name is named"
	contains "$WORK/out" "^FAIL demo/out/link: unexpected member type '2'" "a symlink is refused"
	contains "$WORK/out" "^FAIL out/x{150}: in the package but not in out/SHA256SUMS" "a long (pax) name is read"
	[ ! -e "$WORK/../evil.sh" ] && [ ! -e "$WORK/evil.sh" ] && ok "nothing written outside" || fail "evil.sh written"
else
	echo "note: python3 not installed; hostile-archive tests skipped"
fi

# into the case: an output with a custody entry; the next package leaves it out
expect_exit 0 "package into the case's out/" -- "$TL" package -o "$A/out/handoff.tar.gz" "$A"
tail -1 "$A/custody.jsonl" >"$WORK/last"
contains "$WORK/last" '"outputs":\[\{"path":"out/handoff\.tar\.gz","sha256":"[0-9a-f]{64}"' "an in-case package is a custody output"
expect_exit 0 "package again with --force" -- "$TL" package --force -o "$A/out/handoff.tar.gz" "$A"
tar -tzf "$A/out/handoff.tar.gz" | grep -q handoff && fail "a package holds itself" || ok "a package never holds itself"
expect_exit 0 "package while out/ has a file the manifest does not list" -- "$TL" package -o "$WORK/p/later.tar.gz" "$A"
contains "$WORK/err" "^note: out/handoff\.tar\.gz left out: not in out/SHA256SUMS" "it is left out, with a note"
expect_exit 0 "which still verifies" -- "$TL" verify --package "$WORK/p/later.tar.gz"

# an output changed since tl manifest: refused, it would not verify
echo "edited" >>"$A/out/per-format.tsv"
expect_exit 1 "an output changed since the manifest is refused" -- "$TL" package -o "$WORK/p/stale.tar.gz" "$A"
contains "$WORK/err" "out/per-format\.tsv changed after tl manifest" "the refusal names it"
[ ! -e "$WORK/p/stale.tar.gz" ] && ! ls -a "$WORK/p" | grep -q '\.tmp-' && ok "no package and no temporary left behind" || fail "leftovers"

# a signed manifest travels with its signature
S=$(demo_case signed manifest)
if command -v openssl >/dev/null && openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null &&
	"$TL" manifest --sign "$WORK/key.pem" "$S" >/dev/null 2>&1 && [ -s "$S/out/manifest.json.sig" ]; then
	expect_exit 0 "package a signed case" -- "$TL" package -o "$WORK/p/signed.tar.gz" "$S"
	tar -tzf "$WORK/p/signed.tar.gz" | grep -qx signed/out/manifest.json.sig &&
		ok "the signature is in the package" || fail "no signature in the package"
	expect_exit 0 "a signed package verifies" -- "$TL" verify --package "$WORK/p/signed.tar.gz"
	contains "$WORK/out" "^note: out/manifest\.json\.sig is the manifest's signature" "verify points to the signature"
else
	echo "note: openssl or tl manifest --sign unavailable; signed-package test skipped"
fi

# no manifest yet
B="$WORK/nomanifest"
cp -r "$SRC/fixtures/cases/demo" "$B"
rm -rf "$B/case.db"* "$B/out" "$B/expected" "$B/custody.jsonl"
"$TL" ingest --no-progress "$B" >/dev/null 2>&1
expect_exit 1 "package without a manifest is refused" -- "$TL" package -o "$WORK/p/b.tar.gz" "$B"
contains "$WORK/err" "run tl manifest" "it says to run tl manifest first"
finish
