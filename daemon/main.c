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
  const char *shard;            /* --shard I/N */
  const char **accounts;        /* --account: only these (argv's) */
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
"      --account NAME  sweep only [account NAME], or the organization's\n"
"                      member of that id (repeatable)\n"
"      --shard I/N     sweep only the accounts of shard I of N (1..N)\n"
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
         O_YES, O_JSON, O_CANDIDATES, O_REGION, O_ACCOUNT, O_PROFILE, O_SOCKET, O_VERSION, O_HELP,
         O_SHARD };
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
    { "shard", required_argument, NULL, O_SHARD },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "version", no_argument, NULL, O_VERSION },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 }
  };
  int ch;

  memset(c, 0, sizeof(*c));
  /* At most one --account per argument. */
  c->accounts = calloc((size_t)argc, sizeof(*c->accounts));
  if(!c->accounts)
    return refuse(c, "out of memory");
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
      c->accounts[c->naccounts++] = optarg;
      break;
    case O_PROFILE: c->profile = optarg; break;
    case O_SOCKET: c->socket = optarg; break;
    case O_SHARD: c->shard = optarg; break;
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
    .profile = c->profile, .socket = c->socket, .shard = c->shard,
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

/* The run's accounts may be swept in mode (accounts_check): else the
 * reason, and EXIT_USAGE. */
static int check_accounts(const struct cli *c, const struct jan_config *cfg,
                          enum jan_mode mode)
{
  struct jbuf err;
  int code = EXIT_OK;

  jbuf_init(&err, JAN_MSG_MAX);
  if(accounts_check(cfg, c->accounts, c->naccounts, mode, &err))
    code = fail(c, EXIT_USAGE, "%s", jbuf_str(&err));
  jbuf_free(&err);
  return code;
}

/* What the run says: the document or the table of its accounts, and on
 * stderr why an account's exit code is not 0 (also with exit 0: a report
 * says what a deletion would refuse). */
static void report_run(const struct cli *c, const struct sweep_run *run,
                       enum jan_mode mode)
{
  const struct accounts *as = &run->as;
  const struct account_list *al = &run->list;
  struct account_result *res = accounts_results(as);
  struct output_skipped *sk = calloc(al->nskipped ? al->nskipped : 1,
                                     sizeof(*sk));
  struct output_run_info info = {
    .organization = run->cfg->org_role_name != NULL, .skipped = sk,
    .nskipped = al->nskipped, .exit_code = run->list_code,
    .error = run->list_code ? run->list_error : NULL };
  int64_t now = (int64_t)time(NULL);

  if(!res || !sk) {
    free(res);
    free(sk);
    fail(c, EXIT_INCOMPLETE, "out of memory");
    return;
  }
  for(size_t i = 0; i < al->nskipped; i++)
    sk[i] = (struct output_skipped){ al->skipped[i].id, al->skipped[i].name,
                                     org_fate_name(al->skipped[i].fate) };
  if(info.error)
    untrusted_fprintf(stderr, "remotion-janitor: %s\n", info.error);
  if(c->json)
    output_run_json(stdout, res, as->n, mode, now, &info);
  else {
    output_run_table(stdout, res, as->n, mode, now, &(struct output_opts){
                       .columns = terminal_columns(STDOUT_FILENO),
                       .candidates_only = c->candidates });
    output_run_members(stdout, res, as->n, &info);
  }
  free(res);
  free(sk);
  for(size_t i = 0; i < as->n && !c->quiet; i++)
    if(as->a[i]->sw.message[0])
      untrusted_fprintf(stderr, "remotion-janitor: account %s: %s\n",
                        as->a[i]->acct->name, as->a[i]->sw.message);
}

static int run_sweep(struct cli *c)
{
  struct jan_config cfg;
  struct runtime rt;
  struct sweep_run run = { .trigger = NULL };
  struct jan_account implicit;
  struct jbuf err;
  uv_loop_t loop;
  enum jan_mode mode;
  int rc, code;
  long holder = 0;
  size_t nrun;

  rc = load_config(c, &cfg);
  if(rc) {
    config_free(&cfg);
    return rc;
  }
  mode = c->dry_run ? JAN_MODE_REPORT
       : c->del ? JAN_MODE_DELETE : cfg.mode;
  rc = check_accounts(c, &cfg, mode);
  if(rc) {
    config_free(&cfg);
    return rc;
  }
  jbuf_init(&err, JAN_MSG_MAX);
  rc = run_open(&run, &cfg, mode, &holder, &err);
  if(rc == JAN_EBUSY)
    code = fail(c, EXIT_GUARD, "another sweep (pid %ld) holds the lock of "
                "%s; try again when it has finished", holder, cfg.state_file);
  else if(rc)
    code = fail(c, EXIT_USAGE, "%s", jbuf_str(&err));
  if(rc) {
    jbuf_free(&err);
    run_close(&run, &cfg);
    config_free(&cfg);
    return code;
  }

  uv_loop_init(&loop);
  rc = runtime_open(&rt, &loop, &cfg);
  if(rc) {
    code = fail(c, EXIT_INCOMPLETE, "cannot start: %s", jan_strerror(rc));
    jbuf_free(&err);
    drain_loop(&loop);
    run_close(&run, &cfg);
    config_free(&cfg);
    return code;
  }
  (void)accounts_of_config(&cfg, &implicit, &nrun);
  if(c->naccounts)
    nrun = c->naccounts;
  else if(cfg.org_role_name)
    nrun = 0;                   /* not known before the listing */
  rc = run_start(&run, &rt, &cfg, &(struct run_opts){
                   .mode = mode, .only = c->accounts, .nonly = c->naccounts,
                   .confirm = cli_confirm, .confirm_arg = c,
                   /* Live lines of several sweeps would mix. */
                   .progress = nrun == 1 && !cfg.shard_count ? cli_progress(c)
                                                             : PROGRESS_OFF },
                 &err);
  if(rc)
    code = fail(c, rc == JAN_EINVAL ? EXIT_USAGE : EXIT_INCOMPLETE, "%s",
                jbuf_str(&err));
  jbuf_free(&err);
  if(!rc) {
    while(!run_done(&run) && uv_run(&loop, UV_RUN_ONCE))
      ;
    /* A listing that failed before any account joined: only why. */
    if(run.list_code && !run.as.n)
      fail(c, run.list_code, "%s", run.list_error);
    else
      report_run(c, &run, mode);
  }
  fflush(stdout);
  run_save(&run, &cfg);
  if(!rc)
    code = run_exit_code(&run);
  /* The accounts' runtimes go before base's. */
  run_close(&run, &cfg);
  runtime_close(&rt);
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
    rc = check_accounts(c, &cfg, JAN_MODE_REPORT);
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
    rc = validate_run(&rt, &cfg, c->accounts, c->naccounts, c->json);
  }
  fflush(stdout);
  runtime_close(&rt);
  drain_loop(&loop);
  config_free(&cfg);
  return rc;
}

static int run_mode(struct cli *c);

int main(int argc, char **argv)
{
  struct cli c;
  int rc;

  rc = parse_args(&c, argc, argv);
  rc = rc ? fail(&c, rc, "%s", c.err) : run_mode(&c);
  free(c.accounts);
  return rc;
}

static int run_mode(struct cli *c)
{
  int rc, level;

  level = c->quiet ? JLOG_ERR : c->verbose >= 2 ? JLOG_DEBUG
        : c->verbose ? JLOG_INFO : JLOG_NOTICE;
  jlog_init(level);
  signal(SIGPIPE, SIG_IGN);

  switch(c->mode) {
  case MODE_CHECK_CONFIG:
    return check_config(c);
  case MODE_SWEEP:
  case MODE_VALIDATE:
    if(curl_global_init(CURL_GLOBAL_DEFAULT))
      return fail(c, EXIT_INCOMPLETE, "cannot initialise libcurl");
    xmlInitParser();
    rc = c->mode == MODE_SWEEP ? run_sweep(c) : run_validate(c);
    xmlCleanupParser();
    curl_global_cleanup();
    return rc;
  case MODE_STATUS:
  case MODE_DAEMON:
  default: {
    struct service_opts so = cli_service_opts(c);
    return c->mode == MODE_STATUS ? service_status(&so, c->json)
                                 : service_run(&so);
  }
  }
}
