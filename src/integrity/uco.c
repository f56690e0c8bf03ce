/*
 * CASE/UCO JSON-LD export of the manifest (see include/tl/uco.h).
 *
 * Class and property names follow UCO 1.x / CASE 1.x: action references
 * (object, result, instrument) sit on the action itself, not in a facet as
 * in UCO 0.x; every node has an @id because UCO 1.x discourages blank nodes.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/uco.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/json.h"
#include "tl/manifest.h"
#include "tl/banned.h"

static const char context[] =
	"{\n"
	"  \"@context\": {\n"
	"    \"case-investigation\": \"https://ontology.caseontology.org/case/investigation/\",\n"
	"    \"kb\": \"urn:tl:kb:\",\n"
	"    \"uco-action\": \"https://ontology.unifiedcyberontology.org/uco/action/\",\n"
	"    \"uco-core\": \"https://ontology.unifiedcyberontology.org/uco/core/\",\n"
	"    \"uco-observable\": \"https://ontology.unifiedcyberontology.org/uco/observable/\",\n"
	"    \"uco-tool\": \"https://ontology.unifiedcyberontology.org/uco/tool/\",\n"
	"    \"uco-types\": \"https://ontology.unifiedcyberontology.org/uco/types/\",\n"
	"    \"uco-vocabulary\": \"https://ontology.unifiedcyberontology.org/uco/vocabulary/\",\n"
	"    \"xsd\": \"http://www.w3.org/2001/XMLSchema#\"\n"
	"  },\n"
	"  \"@graph\": [";

/* One file of the manifest, as the graph needs it. */
struct ufile {
	const char *rel;     /* relative to the case: "evidence/...", "out/..." */
	const char *sha;     /* 64 lowercase hex */
	const char *size;    /* decimal, or NULL when unknown */
	char id[65];         /* node key: SHA-256 of "REL\0SHA" */
	char *rel_owned;
	char size_buf[32];
};

static int is_hex64(const struct tl_json *j)
{
	return j && j->type == TL_JSON_STRING && j->len == 64 && strspn(j->str, "0123456789abcdef") == 64;
}

static int is_count(const struct tl_json *j)
{
	return j && j->type == TL_JSON_NUMBER && j->len > 0 && j->len < 20 && strspn(j->str, "0123456789") == j->len;
}

static void jstr(struct tl_buf *b, const char *s)
{
	tl_json_put_str(b, s);
}

/* Two files may hold the same bytes (a copied log, an output equal to its
 * input): the node key includes the path so they stay two nodes. */
static void file_key(struct ufile *f)
{
	size_t rl = strlen(f->rel);
	char *tmp = malloc(rl + 1 + 64);
	if (!tmp) {
		tl_sha256_hex(f->rel, rl, f->id);
		return;
	}
	memcpy(tmp, f->rel, rl);
	tmp[rl] = 0;
	memcpy(tmp + rl + 1, f->sha, 64);
	tl_sha256_hex(tmp, rl + 1 + 64, f->id);
	free(tmp);
}

static void hash_list(struct tl_buf *b, const char *id, const char *sha, const char *indent)
{
	tl_buf_addf(b,
		    "%s\"uco-observable:hash\": [\n"
		    "%s  {\n"
		    "%s    \"@id\": \"kb:hash-%s\",\n"
		    "%s    \"@type\": \"uco-types:Hash\",\n"
		    "%s    \"uco-types:hashMethod\": {\"@type\": \"uco-vocabulary:HashNameVocab\", \"@value\": \"SHA256\"},\n"
		    "%s    \"uco-types:hashValue\": {\"@type\": \"xsd:hexBinary\", \"@value\": \"%s\"}\n"
		    "%s  }\n"
		    "%s]\n",
		    indent, indent, indent, id, indent, indent, indent, sha, indent, indent);
}

static void size_prop(struct tl_buf *b, const char *size, const char *indent)
{
	if (size)
		tl_buf_addf(b, "%s\"uco-observable:sizeInBytes\": {\"@type\": \"xsd:integer\", \"@value\": \"%s\"},\n",
			    indent, size);
}

static void file_node(struct tl_buf *b, const struct ufile *f, const char *description)
{
	const char *base = strrchr(f->rel, '/');
	base = base ? base + 1 : f->rel;
	tl_buf_addf(b, ",\n    {\n      \"@id\": \"kb:file-%s\",\n      \"@type\": \"uco-observable:File\",\n", f->id);
	tl_buf_adds(b, "      \"uco-core:description\": ");
	jstr(b, description);
	tl_buf_addf(b, ",\n      \"uco-core:hasFacet\": [\n        {\n          \"@id\": \"kb:file-facet-%s\",\n"
		       "          \"@type\": \"uco-observable:FileFacet\",\n          \"uco-observable:fileName\": ",
		    f->id);
	jstr(b, base);
	tl_buf_adds(b, ",\n          \"uco-observable:filePath\": ");
	jstr(b, f->rel);
	tl_buf_adds(b, ",\n");
	size_prop(b, f->size, "          ");
	tl_buf_addf(b, "          \"uco-observable:isDirectory\": false\n        },\n        {\n"
		       "          \"@id\": \"kb:content-facet-%s\",\n          \"@type\": \"uco-observable:ContentDataFacet\",\n",
		    f->id);
	size_prop(b, f->size, "          ");
	hash_list(b, f->id, f->sha, "          ");
	tl_buf_adds(b, "        }\n      ]\n    }");
}

static void ref_list(struct tl_buf *b, const char *prop, const char *const *ids, size_t n, int last)
{
	tl_buf_addf(b, "      \"%s\": [", prop);
	for (size_t i = 0; i < n; i++)
		tl_buf_addf(b, "%s\n        {\"@id\": \"%s\"}", i ? "," : "", ids[i]);
	tl_buf_addf(b, "\n      ]%s\n", last ? "" : ",");
}

/* An InvestigativeAction; INSTRUMENT may be NULL (not known for sure). */
static void action_node(struct tl_buf *b, const char *id, const char *name, const char *description,
			const char *instrument, const char *const *objects, size_t n_objects,
			const char *const *results, size_t n_results)
{
	tl_buf_addf(b, ",\n    {\n      \"@id\": \"%s\",\n      \"@type\": \"case-investigation:InvestigativeAction\",\n"
		       "      \"uco-core:name\": ",
		    id);
	jstr(b, name);
	tl_buf_adds(b, ",\n      \"uco-core:description\": ");
	jstr(b, description);
	tl_buf_adds(b, ",\n");
	if (instrument)
		tl_buf_addf(b, "      \"uco-action:instrument\": {\"@id\": \"%s\"},\n", instrument);
	if (n_objects)
		ref_list(b, "uco-action:object", objects, n_objects, 0);
	ref_list(b, "uco-action:result", results, n_results, 1);
	tl_buf_adds(b, "    }");
}


static int read_manifest(const char *path, struct tl_buf *b, struct tl_err *err)
{
	return tl_read_file(path, 1u << 30, b, err);
}

/* The files of manifest array NAME ("evidence" or "outputs"); PREFIX makes
 * paths relative to the case. Sizes of outputs come from the files (the
 * manifest does not record them), read just after the manifest was written. */
static int collect(const struct tl_case *c, const struct tl_json *m, const char *name, const char *prefix,
		   struct ufile **out, size_t *n, struct tl_err *err)
{
	const struct tl_json *a = tl_json_get(m, name);
	*out = NULL;
	*n = 0;
	if (!a || a->type != TL_JSON_ARRAY)
		return tl_errf(err, "manifest.json: no \"%s\" list", name);
	if (!a->n)
		return 0;
	struct ufile *v = calloc(a->n, sizeof(*v));
	if (!v)
		return tl_errf(err, "out of memory");
	*out = v;
	for (size_t i = 0; i < a->n; i++) {
		const struct tl_json *p = tl_json_get(a->kids[i], "path"), *h = tl_json_get(a->kids[i], "sha256"),
				     *s = tl_json_get(a->kids[i], "size");
		if (!p || p->type != TL_JSON_STRING || strlen(p->str) != p->len || !p->len || !is_hex64(h))
			return tl_errf(err, "manifest.json: %s[%zu] needs a path and a sha256", name, i);
		struct ufile *f = &v[(*n)++];
		size_t pl = strlen(prefix);
		if (!(f->rel_owned = malloc(pl + p->len + 1)))
			return tl_errf(err, "out of memory");
		memcpy(f->rel_owned, prefix, pl);
		memcpy(f->rel_owned + pl, p->str, p->len + 1);
		f->rel = f->rel_owned;
		f->sha = h->str;
		if (is_count(s)) {
			f->size = s->str;
		} else if (!s) {
			char full[8300];
			struct stat st;
			snprintf(full, sizeof(full), "%s/%s", c->root, f->rel);
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
				snprintf(f->size_buf, sizeof(f->size_buf), "%lld", (long long)st.st_size);
				f->size = f->size_buf;
			}
		}
		file_key(f);
	}
	return 0;
}

static void ufiles_free(struct ufile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].rel_owned);
	free(v);
}

static const char *num_text(const struct tl_json *o, const char *key)
{
	const struct tl_json *j = tl_json_get(o, key);
	return is_count(j) ? j->str : "?";
}

static const char *str_or(const struct tl_json *o, const char *key, const char *dflt)
{
	const struct tl_json *j = tl_json_get(o, key);
	return j && j->type == TL_JSON_STRING && strlen(j->str) == j->len ? j->str : dflt;
}

int tl_uco_write(const struct tl_case *c, const char *manifest_json_path, const char *out_path, struct tl_err *err)
{
	struct tl_buf text = TL_BUF_INIT, b = TL_BUF_INIT, d = TL_BUF_INIT;
	struct tl_json *m = NULL;
	struct ufile *ev = NULL, *outs = NULL;
	size_t nev = 0, nout = 0;
	char **ids = NULL;
	int rc = -1;
	if (read_manifest(manifest_json_path, &text, err) ||
	    !(m = tl_json_parse("manifest.json", text.data ? text.data : "", text.len, err)))
		goto out;
	const struct tl_json *tool = tl_json_get(m, "tool"), *dig = tl_json_get(m, "events_digest");
	const struct tl_json *digest = tl_json_get(dig, "sha256");
	if (!is_hex64(digest)) {
		tl_errf(err, "manifest.json: no events_digest");
		goto out;
	}
	if (collect(c, m, "evidence", "", &ev, &nev, err) || collect(c, m, "outputs", "out/", &outs, &nout, err))
		goto out;
	struct ufile self = { .rel = "out/manifest.json" };
	char self_sha[65];
	tl_sha256_hex(text.data ? text.data : "", text.len, self_sha);
	self.sha = self_sha;
	snprintf(self.size_buf, sizeof(self.size_buf), "%zu", text.len);
	self.size = self.size_buf;
	file_key(&self);

	/* ids of every node, for the reference lists: evidence, outputs, the rest */
	ids = calloc(nev + nout + 1, sizeof(*ids));
	if (!ids) {
		tl_errf(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nev + nout; i++) {
		const struct ufile *f = i < nev ? &ev[i] : &outs[i - nev];
		if (!(ids[i] = malloc(8 + 64 + 1))) {
			tl_errf(err, "out of memory");
			goto out;
		}
		snprintf(ids[i], 8 + 64 + 1, "kb:file-%s", f->id);
	}
	const char *version = str_or(tool, "version", "unknown"), *build = str_or(tool, "build", "unknown");
	char tool_id[128], events_id[128], prov_id[128], self_id[128], key[65];
	tl_buf_addf(&d, "tl%c%s%c%s", 0, version, 0, build);
	tl_sha256_hex(d.data, d.len, key);
	snprintf(tool_id, sizeof(tool_id), "kb:tool-%s", key);
	snprintf(events_id, sizeof(events_id), "kb:events-%s", digest->str);
	snprintf(self_id, sizeof(self_id), "kb:file-%s", self.id);
	/* the record is named by what it groups, so the same evidence gives the same record */
	tl_buf_reset(&d);
	for (size_t i = 0; i < nev; i++)
		tl_buf_adds(&d, ev[i].id);
	tl_sha256_hex(d.data ? d.data : "", d.len, key);
	snprintf(prov_id, sizeof(prov_id), "kb:provenance-record-%s", key);

	tl_buf_adds(&b, context);
	tl_buf_addf(&b, "\n    {\n      \"@id\": \"%s\",\n      \"@type\": \"uco-tool:Tool\",\n"
			"      \"uco-core:name\": \"tl\",\n      \"uco-core:description\": ",
		    tool_id);
	tl_buf_reset(&d);
	tl_buf_addf(&d, "tl, forensic timeline builder, build %s (the build that wrote this manifest)", build);
	jstr(&b, d.data);
	tl_buf_adds(&b, ",\n      \"uco-tool:toolType\": \"Analysis\",\n      \"uco-tool:version\": ");
	jstr(&b, version);
	tl_buf_adds(&b, "\n    }");

	const struct tl_json *evj = tl_json_get(m, "evidence");
	for (size_t i = 0; i < nev; i++) {
		const struct tl_json *e = evj->kids[i];
		tl_buf_reset(&d);
		tl_buf_addf(&d, "evidence; format %s, status %s: %s records, %s events, %s rejects",
			    str_or(e, "format", "none"), str_or(e, "status", "?"), num_text(e, "records"),
			    num_text(e, "events"), num_text(e, "rejects"));
		file_node(&b, &ev[i], d.data);
	}
	if (nev) {
		tl_buf_addf(&b, ",\n    {\n      \"@id\": \"%s\",\n      \"@type\": \"case-investigation:ProvenanceRecord\",\n"
				"      \"uco-core:description\": \"the evidence files of the case, as tl ingest recorded them "
				"(%zu files)\",\n",
			    prov_id, nev);
		ref_list(&b, "uco-core:object", (const char *const *)ids, nev, 1);
		tl_buf_adds(&b, "    }");
	}

	tl_buf_addf(&b, ",\n    {\n      \"@id\": \"%s\",\n      \"@type\": \"uco-observable:ObservableObject\",\n"
			"      \"uco-core:name\": \"events digest\",\n      \"uco-core:description\": ",
		    events_id);
	tl_buf_reset(&d);
	tl_buf_addf(&d, "the %s events of the case database, as the SHA-256 of their unfiltered timeline JSONL "
			"(tl docs/timeline-jsonl.md)",
		    num_text(dig, "events"));
	jstr(&b, d.data);
	tl_buf_addf(&b, ",\n      \"uco-core:hasFacet\": [\n        {\n          \"@id\": \"kb:content-facet-events-%s\",\n"
			"          \"@type\": \"uco-observable:ContentDataFacet\",\n",
		    digest->str);
	char hid[80];
	snprintf(hid, sizeof(hid), "events-%s", digest->str);
	hash_list(&b, hid, digest->str, "          ");
	tl_buf_adds(&b, "        }\n      ]\n    }");

	if (nev) {
		/* which ingest runs and builds did it is in custody.jsonl, so no instrument here */
		const char *result[] = { events_id };
		char aid[128];
		snprintf(aid, sizeof(aid), "kb:action-ingest-%s", digest->str);
		/* objects: the evidence files, then the record grouping them */
		const char **obj = malloc((nev + 1) * sizeof(*obj));
		if (!obj) {
			tl_errf(err, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < nev; i++)
			obj[i] = ids[i];
		obj[nev] = prov_id;
		action_node(&b, aid, "tl ingest",
			    "evidence files parsed into the case database; custody.jsonl records each run with its "
			    "command line and tool build",
			    NULL, obj, nev + 1, result, 1);
		free(obj);
	}

	const struct tl_json *outj = tl_json_get(m, "outputs");
	for (size_t i = 0; i < nout; i++) {
		const struct tl_json *ce = tl_json_get(outj->kids[i], "custody_entry");
		int known = is_count(ce);
		tl_buf_reset(&d);
		if (known)
			tl_buf_addf(&d, "output written by custody.jsonl entry %s", ce->str);
		else
			tl_buf_adds(&d, "file in out/ that no tl command in custody.jsonl wrote");
		file_node(&b, &outs[i], d.data);
		if (!known)
			continue;
		char aid[128];
		const char *obj[] = { events_id }, *res[] = { ids[nev + i] };
		snprintf(aid, sizeof(aid), "kb:action-output-%s", outs[i].id);
		tl_buf_reset(&d);
		tl_buf_addf(&d, "custody.jsonl entry %s (its command line and tool build are recorded there) wrote ",
			    ce->str);
		tl_buf_adds(&d, outs[i].rel);
		tl_buf_adds(&d, " from the case database");
		char name[64];
		snprintf(name, sizeof(name), "tl custody entry %s", ce->str);
		action_node(&b, aid, name, d.data, NULL, obj, 1, res, 1);
	}

	file_node(&b, &self, "the tl evidence manifest this graph was made from");
	{
		const char **obj = malloc((nev + nout + 1) * sizeof(*obj));
		const char *res[] = { self_id };
		char aid[128];
		if (!obj) {
			tl_errf(err, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < nev + nout; i++)
			obj[i] = ids[i];
		obj[nev + nout] = events_id;
		snprintf(aid, sizeof(aid), "kb:action-manifest-%s", self.id);
		action_node(&b, aid, "tl manifest",
			    "evidence files, events digest and outputs hashed into out/manifest.json and out/SHA256SUMS",
			    tool_id, obj, nev + nout + 1, res, 1);
		free(obj);
	}
	tl_buf_adds(&b, "\n  ]\n}\n");
	if (!b.data || !d.data) {
		tl_errf(err, "out of memory");
		goto out;
	}
	rc = tl_write_atomic(out_path, b.data, b.len, err);
out:
	if (ids)
		for (size_t i = 0; i < nev + nout; i++)
			free(ids[i]);
	free(ids);
	ufiles_free(ev, nev);
	ufiles_free(outs, nout);
	tl_json_free(m);
	tl_buf_release(&text);
	tl_buf_release(&b);
	tl_buf_release(&d);
	return rc;
}
