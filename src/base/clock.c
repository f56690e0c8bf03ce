/* The monotonic clock, for progress display only (include/tl/util.h, "clock"). */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <time.h>
#include "tl/banned.h"

double tl_now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
