/*
 * tl chain's outputs (docs/commands/chain.md): the chains of a struct
 * tl_chain_set (include/tl/chain.h) as
 *   text   a factual narrative per chain, one step per line, each naming its
 *          evidence (path:line) and, from the second step on, why it follows;
 *   jsonl  one object per step: chain, step, ts, summary, link, reason,
 *          every incoming link, and the evidence {path, line, offset, length,
 *          sha256} to check it against the raw log;
 *   md     a Markdown section per chain with a table a reader without tl can
 *          follow.
 * Evidence text is escaped for each sink (terminal, JSON, Markdown). Output
 * follows the set's order, which is total, so it is byte-identical across
 * runs.
 */
#ifndef TL_CHAIN_OUT_H
#define TL_CHAIN_OUT_H

#include <stdio.h>

#include "tl/chain.h"
#include "tl/util.h"

enum tl_chain_format { TL_CHAIN_TEXT, TL_CHAIN_JSONL, TL_CHAIN_MD };

/* Write CS to OUT in FMT: 0, or -1 with ERR filled when writing failed. */
int tl_chain_write(const struct tl_chain_set *cs, enum tl_chain_format fmt, FILE *out, struct tl_err *err);

#endif
