/*
 * The evidence manifest as CASE/UCO JSON-LD (CASE 1.x, UCO 1.x), for
 * exchange with other forensic tools: `tl manifest --output case-uco` writes
 * CASE/out/manifest.case-uco.jsonld from CASE/out/manifest.json.
 *
 * The graph holds a uco-tool:Tool for tl; a uco-observable:File (FileFacet,
 * ContentDataFacet with its SHA256 uco-types:Hash) per evidence file, per
 * output and for manifest.json itself; a case-investigation:ProvenanceRecord
 * grouping the evidence; the events digest as an ObservableObject; and
 * case-investigation:InvestigativeActions for the ingest (evidence -> events),
 * for each output a tl command wrote (its custody entry in the description)
 * and for the manifest. See docs/commands/manifest.md.
 *
 * Deterministic like the manifest: node IRIs are derived from paths and
 * hashes, never from the clock or random UUIDs, and no times are written
 * (the manifest records none), so the same manifest gives the same bytes.
 */
#ifndef TL_UCO_H
#define TL_UCO_H

#include "tl/case.h"
#include "tl/util.h"

/* Read MANIFEST_JSON_PATH (a tl manifest of case C) and write OUT_PATH
 * (replaced atomically). 0 or -1. */
int tl_uco_write(const struct tl_case *c, const char *manifest_json_path, const char *out_path, struct tl_err *err);

#endif
