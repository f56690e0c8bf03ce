#!/usr/bin/env bash
# Evidence as delivered: zip, tar, 7z collections and .gz/.bz2/.xz/.zst files,
# read in place through libarchive. Each member is an evidence file of its own
# ("ARCHIVE!/MEMBER") with its own hash; hostile members (climbing names,
# absolute names, links, bombs, nested archives, encrypted ones) are refused
# with a row saying why while the rest of the case ingests. The archives are
# built here, from the fixtures, with the usual tools.
. "$(dirname "$0")/lib.sh"
for t in zip xz bzip2 zstd gzip tar perl; do
	command -v $t >/dev/null || { echo "note: $t not installed; skipped"; exit 77; }
done
F="$SRC/fixtures"
C=$(new_case c)
S="$WORK/src"
mkdir -p "$S/logs" "$S/zeek"
cp "$F/proxy/squid-native/basic.log" "$S/logs/access.log"        # 19 records
cp "$F/flow/zeek-conn/basic.log" "$S/zeek/conn.log"               # 14 records, 9 header lines
cp "$F/proxy/squid-native/bad.log" "$S/logs/bad.log"
cp "$F/flow/zeek-conn-json/basic.log" "$S/zeek/conn.json"
E="$C/evidence"

# a KAPE-like zip: a Squid log and a Zeek conn.log, deflated
(cd "$S" && zip -q -r "$E/kape.zip" logs/access.log zeek/conn.log)
# a CloudTrail file compressed with xz, and the Squid errors file as bzip2 and zstd
xz -c "$F/audit/aws-cloudtrail/records.json" >"$E/trail.json.xz"
bzip2 -c "$S/logs/bad.log" >"$E/bad.log.bz2"
zstd -q -c "$F/flow/zeek-conn/rotated.log" >"$E/conn-rotated.log.zst"
# a tar.gz with a symbolic link and a .gz member (decompressed like a single file)
mkdir -p "$S/t/logs" && gzip -c "$F/proxy/squid-native/syslog.log" >"$S/t/logs/proxy.log.gz"
ln -s /etc/passwd "$S/t/logs/passwd"
tar -czf "$E/collect.tar.gz" -C "$S/t" logs
# a hostile zip: a member climbing out, an absolute one, a nested zip, and a good log
cp "$S/logs/access.log" "$S/AAAAAAescaped.log" && echo x >"$S/BBBBBBBBBBabs.log"
(cd "$S" && zip -q "$S/inner.zip" logs/bad.log && zip -q -0 "$E/hostile.zip" AAAAAAescaped.log BBBBBBBBBBabs.log inner.zip zeek/conn.json)
perl -0777 -pi -e 's{AAAAAAescaped}{../../escaped}g; s{BBBBBBBBBBabs}{/etc/evil/abs}g' "$E/hostile.zip"
# a bomb: 100 MB of zeros as xz inside a zip, beside a good member
head -c 100000000 /dev/zero | xz -1 -c >"$S/zeros.log.xz"
(cd "$S" && zip -q -0 "$E/bomb.zip" zeros.log.xz logs/bad.log)
# 7z, when the tool is there
HAVE7Z=0
if command -v 7z >/dev/null; then
	(cd "$S" && 7z a -bd -t7z "$E/seven.7z" logs/bad.log >/dev/null) && HAVE7Z=1
fi

expect_exit 4 "ingest: the refused members make it exit 4, the rest is ingested" -- "$TL" ingest --no-progress "$C"
cp "$WORK/err" "$WORK/ingest.err"
contains "$WORK/ingest.err" "^error: 'evidence/hostile\.zip!/\.\./\.\./escaped\.log': refused: its path climbs out of the archive \('\.\.'\)$" \
	"a .. member is refused, naming archive and member"
contains "$WORK/ingest.err" "^error: 'evidence/hostile\.zip!//etc/evil/abs\.log': refused: its path is absolute" "an absolute member is refused"
contains "$WORK/ingest.err" "^error: 'evidence/hostile\.zip!/inner\.zip': refused: a zip archive inside the archive" "a nested archive is refused"
contains "$WORK/ingest.err" "^error: 'evidence/collect\.tar\.gz!/logs/passwd': refused: a symbolic link to '/etc/passwd'" "a symlink member is refused"
contains "$WORK/ingest.err" "^error: 'evidence/bomb\.zip!/zeros\.log\.xz': refused: member expands more than 1000:1" "a bomb member is refused"

"$TL" sources "$C" >"$WORK/sources" 2>&1
row() { # row PATH STATUS FORMAT RECORDS EVENTS REJECTS
	if grep -Eq "^$2 +$3 +$4 +$5 +$6 .* $1\$" "$WORK/sources"; then ok "sources: $1 $2 $4 records"; else
		fail "sources: $1 (wanted $2 $3 $4 $5 $6)"
		grep -F -- "$1" "$WORK/sources" | sed 's/^/    /'
	fi
}
row 'evidence/kape\.zip!/logs/access\.log' done squid-native 19 19 0
row 'evidence/kape\.zip!/zeek/conn\.log' done zeek-conn 14 14 0
row 'evidence/trail\.json\.xz' done aws-cloudtrail 9 9 0
row 'evidence/bad\.log\.bz2' done squid-native '[0-9]+' '[0-9]+' '[1-9][0-9]*'
row 'evidence/conn-rotated\.log\.zst' done zeek-conn '[1-9][0-9]*' '[1-9][0-9]*' 0
row 'evidence/collect\.tar\.gz!/logs/proxy\.log\.gz' done squid-native '[1-9][0-9]*' '[1-9][0-9]*' 0
row 'evidence/collect\.tar\.gz!/logs/passwd' unsupported - 0 0 0
row 'evidence/hostile\.zip!/\.\./\.\./escaped\.log' failed - 0 0 0
row 'evidence/hostile\.zip!//etc/evil/abs\.log' failed - 0 0 0
row 'evidence/hostile\.zip!/inner\.zip' unsupported - 0 0 0
row 'evidence/hostile\.zip!/zeek/conn\.json' done zeek-conn-json '[1-9][0-9]*' '[1-9][0-9]*' 0
row 'evidence/bomb\.zip!/zeros\.log\.xz' failed - 0 0 0
row 'evidence/bomb\.zip!/logs/bad\.log' done squid-native '[0-9]+' '[0-9]+' '[1-9][0-9]*' # the rest of the archive
[ $HAVE7Z = 1 ] && row 'evidence/seven\.7z!/logs/bad\.log' duplicate - 0 0 0
contains "$WORK/sources" "records = events \+ rejects \+ merged: yes" "every record accounted for"
grep -q 'evidence/kape\.zip *$' "$WORK/sources" && fail "the archive itself listed as a file" || ok "an archive is listed as its members"

"$TL" sql "$C" "SELECT path, container, member, size, sha256, container_sha256, compression FROM evidence_files
	WHERE path = 'evidence/kape.zip!/logs/access.log'" >"$WORK/row"
want="evidence/kape.zip!/logs/access.log	evidence/kape.zip	logs/access.log	$(stat -c %s "$S/logs/access.log")	$(sha256sum <"$S/logs/access.log" | cut -c1-64)	$(sha256sum <"$E/kape.zip" | cut -c1-64)	deflate"
contains "$WORK/row" "^$(printf '%s' "$want" | sed 's/[.]/\\./g')\$" "a member's row: archive, member, size and sha256 of its bytes, the archive's sha256, deflate"
"$TL" sql "$C" "SELECT compression FROM evidence_files WHERE path IN ('evidence/trail.json.xz',
	'evidence/bad.log.bz2', 'evidence/conn-rotated.log.zst') ORDER BY path" | tr '\n' ' ' >"$WORK/comp"
contains "$WORK/comp" "^compression bzip2 zstd xz $" "single compressed files name their decoder"
"$TL" sql "$C" "SELECT error FROM evidence_files WHERE path = 'evidence/bomb.zip!/zeros.log.xz'" >"$WORK/bomb"
contains "$WORK/bomb" "raise limits\.gzip_max_ratio in tl\.json" "the bomb's row says which limit stopped it"

# every member's own row, copies of one record included (docs/correlation.md#copies)
"$TL" timeline --all-copies --output jsonl "$C" >"$WORK/tl.jsonl"
contains "$WORK/tl.jsonl" '"evidence":\{"path":"evidence/kape\.zip!/logs/access\.log","line":1,"offset":0,' "JSONL evidence names the member, offsets in its bytes"
contains "$WORK/tl.jsonl" '"evidence":\{"path":"evidence/kape\.zip!/zeek/conn\.log","line":9,' "Zeek lines numbered within the member"
contains "$WORK/tl.jsonl" '"evidence":\{"path":"evidence/trail\.json\.xz",' "the xz file's events"
# the raw bytes behind a record are the member's bytes
off=$(grep -o '"path":"evidence/kape\.zip!/logs/access\.log","line":3,"offset":[0-9]*,"length":[0-9]*,"sha256":"[0-9a-f]*"' "$WORK/tl.jsonl")
o=$(echo "$off" | sed 's/.*"offset":\([0-9]*\).*/\1/'); l=$(echo "$off" | sed 's/.*"length":\([0-9]*\).*/\1/'); h=$(echo "$off" | sed 's/.*"sha256":"\([0-9a-f]*\)"/\1/')
[ -n "$o" ] && [ "$(tail -c +$((o + 1)) "$S/logs/access.log" | head -c "$l" | sha256sum | cut -c1-64)" = "$h" ] &&
	ok "a record's offset, length and sha256 point at the member's bytes" || fail "record provenance in the member"

# again: unchanged members are skipped
expect_exit 4 "a second ingest" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "^evidence/kape\.zip!/logs/access\.log: unchanged since it was ingested" "members unchanged are skipped"

# manifest, verify: the archive once, each member re-hashed
expect_exit 0 "manifest" -- "$TL" manifest "$C"
contains "$C/out/SHA256SUMS" "  \.\./evidence/kape\.zip$" "SHA256SUMS names the archive"
grep -q '!/' "$C/out/SHA256SUMS" && fail "SHA256SUMS names a member" || ok "SHA256SUMS names no member path"
(cd "$C/out" && sha256sum -c --quiet SHA256SUMS) && ok "sha256sum -c checks the archives" || fail "sha256sum -c"
contains "$C/out/manifest.json" '"path": "evidence/kape\.zip!/logs/access\.log", .*"container": "evidence/kape\.zip", "container_sha256": "[0-9a-f]{64}", "member": "logs/access\.log"' "the manifest lists members with their archive"
expect_exit 0 "verify" -- "$TL" verify "$C"
contains "$WORK/out" "^OK   evidence/kape\.zip \(archive\)$" "verify checks the archive's own hash"
contains "$WORK/out" "^OK   evidence/kape\.zip!/zeek/conn\.log$" "verify re-hashes each member"

# package with the archives: same bytes twice, verifies after a move
cp "$C/custody.jsonl" "$WORK/custody.saved"
expect_exit 0 "package with evidence" -- "$TL" package --with-evidence -o "$WORK/one.tar.gz" "$C"
cp "$WORK/custody.saved" "$C/custody.jsonl"
"$TL" package --with-evidence -o "$WORK/two.tar.gz" "$C" >/dev/null 2>&1
cmp -s "$WORK/one.tar.gz" "$WORK/two.tar.gz" && ok "packaging twice gives identical bytes" || fail "package bytes differ"
tar -tzf "$WORK/one.tar.gz" >"$WORK/list"
contains "$WORK/list" "^c/evidence/kape\.zip$" "the package holds the archive as delivered"
mkdir "$WORK/moved" && mv "$WORK/one.tar.gz" "$WORK/moved/"
expect_exit 0 "the package verifies after a move" -- "$TL" verify --package "$WORK/moved/one.tar.gz"
contains "$WORK/out" "^OK   out/SHA256SUMS: \.\./evidence/kape\.zip$" "the archive checked in the package"

# a member changed inside the archive: verify says which
cp "$S/logs/access.log" "$WORK/keep"
sed -i '1s/^1/2/' "$S/logs/access.log"
rm "$E/kape.zip" && (cd "$S" && zip -q -r "$E/kape.zip" logs/access.log zeek/conn.log)
expect_exit 5 "verify fails on a changed member" -- "$TL" verify "$C"
contains "$WORK/out" "^FAIL evidence/kape\.zip: sha256 is" "the archive's hash"
contains "$WORK/out" "^FAIL evidence/kape\.zip!/logs/access\.log: sha256 is" "the changed member by name"
contains "$WORK/out" "^OK   evidence/kape\.zip!/zeek/conn\.log$" "the unchanged member still verifies"

# limits: a member declaring more than limits.gzip_max_bytes is refused before it is read
D=$(new_case d)
printf '{ "limits": { "gzip_max_bytes": 1000 } }\n' >"$D/tl.json"
cp "$WORK/keep" "$S/logs/access.log"
(cd "$S" && zip -q "$D/evidence/k.zip" logs/access.log zeek/conn.log)
expect_exit 4 "ingest with a byte limit" -- "$TL" ingest --no-progress "$D"
contains "$WORK/err" "^error: 'evidence/k\.zip!/logs/access\.log': refused: it declares 2[0-9]{3} bytes, more than limits\.gzip_max_bytes \(1000\)" "a member over the byte limit is refused"

# a bomb in a compressed tar: the archive is not read past it (skipping it
# would mean decompressing it), and says so
T=$(new_case tb)
mkdir -p "$S/tb/logs" && head -c 100000000 /dev/zero >"$S/tb/logs/zeros.log" && cp "$S/logs/bad.log" "$S/tb/logs/z.log"
tar -cJf "$T/evidence/b.tar.xz" -C "$S/tb" logs/zeros.log logs/z.log
rm -rf "$S/tb"
expect_exit 4 "ingest a tar.xz bomb" -- "$TL" ingest --no-progress "$T"
contains "$WORK/err" "^error: 'evidence/b\.tar\.xz!/logs/zeros\.log': refused: member expands more than 1000:1" "the bomb member is refused"
contains "$WORK/err" "^error: 'evidence/b\.tar\.xz': stopped reading archive 'evidence/b\.tar\.xz' after its member 'logs/zeros\.log', which is over a limit" "the archive stops there, saying why"

# an encrypted member: refused, tl reads no passwords
(cd "$S" && zip -q -P secret "$D/evidence/enc.zip" logs/bad.log)
expect_exit 4 "ingest an encrypted zip" -- "$TL" ingest --no-progress "$D" "$D/evidence/enc.zip"
contains "$WORK/err" "^error: 'evidence/enc\.zip!/logs/bad\.log': refused: encrypted" "an encrypted member is refused"

# every decoder frames exactly like the plain file: same lines, offsets, lengths, hashes
X=$(new_case x)
cp "$F/proxy/squid-native/bad.log" "$X/evidence/plain.log"
gzip -n -c "$X/evidence/plain.log" >"$X/evidence/g.log.gz"
for z in xz bzip2 zstd; do $z -q -c "$X/evidence/plain.log" >"$X/evidence/z.log.$z"; done
(cd "$X/evidence" && zip -q "$X/evidence/member.zip" plain.log)
# the plain file and the zip member hold the same bytes: one of them is a duplicate
"$TL" ingest --no-progress "$X" >/dev/null 2>&1
"$TL" sql "$X" "SELECT f.path, count(*), group_concat(x.line || ':' || x.offset || ':' || x.length || ':' || x.raw_sha256, ' ')
	FROM (SELECT file_id, line, offset, length, raw_sha256 FROM events UNION ALL
	      SELECT file_id, line, offset, length, raw_sha256 FROM rejects ORDER BY 1, 3) x
	JOIN evidence_files f ON f.id = x.file_id GROUP BY f.path ORDER BY f.path" >"$WORK/prov"
[ "$(cut -f2- "$WORK/prov" | sed 1d | sort -u | wc -l)" = 1 ] && [ "$(sed 1d "$WORK/prov" | wc -l)" = 5 ] &&
	ok "plain, gzip, xz, bzip2, zstd and a zip member frame to the same records" || { fail "framing differs by decoder"; cut -c1-120 "$WORK/prov"; }

# gzip inside archives is inflated by zlib, which checks the CRC-32: corrupted
# deflate data is refused, never read as other evidence
Z=$(new_case z)
mkdir -p "$S/z/logs"
for i in $(seq 1 2000); do echo "1795129263.000 5 10.20.1.15 TCP_MISS/200 1 GET http://o.example.com/$i - HIER_NONE/- -"; done >"$S/z/logs/p.log"
gzip -n -c "$S/z/logs/p.log" >"$S/z/logs/c.log.gz"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$S/z/logs/c.log.gz" bs=1 seek=300 conv=notrunc 2>/dev/null
(cd "$S/z" && zip -q -0 "$Z/evidence/m.zip" logs/c.log.gz && tar -czf "$Z/evidence/t.tar.gz" logs/p.log)
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$Z/evidence/t.tar.gz" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_exit 4 "ingest corrupted gzip inside archives" -- "$TL" ingest --no-progress "$Z"
contains "$WORK/err" "^error: 'evidence/m\.zip!/logs/c\.log\.gz': refused: truncated or corrupt member .*(incorrect data check|invalid)" "a corrupted .gz member is refused"
# (where the damage falls decides whether a tar header can still be read)
contains "$WORK/err" "^error: 'evidence/t\.tar\.gz(!/logs/p\.log)?': .*(incorrect data check|invalid)" "a corrupted .tar.gz is refused, naming the gzip damage"
"$TL" sql "$Z" "SELECT count(*) FROM evidence_files WHERE status = 'done'" >"$WORK/done"
contains "$WORK/done" "^0$" "nothing of the corrupted streams is taken as evidence"

# a damaged archive: what can be read is, the archive's row says the rest
G=$(new_case g)
(cd "$S" && zip -q -0 "$WORK/two.zip" logs/access.log zeek/conn.log)
head -c 3000 "$WORK/two.zip" >"$G/evidence/cut.zip"
"$TL" ingest --no-progress "$G" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 4 ] && ok "a cut zip: exit 4" || fail "cut zip: exit $rc"
contains "$WORK/err" "^error: 'evidence/cut\.zip" "the cut archive is named"

# compression inside gzip (.xz.gz): both layers come off, as for .gz.xz
X=$(new_case x)
xz -c "$S/logs/access.log" | gzip -c >"$X/evidence/access.log.xz.gz"
gzip -c "$S/logs/access.log" | xz -c >"$X/evidence/other.log.gz.xz"
"$TL" ingest --no-progress "$X" >"$WORK/out" 2>"$WORK/err" || true
"$TL" sql "$X" "SELECT path, format, records, events FROM evidence_files ORDER BY path" >"$WORK/xg"
want=$(wc -l <"$S/logs/access.log")
contains "$WORK/xg" "^evidence/access\.log\.xz\.gz	squid-native	$want	$want$" "an xz stream inside gzip is read through both layers"
contains "$WORK/xg" "^evidence/other\.log\.gz\.xz	squid-native	$want	$want$" "a gzip stream inside xz is read through both layers"
finish
