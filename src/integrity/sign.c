/*
 * Ed25519 detached signatures through OpenSSL 3's EVP interface (see
 * include/tl/sign.h for the key and signature file formats).
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/sign.h"
#include "tl/sums.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tl/json.h"
#include "tl/manifest.h"
#include "tl/banned.h"

#define SIG_LEN 64       /* Ed25519 */
#define SIG_B64_LEN 88   /* base64 of 64 bytes, "==" padded */
#define MAX_SIGNED (1u << 30) /* Ed25519 signs the whole message in memory */

/* The reason OpenSSL gave last, or FALLBACK; clears the error queue so a later
 * failure does not report a stale reason. */
static const char *ossl_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	if (e) {
		const char *r = ERR_reason_error_string(e);
		snprintf(buf, len, "%s", r ? r : fallback);
	} else {
		snprintf(buf, len, "%s", fallback);
	}
	ERR_clear_error();
	return buf;
}

/* Called by PEM_read_* for an encrypted key: refuse instead of prompting on
 * the terminal (tl runs unattended), and note why the read failed. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag;
	*(int *)u = 1;
	return -1;
}

static int require_ed25519(EVP_PKEY *k, const char *path, struct tl_err *err)
{
	if (EVP_PKEY_get_id(k) == EVP_PKEY_ED25519)
		return 0;
	const char *name = EVP_PKEY_get0_type_name(k);
	return tl_errf(err,
		       "'%s' is not an Ed25519 key (it holds %s); tl signs with Ed25519 only (make one "
		       "with: openssl genpkey -algorithm ed25519 -out key.pem)",
		       path, name ? name : "another type");
}

static EVP_PKEY *load_private(const char *path, struct tl_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return tl_errf(err, "cannot read key '%s': %s", path, strerror(errno)), NULL;
	int encrypted = 0;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, no_passphrase, &encrypted);
	fclose(f);
	char why[200];
	if (!k) {
		if (encrypted)
			tl_errf(err, "'%s' is an encrypted private key; tl does not prompt for passphrases (decrypt a "
				     "copy with: openssl pkey -in KEY -out PLAIN.pem)", path);
		else
			tl_errf(err, "cannot read a PEM private key from '%s': %s", path,
				ossl_reason(why, sizeof(why), "no private key found"));
		ERR_clear_error();
		return NULL;
	}
	if (require_ed25519(k, path, err)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static EVP_PKEY *load_public(const char *path, struct tl_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return tl_errf(err, "cannot read public key '%s': %s", path, strerror(errno)), NULL;
	int encrypted = 0;
	EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, no_passphrase, &encrypted);
	fclose(f);
	char why[200];
	if (!k) {
		tl_errf(err, "cannot read a PEM public key from '%s' (make one with: openssl pkey -in KEY -pubout): %s",
			path, ossl_reason(why, sizeof(why), "no public key found"));
		return NULL;
	}
	if (require_ed25519(k, path, err)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int tl_sign_file(const char *key_pem, const char *path, const char *sig_path, struct tl_err *err)
{
	EVP_PKEY *k = load_private(key_pem, err);
	if (!k)
		return -1;
	struct tl_buf msg = TL_BUF_INIT;
	EVP_MD_CTX *ctx = NULL;
	unsigned char sig[SIG_LEN];
	size_t siglen = sizeof(sig);
	int rc = -1;
	char why[200];
	if (tl_read_file(path, MAX_SIGNED, &msg, err))
		goto out;
	/* Ed25519 hashes internally: no digest, and one-shot (no Update/Final) */
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)(msg.data ? msg.data : ""), msg.len) != 1 ||
	    siglen != SIG_LEN) {
		tl_errf(err, "cannot sign '%s': %s", path, ossl_reason(why, sizeof(why), "signing failed"));
		goto out;
	}
	unsigned char line[SIG_B64_LEN + 2];
	int n = EVP_EncodeBlock(line, sig, SIG_LEN);
	if (n != SIG_B64_LEN) {
		tl_errf(err, "cannot encode the signature of '%s'", path);
		goto out;
	}
	line[n] = '\n';
	rc = tl_write_atomic(sig_path, line, (size_t)n + 1, err);
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	tl_buf_release(&msg);
	return rc;
}

int tl_sign_check_pubkey(const char *pub_pem, struct tl_err *err)
{
	EVP_PKEY *k = load_public(pub_pem, err);
	EVP_PKEY_free(k);
	return k ? 0 : -1;
}

/* The signature file: 88 base64 characters, optionally followed by line-end
 * whitespace. 0 and the 64 bytes, or 1 with ERR saying what is wrong. */
static int read_sig(const char *sig_path, unsigned char sig[SIG_LEN], struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	if (tl_read_file(sig_path, 4096, &b, err)) {
		tl_buf_release(&b);
		return -1;
	}
	size_t len = b.len;
	while (len && strchr(" \t\r\n", b.data[len - 1]))
		len--;
	unsigned char raw[SIG_B64_LEN];
	int ok = len == SIG_B64_LEN && b.data[SIG_B64_LEN - 1] == '=' && b.data[SIG_B64_LEN - 2] == '=' &&
		 strspn(b.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == SIG_B64_LEN - 2 &&
		 /* decodes in 3-byte groups: 66 bytes, the last two padding */
		 EVP_DecodeBlock(raw, (const unsigned char *)b.data, SIG_B64_LEN) == SIG_LEN + 2;
	tl_buf_release(&b);
	if (!ok)
		return tl_errf(err, "'%s' is not an Ed25519 signature (one line of base64, 64 bytes)", sig_path), 1;
	memcpy(sig, raw, SIG_LEN);
	return 0;
}

int tl_sign_verify_buffer(const char *pub_pem, const char *data, size_t len, const char *name, const char *sig_path,
			  struct tl_err *err)
{
	EVP_PKEY *k = load_public(pub_pem, err);
	if (!k)
		return -1;
	EVP_MD_CTX *ctx = NULL;
	unsigned char sig[SIG_LEN];
	int rc = read_sig(sig_path, sig, err);
	char why[200];
	if (rc)
		goto out;
	rc = -1;
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) != 1) {
		tl_errf(err, "cannot verify '%s': %s", name, ossl_reason(why, sizeof(why), "out of memory"));
		goto out;
	}
	int v = EVP_DigestVerify(ctx, sig, SIG_LEN, (const unsigned char *)(data ? data : ""), len);
	ERR_clear_error();
	if (v == 1) {
		rc = 0;
	} else {
		/* 0 is a bad signature; Ed25519 reports some malformed ones as errors */
		tl_errf(err, "signature does not match (the file changed since it was signed, or another key signed it)");
		rc = 1;
	}
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return rc;
}

int tl_sign_verify_file(const char *pub_pem, const char *path, const char *sig_path, struct tl_err *err)
{
	struct tl_buf msg = TL_BUF_INIT;
	int rc = tl_read_file(path, MAX_SIGNED, &msg, err) ? -1 : tl_sign_verify_buffer(pub_pem, msg.data, msg.len, path, sig_path, err);
	tl_buf_release(&msg);
	return rc;
}

long tl_sign_verify_case(const struct tl_case *c, const char *pub_pem, FILE *out, struct tl_err *err)
{
	if (tl_sign_check_pubkey(pub_pem, err))
		return -1;
	char mpath[4200], sums_path[4200];
	if (tl_pathf(mpath, sizeof(mpath), err, "%s/manifest.json", c->out_dir) ||
	    tl_pathf(sums_path, sizeof(sums_path), err, "%s/SHA256SUMS", c->out_dir))
		return -1;
	struct tl_buf b = TL_BUF_INIT, sb = TL_BUF_INIT;
	long failed = 0;
	struct tl_err e;
	if (tl_read_file(mpath, MAX_SIGNED, &b, &e)) {
		fprintf(out, "FAIL out/manifest.json.sig: %s\n", e.msg);
		failed = 1;
	} else if (tl_read_file(sums_path, 64u << 20, &sb, &e)) {
		fprintf(out, "FAIL out/SHA256SUMS: %s\n", e.msg);
		failed = 1;
	} else {
		failed = tl_sign_verify_manifest(c, pub_pem, b.data, b.len, sb.data, sb.len, out, err);
	}
	tl_buf_release(&b);
	tl_buf_release(&sb);
	return failed;
}

long tl_sign_verify_manifest(const struct tl_case *c, const char *pub_pem, const char *manifest, size_t mlen,
			     const char *sums_text, size_t slen, FILE *out, struct tl_err *err)
{
	char spath[4200];
	if (tl_pathf(spath, sizeof(spath), err, "%s/manifest.json.sig", c->out_dir))
		return -1;
	long ok = 0, failed = 0;
	struct tl_err e;
	/* the bytes checked are the bytes parsed below: one read, never two */
	int v = tl_sign_verify_buffer(pub_pem, manifest, mlen, "out/manifest.json", spath, &e);
	if (v) {
		fprintf(out, "FAIL out/manifest.json.sig: %s\n", e.msg);
		fprintf(out, "signature: 0 ok, 1 failed\n");
		return 1;
	}
	fprintf(out, "OK   out/manifest.json.sig (Ed25519 signature valid)\n");
	ok++;
	/* SHA256SUMS is what the files were re-hashed against: it must say exactly
	 * what the signed manifest says, no line more or less */
	struct tl_sums s = { 0 };
	char msha[65];
	tl_sha256_hex(manifest ? manifest : "", mlen, msha);
	struct tl_json *m = tl_json_parse("out/manifest.json", manifest ? manifest : "", mlen, &e);
	if (!m) {
		fprintf(out, "FAIL out/manifest.json: %s\n", e.msg);
		failed++;
	} else if (tl_sums_parse(sums_text ? sums_text : "", slen, &s)) {
		fprintf(out, "FAIL out/SHA256SUMS: out of memory\n");
		failed++;
	} else {
		long checked = 0, bad = tl_manifest_check_sums(m, msha, &s, "signed manifest", out, &checked);
		if (bad) {
			failed += bad;
		} else {
			fprintf(out, "OK   out/SHA256SUMS agrees with the signed manifest (%ld files)\n", checked);
			ok++;
		}
		const struct tl_json *cu = tl_json_get(m, "custody"), *h = tl_json_get(cu, "head_sha256");
		const struct tl_json *n = tl_json_get(cu, "entries");
		if (h && h->type == TL_JSON_STRING && n && n->type == TL_JSON_NUMBER)
			fprintf(out, "note: the signature covers the custody chain up to entry %s (head %s)\n", n->str,
				h->str);
	}
	fprintf(out, "signature: %ld ok, %ld failed\n", ok, failed);
	tl_sums_release(&s);
	tl_json_free(m);
	return failed;
}
