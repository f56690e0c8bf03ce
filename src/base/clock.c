/* The monotonic clock and the process CPU clock, for progress and timings
 * display only (include/tl/util.h, "clock"). */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <sys/resource.h>
#include <time.h>
#include "tl/banned.h"

double tl_now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double tl_now_cpu(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}
