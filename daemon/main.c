/*
 * remotion-janitor: command line (remotion-janitor(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "janitor/caps.h"
#include "janitor/audit.h"
#include "janitor/config.h"
#include "janitor/state.h"
#include "janitor/log.h"
#include "janitor/untrusted.h"
#include "accounts.h"
#include "accounts_output.h"
#include "output.h"
#include "run.h"
#include "runtime.h"
#include "service.h"
#include "sweep.h"
#include "validate.h"

enum cli_mode { MODE_DAEMON = 0, MODE_SWEEP, MODE_STATUS, MODE_VALIDATE,
                MODE_CHECK_CONFIG };

struct cli {
  enum cli_mode mode;
  int mode_set;
  const char *config;           /* NULL: the default path, if it exists */
  int del, dry_run, yes, json, verbose, quiet, candidates;
  const char *regions[JAN_MAX_REGIONS];
  size_t nregions;
  const char *profile;
  const char *socket;
  const char *accounts[JAN_MAX_ACCOUNTS]; /* --account: only these */
  size_t naccounts;
  char err[512];                /* why parse_args() refused */
};

/*
 * An error that ends the command: "remotion-janitor: MESSAGE" on stderr,
 * and with --json also {"error": MESSAGE, "exit_code": CODE} on stdout, so
 * that a script reading stdout always gets one JSON document.  Returns
 * code.
 */
static int fail_json(const struct cli *c, int code, const char *msg)
{
  if(c->json)
    output_error_json(stdout, msg, code);
  return code;
}

static int fail(const struct cli *c, int code, const char *fmt, ...)
    JAN_PRINTF(3, 4);
static int fail(const struct cli *c, int code, const char *fmt, ...)
{
  char msg[8192];
  size_t n;
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  n = strlen(msg);
  while(n && msg[n - 1] == '\n')
    msg[--n] = '\0';
  untrusted_fprintf(stderr, "remotion-janitor: %s\n", msg);
  return fail_json(c, code, msg);
}

/* parse_args() keeps its refusal for main() to report through fail(). */
static int refuse(struct cli *c, const char *fmt, ...) JAN_PRINTF(2, 3);
static int refuse(struct cli *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof(c->err), fmt, ap);
  va_end(ap);
  return EXIT_USAGE;
}

static void usage(FILE *f)
{
  fputs(
"usage: remotion-janitor [-c FILE]                  run the daemon in the foreground\n"
"       remotion-janitor --sweep [--delete|--dry-run] [--yes] [--json]\n"
"                        [--candidates]\n"
"       remotion-janitor --status [--json]          ask the running daemon\n"
"       remotion-janitor --validate [--json]        check the IAM permissions\n"
"       remotion-janitor --check-config [-c FILE]   report every config error\n"
"\n"
"options:\n"
"  -c, --config FILE   config file (default " JAN_DEFAULT_CONFIG ")\n"
"      --region R      sweep region R (repeatable; overrides [aws] regions)\n"
"      --account NAME  sweep only [account NAME] (repeatable)\n"
"      --profile NAME  AWS shared-config profile\n"
"      --socket PATH   status socket path\n"
"      --delete        delete what the policy allows (with --sweep)\n"
"      --dry-run       report only, whatever the config says\n"
"      --yes           do not ask for the account id before deleting\n"
"      --json          machine-readable output (also for errors)\n"
"      --candidates    the table shows only what would be deleted\n"
"  -v, --verbose       more logging (repeat for debug)\n"
"  -q, --quiet         only errors\n"
"      --version       print the version\n"
"      --help          this text\n"
"\n"
"exit codes: 0 fine; 1 incomplete or a deletion failed; 2 usage or config\n"
"error; 3 no usable credentials or wrong account; 4 refused by a guard.\n",
        f);
}

static int set_mode(struct cli *c, enum cli_mode m)
{
  if(c->mode_set && c->mode != m)
    return refuse(c, "--sweep, --status, --validate and --check-config "
                  "exclude each other");
  c->mode = m;
  c->mode_set = 1;
  return 0;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
  enum { O_SWEEP = 256, O_STATUS, O_VALIDATE, O_CHECK, O_DELETE, O_DRY,
         O_YES, O_JSON, O_CANDIDATES, O_REGION, O_ACCOUNT, O_PROFILE, O_SOCKET, O_VERSION, O_HELP };
  static const struct option opts[] = {
    { "config", required_argument, NULL, 'c' },
    { "sweep", no_argument, NULL, O_SWEEP },
    { "status", no_argument, NULL, O_STATUS },
    { "validate", no_argument, NULL, O_VALIDATE },
    { "check-config", no_argument, NULL, O_CHECK },
    { "delete", no_argument, NULL, O_DELETE },
    { "dry-run", no_argument, NULL, O_DRY },
    { "yes", no_argument, NULL, O_YES },
    { "json", no_argument, NULL, O_JSON },
    { "candidates", no_argument, NULL, O_CANDIDATES },
    { "region", required_argument, NULL, O_REGION },
    { "account", required_argument, NULL, O_ACCOUNT },
    { "profile", required_argument, NULL, O_PROFILE },
    { "socket", required_argument, NULL, O_SOCKET },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "version", no_argument, NULL, O_VERSION },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 }
  };
  int ch;

  memset(c, 0, sizeof(*c));
  /* Known before getopt stops at a bad option, so that even a usage error
   * answers --json with JSON. */
  for(int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if(!strcmp(argv[i], "--json"))
      c->json = 1;
  while((ch = getopt_long(argc, argv, "c:vqh", opts, NULL)) != -1) {
    switch(ch) {
    case 'c': c->config = optarg; break;
    case O_SWEEP: if(set_mode(c, MODE_SWEEP)) return EXIT_USAGE; break;
    case O_STATUS: if(set_mode(c, MODE_STATUS)) return EXIT_USAGE; break;
    case O_VALIDATE: if(set_mode(c, MODE_VALIDATE)) return EXIT_USAGE; break;
    case O_CHECK:
      if(set_mode(c, MODE_CHECK_CONFIG))
        return EXIT_USAGE;
      break;
    case O_DELETE: c->del = 1; break;
    case O_DRY: c->dry_run = 1; break;
    case O_YES: c->yes = 1; break;
    case O_JSON: c->json = 1; break;
    case O_CANDIDATES: c->candidates = 1; break;
    case O_REGION:
      if(c->nregions == JAN_MAX_REGIONS)
        return refuse(c, "too many --region options");
      c->regions[c->nregions++] = optarg;
      break;
    case O_ACCOUNT:
      if(c->naccounts == JAN_MAX_ACCOUNTS)
        return refuse(c, "too many --account options");
      c->accounts[c->naccounts++] = optarg;
      break;
    case O_PROFILE: c->profile = optarg; break;
    case O_SOCKET: c->socket = optarg; break;
    case 'v': c->verbose++; break;
    case 'q': c->quiet = 1; break;
    case O_VERSION:
      printf("remotion-janitor %s\n", JAN_VERSION);
      exit(EXIT_OK);
    case 'h':
    case O_HELP:
      usage(stdout);
      exit(EXIT_OK);
    default:
      usage(stderr);
      return refuse(c, "unknown option or missing argument: %s",
                    argv[optind - 1]);
    }
  }
  if(optind < argc)
    return refuse(c, "unexpected argument '%s'", argv[optind]);
  if(c->del && c->dry_run)
    return refuse(c, "--delete and --dry-run exclude each other");
  if(c->json && c->mode != MODE_SWEEP && c->mode != MODE_STATUS &&
     c->mode != MODE_VALIDATE)
    return refuse(c, "--json goes with --sweep, --status or --validate");
  if((c->del || c->dry_run || c->yes || c->candidates || c->naccounts) &&
     c->mode != MODE_SWEEP && !(c->naccounts && c->mode == MODE_VALIDATE))
    return refuse(c, "--delete, --dry-run, --yes, --candidates and "
                  "--account go with --sweep");
  return EXIT_OK;
}

/* The service options that name the config and its overrides. */
static struct service_opts cli_service_opts(const struct cli *c)
{
  struct service_opts so = {
    .config = c->config, .regions = c->regions, .nregions = c->nregions,
    .profile = c->profile, .socket = c->socket,
    .check_paths = c->mode == MODE_CHECK_CONFIG
  };
  return so;
}

/*
 * The config: the -c file, else the default path when it exists, else the
 * built-in defaults; then the command line's overrides (one function for
 * the CLI and the daemon: service_load_config).  Every error is printed;
 * EXIT_USAGE on any.
 */
static int load_config(const struct cli *c, struct jan_config *cfg)
{
  struct service_opts so = cli_service_opts(c);
  struct jbuf errs;
  int rc;

  jbuf_init(&errs, JAN_REPORT_MAX);
  rc = service_load_config(&so, cfg, &errs);
  if(rc) {
    if(strncmp(jbuf_str(&errs), "--region", 8) == 0)
      fputs("remotion-janitor: ", stderr);
    fputs(jbuf_str(&errs), stderr);
    fail_json(c, EXIT_USAGE, jbuf_str(&errs));
  }
  jbuf_free(&errs);
  return rc ? EXIT_USAGE : EXIT_OK;
}

static int check_config(struct cli *c)
{
  struct jan_config cfg;
  int rc = load_config(c, &cfg);
  if(rc == EXIT_OK && !c->quiet)
    printf("%s: ok\n", c->config ? c->config : JAN_DEFAULT_CONFIG);
  config_free(&cfg);
  return rc;
}

static void cli_sweep_done(struct sweep *s, void *arg)
{
  (void)s;
  (void)arg;
}

/*
 * The typed confirmation: the candidates are shown, then the account id
 * must be typed back.  Without a terminal there is nobody to ask: refuse.
 */
static int cli_confirm(struct sweep *s, void *arg)
{
  const struct cli *c = arg;
  char line[64];
  size_t n = 0;
  FILE *tty;
  int64_t now;

  if(c->yes)
    return 1;
  if(!isatty(STDIN_FILENO)) {
    fprintf(stderr, "remotion-janitor: deleting needs a confirmation: run "
            "on a terminal, or add --yes\n");
    return 0;
  }
  now = (int64_t)time(NULL);
  fprintf(stderr, "These resources will be deleted in account %s:\n",
          s->inv.account);
  for(size_t i = 0; i < s->inv.n; i++) {
    const struct inv_item *it = &s->inv.items[i];
    char age[32], name[INV_DISPLAY_NAME_MAX];
    if(it->decision != INV_DELETE)
      continue;
    output_age(it->created < 0 ? -1 : now - it->created, age, sizeof(age));
    inv_display_name(it, name, sizeof(name));
    untrusted_fprintf(stderr, "  %-13s %-14s %s (%s old)\n",
                      inv_type_name(it->kind), it->region, name, age);
    n++;
  }
  fprintf(stderr, "Type the account ID to delete these %zu resources: ", n);
  fflush(stderr);
  tty = stdin;
  if(!fgets(line, sizeof(line), tty))
    return 0;
  line[strcspn(line, "\r\n")] = '\0';
  return strcmp(line, s->inv.account) == 0;
}

/* The width to fit the table to: the terminal's, else none. */
static size_t terminal_columns(int fd)
{
  struct winsize ws;
  if(isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 0;
}

/* Run the loop until nothing is left on it, then close it. */
static int drain_loop(uv_loop_t *loop)
{
  while(uv_run(loop, UV_RUN_DEFAULT))
    ;
  return uv_loop_close(loop);
}

/* Progress on stderr: a live line on a terminal, else log lines. */
static enum progress_mode cli_progress(const struct cli *c)
{
  return c->quiet ? PROGRESS_OFF
       : isatty(STDERR_FILENO) ? PROGRESS_TTY : PROGRESS_LINES;
}

/* Every account swept must be checked before deleting in it. */
static int accounts_check(const struct cli *c, const struct jan_config *cfg,
                          enum jan_mode mode)
{
  for(size_t i = 0; i < c->naccounts; i++) {
    size_t j = 0;
    while(j < cfg->naccounts && strcmp(cfg->accounts[j].name,
                                       c->accounts[i]))
      j++;
    if(j == cfg->naccounts)
      return fail(c, EXIT_USAGE, "--account %s: no [account %s] section "
                  "in the config", c->accounts[i], c->accounts[i]);
  }
  if(c->naccounts && !cfg->naccounts)
    return fail(c, EXIT_USAGE, "--account needs [account] sections in the "
                "config");
  for(size_t j = 0; mode == JAN_MODE_DELETE && j < cfg->naccounts; j++)
    if(!cfg->accounts[j].account_id[0])
      return fail(c, EXIT_USAGE, "account_id must be set in [account %s] "
                  "before anything may be deleted", cfg->accounts[j].name);
  return EXIT_OK;
}

/* Several accounts: a sweep each, side by side on one loop. */
static int sweep_accounts(struct cli *c, struct sweep_run *run,
                          struct runtime *rt, const struct jan_config *cfg,
                          enum jan_mode mode)
{
  struct accounts as;
  struct jbuf err;
  int rc, code;

  jbuf_init(&err, JAN_MSG_MAX);
  rc = accounts_open(&as, rt, cfg, c->accounts, c->naccounts, &err);
  if(rc) {
    code = fail(c, rc == JAN_EINVAL ? EXIT_USAGE : EXIT_INCOMPLETE, "%s",
                jbuf_str(&err));
    jbuf_free(&err);
    accounts_close(&as);
    return code;
  }
  jbuf_free(&err);
  as.confirm = cli_confirm;
  as.confirm_arg = c;
  /* Progress lines of several sweeps would mix: only with one. */
  accounts_start(&as, mode, run->have_state ? &run->st : NULL,
                 run->audit.fd >= 0 ? &run->audit : NULL,
                 as.n == 1 ? cli_progress(c) : PROGRESS_OFF, NULL, NULL);
  while(!accounts_done(&as) && uv_run(rt->loop, UV_RUN_ONCE))
    ;
  run_finished(run);
  code = accounts_exit_code(&as);
  if(c->json)
    accounts_output_json(stdout, &as, mode, (int64_t)time(NULL));
  else
    accounts_output_table(stdout, &as, mode, (int64_t)time(NULL),
                          &(struct output_opts){
                            .columns = terminal_columns(STDOUT_FILENO),
                            .candidates_only = c->candidates });
  for(size_t i = 0; i < as.n && !c->quiet; i++)
    if(as.a[i].sw.message[0])
      untrusted_fprintf(stderr, "remotion-janitor: account %s: %s\n",
                        as.a[i].acct->name, as.a[i].sw.message);
  accounts_close(&as);
  return code;
}

static int run_sweep(struct cli *c)
{
  struct jan_config cfg;
  struct runtime rt;
  struct sweep_run run = { .trigger = NULL };
  struct sweep *sw = &run.sw;
  struct jbuf err;
  uv_loop_t loop;
  enum jan_mode mode;
  int rc, code;
  long holder = 0;

  rc = load_config(c, &cfg);
  if(rc) {
    config_free(&cfg);
    return rc;
  }
  mode = c->dry_run ? JAN_MODE_REPORT
       : c->del ? JAN_MODE_DELETE : cfg.mode;
  rc = accounts_check(c, &cfg, mode);
  if(rc) {
    config_free(&cfg);
    return rc;
  }
  /* endpoint_accounts = no: a server without accounts (config.c). */
  if(mode == JAN_MODE_DELETE && !cfg.naccounts && !cfg.account_id[0] &&
     cfg.endpoint_accounts) {
    config_free(&cfg);
    return fail(c, EXIT_USAGE, "account_id must be set in [aws] before "
                "anything may be deleted");
  }
  jbuf_init(&err, JAN_MSG_MAX);
  rc = run_open(&run, &cfg, mode, &holder, &err);
  if(rc == JAN_EBUSY)
    code = fail(c, EXIT_GUARD, "another sweep (pid %ld) holds the lock of "
                "%s; try again when it has finished", holder, cfg.state_file);
  else if(rc)
    code = fail(c, EXIT_USAGE, "%s", jbuf_str(&err));
  jbuf_free(&err);
  if(rc) {
    run_close(&run, &cfg);
    config_free(&cfg);
    return code;
  }

  uv_loop_init(&loop);
  rc = runtime_open(&rt, &loop, &cfg);
  if(rc) {
    code = fail(c, EXIT_INCOMPLETE, "cannot start: %s", jan_strerror(rc));
    drain_loop(&loop);
    run_close(&run, &cfg);
    config_free(&cfg);
    return code;
  }
  if(cfg.naccounts) {
    code = sweep_accounts(c, &run, &rt, &cfg, mode);
    goto out;
  }
  rc = run_start(&run, &rt, &cfg, mode, cli_confirm, cli_sweep_done, c);
  /* Read once deletions start, from the loop. */
  sw->pr.mode = cli_progress(c);
  sw->pr.tty = stderr;
  if(rc) {
    code = fail(c, EXIT_INCOMPLETE, "cannot start the sweep: %s",
                jan_strerror(rc));
  }
  else {
    while(sw->state != SWEEP_DONE && uv_run(&loop, UV_RUN_ONCE))
      ;
    code = sw->exit_code;
    if(code == EXIT_CREDENTIALS || (!sw->inv.account[0] && code))
      fail(c, code, "%s", sw->message);
    else {
      int64_t now = (int64_t)time(NULL);
      if(c->json)
        output_json(stdout, &sw->inv, mode, now);
      else
        output_table(stdout, &sw->inv, mode, now, &(struct output_opts){
                       .columns = terminal_columns(STDOUT_FILENO),
                       .candidates_only = c->candidates });
      /* Also with exit 0: a report says what a deletion would refuse. */
      if(sw->message[0] && !c->quiet)
        untrusted_fprintf(stderr, "remotion-janitor: %s\n", sw->message);
    }
  }
out:
  fflush(stdout);
  runtime_close(&rt);
  run_close(&run, &cfg);
  /* A state that cannot be saved fails the run (its reason is logged). */
  if(run.save_error[0] && code == EXIT_OK)
    code = EXIT_INCOMPLETE;
  if(drain_loop(&loop) != 0)
    jlog_warn("main", "the event loop still had open handles at exit");
  config_free(&cfg);
  return code;
}

static int run_validate(struct cli *c)
{
  struct jan_config cfg;
  struct runtime rt;
  uv_loop_t loop;
  int rc;

  rc = load_config(c, &cfg);
  if(!rc)
    rc = accounts_check(c, &cfg, JAN_MODE_REPORT);
  if(rc) {
    config_free(&cfg);
    return rc;
  }
  uv_loop_init(&loop);
  rc = runtime_open(&rt, &loop, &cfg);
  if(rc) {
    rc = fail(c, EXIT_INCOMPLETE, "cannot start: %s", jan_strerror(rc));
  }
  else {
    rc = cfg.naccounts ? validate_accounts(&rt, &cfg, c->accounts,
                                           c->naccounts, c->json)
                       : validate_run(&rt, &cfg, c->json);
  }
  fflush(stdout);
  runtime_close(&rt);
  drain_loop(&loop);
  config_free(&cfg);
  return rc;
}

int main(int argc, char **argv)
{
  struct cli c;
  int rc, level;

  rc = parse_args(&c, argc, argv);
  if(rc)
    return fail(&c, rc, "%s", c.err);
  level = c.quiet ? JLOG_ERR : c.verbose >= 2 ? JLOG_DEBUG
        : c.verbose ? JLOG_INFO : JLOG_NOTICE;
  jlog_init(level);
  signal(SIGPIPE, SIG_IGN);

  switch(c.mode) {
  case MODE_CHECK_CONFIG:
    return check_config(&c);
  case MODE_SWEEP:
  case MODE_VALIDATE:
    if(curl_global_init(CURL_GLOBAL_DEFAULT))
      return fail(&c, EXIT_INCOMPLETE, "cannot initialise libcurl");
    xmlInitParser();
    rc = c.mode == MODE_SWEEP ? run_sweep(&c) : run_validate(&c);
    xmlCleanupParser();
    curl_global_cleanup();
    return rc;
  case MODE_STATUS:
  case MODE_DAEMON:
  default: {
    struct service_opts so = cli_service_opts(&c);
    return c.mode == MODE_STATUS ? service_status(&so, c.json)
                                 : service_run(&so);
  }
  }
}
