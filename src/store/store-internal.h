/*
 * Shared by the files of src/store only: the SQLite handle behind a store.
 * Nothing outside src/store may include this (tests/arch checks it); the rest
 * of tl reads through the iterators of include/tl/store.h.
 */
#ifndef TL_STORE_INTERNAL_H
#define TL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "tl/store.h"

sqlite3 *tl_store_handle(struct tl_store *s);

#endif
