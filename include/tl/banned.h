/*
 * Functions tl code must not call (git's banned.h). Time conversion goes
 * through src/time.c only, so no result depends on the machine's TZ; the
 * string functions here have no bound and have caused real overflows.
 * Force-included into the core library by CMakeLists.txt.
 */
#ifndef TL_BANNED_H
#define TL_BANNED_H

#define TL_BANNED(func) sorry_##func##_is_banned_in_tl

#undef strcpy
#define strcpy(x, y) TL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) TL_BANNED(strcat)
#undef sprintf
#define sprintf(...) TL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) TL_BANNED(strtok)
#undef gmtime
#define gmtime(x) TL_BANNED(gmtime)
#undef localtime
#define localtime(x) TL_BANNED(localtime)
#undef localtime_r
#define localtime_r(x, y) TL_BANNED(localtime_r)
#undef mktime
#define mktime(x) TL_BANNED(mktime)
#undef atoi
#define atoi(x) TL_BANNED(atoi)

#endif
