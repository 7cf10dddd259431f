/* The time stamp of the request logs' lines (the text log and NIMBUS_REQUEST_LOG's JSON). */
#include "gateway/request.h"

#include <time.h>

const char *nb__log_time(long *ms) {
    static char stamp[32];
    static time_t stamp_second = -1; /* the formatted second, reused by every line within it */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (now.tv_sec != stamp_second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_second = now.tv_sec;
    }
    *ms = now.tv_nsec / 1000000;
    return stamp;
}
