/*
 * SHA-256 through libcrypto: of a buffer, incrementally, and of a file
 * (include/tl/util.h, "hashing"). The one place tl hashes.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tl/banned.h"

static void hex_encode(const unsigned char *md, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = 0;
}

static EVP_MD *fetched;

static void fetch_sha256(void)
{
	fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* The digest fetched once for the process: EVP_sha256() makes every
 * EVP_Digest and DigestInit look the implementation up again (a locked
 * provider-table search), which cost as much as hashing a 135-byte log line.
 * It is never freed: it lives as long as the process's libcrypto. */
static const EVP_MD *sha256(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fetch_sha256);
	return fetched ? fetched : EVP_sha256();
}

void tl_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(p, len, md, &mdlen, sha256(), NULL);
	hex_encode(md, 32, out);
}

struct tl_sha256 {
	EVP_MD_CTX *ctx;
};

struct tl_sha256 *tl_sha256_new(void)
{
	struct tl_sha256 *h = malloc(sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void tl_sha256_update(struct tl_sha256 *h, const void *p, size_t len)
{
	EVP_DigestUpdate(h->ctx, p, len);
}

void tl_sha256_final_hex(struct tl_sha256 *h, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(h->ctx, md, &mdlen);
	hex_encode(md, 32, out);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int tl_sha256_final_next(struct tl_sha256 *h, unsigned char out[32])
{
	unsigned int mdlen = 0;
	/* init_ex2 with no type restarts with the digest already fetched */
	if (!EVP_DigestFinal_ex(h->ctx, out, &mdlen) || mdlen != 32 || !EVP_DigestInit_ex2(h->ctx, NULL, NULL)) {
		memset(out, 0, 32);
		return -1;
	}
	return 0;
}

void tl_sha256_next_hex(struct tl_sha256 *h, const void *p, size_t len, char out[65])
{
	unsigned char md[32];
	if (!EVP_DigestUpdate(h->ctx, p, len) || tl_sha256_final_next(h, md)) {
		/* H is in no known state: the next call starts it again */
		EVP_DigestInit_ex(h->ctx, sha256(), NULL);
		tl_sha256_hex(p, len, out);
		return;
	}
	hex_encode(md, 32, out);
}

int tl_sha256_next_both(struct tl_sha256 *h, const void *p, size_t len, unsigned char bin[32], char hex[65])
{
	if (!EVP_DigestUpdate(h->ctx, p, len) || tl_sha256_final_next(h, bin)) {
		EVP_DigestInit_ex(h->ctx, sha256(), NULL);
		memset(bin, 0, 32);
		tl_sha256_hex(p, len, hex);
		return 0;
	}
	hex_encode(bin, 32, hex);
	return 1;
}

void tl_sha256_free(struct tl_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int tl_file_sha256(const char *path, char out[65], struct tl_err *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return tl_errf(err, "%s", strerror(errno));
	struct tl_sha256 *h = tl_sha256_new();
	char *buf = malloc(1 << 20);
	ssize_t n = -1;
	if (h && buf)
		while ((n = read(fd, buf, 1 << 20)) > 0)
			tl_sha256_update(h, buf, (size_t)n);
	int saved = errno;
	close(fd);
	free(buf);
	if (h)
		tl_sha256_final_hex(h, out);
	if (!h || n < 0)
		return tl_errf(err, "%s", h ? strerror(saved) : "out of memory");
	return 0;
}
