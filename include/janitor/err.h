/*
 * One error space for the whole program: 0 is success, every failure is a
 * negative JAN_E* code, and jan_strerror() names it.  Functions that can
 * fail return int; details that a user needs to act on (AWS code, message,
 * request id, file and line) travel in the module's own error structs.
 */
#ifndef JANITOR_ERR_H
#define JANITOR_ERR_H

#define JAN_OK          0
#define JAN_ENOMEM     -1   /* allocation failed */
#define JAN_EINVAL     -2   /* invalid argument or value */
#define JAN_ETOOBIG    -3   /* input larger than its cap */
#define JAN_EIO        -4   /* system call or file error (see errno) */
#define JAN_ENOENT     -5   /* no such item / not configured */
#define JAN_EPARSE     -6   /* malformed input */
#define JAN_ECREDS     -7   /* no usable credentials */
#define JAN_EHTTP      -8   /* transport error (connect, TLS, reset, ...) */
#define JAN_EAWS       -9   /* the service answered with an error */
#define JAN_ESCOPE    -10   /* a name outside the compiled-in scope */
#define JAN_ETIMEDOUT -11   /* timed out */
#define JAN_ECANCELED -12   /* canceled (shutdown) */
#define JAN_EDENIED   -13   /* access denied by the service */
#define JAN_EBUSY     -14   /* resource busy (lock held) */
#define JAN_ECONFIG   -15   /* configuration error */
#define JAN_EGUARD    -16   /* refused by a safety guard */

const char *jan_strerror(int err);

#if defined(__GNUC__)
#define JAN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define JAN_UNUSED __attribute__((unused))
#define JAN_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define JAN_PRINTF(fmt, args)
#define JAN_UNUSED
#define JAN_WARN_UNUSED
#endif

#define JAN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Fatal invariants (programming errors) abort with a message; bad input and
 * bad config never reach this: they are recoverable checks with an error.
 */
void jan_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));
#define JAN_REQUIRE(expr) \
  ((expr) ? (void)0 : jan_assert_fail(#expr, __FILE__, __LINE__))

#endif
