/*
 * Two buffers handed between one filling thread and one reading thread
 * (src/base/twin.c): the filler fills buffer 0, then 1, then 0 again once
 * the reader has read it to its end, and so on; the reader takes them in
 * the same order. What a buffer holds is the caller's: twin only says whose
 * turn it is. Used by the records read ahead of the parser
 * (src/parse/reader-ahead.c) and the rows read ahead of correlation
 * (src/store/read-ahead.c).
 *
 * FILL(CTX, I) runs in the twin's thread, fills buffer I and returns 1 when
 * it was the last (the source's end or error is after it). It may check
 * tl_twin_stopped() to give up early. tl_twin_stop() may be called at any
 * time, also before the end: it stops and joins the thread.
 */
#ifndef TL_TWIN_H
#define TL_TWIN_H

#include <pthread.h>

struct tl_twin {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int full[2]; /* buffer i is filled and not yet read to its end */
	int stop;    /* the reader is done */
	int cur;     /* the reader's: the buffer it reads, -1 before the first */
	int (*fill)(void *ctx, int i);
	void *ctx;
	const char *name;
};

/* Starts the filling thread, named NAME (at most 15 bytes); 0, or -1 when
 * no thread could be started (nothing to stop then). */
int tl_twin_start(struct tl_twin *t, const char *name, int (*fill)(void *ctx, int i), void *ctx);

/* The reader: the buffer it read to its end (if any) goes back to the
 * filler; waits for the next one and returns its index (also in t->cur). */
int tl_twin_next(struct tl_twin *t);

/* Whether tl_twin_stop() was called (for FILL). */
int tl_twin_stopped(struct tl_twin *t);

void tl_twin_stop(struct tl_twin *t);

#endif
