/*
 * Detached Ed25519 signatures over a file (libcrypto), for signing
 * CASE/out/manifest.json: `tl manifest --sign KEY.pem` and
 * `tl verify --pubkey PUB.pem`.
 *
 * Keys are PEM files as `openssl genpkey -algorithm ed25519` and
 * `openssl pkey -pubout` write them (PKCS#8 private key, SubjectPublicKeyInfo
 * public key). Encrypted private keys are refused rather than prompted for:
 * tl never reads from the terminal.
 *
 * The signature file holds the 64-byte Ed25519 signature (pure Ed25519, over
 * the file's bytes, no pre-hash) as standard base64 on one line, then a
 * newline — 89 bytes. By hand:
 *
 *   base64 -d manifest.json.sig >sig.bin
 *   openssl pkeyutl -verify -pubin -inkey PUB.pem -rawin -in manifest.json -sigfile sig.bin
 */
#ifndef TL_SIGN_H
#define TL_SIGN_H

#include <stdio.h>

#include "tl/case.h"
#include "tl/util.h"

/* Sign the bytes of PATH with the Ed25519 private key in KEY_PEM and write the
 * signature to SIG_PATH (replaced atomically). 0 or -1; non-Ed25519 keys are
 * refused. */
int tl_sign_file(const char *key_pem, const char *path, const char *sig_path, struct tl_err *err);

/* 0 if PUB_PEM holds a readable Ed25519 public key, else -1 with the reason. */
int tl_sign_check_pubkey(const char *pub_pem, struct tl_err *err);

/* Check the signature in SIG_PATH over PATH with the public key in PUB_PEM:
 * 0 valid, 1 invalid (bytes changed, other key, malformed signature file),
 * -1 error (unreadable or non-Ed25519 key, missing file); ERR says why for 1 and -1. */
int tl_sign_verify_file(const char *pub_pem, const char *path, const char *sig_path, struct tl_err *err);

/* The same over LEN bytes at DATA (NAME for messages): a caller that goes on
 * to use the bytes checks these, not a second read of the file. */
int tl_sign_verify_buffer(const char *pub_pem, const char *data, size_t len, const char *name, const char *sig_path,
			  struct tl_err *err);

/*
 * For `tl verify --pubkey`: check out/manifest.json against
 * out/manifest.json.sig, then that out/SHA256SUMS lists every evidence file
 * and output of the signed manifest with the same hash, and nothing else.
 * tl_verify() re-hashes the files against SHA256SUMS, so the two together tie
 * the files on disk to the signature; SHA256SUMS is covered line for line by
 * the signed manifest it must agree with. One "OK ..." or "FAIL ..."
 * line per item on OUT; returns the number of failures, or -1 (ERR) when the
 * public key cannot be used.
 */
long tl_sign_verify_case(const struct tl_case *c, const char *pub_pem, FILE *out, struct tl_err *err);

/* The same over a manifest and SHA256SUMS already read (by tl_verify_signed,
 * which checks the files against those very bytes). The signature is checked
 * over MANIFEST and the same bytes are parsed; SHA256SUMS must then match the
 * signed manifest line for line (tl_manifest_check_sums). */
long tl_sign_verify_manifest(const struct tl_case *c, const char *pub_pem, const char *manifest, size_t mlen,
			     const char *sums_text, size_t slen, FILE *out, struct tl_err *err);

#endif
