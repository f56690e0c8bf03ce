/* A first cut of the entity rules; the correlation work completes it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tl/entity.h"
#include "tl/banned.h"

static const char *const type_names[TL_ENT_TYPES] = { "user", "host", "ip",    "domain", "url",
						      "file", "process", "hash", "email", "resource" };

const char *tl_entity_type_name(enum tl_entity_type t)
{
	return (unsigned)t < TL_ENT_TYPES ? type_names[t] : "?";
}

int tl_entity_type_parse(const char *name, enum tl_entity_type *t)
{
	for (int i = 0; i < TL_ENT_TYPES; i++)
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum tl_entity_type)i;
			return 0;
		}
	return -1;
}

int tl_entity_canon(enum tl_entity_type t, const char *value, char **out, struct tl_err *err)
{
	*out = NULL;
	if (value == NULL || *value == '\0')
		return tl_errf(err, "empty %s", tl_entity_type_name(t));
	char *s = strdup(value);
	if (s == NULL)
		return tl_errf(err, "out of memory");
	if (t == TL_ENT_USER || t == TL_ENT_HOST || t == TL_ENT_DOMAIN || t == TL_ENT_EMAIL)
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	*out = s;
	return 0;
}

int tl_entity_registrable(const char *domain, char **out)
{
	(void)domain;
	*out = NULL;
	return 1;
}
