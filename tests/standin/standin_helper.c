/* See standin_helper.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "standin_helper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef STANDIN_DEFAULT_SCRIPT
#define STANDIN_DEFAULT_SCRIPT "tests/standin/standin.py"
#endif

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define IO_TIMEOUT_S 10

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int script_path(char *out, size_t cap)
{
    const char *s = getenv("JAN_STANDIN_SCRIPT");
    int n;
    if (s != NULL && *s != '\0')
        n = snprintf(out, cap, "%s", s);
    else if ((s = getenv("JAN_SOURCE_DIR")) != NULL && *s != '\0')
        n = snprintf(out, cap, "%s/tests/standin/standin.py", s);
    else
        n = snprintf(out, cap, "%s", STANDIN_DEFAULT_SCRIPT);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static void free_argv(char **argv)
{
    if (argv == NULL)
        return;
    for (char **p = argv; *p != NULL; p++)
        free(*p);
    free(argv);
}

static char **build_argv(const char *python, const char *script, const char *port_file,
                         const char *const *args)
{
    static const char *const fixed[] = {"--port", "0", "--max-lifetime", "3600", "--port-file"};
    size_t nextra = 0;
    while (args != NULL && args[nextra] != NULL)
        nextra++;
    size_t n = 2 + sizeof fixed / sizeof fixed[0] + 1 + nextra + 1;
    char **argv = calloc(n, sizeof *argv);
    if (argv == NULL)
        return NULL;
    size_t i = 0;
    argv[i++] = strdup(python);
    argv[i++] = strdup(script);
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        argv[i++] = strdup(fixed[k]);
    argv[i++] = strdup(port_file);
    for (size_t k = 0; k < nextra; k++)
        argv[i++] = strdup(args[k]);
    argv[i] = NULL;
    for (size_t k = 0; k < i; k++) {
        if (argv[k] == NULL) {
            free_argv(argv);
            return NULL;
        }
    }
    return argv;
}

static void remove_dir(struct standin *s)
{
    char path[320];
    if (s->dir[0] == '\0')
        return;
    snprintf(path, sizeof path, "%s/port", s->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/port.tmp", s->dir);
    unlink(path);
    rmdir(s->dir);
    s->dir[0] = '\0';
}

static int read_port(const char *path)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end = NULL;
    long port = strtol(buf, &end, 10);
    if (end == buf || port <= 0 || port > 65535)
        return -1;
    return (int)port;
}

int standin_start(struct standin *s, const char *const *args)
{
    char script[1024], port_file[300];
    const char *python = getenv("JAN_PYTHON");
    const char *tmp = getenv("TMPDIR");

    memset(s, 0, sizeof *s);
    if (python == NULL || *python == '\0')
        python = "/usr/bin/python3";
    if (script_path(script, sizeof script) < 0) {
        fprintf(stderr, "standin: script path too long\n");
        return -1;
    }
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 200)
        tmp = "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/standin.XXXXXX", tmp);
    if (mkdtemp(s->dir) == NULL) {
        fprintf(stderr, "standin: mkdtemp: %s\n", strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    snprintf(port_file, sizeof port_file, "%s/port", s->dir);
    char **argv = build_argv(python, script, port_file, args);
    if (argv == NULL) {
        remove_dir(s);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "standin: fork: %s\n", strerror(errno));
        free_argv(argv);
        remove_dir(s);
        return -1;
    }
    if (pid == 0) {
        /* The stand-in must not outlive the test that started it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            if (devnull != STDIN_FILENO)
                close(devnull);
        }
        if (close_range(3, ~0U, 0) != 0) {
            long maxfd = sysconf(_SC_OPEN_MAX);
            for (long fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 1024); fd++)
                close((int)fd);
        }
        execv(argv[0], argv);
        fprintf(stderr, "standin: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free_argv(argv);
    s->pid = pid;

    long deadline = now_ms() + START_TIMEOUT_MS;
    char buf[512];
    while (now_ms() < deadline) {
        int wst;
        if (waitpid(pid, &wst, WNOHANG) == pid) {
            fprintf(stderr, "standin: exited during start-up (status %d)\n", wst);
            s->pid = 0;
            remove_dir(s);
            return -1;
        }
        int port = read_port(port_file);
        if (port > 0 && standin_get(port, "/__standin/health", buf, sizeof buf) == 200) {
            s->port = port;
            return port;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "standin: did not answer within %d ms\n", START_TIMEOUT_MS);
    standin_stop(s);
    return -1;
}

int standin_stop(struct standin *s)
{
    int wst = 0;
    if (s->pid <= 0) {
        remove_dir(s);
        return -1;
    }
    kill(s->pid, SIGTERM);
    long deadline = now_ms() + STOP_TIMEOUT_MS;
    for (;;) {
        pid_t r = waitpid(s->pid, &wst, WNOHANG);
        if (r == s->pid || (r < 0 && errno != EINTR))
            break;
        if (now_ms() >= deadline) {
            kill(s->pid, SIGKILL);
            while (waitpid(s->pid, &wst, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        sleep_ms(10);
    }
    s->pid = 0;
    s->port = 0;
    remove_dir(s);
    if (WIFEXITED(wst))
        return WEXITSTATUS(wst);
    return 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

long standin_request(int port, const char *method, const char *path, const char *body, char *out, size_t cap,
                     int *status)
{
    struct sockaddr_in sa;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    char head[1024];
    size_t blen = body != NULL ? strlen(body) : 0;
    char *resp = NULL;
    size_t rlen = 0, rcap = 0;
    long result = -1;

    if (status != NULL)
        *status = 0;
    if (out != NULL && cap > 0)
        out[0] = '\0';
    if (port <= 0 || port > 65535)
        return -1;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, path, port, blen);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto done;
    if (send_all(fd, head, (size_t)n) != 0 || (blen > 0 && send_all(fd, body, blen) != 0))
        goto done;
    for (;;) {
        if (rcap - rlen < 4096) {
            size_t ncap = rcap == 0 ? 16384 : rcap * 2;
            if (ncap > (size_t)256 * 1024 * 1024)
                goto done;
            char *nr = realloc(resp, ncap);
            if (nr == NULL)
                goto done;
            resp = nr;
            rcap = ncap;
        }
        ssize_t r = recv(fd, resp + rlen, rcap - rlen - 1, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto done;
        }
        if (r == 0)
            break;
        rlen += (size_t)r;
    }
    resp[rlen] = '\0';
    char *sep = strstr(resp, "\r\n\r\n");
    int code = 0;
    if (sep == NULL || sscanf(resp, "HTTP/%*d.%*d %d", &code) != 1)
        goto done;
    if (status != NULL)
        *status = code;
    const char *b = sep + 4;
    size_t have = rlen - (size_t)(b - resp);
    if (out != NULL && cap > 0) {
        size_t k = have < cap - 1 ? have : cap - 1;
        memcpy(out, b, k);
        out[k] = '\0';
        result = (long)k;
    } else {
        result = 0;
    }
done:
    free(resp);
    close(fd);
    return result;
}

int standin_get(int port, const char *path, char *out, size_t cap)
{
    int status = 0;
    if (standin_request(port, "GET", path, NULL, out, cap, &status) < 0)
        return -1;
    return status;
}

int standin_post(int port, const char *path, const char *json, char *out, size_t cap)
{
    int status = 0;
    if (standin_request(port, "POST", path, json, out, cap, &status) < 0)
        return -1;
    return status;
}
