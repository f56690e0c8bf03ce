/*
 * The xml parse type: one record is one XML element (Windows Event XML as
 * Get-WinEvent's ToXml(), wevtutil /f:xml or an Event Viewer export writes
 * it), flattened to dotted fields below the root element:
 *
 *   <Event xmlns="..."><System><Provider Name="X"/><EventID>4624</EventID>
 *     <TimeCreated SystemTime="2026-11-19T23:00:00.1234567Z"/></System>
 *     <EventData><Data Name="TargetUserName">mchen</Data></EventData></Event>
 *
 *   System.Provider.Name = X, System.EventID = 4624,
 *   System.TimeCreated.SystemTime = 2026-..., EventData.TargetUserName = mchen
 *
 * Rules: element text becomes the field of its path (whitespace-only text is
 * not a value); attributes become PATH.ATTRIBUTE (xmlns declarations are
 * dropped, and so are empty attributes: python-evtx writes absent ones as
 * ""); a Data element with a Name attribute (EventData's) is named by that
 * attribute instead of its tag, and an empty Data is an empty value; other
 * empty elements (<Correlation/>) give no field. Repeated paths get #2, #3
 * like every repeated field.
 *
 * Evidence is hostile: a DOCTYPE (and with it every entity declaration, the
 * billion-laughs family) is refused, nesting is bounded, and field counts and
 * sizes are bounded by the engine. Before parsing, an XML declaration and an
 * <Events> wrapper's tags around the record are skipped, so exports framed
 * by multiline records parse; a record with nothing else is not a record
 * (meta).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <expat.h>
#include <string.h>

#include "format-internal.h"
#include "tl/banned.h"

#define XML_MAX_DEPTH 64
#define XML_MAX_TEXT (16u << 20)

struct xml_state {
	struct tl_parse *p;
	XML_Parser x;
	struct tl_buf path;
	size_t stack[XML_MAX_DEPTH + 1];
	unsigned char kids[XML_MAX_DEPTH + 1]; /* element at this depth has child elements or attributes */
	int depth;
	struct tl_buf text;
	const char *why; /* reason to stop, or NULL */
};

static void stop(struct xml_state *s, const char *why)
{
	if (!s->why)
		s->why = why;
	XML_StopParser(s->x, XML_FALSE);
}

static int add(struct xml_state *s, const char *suffix, const char *v, size_t vl)
{
	size_t base = s->path.len;
	if (suffix && ((s->path.len && tl_buf_addc(&s->path, '.')) || tl_buf_adds(&s->path, suffix)))
		return -1;
	char *name = tl_arena_strndup(&s->p->arena, s->path.data ? s->path.data : "", s->path.len);
	char *val = tl_arena_strndup(&s->p->arena, v, vl);
	s->path.len = base;
	if (!name || !val || !name[0])
		return -1;
	return tl_parse_add(s->p, name, val, vl, TL_V_STR);
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **attr)
{
	struct xml_state *s = ud;
	if (s->depth >= XML_MAX_DEPTH) {
		stop(s, "XML elements nested more than 64 deep");
		return;
	}
	if (s->depth > 0)
		s->kids[s->depth] = 1;
	s->stack[s->depth] = s->path.len;
	s->depth++;
	/* an empty named Data is a value ("" as Windows logged it); other empty
	 * elements (<Correlation/>, <Security/>) say nothing */
	s->kids[s->depth] = strcmp(el, "Data") != 0;
	tl_buf_reset(&s->text);
	if (s->depth > 1) {
		const char *name = el;
		int is_data = !strcmp(el, "Data");
		for (int i = 0; is_data && attr[i]; i += 2)
			if (!strcmp(attr[i], "Name") && attr[i + 1][0])
				name = attr[i + 1];
		if ((s->path.len && tl_buf_addc(&s->path, '.')) || tl_buf_adds(&s->path, name)) {
			stop(s, "XML path too long");
			return;
		}
	}
	for (int i = 0; attr[i]; i += 2) {
		if (!strcmp(attr[i], "xmlns") || !strncmp(attr[i], "xmlns:", 6))
			continue;
		if (!strcmp(attr[i], "Name") && s->depth > 1 && !strcmp(el, "Data") && attr[i + 1][0])
			continue; /* it named the element */
		if (!attr[i + 1][0])
			continue; /* python-evtx writes absent attributes as "" */
		s->kids[s->depth] = 1;
		if (add(s, attr[i], attr[i + 1], strlen(attr[i + 1]))) {
			stop(s, "too many fields");
			return;
		}
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct xml_state *s = ud;
	(void)el;
	if (s->depth > 1) {
		size_t n = s->text.len, i = 0;
		const char *t = s->text.data ? s->text.data : "";
		while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
			i++;
		/* text is a value; so is an empty Data */
		if ((i < n || (!n && !s->kids[s->depth])) && add(s, NULL, t, n)) {
			stop(s, "too many fields");
			return;
		}
	}
	tl_buf_reset(&s->text);
	s->depth--;
	s->path.len = s->stack[s->depth];
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len)
{
	struct xml_state *s = ud;
	if (s->depth > 1 && tl_buf_add(&s->text, t, (size_t)len))
		stop(s, "XML text too long");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	stop(ud, "XML with a DOCTYPE is refused (entity expansion)");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int pe, const XML_Char *v, int vl, const XML_Char *base,
			      const XML_Char *sys, const XML_Char *pub, const XML_Char *notation)
{
	(void)name, (void)pe, (void)v, (void)vl, (void)base, (void)sys, (void)pub, (void)notation;
	stop(ud, "XML entity declarations are refused");
}

static int ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip an XML declaration and the tags of an <Events> wrapper around the record. */
static void trim_wrapper(const char **b, const char **e)
{
	for (;;) {
		while (*b < *e && ws(**b))
			(*b)++;
		while (*e > *b && ws((*e)[-1]))
			(*e)--;
		size_t n = (size_t)(*e - *b);
		if (n >= 2 && !memcmp(*b, "<?", 2)) {
			const char *c = memchr(*b, '>', n);
			if (!c)
				return;
			*b = c + 1;
		} else if (n >= 7 && !memcmp(*b, "<Events", 7) && (ws((*b)[7]) || (*b)[7] == '>')) {
			const char *c = memchr(*b, '>', n);
			if (!c)
				return;
			*b = c + 1;
		} else if (n >= 9 && !memcmp(*e - 9, "</Events>", 9)) {
			*e -= 9;
		} else {
			return;
		}
	}
}

/* Sysmon for Linux writes "&lt unknown process&gt " - the predefined entities
 * without their ';' - which no XML parser accepts. Such a reference (one of
 * the five names, then a character that cannot continue a name) gets its ';'
 * back in a copy; text without one is parsed as it is. */
static enum tl_parse_status xml_parse(struct tl_parse *p, const char *b, const char *e, struct tl_err *err);

static int entity_repair(const char *b, const char *e, struct tl_buf *out)
{
	static const char *const names[] = { "lt", "gt", "amp", "quot", "apos" };
	int fixed = 0;
	for (const char *c = b; c < e; c++) {
		if (tl_buf_addc(out, *c))
			return -1;
		if (*c != '&')
			continue;
		for (size_t k = 0; k < 5; k++) {
			size_t n = strlen(names[k]);
			if ((size_t)(e - c - 1) >= n && !memcmp(c + 1, names[k], n) &&
			    (c + 1 + n == e || !(isalnum((unsigned char)c[1 + n]) || c[1 + n] == ';' || c[1 + n] == '_' ||
						 c[1 + n] == '-' || c[1 + n] == '.'))) {
				if (tl_buf_add(out, c + 1, n) || tl_buf_addc(out, ';'))
					return -1;
				c += n;
				fixed = 1;
				break;
			}
		}
	}
	return fixed;
}

enum tl_parse_status tl_xml_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const char *b = text, *e = text + len;
	trim_wrapper(&b, &e);
	struct tl_buf fixed = TL_BUF_INIT;
	fixed.max = 2 * (size_t)(e - b) + 16; /* each "&lt" grows by one byte */
	if (memchr(b, '&', (size_t)(e - b))) {
		int rep = entity_repair(b, e, &fixed);
		if (rep < 0) {
			tl_buf_release(&fixed);
			tl_errf(err, "out of memory");
			return TL_PARSE_REJECT;
		}
		if (rep) {
			b = fixed.data;
			e = fixed.data + fixed.len;
		}
	}
	enum tl_parse_status st = xml_parse(p, b, e, err);
	tl_buf_release(&fixed);
	return st;
}

static enum tl_parse_status xml_parse(struct tl_parse *p, const char *b, const char *e, struct tl_err *err)
{
	if (b == e)
		return TL_PARSE_META;
	if (*b != '<') {
		tl_errf(err, "record is not an XML element");
		return TL_PARSE_REJECT;
	}
	struct xml_state s;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.path.max = 4096;
	s.text.max = XML_MAX_TEXT;
	/* the reader has already made the text UTF-8, whatever a declaration said */
	s.x = XML_ParserCreate("UTF-8");
	if (!s.x) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	XML_SetUserData(s.x, &s);
	XML_SetElementHandler(s.x, on_start, on_end);
	XML_SetCharacterDataHandler(s.x, on_text);
	XML_SetStartDoctypeDeclHandler(s.x, on_doctype);
	XML_SetEntityDeclHandler(s.x, on_entity);
	XML_SetParamEntityParsing(s.x, XML_PARAM_ENTITY_PARSING_NEVER);
	enum tl_parse_status st = TL_PARSE_EVENT;
	if (XML_Parse(s.x, b, (int)(e - b > 0x7fffffff ? 0x7fffffff : e - b), XML_TRUE) != XML_STATUS_OK || s.why) {
		if (s.why)
			tl_errf(err, "%s", s.why);
		else
			tl_errf(err, "invalid XML at line %lu column %lu: %s",
				(unsigned long)XML_GetCurrentLineNumber(s.x),
				(unsigned long)XML_GetCurrentColumnNumber(s.x) + 1,
				XML_ErrorString(XML_GetErrorCode(s.x)));
		st = TL_PARSE_REJECT;
	}
	XML_ParserFree(s.x);
	tl_buf_release(&s.path);
	tl_buf_release(&s.text);
	return st;
}
