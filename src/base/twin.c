/*
 * The two-buffer hand-over of include/tl/twin.h. One mutex and one
 * condition serve both sides: each waits only at a buffer boundary (4096
 * records or rows), so the lock is taken a few times per batch, never per
 * record.
 */
#define _GNU_SOURCE /* pthread_setname_np: the thread shows under its own name in perf and top */
#include <pthread.h>

#include "tl/twin.h"
#include "tl/banned.h"

int tl_twin_stopped(struct tl_twin *t)
{
	return __atomic_load_n(&t->stop, __ATOMIC_RELAXED);
}

static void *run(void *arg)
{
	struct tl_twin *t = arg;
	pthread_setname_np(pthread_self(), t->name);
	for (int i = 0;; i ^= 1) {
		pthread_mutex_lock(&t->mu);
		while (t->full[i] && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		pthread_mutex_unlock(&t->mu);
		if (tl_twin_stopped(t))
			break;
		int last = t->fill(t->ctx, i);
		pthread_mutex_lock(&t->mu);
		t->full[i] = 1;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		if (last)
			break;
	}
	return NULL;
}

int tl_twin_start(struct tl_twin *t, const char *name, int (*fill)(void *ctx, int i), void *ctx)
{
	t->full[0] = t->full[1] = 0;
	t->stop = 0;
	t->cur = -1;
	t->fill = fill;
	t->ctx = ctx;
	t->name = name;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, run, t) == 0)
		return 0;
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	return -1;
}

int tl_twin_next(struct tl_twin *t)
{
	int want = t->cur >= 0 ? t->cur ^ 1 : 0;
	pthread_mutex_lock(&t->mu);
	if (t->cur >= 0) {
		/* read to its end: the filler may fill it again */
		t->full[t->cur] = 0;
		pthread_cond_broadcast(&t->cv);
	}
	while (!t->full[want])
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	return t->cur = want;
}

void tl_twin_stop(struct tl_twin *t)
{
	pthread_mutex_lock(&t->mu);
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}
