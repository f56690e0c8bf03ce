/*
 * gen - synthetic evidence generator for the tl benchmark kit.
 *
 *   gen FORMAT COUNT [SEED [OFFSET]]
 *
 * Writes COUNT realistic records of FORMAT to stdout:
 *   squid             Squid native access.log
 *   zeek-tsv          Zeek conn.log, TSV with #separator/#fields/#open/#close
 *   zeek-json         Zeek conn.log, JSON lines
 *   cloudtrail-lines  AWS CloudTrail, one JSON event per line
 *   cloudtrail-doc    AWS CloudTrail {"Records":[...]} as one document (one line)
 *   iptables asa bind vpcflow zeek-dns   network formats (issue 12)
 *   cef               ArcSight CEF behind a syslog header (four products)
 *   okta              Okta System Log events, JSON lines
 *
 * Output is byte-identical for the same FORMAT, COUNT, SEED (default 1) and
 * OFFSET. Timestamps start at 2026-11-19T00:00:00Z plus OFFSET seconds
 * (default 0: a later file of a case, e.g. the next day, is OFFSET 86400)
 * and increase strictly with jitter (mean gap 5 ms). Standalone C11, no dependencies beyond libc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG */

static uint64_t rng_s[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static uint64_t rnd(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9;
	uint64_t t = rng_s[1] << 17;
	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

static void rng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng_s[i] = splitmix64(&seed);
}

/* uniform in [0, n) (n > 0); multiply-shift, bias negligible for our n */
static uint32_t rn(uint32_t n) { return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32); }
/* uniform in [lo, hi] */
static uint32_t rr(uint32_t lo, uint32_t hi) { return lo + rn(hi - lo + 1); }
/* uniform double in [0, 1) */
static double ru(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }
/* true with probability pct/100 */
static int pct(unsigned p) { return rn(100) < p; }
/* skewed index in [0, n): popular items first (approximately u^3) */
static uint32_t skew(uint32_t n)
{
	double u = ru();
	uint32_t i = (uint32_t)(u * u * u * n);
	return i < n ? i : n - 1;
}
/* log2/exp2 without libm (gen links against libc only); accuracy is ample
 * for shaping distributions and results are deterministic. */
static double lg2(double x)
{
	int e = 0;
	while (x >= 2.0) {
		x *= 0.5;
		e++;
	}
	while (x < 1.0) {
		x *= 2.0;
		e--;
	}
	double t = (x - 1.0) / (x + 1.0), t2 = t * t;
	double ln = 2.0 * t * (1.0 + t2 / 3.0 + t2 * t2 / 5.0 + t2 * t2 * t2 / 7.0 + t2 * t2 * t2 * t2 / 9.0);
	return e + ln * 1.4426950408889634;
}
static double ex2(double x)
{
	int i = (int)x;
	if (x < i)
		i--;
	double y = (x - i) * 0.6931471805599453;
	double s = 1.0 + y * (1.0 + y / 2 * (1.0 + y / 3 * (1.0 + y / 4 * (1.0 + y / 5 * (1.0 + y / 6 * (1.0 + y / 7))))));
	for (; i > 0; i--)
		s *= 2.0;
	for (; i < 0; i++)
		s *= 0.5;
	return s;
}
/* log-uniform integer in [lo, hi]: sizes and durations span decades */
static uint64_t rlog(double lo, double hi)
{
	return (uint64_t)(lo * ex2(ru() * lg2(hi / lo)));
}

/* ---------------------------------------------------------------- output */

#define OUT_CAP (1u << 20)
#define OUT_SLACK (64u * 1024u)
static char out_buf[OUT_CAP];
static size_t out_n;

static void out_flush(void)
{
	if (out_n && fwrite(out_buf, 1, out_n, stdout) != out_n) {
		perror("gen: write");
		exit(1);
	}
	out_n = 0;
}
/* called between records: keeps at least OUT_SLACK free for the next one */
static void out_maybe_flush(void)
{
	if (out_n > OUT_CAP - OUT_SLACK)
		out_flush();
}
static void oc(char c) { out_buf[out_n++] = c; }
static void os(const char *s)
{
	size_t n = strlen(s);
	memcpy(out_buf + out_n, s, n);
	out_n += n;
}
static void ou(uint64_t v)
{
	char t[24];
	int i = 0;
	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		oc(t[--i]);
}
/* zero-padded to width w */
static void ouz(uint64_t v, int w)
{
	char t[24];
	int i = 0;
	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i < w)
		t[i++] = '0';
	while (i)
		oc(t[--i]);
}
/* space-padded (right aligned) to width w */
static void ous(uint64_t v, int w)
{
	char t[24];
	int i = 0;
	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int k = i; k < w; k++)
		oc(' ');
	while (i)
		oc(t[--i]);
}
/* microseconds as seconds with 6 decimals */
static void ous6(uint64_t us)
{
	ou(us / 1000000);
	oc('.');
	ouz(us % 1000000, 6);
}
static void ohex(uint64_t v, int digits, int upper)
{
	const char *h = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (int i = digits - 1; i >= 0; i--)
		oc(h[(v >> (4 * i)) & 15]);
}
static void oip(uint32_t ip)
{
	ou(ip >> 24);
	oc('.');
	ou((ip >> 16) & 255);
	oc('.');
	ou((ip >> 8) & 255);
	oc('.');
	ou(ip & 255);
}
static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static void orand(const char *alphabet, unsigned alen, int n)
{
	for (int i = 0; i < n; i++)
		oc(alphabet[rn(alen)]);
}
/* 8-4-4-4-12 lowercase uuid v4 */
static void ouuid(void)
{
	uint64_t a = rnd(), b = rnd();
	ohex(a >> 32, 8, 0);
	oc('-');
	ohex((a >> 16) & 0xffff, 4, 0);
	oc('-');
	ohex(0x4000 | (a & 0x0fff), 4, 0);
	oc('-');
	ohex(0x8000 | ((b >> 48) & 0x3fff), 4, 0);
	oc('-');
	ohex(b & UINT64_C(0xffffffffffff), 12, 0);
}

/* ------------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

struct civil {
	int64_t y;
	unsigned mo, d, h, mi, s;
};

static struct civil civil_of(uint64_t secs)
{
	struct civil c;
	civil_from_days((int64_t)(secs / 86400), &c.y, &c.mo, &c.d);
	unsigned sod = (unsigned)(secs % 86400);
	c.h = sod / 3600;
	c.mi = sod / 60 % 60;
	c.s = sod % 60;
	return c;
}

/* 2026-11-19T00:00:01Z */
static void oiso(uint64_t secs)
{
	struct civil c = civil_of(secs);
	ouz((uint64_t)c.y, 4);
	oc('-');
	ouz(c.mo, 2);
	oc('-');
	ouz(c.d, 2);
	oc('T');
	ouz(c.h, 2);
	oc(':');
	ouz(c.mi, 2);
	oc(':');
	ouz(c.s, 2);
	oc('Z');
}

/* Zeek's #open/#close stamp: 2026-11-19-00-00-00 */
static void ozeekstamp(uint64_t secs)
{
	struct civil c = civil_of(secs);
	ouz((uint64_t)c.y, 4);
	oc('-');
	ouz(c.mo, 2);
	oc('-');
	ouz(c.d, 2);
	oc('-');
	ouz(c.h, 2);
	oc('-');
	ouz(c.mi, 2);
	oc('-');
	ouz(c.s, 2);
}

/* CloudTrail's human dates in responseElements: "Nov 19, 2026, 1:00:00 AM" */
static void oawsdate(uint64_t secs)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct civil c = civil_of(secs);
	os(mon[c.mo - 1]);
	oc(' ');
	ou(c.d);
	os(", ");
	ou((uint64_t)c.y);
	os(", ");
	unsigned h12 = c.h % 12 ? c.h % 12 : 12;
	ou(h12);
	oc(':');
	ouz(c.mi, 2);
	oc(':');
	ouz(c.s, 2);
	os(c.h < 12 ? " AM" : " PM");
}

static uint64_t now_us; /* current record time, microseconds since epoch */

static void tick(void) { now_us += 1 + rn(10000); /* mean ~5 ms, strictly increasing */ }

/* ----------------------------------------------------------------- pools */

#define N_CLIENTS 500
#define N_HOSTS 2000
#define N_USERS 80

struct host {
	char name[64];
	uint32_t ip;
};

static uint32_t clients[N_CLIENTS];
static struct host hosts[N_HOSTS];
static char users[N_USERS][32];

static const char *first_names[] = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "nina", "oscar", "peggy", "quentin", "rupert", "sybil", "trent", "ursula",
    "victor", "walter", "xena", "yusuf", "zoe", "amir", "bea", "chen", "dmitri", "elena",
    "farid", "gita", "hiro", "ines", "jonas", "kofi", "lena", "mateo", "noor", "olga"};
static const char *last_names[] = {
    "smith", "jones", "garcia", "mueller", "rossi", "tanaka", "kowalski", "nguyen",
    "okafor", "silva", "novak", "larsen", "dubois", "haddad", "kim", "patel", "ivanova",
    "schmidt", "moreau", "berg"};
static const char *syll[] = {
    "ka", "lo", "mi", "zen", "tor", "bit", "net", "sky", "byte", "cloud", "pix", "data",
    "go", "ra", "vi", "tek", "max", "nova", "link", "soft", "web", "hub", "ly", "io",
    "core", "flux", "star", "blue", "red", "fin", "med", "shop", "news", "play", "cdn",
    "zo", "qua", "ter", "mo", "sa"};
static const char *host_prefix[] = {"www", "www", "www", "api", "cdn", "static", "img",
				    "login", "mail", "assets", "media", "update", "edge",
				    "telemetry", "auth", "s3", "video", "app", "ws", "dl"};
static const char *tlds[] = {"com", "com", "com", "com", "net", "org", "io", "de",
			     "co.uk", "fr", "ru", "cn", "info", "biz", "nl", "app",
			     "dev", "jp", "com.br", "xyz"};

/* one draw per PICK; never put two draws in one unsequenced expression */
#define PICK(arr) (arr[rn((uint32_t)(sizeof(arr) / sizeof(arr)[0]))])

static uint32_t public_ip(void)
{
	for (;;) {
		uint32_t a = rr(1, 223);
		if (a == 10 || a == 127 || a == 100 || a == 169 || a == 172 || a == 192)
			continue;
		uint32_t b = rn(256), c = rn(256), d = rr(1, 254); /* sequenced draws */
		return (a << 24) | (b << 16) | (c << 8) | d;
	}
}

static void build_pools(void)
{
	for (int i = 0; i < N_CLIENTS; i++) {
		uint32_t b = rn(32), c = rn(256), d = rr(2, 254);
		clients[i] = (10u << 24) | (b << 16) | (c << 8) | d;
	}
	for (int i = 0; i < N_HOSTS; i++) {
		char dom[40];
		int n = 0, k = (int)rr(2, 3);
		for (int j = 0; j < k; j++)
			n += snprintf(dom + n, sizeof dom - (size_t)n, "%s", PICK(syll));
		const char *pre = PICK(host_prefix);
		const char *tld = PICK(tlds);
		/* every fifth domain carries a number ("cdn.kalo42.net"); index i
		 * keeps all 2000 names distinct */
		if (i % 5 == 0)
			snprintf(hosts[i].name, sizeof hosts[i].name, "%s.%s%d.%s", pre, dom, i / 5 % 100, tld);
		else
			snprintf(hosts[i].name, sizeof hosts[i].name, "%s.%s.%s", pre, dom, tld);
		hosts[i].ip = public_ip();
	}
	for (int i = 0; i < N_USERS; i++) {
		const char *fn = PICK(first_names);
		const char *ln = PICK(last_names);
		snprintf(users[i], sizeof users[i], "%s.%s", fn, ln);
	}
}


/* ----------------------------------------------------------------- squid */

static const char *path_seg[] = {"api", "v1", "v2", "static", "js", "css", "images",
				 "assets", "news", "article", "search", "user", "login",
				 "products", "cart", "download", "updates", "feed", "media",
				 "docs", "en-us", "de", "2026", "11", "img", "thumb"};
static const char *path_file[] = {"index.html", "app.js", "main.css", "logo.png",
				  "photo.jpg", "data.json", "favicon.ico", "font.woff2",
				  "update.bin", "report.pdf", "track.gif", "config.xml",
				  "", "", "", ""};
static const char *qkeys[] = {"id", "q", "page", "ref", "utm_source", "session", "v", "lang"};

static void opath(void)
{
	int depth = (int)rr(0, 4);
	for (int i = 0; i < depth; i++) {
		oc('/');
		os(PICK(path_seg));
	}
	oc('/');
	os(PICK(path_file));
	if (pct(25)) {
		int nq = (int)rr(1, 3);
		for (int i = 0; i < nq; i++) {
			oc(i ? '&' : '?');
			os(PICK(qkeys));
			oc('=');
			orand(B62, 62, (int)rr(1, 12));
		}
	}
}

static const char *ctypes[] = {"text/html", "text/html", "application/json",
			       "application/javascript", "text/css", "image/png",
			       "image/jpeg", "image/gif", "application/octet-stream",
			       "text/plain", "image/webp", "font/woff2", "application/xml",
			       "text/html;charset=UTF-8", "application/json;charset=utf-8"};

static void squid_record(void)
{
	uint32_t cli = clients[skew(N_CLIENTS)];
	const struct host *h = &hosts[skew(N_HOSTS)];
	const char *user = pct(70) ? "-" : users[rn(N_USERS)];
	unsigned r = rn(1000);
	const char *code, *method = "GET", *hier = "HIER_DIRECT", *ctype;
	unsigned status;
	uint64_t bytes, elapsed;
	int connect = 0, hier_peer = 1, url_kind = 0; /* 0 http url, 1 error url */

	ctype = PICK(ctypes);
	if (r < 450) { /* HTTPS tunnels dominate modern proxy logs */
		code = "TCP_TUNNEL";
		status = 200;
		method = "CONNECT";
		connect = 1;
		bytes = rlog(200, 5e7);
		elapsed = rlog(20, 600000);
		ctype = "-";
	} else if (r < 740) {
		code = "TCP_MISS";
		status = 200;
		method = pct(85) ? "GET" : "POST";
		bytes = rlog(300, 2e6);
		elapsed = rlog(5, 20000);
	} else if (r < 790) {
		code = pct(50) ? "TCP_HIT" : "TCP_MEM_HIT";
		status = 200;
		bytes = rlog(300, 5e5);
		elapsed = rr(0, 3);
		hier = "HIER_NONE";
		hier_peer = 0;
	} else if (r < 840) {
		code = pct(60) ? "TCP_REFRESH_UNMODIFIED" : "TCP_MISS";
		status = 304;
		bytes = rr(250, 480);
		elapsed = rlog(5, 800);
		ctype = pct(50) ? ctype : "-";
	} else if (r < 890) {
		static const unsigned st[] = {301, 302, 404, 404, 500, 204};
		code = "TCP_MISS";
		status = st[rn(6)];
		method = pct(90) ? "GET" : (pct(50) ? "HEAD" : "POST");
		bytes = status == 204 ? rr(180, 300) : rlog(200, 20000);
		elapsed = rlog(5, 3000);
		if (status == 204)
			ctype = "-";
	} else if (r < 940) {
		code = "TCP_DENIED";
		status = 403;
		method = pct(60) ? "CONNECT" : "GET";
		connect = method[0] == 'C';
		bytes = rr(3500, 4200);
		elapsed = rr(0, 2);
		hier = "HIER_NONE";
		hier_peer = 0;
		ctype = "text/html";
	} else if (r < 955) {
		code = "TCP_DENIED";
		status = 407;
		method = pct(70) ? "CONNECT" : "GET";
		connect = method[0] == 'C';
		bytes = rr(3800, 4300);
		elapsed = 0;
		user = "-";
		hier = "HIER_NONE";
		hier_peer = 0;
		ctype = "text/html";
	} else if (r < 975) {
		code = "NONE_NONE";
		status = 0;
		method = "-";
		bytes = 0;
		elapsed = rlog(1, 30000);
		hier = "HIER_NONE";
		hier_peer = 0;
		ctype = "-";
		url_kind = 1;
	} else if (r < 990) {
		code = pct(50) ? "TCP_MISS" : "TCP_MISS_ABORTED";
		status = code[8] ? 0 : 503;
		bytes = rr(0, 4000);
		elapsed = rlog(1000, 60000);
		ctype = status ? "text/html" : "-";
	} else {
		code = "TCP_MISS";
		status = 200;
		method = pct(50) ? "PUT" : (pct(50) ? "OPTIONS" : "DELETE");
		bytes = rlog(200, 5000);
		elapsed = rlog(5, 2000);
	}

	/* 1795046400.123  12345 10.1.2.3 TCP_MISS/200 5123 GET http://... - HIER_DIRECT/1.2.3.4 text/html */
	ou(now_us / 1000000);
	oc('.');
	ouz(now_us / 1000 % 1000, 3);
	oc(' ');
	ous(elapsed, 6);
	oc(' ');
	oip(cli);
	oc(' ');
	os(code);
	oc('/');
	ouz(status, 3);
	oc(' ');
	ou(bytes);
	oc(' ');
	os(method);
	oc(' ');
	if (url_kind == 1) {
		os(pct(70) ? "error:transaction-end-before-headers" : "error:invalid-request");
	} else if (connect) {
		os(h->name);
		os(pct(95) ? ":443" : ":8443");
	} else {
		os(pct(15) ? "https://" : "http://");
		os(h->name);
		opath();
	}
	oc(' ');
	os(user);
	oc(' ');
	os(hier);
	oc('/');
	if (hier_peer)
		oip(h->ip);
	else
		oc('-');
	oc(' ');
	os(ctype);
	oc('\n');
}

/* ------------------------------------------------------------------ zeek */

struct conn {
	char uid[19];
	uint32_t oh, rh;
	unsigned op, rp;
	const char *proto, *service; /* service NULL = unset */
	int has_dur;                 /* duration/orig_bytes/resp_bytes set */
	uint64_t dur_us, ob, rb;
	const char *state;
	int lo, lr; /* local_orig/local_resp: 1 T, 0 F */
	uint64_t missed;
	const char *history; /* NULL = unset */
	uint64_t opk, oipb, rpk, ripb;
};

static void make_conn(struct conn *c)
{
	c->uid[0] = 'C';
	int ulen = (int)rr(15, 18); /* Zeek uids: 'C' + base62, usually 15-18 chars */
	for (int i = 1; i < ulen; i++)
		c->uid[i] = B62[rn(62)];
	c->uid[ulen] = 0;
	c->oh = clients[skew(N_CLIENTS)];
	const struct host *h = &hosts[skew(N_HOSTS)];
	c->rh = h->ip;
	c->op = rr(32768, 60999);
	c->lo = 1;
	c->lr = 0;
	c->missed = 0;
	c->has_dur = 1;
	c->service = NULL;
	unsigned r = rn(1000);
	unsigned hdr = 52; /* tcp/ip header bytes with timestamps option */
	if (r < 400) {     /* TLS */
		static const char *hist[] = {"ShADadFf", "ShADadfF", "ShADadFfR", "ShADadtfF", "ShADaFdf"};
		c->proto = "tcp";
		c->rp = pct(95) ? 443 : 8443;
		c->service = "ssl";
		c->dur_us = rlog(20000, 300000000);
		c->ob = rlog(500, 2e6);
		c->rb = rlog(3000, 5e7);
		c->state = "SF";
		c->history = hist[rn(5)];
		if (pct(8)) {
			c->state = "RSTO";
			c->history = "ShADadR";
		}
		if (pct(1))
			c->missed = rr(1, 100000);
	} else if (r < 550) { /* HTTP */
		c->proto = "tcp";
		c->rp = pct(90) ? 80 : 8080;
		c->service = "http";
		c->dur_us = rlog(2000, 30000000);
		c->ob = rlog(100, 20000);
		c->rb = rlog(200, 5e6);
		c->state = pct(90) ? "SF" : "RSTR";
		c->history = c->state[0] == 'S' ? "ShADadFf" : "ShADadr";
	} else if (r < 800) { /* DNS to internal resolvers */
		c->proto = "udp";
		c->rh = pct(60) ? (10u << 24 | 53) : (10u << 24 | 54);
		c->rp = 53;
		c->lr = 1;
		c->service = "dns";
		hdr = 28;
		if (pct(93)) {
			c->dur_us = rlog(100, 200000);
			c->ob = rr(28, 80);
			c->rb = rr(44, 500);
			c->state = "SF";
			c->history = "Dd";
		} else {
			c->dur_us = 0;
			c->ob = rr(28, 80);
			c->rb = 0;
			c->state = "S0";
			c->history = "D";
		}
	} else if (r < 830) { /* NTP */
		c->proto = "udp";
		c->rp = 123;
		c->service = "ntp";
		hdr = 28;
		c->dur_us = rlog(5000, 100000);
		c->ob = 48;
		c->rb = 48;
		c->state = "SF";
		c->history = "Dd";
	} else if (r < 850) { /* SSH */
		c->proto = "tcp";
		c->rp = 22;
		c->service = "ssh";
		c->dur_us = rlog(500000, 3600000000.0);
		c->ob = rlog(2000, 1e6);
		c->rb = rlog(2000, 5e6);
		c->state = "SF";
		c->history = "ShAdDaFf";
	} else if (r < 900) { /* unanswered SYN, often inbound scans */
		c->proto = "tcp";
		c->rp = pct(50) ? rr(1, 1024) : rr(1025, 65535);
		c->has_dur = 0;
		c->ob = c->rb = 0;
		c->state = "S0";
		c->history = "S";
		if (pct(60)) { /* external scanner hitting an internal host */
			uint32_t t = c->oh;
			c->oh = public_ip();
			c->rh = t;
			c->lo = 0;
			c->lr = 1;
		}
	} else if (r < 930) { /* rejected */
		c->proto = "tcp";
		c->rp = rr(1, 10000);
		c->dur_us = rr(50, 5000);
		c->ob = c->rb = 0;
		c->state = "REJ";
		c->history = "Sr";
	} else if (r < 950) { /* ICMP echo */
		c->proto = "icmp";
		c->op = 8;
		c->rp = 0;
		hdr = 28;
		c->dur_us = rlog(1000, 5000000);
		unsigned n = rr(1, 10);
		c->ob = c->rb = 56ull * n;
		c->state = "OTH";
		c->history = NULL;
		c->opk = c->rpk = n;
		c->oipb = c->ripb = 84ull * n;
		return;
	} else { /* other TCP, no service detected */
		static const unsigned ports[] = {8443, 5222, 993, 587, 3389, 445, 9000, 5228, 1935};
		c->proto = "tcp";
		c->rp = ports[rn(9)];
		c->dur_us = rlog(1000, 600000000);
		c->ob = rlog(50, 1e6);
		c->rb = rlog(50, 1e6);
		c->state = pct(70) ? "SF" : (pct(50) ? "S1" : "SH");
		c->history = c->state[1] == 'F' ? "ShADadFf" : (c->state[1] == '1' ? "ShADad" : "ShAFf");
	}
	/* packet counts and IP bytes consistent with payload */
	if (c->state[0] == 'S' && c->state[1] == '0' && c->proto[0] == 't') {
		c->opk = rr(1, 3);
		c->oipb = c->opk * 60;
		c->rpk = 0;
		c->ripb = 0;
	} else if (c->state[0] == 'R' && c->state[1] == 'E') {
		c->opk = 1;
		c->oipb = 60;
		c->rpk = 1;
		c->ripb = 40;
	} else {
		c->opk = c->ob / 1400 + rr(1, 6);
		c->rpk = c->rb / 1400 + (c->rb ? rr(1, 6) : 0);
		c->oipb = c->ob + c->opk * hdr;
		c->ripb = c->rb + c->rpk * hdr;
	}
}

static const char *ZEEK_FIELDS[] = {"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
				    "proto", "service", "duration", "orig_bytes", "resp_bytes",
				    "conn_state", "local_orig", "local_resp", "missed_bytes",
				    "history", "orig_pkts", "orig_ip_bytes", "resp_pkts",
				    "resp_ip_bytes", "tunnel_parents"};
static const char *ZEEK_TYPES[] = {"time", "string", "addr", "port", "addr", "port", "enum",
				   "string", "interval", "count", "count", "string", "bool",
				   "bool", "count", "string", "count", "count", "count", "count",
				   "set[string]"};

static void zeek_header(void)
{
	os("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t");
	ozeekstamp(now_us / 1000000);
	os("\n#fields");
	for (int i = 0; i < 21; i++) {
		oc('\t');
		os(ZEEK_FIELDS[i]);
	}
	os("\n#types");
	for (int i = 0; i < 21; i++) {
		oc('\t');
		os(ZEEK_TYPES[i]);
	}
	oc('\n');
}

static void zeek_tsv_record(void)
{
	struct conn c;
	make_conn(&c);
	ous6(now_us);
	oc('\t');
	os(c.uid);
	oc('\t');
	oip(c.oh);
	oc('\t');
	ou(c.op);
	oc('\t');
	oip(c.rh);
	oc('\t');
	ou(c.rp);
	oc('\t');
	os(c.proto);
	oc('\t');
	os(c.service ? c.service : "-");
	oc('\t');
	if (c.has_dur) {
		ous6(c.dur_us);
		oc('\t');
		ou(c.ob);
		oc('\t');
		ou(c.rb);
	} else {
		os("-\t-\t-");
	}
	oc('\t');
	os(c.state);
	oc('\t');
	oc(c.lo ? 'T' : 'F');
	oc('\t');
	oc(c.lr ? 'T' : 'F');
	oc('\t');
	ou(c.missed);
	oc('\t');
	os(c.history ? c.history : "-");
	oc('\t');
	ou(c.opk);
	oc('\t');
	ou(c.oipb);
	oc('\t');
	ou(c.rpk);
	oc('\t');
	ou(c.ripb);
	os("\t-\n");
}

static void zeek_json_record(void)
{
	struct conn c;
	make_conn(&c);
	os("{\"ts\":");
	ous6(now_us);
	os(",\"uid\":\"");
	os(c.uid);
	os("\",\"id.orig_h\":\"");
	oip(c.oh);
	os("\",\"id.orig_p\":");
	ou(c.op);
	os(",\"id.resp_h\":\"");
	oip(c.rh);
	os("\",\"id.resp_p\":");
	ou(c.rp);
	os(",\"proto\":\"");
	os(c.proto);
	oc('"');
	if (c.service) {
		os(",\"service\":\"");
		os(c.service);
		oc('"');
	}
	if (c.has_dur) {
		os(",\"duration\":");
		ous6(c.dur_us);
		os(",\"orig_bytes\":");
		ou(c.ob);
		os(",\"resp_bytes\":");
		ou(c.rb);
	}
	os(",\"conn_state\":\"");
	os(c.state);
	os("\",\"local_orig\":");
	os(c.lo ? "true" : "false");
	os(",\"local_resp\":");
	os(c.lr ? "true" : "false");
	os(",\"missed_bytes\":");
	ou(c.missed);
	if (c.history) {
		os(",\"history\":\"");
		os(c.history);
		oc('"');
	}
	os(",\"orig_pkts\":");
	ou(c.opk);
	os(",\"orig_ip_bytes\":");
	ou(c.oipb);
	os(",\"resp_pkts\":");
	ou(c.rpk);
	os(",\"resp_ip_bytes\":");
	ou(c.ripb);
	os("}\n");
}

/* ------------------------------------------------------------ cloudtrail */

static const char *ACCOUNTS[] = {"123456789012", "210987654321", "555566667777"};
static const char *REGIONS[] = {"us-east-1", "us-east-1", "us-east-1", "eu-west-1",
				"us-west-2", "eu-central-1", "ap-southeast-2"};
static const char *ROLES[] = {"OrganizationAccountAccessRole", "AdminRole", "ReadOnly",
			      "ci-deployer", "lambda-exec", "DataScience", "SecurityAudit"};
static const char *BUCKETS[] = {"corp-logs-archive", "prod-assets", "data-lake-raw",
				"backup-2026", "ml-training-sets", "finance-reports"};
static const char *UAS[] = {
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off command/s3.cp",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.660 Linux/5.10.210-178.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard]",
    "terraform-provider-aws/5.43.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1",
    "console.amazonaws.com"};

enum { EV_CONSOLE, EV_GETOBJ, EV_PUTOBJ, EV_ASSUME, EV_DESCINST, EV_CREATEUSER, EV_LISTBUCKETS,
       EV_CALLERID, EV_DECRYPT, EV_SECRET, EV_SGINGRESS, EV_ACCESSKEY, EV_RUNINST };

static void ostrfield(const char *k, const char *v)
{
	oc('"');
	os(k);
	os("\":\"");
	os(v);
	oc('"');
}

static void cloudtrail_event(void)
{
	/* pick event */
	unsigned r = rn(1000), ev;
	if (r < 30) ev = EV_CONSOLE;
	else if (r < 380) ev = EV_GETOBJ;
	else if (r < 520) ev = EV_PUTOBJ;
	else if (r < 640) ev = EV_ASSUME;
	else if (r < 760) ev = EV_DESCINST;
	else if (r < 770) ev = EV_CREATEUSER;
	else if (r < 820) ev = EV_LISTBUCKETS;
	else if (r < 880) ev = EV_CALLERID;
	else if (r < 950) ev = EV_DECRYPT;
	else if (r < 975) ev = EV_SECRET;
	else if (r < 985) ev = EV_SGINGRESS;
	else if (r < 992) ev = EV_ACCESSKEY;
	else ev = EV_RUNINST;

	const char *acct = ACCOUNTS[skew(3)];
	const char *region = ev == EV_CONSOLE || ev == EV_CREATEUSER || ev == EV_ACCESSKEY
				 ? "us-east-1" : PICK(REGIONS);
	const char *user = users[skew(N_USERS)];
	const char *role = PICK(ROLES);
	unsigned idr = rn(100);
	int idtype = idr < 50 ? 0 : idr < 95 ? 1 : idr < 97 ? 2 : 3; /* IAMUser, AssumedRole, Root, AWSService */
	if (ev == EV_CONSOLE && idtype == 3)
		idtype = 0;
	if (ev == EV_ASSUME && idtype == 2)
		idtype = 1;
	if (idtype == 3 && ev != EV_ASSUME && ev != EV_DECRYPT)
		idtype = 1;
	int err = pct(5);
	int console_fail = ev == EV_CONSOLE && pct(15);
	const char *ua = PICK(UAS);
	if (ev == EV_CONSOLE)
		ua = UAS[3 + rn(2)];
	int data_event = ev == EV_GETOBJ || ev == EV_PUTOBJ || ev == EV_DECRYPT;
	(void)data_event;
	uint64_t secs = now_us / 1000000;

	os("{\"eventVersion\":\"");
	os(ev == EV_GETOBJ || ev == EV_PUTOBJ ? "1.10" : "1.09");
	os("\",\"userIdentity\":{");
	switch (idtype) {
	case 0:
		os("\"type\":\"IAMUser\",\"principalId\":\"AIDA");
		orand(B32, 26, 17);
		os("\",\"arn\":\"arn:aws:iam::");
		os(acct);
		os(":user/");
		os(user);
		os("\",\"accountId\":\"");
		os(acct);
		oc('"');
		if (ev != EV_CONSOLE) {
			os(",\"accessKeyId\":\"AKIA");
			orand(B32, 26, 16);
			oc('"');
		}
		os(",\"userName\":\"");
		os(user);
		oc('"');
		break;
	case 1:
		os("\"type\":\"AssumedRole\",\"principalId\":\"AROA");
		orand(B32, 26, 17);
		oc(':');
		os(user);
		os("\",\"arn\":\"arn:aws:sts::");
		os(acct);
		os(":assumed-role/");
		os(role);
		oc('/');
		os(user);
		os("\",\"accountId\":\"");
		os(acct);
		os("\",\"accessKeyId\":\"ASIA");
		orand(B32, 26, 16);
		os("\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROA");
		orand(B32, 26, 17);
		os("\",\"arn\":\"arn:aws:iam::");
		os(acct);
		os(":role/");
		os(role);
		os("\",\"accountId\":\"");
		os(acct);
		os("\",\"userName\":\"");
		os(role);
		os("\"},\"attributes\":{\"creationDate\":\"");
		oiso(secs - rr(0, 3600));
		os("\",\"mfaAuthenticated\":\"false\"}}");
		break;
	case 2:
		os("\"type\":\"Root\",\"principalId\":\"");
		os(acct);
		os("\",\"arn\":\"arn:aws:iam::");
		os(acct);
		os(":root\",\"accountId\":\"");
		os(acct);
		oc('"');
		if (ev != EV_CONSOLE) {
			os(",\"accessKeyId\":\"ASIA");
			orand(B32, 26, 16);
			oc('"');
		}
		break;
	default:
		os("\"type\":\"AWSService\",\"invokedBy\":\"");
		os(ev == EV_ASSUME ? "ec2.amazonaws.com" : "s3.amazonaws.com");
		oc('"');
		break;
	}
	os("},\"eventTime\":\"");
	oiso(secs);
	os("\",\"eventSource\":\"");
	static const char *src[] = {"signin.amazonaws.com", "s3.amazonaws.com", "s3.amazonaws.com",
				    "sts.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com",
				    "s3.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com",
				    "secretsmanager.amazonaws.com", "ec2.amazonaws.com",
				    "iam.amazonaws.com", "ec2.amazonaws.com"};
	static const char *name[] = {"ConsoleLogin", "GetObject", "PutObject", "AssumeRole",
				     "DescribeInstances", "CreateUser", "ListBuckets",
				     "GetCallerIdentity", "Decrypt", "GetSecretValue",
				     "AuthorizeSecurityGroupIngress", "CreateAccessKey", "RunInstances"};
	os(src[ev]);
	os("\",\"eventName\":\"");
	os(name[ev]);
	os("\",\"awsRegion\":\"");
	os(region);
	os("\",\"sourceIPAddress\":\"");
	if (idtype == 3) {
		os(ev == EV_ASSUME ? "ec2.amazonaws.com" : "s3.amazonaws.com");
	} else if (pct(3)) {
		os("2001:db8:");
		ohex(rn(65536), 4, 0);
		oc(':');
		ohex(rn(65536), 4, 0);
		os("::");
		ohex(rr(1, 65535), 4, 0);
	} else {
		oip(pct(80) ? hosts[skew(200)].ip : public_ip());
	}
	os("\",\"userAgent\":\"");
	os(idtype == 3 ? (ev == EV_ASSUME ? "ec2.amazonaws.com" : "s3.amazonaws.com") : ua);
	oc('"');
	if (err && !console_fail && ev != EV_CONSOLE) {
		static const char *ec[][2] = {
		    {"AccessDenied", "User is not authorized to perform this operation because no identity-based policy allows the action"},
		    {"Client.UnauthorizedOperation", "You are not authorized to perform this operation."},
		    {"NoSuchKey", "The specified key does not exist."},
		    {"ThrottlingException", "Rate exceeded"},
		    {"ValidationException", "1 validation error detected"}};
		unsigned e = rn(5);
		if (e == 2 && ev != EV_GETOBJ)
			e = 0;
		os(",\"errorCode\":\"");
		os(ec[e][0]);
		os("\",\"errorMessage\":\"");
		os(ec[e][1]);
		oc('"');
	} else if (console_fail) {
		os(",\"errorMessage\":\"Failed authentication\"");
		err = 1;
	}
	os(",\"requestParameters\":");
	char key[8];
	const char *bucket = PICK(BUCKETS);
	switch (ev) {
	case EV_CONSOLE:
	case EV_LISTBUCKETS:
	case EV_CALLERID:
		os(ev == EV_LISTBUCKETS ? "{\"Host\":\"s3.amazonaws.com\"}" : "null");
		break;
	case EV_GETOBJ:
	case EV_PUTOBJ:
		os("{\"bucketName\":\"");
		os(bucket);
		os("\",\"Host\":\"");
		os(bucket);
		os(".s3.");
		os(region);
		os(".amazonaws.com\",\"key\":\"");
		os(PICK(path_seg));
		oc('/');
		ou(rn(100000));
		os(ev == EV_GETOBJ ? ".json.gz" : ".parquet");
		if (ev == EV_PUTOBJ)
			os("\",\"x-amz-server-side-encryption\":\"aws:kms");
		os("\"}");
		break;
	case EV_ASSUME:
		os("{\"roleArn\":\"arn:aws:iam::");
		os(acct);
		os(":role/");
		os(role);
		os("\",\"roleSessionName\":\"");
		os(user);
		os("\",\"durationSeconds\":3600}");
		break;
	case EV_DESCINST:
		os("{\"instancesSet\":{},\"filterSet\":{\"items\":[{\"name\":\"instance-state-name\",\"valueSet\":{\"items\":[{\"value\":\"running\"}]}}]}}");
		break;
	case EV_CREATEUSER:
	case EV_ACCESSKEY:
		os("{\"userName\":\"");
		os(users[rn(N_USERS)]);
		os("\"}");
		break;
	case EV_DECRYPT:
		os("{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"keyId\":\"arn:aws:kms:");
		os(region);
		oc(':');
		os(acct);
		os(":key/");
		ouuid();
		os("\"}");
		break;
	case EV_SECRET:
		os("{\"secretId\":\"arn:aws:secretsmanager:");
		os(region);
		oc(':');
		os(acct);
		os(":secret:prod/db/");
		for (int i = 0; i < 6; i++)
			key[i] = B62[rn(62)];
		key[6] = 0;
		os(key);
		os("\"}");
		break;
	case EV_SGINGRESS:
		os("{\"groupId\":\"sg-");
		ohex(rnd(), 16, 0);
		oc(B62[rn(6) + 10 + 26]);
		os("\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":");
		{
			unsigned p = pct(50) ? 22 : 3389;
			ou(p);
			os(",\"toPort\":");
			ou(p);
		}
		os(",\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]}}]}}");
		break;
	default: /* RunInstances */
		os("{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-");
		ohex(rnd(), 16, 0);
		oc(B62[rn(6) + 10 + 26]);
		os("\",\"minCount\":1,\"maxCount\":1}]},\"instanceType\":\"t3.large\"}");
		break;
	}
	os(",\"responseElements\":");
	if (ev == EV_CONSOLE) {
		os(console_fail ? "{\"ConsoleLogin\":\"Failure\"}" : "{\"ConsoleLogin\":\"Success\"}");
	} else if (err) {
		os("null");
	} else if (ev == EV_ASSUME) {
		os("{\"credentials\":{\"accessKeyId\":\"ASIA");
		orand(B32, 26, 16);
		os("\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE");
		orand(B62, 62, 120);
		os("\",\"expiration\":\"");
		oawsdate(secs + 3600);
		os("\"},\"assumedRoleUser\":{\"assumedRoleId\":\"AROA");
		orand(B32, 26, 17);
		oc(':');
		os(user);
		os("\",\"arn\":\"arn:aws:sts::");
		os(acct);
		os(":assumed-role/");
		os(role);
		oc('/');
		os(user);
		os("\"}}");
	} else if (ev == EV_CREATEUSER) {
		os("{\"user\":{\"path\":\"/\",\"userName\":\"");
		os(users[rn(N_USERS)]);
		os("\",\"userId\":\"AIDA");
		orand(B32, 26, 17);
		os("\",\"arn\":\"arn:aws:iam::");
		os(acct);
		os(":user/new-user\",\"createDate\":\"");
		oawsdate(secs);
		os("\"}}");
	} else if (ev == EV_ACCESSKEY) {
		os("{\"accessKey\":{\"userName\":\"");
		os(user);
		os("\",\"accessKeyId\":\"AKIA");
		orand(B32, 26, 16);
		os("\",\"status\":\"Active\",\"createDate\":\"");
		oawsdate(secs);
		os("\"}}");
	} else if (ev == EV_PUTOBJ) {
		os("{\"x-amz-server-side-encryption\":\"aws:kms\"}");
	} else if (ev == EV_SGINGRESS) {
		os("{\"_return\":true}");
	} else if (ev == EV_RUNINST) {
		os("{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-");
		ohex(rnd(), 16, 0);
		oc(B62[rn(6) + 10 + 26]);
		os("\",\"instanceState\":{\"code\":0,\"name\":\"pending\"}}]}}");
	} else {
		os("null");
	}
	if (ev == EV_CONSOLE) {
		os(",\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\",\"MFAUsed\":\"");
		os(pct(70) ? "Yes" : "No");
		os("\"}");
	} else if (ev == EV_GETOBJ && !err) {
		os(",\"additionalEventData\":{\"SignatureVersion\":\"SigV4\",\"bytesTransferredIn\":0,\"bytesTransferredOut\":");
		ou(rlog(100, 1e8));
		os("}");
	}
	os(",\"requestID\":\"");
	if (ev == EV_GETOBJ || ev == EV_PUTOBJ || ev == EV_LISTBUCKETS)
		ohex(rnd(), 16, 1);
	else
		ouuid();
	os("\",\"eventID\":\"");
	ouuid();
	oc('"');
	int ro = ev == EV_GETOBJ || ev == EV_DESCINST || ev == EV_LISTBUCKETS || ev == EV_CALLERID ||
		 ev == EV_DECRYPT || ev == EV_SECRET || ev == EV_ASSUME;
	os(",\"readOnly\":");
	os(ro ? "true" : "false");
	if (ev == EV_GETOBJ || ev == EV_PUTOBJ) {
		os(",\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::");
		os(bucket);
		os("/object\"},{\"accountId\":\"");
		os(acct);
		os("\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::");
		os(bucket);
		os("\"}]");
	}
	os(",\"eventType\":\"");
	os(ev == EV_CONSOLE ? "AwsConsoleSignIn" : (idtype == 3 ? "AwsServiceEvent" : "AwsApiCall"));
	int mgmt = !(ev == EV_GETOBJ || ev == EV_PUTOBJ);
	os("\",\"managementEvent\":");
	os(mgmt ? "true" : "false");
	oc(',');
	ostrfield("recipientAccountId", acct);
	oc(',');
	ostrfield("eventCategory", mgmt ? "Management" : "Data");
	if (ev != EV_CONSOLE && idtype != 3 && pct(90)) {
		os(",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"");
		os(src[ev]);
		os("\"}");
	}
	oc('}');
}


/* --------------------------------------------------- network (issue 12) */

/* syslog's "Nov 19 23:50:11" */
static void osyslogtime(uint64_t secs)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct civil c = civil_of(secs);
	os(mon[c.mo - 1]);
	oc(' ');
	if (c.d < 10)
		oc(' ');
	ou(c.d);
	oc(' ');
	ouz(c.h, 2);
	oc(':');
	ouz(c.mi, 2);
	oc(':');
	ouz(c.s, 2);
}

/* netfilter LOG through syslog: the UFW/iptables shapes, TCP and UDP */
static void iptables_record(void)
{
	static const char *prefixes[] = {"[UFW BLOCK] ", "[UFW ALLOW] ", "iptables DROP_INPUT: ", "[WAN_IN-default-D]"};
	uint64_t secs = now_us / 1000000;
	os("<4>");
	osyslogtime(secs);
	os(" gw01 kernel: [");
	ou(secs % 1000000);
	oc('.');
	ouz(now_us % 1000000, 6);
	os("] ");
	os(PICK(prefixes));
	int tcp = pct(80);
	os("IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=");
	oip(public_ip());
	os(" DST=");
	oip(clients[rn(N_CLIENTS)]);
	os(" LEN=");
	ou(rr(40, 1500));
	os(" TOS=0x00 PREC=0x00 TTL=");
	ou(rr(30, 128));
	os(" ID=");
	ou(rn(65536));
	os(tcp ? " DF PROTO=TCP SPT=" : " PROTO=UDP SPT=");
	ou(rr(1024, 65535));
	os(" DPT=");
	ou(PICK(((unsigned[]){22, 23, 80, 443, 445, 1433, 3389, 5900})));
	os(tcp ? " WINDOW=64240 RES=0x00 SYN URGP=0\n" : " LEN=48\n");
}

/* Cisco ASA: builds and teardowns with the device's own timestamp, ACL denies */
static void asa_record(void)
{
	static unsigned long conn_id = 100000;
	uint64_t secs = now_us / 1000000;
	os("<166>");
	osyslogtime(secs);
	os(" asa-hq : ");
	unsigned k = rn(10);
	if (k < 4) {
		os("%ASA-6-302013: Built outbound TCP connection ");
		ou(++conn_id);
		os(" for outside:");
		oip(hosts[skew(N_HOSTS)].ip);
		os("/443 (");
		oip(hosts[skew(N_HOSTS)].ip);
		os("/443) to inside:");
		oip(clients[rn(N_CLIENTS)]);
		oc('/');
		ou(rr(32768, 60999));
		os(" (198.51.100.2/");
		ou(rr(1024, 65535));
		os(")\n");
	} else if (k < 8) {
		os("%ASA-6-302014: Teardown TCP connection ");
		ou(conn_id - rn(50));
		os(" for outside:");
		oip(hosts[skew(N_HOSTS)].ip);
		os("/443 to inside:");
		oip(clients[rn(N_CLIENTS)]);
		oc('/');
		ou(rr(32768, 60999));
		os(" duration 0:00:");
		ouz(rn(60), 2);
		os(" bytes ");
		ou(rn(5000000));
		os(" TCP FINs\n");
	} else {
		os("%ASA-4-106023: Deny tcp src outside:");
		oip(public_ip());
		oc('/');
		ou(rr(1024, 65535));
		os(" dst inside:198.51.100.2/");
		ou(PICK(((unsigned[]){22, 445, 3389})));
		os(" by access-group \"outside_access_in\" [0x0, 0x0]\n");
	}
}

/* BIND 9.11+ query log in a file channel */
static void bind_record(void)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *qtypes[] = {"A", "A", "A", "AAAA", "AAAA", "HTTPS", "MX", "TXT", "PTR"};
	struct civil c = civil_of(now_us / 1000000);
	ouz(c.d, 2);
	oc('-');
	os(mon[c.mo - 1]);
	oc('-');
	ouz((uint64_t)c.y, 4);
	oc(' ');
	ouz(c.h, 2);
	oc(':');
	ouz(c.mi, 2);
	oc(':');
	ouz(c.s, 2);
	oc('.');
	ouz(now_us / 1000 % 1000, 3);
	os(" queries: info: client @0x7f");
	ohex(rn(0x7fffffff), 10, 0);
	oc(' ');
	oip(clients[rn(N_CLIENTS)]);
	oc('#');
	ou(rr(1024, 65535));
	const char *h = hosts[skew(N_HOSTS)].name;
	os(" (");
	os(h);
	os("): query: ");
	os(h);
	os(" IN ");
	os(PICK(qtypes));
	os(" +E(0)K (10.20.0.53)\n");
}

/* AWS VPC flow logs, default v2 layout, about 2 % NODATA */
static void vpcflow_record(void)
{
	uint64_t secs = now_us / 1000000;
	os("2 123456789012 eni-0a1b2c3d4e5f60718 ");
	if (pct(2)) {
		os("- - - - - - - ");
		ou(secs - 60);
		oc(' ');
		ou(secs);
		os(" - NODATA\n");
		return;
	}
	oip(clients[rn(N_CLIENTS)]);
	oc(' ');
	oip(hosts[skew(N_HOSTS)].ip);
	oc(' ');
	ou(rr(32768, 60999));
	oc(' ');
	ou(PICK(((unsigned[]){443, 443, 443, 80, 53, 22})));
	os(pct(90) ? " 6 " : " 17 ");
	ou(rr(1, 5000));
	oc(' ');
	ou(rr(40, 9000000));
	oc(' ');
	ou(secs - 60);
	oc(' ');
	ou(secs);
	os(pct(95) ? " ACCEPT OK\n" : " REJECT OK\n");
}

/* Zeek dns.log, TSV */
static void zeek_dns_header(void)
{
	os("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#open\t");
	ozeekstamp(now_us / 1000000);
	os("\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected"
	   "\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n");
}

static void zeek_dns_record(void)
{
	ou(now_us / 1000000);
	oc('.');
	ouz(now_us % 1000000, 6);
	os("\tC");
	orand(B62, 62, 17);
	oc('\t');
	oip(clients[rn(N_CLIENTS)]);
	oc('\t');
	ou(rr(1024, 65535));
	os("\t10.20.0.53\t53\tudp\t");
	ou(rn(65536));
	os("\t0.00");
	ouz(rn(10000), 4);
	oc('\t');
	const struct host *h = &hosts[skew(N_HOSTS)];
	os(h->name);
	int nx = pct(5);
	os(nx ? "\t1\tC_INTERNET\t1\tA\t3\tNXDOMAIN\tF\tF\tT\tT\t0\t-\t-\tF\n" : "\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t");
	if (!nx) {
		oip(h->ip);
		os("\t300.000000\tF\n");
	}
}


/* ------------------------------------------------------------ CEF (dlp) */

/* ArcSight CEF behind an RFC 3164 syslog header, as SIEM forwarders relay it
 * (CEF Implementation Standard rev. 25: header fields separated by '|', '|'
 * and '\' escaped in the header, '=' and '\' escaped in extension values,
 * values may hold spaces; rt as epoch milliseconds or "MMM dd yyyy HH:mm:ss").
 * Four products none of tl's vendor definitions claims, so the generic
 * mapping reads them all: a firewall, a web gateway, an AV/EDR and a DLP
 * appliance. */
static void ocefdate(uint64_t secs)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct civil c = civil_of(secs);
	os(mon[c.mo - 1]);
	oc(' ');
	ouz(c.d, 2);
	oc(' ');
	ouz((uint64_t)c.y, 4);
	oc(' ');
	ouz(c.h, 2);
	oc(':');
	ouz(c.mi, 2);
	oc(':');
	ouz(c.s, 2);
}

static void cef_record(void)
{
	uint64_t secs = now_us / 1000000;
	unsigned k = rn(100);
	uint32_t cli = clients[skew(N_CLIENTS)];
	const struct host *h = &hosts[skew(N_HOSTS)];
	os("<");
	ou(k < 50 ? 134 : (k < 75 ? 131 : 132));
	os(">");
	osyslogtime(secs);
	oc(' ');
	if (k < 50) { /* firewall traffic log */
		static const char *acts[] = {"accept", "accept", "accept", "accept", "deny", "drop", "close"};
		static const char *apps[] = {"HTTPS", "HTTPS", "DNS", "SSL", "HTTP", "SSH", "RDP", "SMB"};
		const char *act = PICK(acts);
		os("fw-edge01 CEF:0|Fortinet|Fortigate|v7.2.8|00013|traffic:forward ");
		os(act);
		os("|");
		os(act[0] == 'd' ? "5" : "3");
		os("|deviceExternalId=FG100FTK22000");
		ou(rr(100, 999));
		os(" FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=root rt=");
		ou(now_us / 1000);
		os(" src=");
		oip(cli);
		os(" spt=");
		ou(rr(32768, 60999));
		os(" deviceInboundInterface=port2 dst=");
		oip(h->ip);
		os(" dpt=");
		ou(PICK(((unsigned[]){443, 443, 443, 80, 53, 22, 3389, 445})));
		os(" deviceOutboundInterface=wan1 sourceTranslatedAddress=198.51.100.2 sourceTranslatedPort=");
		ou(rr(1024, 65535));
		os(" externalId=");
		ou(rr(10000000, 99999999));
		os(" proto=6 act=");
		os(act);
		os(" FTNTFGTpolicyid=");
		ou(rr(1, 40));
		os(" app=");
		os(PICK(apps));
		os(" duser=");
		os(pct(60) ? users[rn(N_USERS)] : "-");
		os(" out=");
		ou(rlog(40, 5e6));
		os(" in=");
		ou(rlog(40, 5e7));
		os(" FTNTFGTsentpkt=");
		ou(rr(1, 5000));
		os(" FTNTFGTrcvdpkt=");
		ou(rr(1, 5000));
		os(" dhost=");
		os(h->name);
		oc('\n');
	} else if (k < 75) { /* web gateway: a URL, a method, a category with spaces */
		static const char *cats[] = {"Business and Economy", "Search Engines and Portals",
					     "Information Technology", "Social Networking",
					     "Malicious Websites", "Uncategorized URLs"};
		int blocked = pct(15);
		os("swg01 CEF:0|Trend Micro|InterScan Web Security|6.5|");
		os(blocked ? "100002|URL blocked" : "100001|URL access");
		os("|");
		os(blocked ? "6" : "2");
		os("|rt=");
		ocefdate(secs);
		os(" UTC src=");
		oip(cli);
		os(" suser=");
		os(users[rn(N_USERS)]);
		os(" dst=");
		oip(h->ip);
		os(" dhost=");
		os(h->name);
		os(" requestMethod=");
		os(pct(85) ? "GET" : "POST");
		os(" request=https://");
		os(h->name);
		opath();
		os(" cs1Label=Category cs1=");
		os(PICK(cats));
		os(" act=");
		os(blocked ? "Blocked" : "Allowed");
		os(" out=");
		ou(rlog(200, 2e6));
		os(" msg=policy \\= ");
		os(blocked ? "block-risky" : "default");
		oc('\n');
	} else if (k < 90) { /* endpoint AV/EDR detections: Windows paths, escaped backslashes */
		static const char *mal[] = {"Eicar_test_file", "TROJ_GEN.R002C0PK", "Ransom.Win32.LOCKBIT.A",
					    "HackTool.Win32.Mimikatz.A", "PUA.Win32.Adware.B"};
		static const char *acts[] = {"Quarantine", "Quarantine", "Delete", "Pass", "Clean"};
		os("dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1|4000000|");
		os(PICK(mal));
		os("|");
		ou(rr(6, 9));
		os("|cn1=");
		ou(rr(1, 500));
		os(" cn1Label=Host ID dvchost=WS-");
		ohex(rn(65536), 4, 1);
		os(" TrendMicroDsTenant=Primary TrendMicroDsTenantId=0 filePath=C:\\\\Users\\\\");
		os(users[rn(N_USERS)]);
		os("\\\\Downloads\\\\invoice_");
		ou(rn(10000));
		os(".exe act=");
		os(PICK(acts));
		os(" msg=Realtime scan src=");
		oip(cli);
		os(" rt=");
		ou(now_us / 1000);
		oc('\n');
	} else { /* DLP incident: file, users, an outcome */
		static const char *chans[] = {"Email", "Web Upload", "USB", "Cloud Storage", "Printer"};
		os("dlp-mgr01 CEF:0|Acme Data Security|DLP Server|4.2|incident|Data loss policy match|");
		ou(rr(3, 8));
		os("|rt=");
		ou(now_us / 1000);
		os(" suser=CORP\\\\");
		os(users[rn(N_USERS)]);
		os(" duser=partner");
		ou(rn(50));
		os("@example.net src=");
		oip(cli);
		os(" shost=WS-");
		ohex(rn(65536), 4, 1);
		os(" fname=Q");
		ou(rr(1, 4));
		os(" payroll ");
		ou(rn(1000));
		os(".xlsx fsize=");
		ou(rlog(1000, 5e7));
		os(" cs2Label=Channel cs2=");
		os(PICK(chans));
		os(" act=");
		os(pct(60) ? "Blocked" : "Passed");
		os(" outcome=");
		os(pct(90) ? "success" : "failure");
		oc('\n');
	}
}

/* ------------------------------------------------------------------ okta */

/* Okta System Log LogEvent objects, one per line, as /api/v1/logs returns
 * them and exports/forwarders keep them (developer.okta.com System Log API:
 * actor, client with userAgent and geographicalContext, authenticationContext,
 * displayMessage, eventType, legacyEventType, outcome, published, request
 * ipChain, securityContext, severity, debugContext, target, transaction,
 * uuid, version). */
static void okta_geo(const char *city, const char *state, const char *country, const char *postal)
{
	os("\"geographicalContext\":{\"city\":\"");
	os(city);
	os("\",\"state\":\"");
	os(state);
	os("\",\"country\":\"");
	os(country);
	os("\",\"postalCode\":\"");
	os(postal);
	os("\",\"geolocation\":{\"lat\":");
	ou(rr(25, 60));
	oc('.');
	ouz(rn(10000), 4);
	os(",\"lon\":-");
	ou(rr(1, 122));
	oc('.');
	ouz(rn(10000), 4);
	os("}}");
}

static void okta_record(void)
{
	static const struct {
		const char *type, *legacy, *msg;
	} evs[] = {
	    {"user.session.start", "core.user_auth.login_success", "User login to Okta"},
	    {"user.session.start", "core.user_auth.login_failed", "User login to Okta"},
	    {"user.authentication.sso", "app.auth.sso", "User single sign on to app"},
	    {"user.authentication.sso", "app.auth.sso", "User single sign on to app"},
	    {"user.authentication.auth_via_mfa", "core.user.factor.attempt_success", "Authentication of user via MFA"},
	    {"user.mfa.okta_verify.deny_push", "core.user.factor.attempt_fail", "User rejected Okta push verify"},
	    {"policy.evaluate_sign_on", "", "Evaluation of sign-on policy"},
	    {"user.session.end", "core.user_auth.logout_success", "User logout from Okta"},
	    {"app.oauth2.as.token.grant.access_token", "", "OAuth2 access token is granted"},
	    {"user.account.lock", "core.user.account.locked", "Max sign in attempts exceeded"},
	    {"user.account.reset_password", "core.user.config.password_reset", "Fired when the user's Okta password is reset"},
	    {"group.user_membership.add", "core.user_group_member.user_add", "Add user to group membership"},
	    {"system.api_token.create", "api.token.create", "Create API token"},
	    {"user.lifecycle.create", "core.user.config.user_creation.success", "Create Okta user"}};
	static const struct {
		const char *city, *state, *country, *postal;
	} geo[] = {{"Dublin", "California", "United States", "94568"},
		   {"New York", "New York", "United States", "10001"},
		   {"London", "England", "United Kingdom", "EC1A"},
		   {"Frankfurt am Main", "Hesse", "Germany", "60311"},
		   {"Sao Paulo", "Sao Paulo", "Brazil", "01000"},
		   {"Singapore", "Singapore", "Singapore", "018989"}};
	static const char *uas[][3] = {
	    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "CHROME", "Windows 10"},
	    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0", "FIREFOX", "Mac OS X"},
	    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "SAFARI", "iOS"},
	    {"okta-sdk-java/8.2.5 java/17.0.10 Linux/6.1.0", "UNKNOWN", "Linux"}};
	static const char *apps[] = {"Salesforce.com", "Slack", "AWS IAM Identity Center", "Google Workspace", "Zoom", "GitHub Enterprise Cloud"};
	unsigned e = rn(sizeof evs / sizeof evs[0]);
	const char *user = users[rn(N_USERS)];
	unsigned g = pct(80) ? rn(2) : rn(6);
	unsigned u = rn(4);
	int fail = e == 1 || e == 5 || e == 9 || (e == 6 && pct(10));
	int sys = e == 12 && pct(30); /* system-initiated: no client ip */
	uint32_t ip = pct(70) ? hosts[skew(200)].ip : public_ip();
	char sess[26];
	for (int i = 0; i < 25; i++)
		sess[i] = B62[rn(62)];
	sess[0] = '1';
	sess[1] = '0';
	sess[2] = '2';
	sess[25] = 0;

	os("{\"actor\":{\"id\":\"00u");
	orand(B62, 62, 17);
	os("\",\"type\":\"User\",\"alternateId\":\"");
	os(user);
	os("@example.com\",\"displayName\":\"");
	os(user);
	os("\",\"detailEntry\":null},\"client\":{\"userAgent\":{\"rawUserAgent\":\"");
	os(uas[u][0]);
	os("\",\"os\":\"");
	os(uas[u][2]);
	os("\",\"browser\":\"");
	os(uas[u][1]);
	os("\"},\"zone\":\"null\",\"device\":\"");
	os(u == 2 ? "Mobile" : "Computer");
	os("\",\"id\":null,\"ipAddress\":");
	if (sys) {
		os("null,");
	} else {
		oc('"');
		oip(ip);
		os("\",");
	}
	okta_geo(geo[g].city, geo[g].state, geo[g].country, geo[g].postal);
	os("},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":\"");
	os(sess);
	os("\"},\"displayMessage\":\"");
	os(evs[e].msg);
	os("\",\"eventType\":\"");
	os(evs[e].type);
	os("\",\"outcome\":{\"result\":\"");
	os(fail ? (e == 6 ? "DENY" : "FAILURE") : (e == 6 ? "ALLOW" : "SUCCESS"));
	os("\",\"reason\":");
	if (e == 1)
		os("\"INVALID_CREDENTIALS\"");
	else if (e == 5)
		os("\"User rejected Okta Verify push\"");
	else if (e == 9)
		os("\"LOCKED_OUT\"");
	else if (e == 6)
		os("\"Sign-on policy evaluation resulted in ALLOW\"");
	else
		os("null");
	os("},\"published\":\"");
	{
		struct civil c = civil_of(now_us / 1000000);
		ouz((uint64_t)c.y, 4);
		oc('-');
		ouz(c.mo, 2);
		oc('-');
		ouz(c.d, 2);
		oc('T');
		ouz(c.h, 2);
		oc(':');
		ouz(c.mi, 2);
		oc(':');
		ouz(c.s, 2);
		oc('.');
		ouz(now_us / 1000 % 1000, 3);
		oc('Z');
	}
	os("\",\"securityContext\":{\"asNumber\":");
	ou(rr(1000, 65000));
	os(",\"asOrg\":\"example isp\",\"isp\":\"example isp\",\"domain\":\"example.net\",\"isProxy\":false},\"severity\":\"");
	os(e == 9 || e == 5 ? "WARN" : "INFO");
	os("\",\"debugContext\":{\"debugData\":{\"requestId\":\"");
	orand(B62, 62, 27);
	os("\",\"requestUri\":\"");
	os(e < 2 ? "/api/v1/authn" : (e < 4 ? "/app/sso/saml" : "/api/v1/users"));
	os("\",\"threatSuspected\":\"false\",\"url\":\"");
	os(e < 2 ? "/api/v1/authn?" : (e < 4 ? "/app/sso/saml?" : "/api/v1/users?"));
	os("\"}},\"legacyEventType\":");
	if (evs[e].legacy[0]) {
		oc('"');
		os(evs[e].legacy);
		oc('"');
	} else {
		os("null");
	}
	os(",\"transaction\":{\"type\":\"WEB\",\"id\":\"");
	orand(B62, 62, 27);
	os("\",\"detail\":{}},\"uuid\":\"");
	ouuid();
	os("\",\"version\":\"0\",\"request\":{\"ipChain\":[");
	if (!sys) {
		os("{\"ip\":\"");
		oip(ip);
		os("\",");
		okta_geo(geo[g].city, geo[g].state, geo[g].country, geo[g].postal);
		os(",\"version\":\"V4\",\"source\":null}");
	}
	os("]},\"target\":");
	if (e == 2 || e == 3 || e == 8) {
		os("[{\"id\":\"0oa");
		orand(B62, 62, 17);
		os("\",\"type\":\"AppInstance\",\"alternateId\":\"");
		os(PICK(apps));
		os("\",\"displayName\":\"");
		os(PICK(apps));
		os("\",\"detailEntry\":null}]");
	} else if (e >= 10) {
		os("[{\"id\":\"00u");
		orand(B62, 62, 17);
		os("\",\"type\":\"User\",\"alternateId\":\"");
		os(users[rn(N_USERS)]);
		os("@example.com\",\"displayName\":\"");
		os(users[rn(N_USERS)]);
		os("\",\"detailEntry\":null}]");
	} else {
		os("null");
	}
	os("}\n");
}

/* ------------------------------------------------------------------ main */

_Noreturn static void usage(void)
{
	fputs("usage: gen FORMAT COUNT [SEED [OFFSET]]\n"
	      "  FORMAT: squid | zeek-tsv | zeek-json | cloudtrail-lines | cloudtrail-doc\n"
	      "          iptables | asa | bind | vpcflow | zeek-dns | cef | okta\n",
	      stderr);
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	if (!*s || *s == '-') {
		fprintf(stderr, "gen: bad %s: %s\n", what, s);
		exit(2);
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (*end) {
		fprintf(stderr, "gen: bad %s: %s\n", what, s);
		exit(2);
	}
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5)
		usage();
	const char *fmt = argv[1];
	uint64_t count = parse_u64(argv[2], "COUNT");
	uint64_t seed = argc >= 4 ? parse_u64(argv[3], "SEED") : 1;
	uint64_t offset = argc == 5 ? parse_u64(argv[4], "OFFSET") : 0;
	int f = -1;
	if (!strcmp(fmt, "squid")) f = 0;
	else if (!strcmp(fmt, "zeek-tsv")) f = 1;
	else if (!strcmp(fmt, "zeek-json")) f = 2;
	else if (!strcmp(fmt, "cloudtrail-lines")) f = 3;
	else if (!strcmp(fmt, "cloudtrail-doc")) f = 4;
	else if (!strcmp(fmt, "iptables")) f = 5;
	else if (!strcmp(fmt, "asa")) f = 6;
	else if (!strcmp(fmt, "bind")) f = 7;
	else if (!strcmp(fmt, "vpcflow")) f = 8;
	else if (!strcmp(fmt, "zeek-dns")) f = 9;
	else if (!strcmp(fmt, "cef")) f = 10;
	else if (!strcmp(fmt, "okta")) f = 11;
	else usage();

	static char stdio_buf[1u << 22];
	setvbuf(stdout, stdio_buf, _IOFBF, sizeof stdio_buf);

	/* the pools (clients, domains, users) depend on the seed only, so every
	 * format talks about the same hosts and a mixed case can be asked about
	 * one address; the records get a distinct stream per format so formats
	 * don't mirror each other */
	rng_seed(seed);
	build_pools();
	rng_seed(seed * 1000003u + (uint64_t)f);
	now_us = ((uint64_t)days_from_civil(2026, 11, 19) * 86400u + offset) * 1000000u;

	if (f == 1)
		zeek_header();
	if (f == 9)
		zeek_dns_header();
	if (f == 4)
		os("{\"Records\":[");
	for (uint64_t i = 0; i < count; i++) {
		switch (f) {
		case 0: squid_record(); break;
		case 1: zeek_tsv_record(); break;
		case 2: zeek_json_record(); break;
		case 3: cloudtrail_event(); oc('\n'); break;
		case 5: iptables_record(); break;
		case 6: asa_record(); break;
		case 7: bind_record(); break;
		case 8: vpcflow_record(); break;
		case 9: zeek_dns_record(); break;
		case 10: cef_record(); break;
		case 11: okta_record(); break;
		default:
			if (i)
				oc(',');
			cloudtrail_event();
			break;
		}
		out_maybe_flush();
		tick();
	}
	if (f == 1 || f == 9) {
		os("#close\t");
		ozeekstamp(now_us / 1000000);
		oc('\n');
	}
	if (f == 4)
		os("]}\n");
	out_flush();
	if (fflush(stdout) != 0) {
		perror("gen: write");
		return 1;
	}
	return 0;
}
