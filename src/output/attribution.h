/*
 * Private to src/output: how an event's attribution (schema v6,
 * docs/correlation.md#bindings-and-attribution) is written in each timeline
 * format. Kept apart from output.c so that the formats there stay readable.
 */
#ifndef TL_OUTPUT_ATTRIBUTION_H
#define TL_OUTPUT_ATTRIBUTION_H

#include "tl/store.h"
#include "tl/util.h"

/* Non-zero when R is attributed to a user or a host. */
int tl_attr_any(const struct tl_event_row *r);
/* JSONL: ,"attributed_user":..,"attributed_host":..,"attribution":{..} for
 * what R has (nothing when it has none). */
void tl_attr_jsonl(struct tl_buf *b, const struct tl_event_row *r);
/* The "attribution" object alone (CSV's attribution column); nothing when none. */
void tl_attr_object(struct tl_buf *b, const struct tl_event_row *r);
/* Text: the detail column's note, e.g. "  ~user alice: vpn 10.8.0.6 #10
 * evidence/vpn/openvpn.log:2", escaped for a terminal. */
void tl_attr_text(struct tl_buf *b, const struct tl_event_row *r);

#endif
