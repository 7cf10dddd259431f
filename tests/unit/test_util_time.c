/* nb_api->util dates: AWS's forms of one instant (2026-12-07T04:38:45Z = 1796618325), written and
 * read back; the SigV4 documentation's X-Amz-Date example (20150830T123600Z). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "util/util_api.h"

static const nb_util_api_t *u = &nb__util_api;
static const double T = 1796618325.0;

static const char *fmt(double t, nb_time_form_t form) {
    static char buf[NB_TIME_SIZE];
    ssize_t n = u->time_format(t, form, buf, sizeof buf);
    cr_assert_eq(n, (ssize_t)strlen(buf));
    return buf;
}

Test(util_time, each_form_of_one_instant) {
    cr_assert_str_eq(fmt(T, NB_TIME_ISO8601), "2026-12-07T04:38:45Z");
    cr_assert_str_eq(fmt(T, NB_TIME_ISO8601_MS), "2026-12-07T04:38:45.000Z");
    cr_assert_str_eq(fmt(T, NB_TIME_ISO8601_SECONDS), "2026-12-07T04:38:45Z");
    cr_assert_str_eq(fmt(T, NB_TIME_ISO8601_BASIC), "20261207T043845Z");
    cr_assert_str_eq(fmt(T, NB_TIME_RFC1123), "Mon, 07 Dec 2026 04:38:45 GMT");
    cr_assert_str_eq(fmt(T, NB_TIME_EPOCH), "1796618325");
}

Test(util_time, fractions_kept_or_floored_by_form) {
    double t = T + 0.25;
    cr_assert_str_eq(fmt(t, NB_TIME_ISO8601), "2026-12-07T04:38:45.250Z");
    cr_assert_str_eq(fmt(t, NB_TIME_ISO8601_MS), "2026-12-07T04:38:45.250Z");
    cr_assert_str_eq(fmt(t, NB_TIME_EPOCH), "1796618325.25");
    /* the forms of whole seconds give the second the instant falls in, never the next */
    t = T + 0.9996;
    cr_assert_str_eq(fmt(t, NB_TIME_ISO8601_SECONDS), "2026-12-07T04:38:45Z");
    cr_assert_str_eq(fmt(t, NB_TIME_ISO8601_BASIC), "20261207T043845Z");
    cr_assert_str_eq(fmt(t, NB_TIME_RFC1123), "Mon, 07 Dec 2026 04:38:45 GMT");
    cr_assert_str_eq(fmt(t, NB_TIME_ISO8601_MS), "2026-12-07T04:38:46.000Z", "milliseconds round");
}

Test(util_time, every_form_parses_back) {
    static const char *const texts[] = {"2026-12-07T04:38:45Z",         "2026-12-07T04:38:45.000Z",
                                        "20261207T043845Z",             "Mon, 07 Dec 2026 04:38:45 GMT",
                                        "07 Dec 2026 04:38:45 GMT",     "1796618325",
                                        "2026-12-07T06:38:45+02:00"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        double t = 0;
        cr_assert_eq(u->time_parse(texts[i], &t), 0, "%s", texts[i]);
        cr_assert_eq(t, T, "%s: %f", texts[i], t);
    }
    double t = 0;
    cr_assert_eq(u->time_parse("20150830T123600Z", &t), 0);
    cr_assert_eq(t, 1440938160.0);
    cr_assert_eq(u->time_parse("2026-12-07T04:38:45.123Z", &t), 0);
    cr_assert(fabs(t - (T + 0.123)) < 1e-6);
}

Test(util_time, malformed_dates_are_einval) {
    static const char *const bad[] = {"", "yesterday", "2026-13-07T04:38:45Z", "20261207T043845",
                                      "2026-12-07T25:00:00Z", "Mon, 07 Foo 2026 04:38:45 GMT", "20261207T0438Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double t = -1;
        cr_assert_eq(u->time_parse(bad[i], &t), NB_EINVAL, "%s", bad[i]);
    }
}

Test(util_time, small_buffers_and_service_forms) {
    char buf[NB_TIME_SIZE];
    cr_assert_eq(u->time_format(T, NB_TIME_ISO8601, buf, 20), NB_ELIMIT, "20 characters and a NUL");
    cr_assert_eq(u->time_format(T, NB_TIME_ISO8601, buf, 21), 20);
    cr_assert_eq(u->time_strftime(T + 0.9, "[%d/%b/%Y:%H:%M:%S +0000]", buf, sizeof buf), 28);
    cr_assert_str_eq(buf, "[07/Dec/2026:04:38:45 +0000]");
    cr_assert_eq(u->time_strftime(T, "%Y-%m-%d-%H-%M-%S", buf, 10), NB_ELIMIT);
}
