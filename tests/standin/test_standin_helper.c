/* The C helper: start the stand-in on a free port, use the control API,
 * stop it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "standin_helper.h"

static void test_start_query_stop(void **unused)
{
    (void)unused;
    struct standin s;
    char buf[65536];
    const char *args[] = {"--latency-ms", "0", NULL};

    int port = standin_start(&s, args);
    assert_true(port > 0);
    assert_int_equal(s.port, port);

    assert_int_equal(standin_get(port, "/__standin/health", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "\"ok\":true"));
    assert_int_equal(standin_get(port, "/__standin/state", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "\"account_id\":\"123456789012\""));

    assert_int_equal(standin_post(port, "/__standin/faults",
                                  "{\"faults\":[{\"kind\":\"throttle\",\"service\":\"lambda\",\"count\":2}]}",
                                  buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "\"kind\":\"throttle\""));
    assert_int_equal(standin_post(port, "/__standin/faults", "{\"faults\":[{\"kind\":\"nope\"}]}", buf, sizeof buf),
                     400);
    assert_int_equal(standin_get(port, "/__standin/no-such-thing", buf, sizeof buf), 404);

    /* A small buffer truncates the body but keeps it terminated. */
    char tiny[8];
    int status = 0;
    long n = standin_request(port, "GET", "/__standin/health", NULL, tiny, sizeof tiny, &status);
    assert_int_equal(status, 200);
    assert_int_equal(n, 7);
    assert_int_equal(tiny[7], '\0');

    assert_int_equal(standin_stop(&s), 0);
    assert_int_equal(s.pid, 0);
    assert_true(standin_get(port, "/__standin/health", buf, sizeof buf) < 0);
}

static void test_bad_arguments_fail_fast(void **unused)
{
    (void)unused;
    struct standin s;
    const char *args[] = {"--fixture", "/nonexistent/fixture.json", NULL};
    assert_int_equal(standin_start(&s, args), -1);
    assert_int_equal(s.pid, 0);
    assert_int_equal(standin_stop(&s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_query_stop),
        cmocka_unit_test(test_bad_arguments_fail_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
