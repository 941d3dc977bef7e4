/*
 * Answers of the Query protocol (STS and IAM): <XResponse><XResult>...
 * </XResult><ResponseMetadata/></XResponse>.
 */
#include <stdlib.h>
#include <string.h>

#include "janitor/err.h"
#include "janitor/wire.h"
#include "wire_int.h"

/* ---- STS GetCallerIdentity ---- */

struct id_ctx {
  struct wire_identity *id;
  int have_account;
};

/*
 * An ARN the service names (the caller's, a user's) goes back into requests
 * and onto the terminal as is: "arn:" and printable ASCII only, or the
 * answer is malformed.
 */
static int set_arn(char **dst, const char *text, size_t len)
{
  if(!text || len < 4 || memcmp(text, "arn:", 4) != 0)
    return JAN_EPARSE;
  for(size_t i = 0; i < len; i++)
    if((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f)
      return JAN_EPARSE;
  return wire_set_str(dst, text, len);
}

static int id_cb(void *arg, enum wx_event ev, int depth,
                 const char *const *path, const char *text, size_t len)
{
  struct id_ctx *c = arg;
  struct wire_identity *id = c->id;

  if(ev != WX_END || depth != 2 ||
     strcmp(path[1], "GetCallerIdentityResult") != 0)
    return JAN_OK;
  if(!strcmp(path[2], "Account")) {
    if(c->have_account || !text || len != 12)
      return JAN_EPARSE;
    for(size_t i = 0; i < 12; i++)
      if(text[i] < '0' || text[i] > '9')
        return JAN_EPARSE;
    memcpy(id->account, text, 12);
    id->account[12] = '\0';
    c->have_account = 1;
  }
  else if(!strcmp(path[2], "Arn")) {
    return set_arn(&id->arn, text, len);
  }
  else if(!strcmp(path[2], "UserId")) {
    return len ? wire_set_str(&id->user_id, text, len) : JAN_EPARSE;
  }
  return JAN_OK;
}

void wire_identity_free(struct wire_identity *id)
{
  if(!id)
    return;
  free(id->arn);
  free(id->user_id);
  memset(id, 0, sizeof(*id));
}

int wire_sts_parse_caller_identity(const char *body, size_t len,
                                   struct wire_identity *out)
{
  struct id_ctx c;
  int rc;

  memset(out, 0, sizeof(*out));
  c.id = out;
  c.have_account = 0;
  rc = wx_walk(body, len, "GetCallerIdentityResponse", id_cb, &c);
  if(!rc && (!c.have_account || !out->arn))
    rc = JAN_EPARSE;
  if(rc)
    wire_identity_free(out);
  return rc;
}

/* ---- IAM SimulatePrincipalPolicy ---- */

struct sim_ctx {
  struct wire_eval *v;
  size_t n, cap;
  int inprog;
  int truncated, seen_trunc, seen_marker;
  char *marker;
};

#define SIM_RESULT "SimulatePrincipalPolicyResult"

static int sim_cb(void *arg, enum wx_event ev, int depth,
                  const char *const *path, const char *text, size_t len)
{
  struct sim_ctx *c = arg;
  struct wire_eval *e;
  int rc;

  if(ev == WX_START) {
    if(wx_path_is(depth, path, SIM_RESULT, "EvaluationResults", "member",
                  NULL)) {
      rc = wire_grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v));
      if(rc)
        return rc;
      memset(&c->v[c->n], 0, sizeof(*c->v));
      c->inprog = 1;
    }
    return JAN_OK;
  }
  if(depth == 4 && c->inprog &&
     wx_path_is(3, path, SIM_RESULT, "EvaluationResults", "member", NULL)) {
    e = &c->v[c->n];
    if(!strcmp(path[4], "EvalActionName"))
      return len ? wire_set_str(&e->action, text, len) : JAN_EPARSE;
    if(!strcmp(path[4], "EvalResourceName"))
      return len ? wire_set_str(&e->resource, text, len) : JAN_EPARSE;
    if(!strcmp(path[4], "EvalDecision")) {
      if(e->decision[0] || !text)
        return JAN_EPARSE;
      if(strcmp(text, "allowed") != 0 && strcmp(text, "explicitDeny") != 0 &&
         strcmp(text, "implicitDeny") != 0)
        return JAN_EPARSE;
      strcpy(e->decision, text);
    }
  }
  else if(wx_path_is(depth, path, SIM_RESULT, "EvaluationResults", "member",
                     NULL)) {
    e = &c->v[c->n];
    if(!e->action || !e->decision[0])
      return JAN_EPARSE;
    c->inprog = 0;
    c->n++;
  }
  else if(wx_path_is(depth, path, SIM_RESULT, "IsTruncated", NULL)) {
    if(c->seen_trunc || !text)
      return JAN_EPARSE;
    c->seen_trunc = 1;
    if(!strcmp(text, "true"))
      c->truncated = 1;
    else if(strcmp(text, "false") != 0)
      return JAN_EPARSE;
  }
  else if(wx_path_is(depth, path, SIM_RESULT, "Marker", NULL)) {
    if(c->seen_marker || !text)
      return JAN_EPARSE;
    c->seen_marker = 1;
    if(len)
      return wire_set_str(&c->marker, text, len);
  }
  return JAN_OK;
}

void wire_eval_list_free(struct wire_eval *v, size_t n)
{
  if(!v)
    return;
  for(size_t i = 0; i < n; i++) {
    free(v[i].action);
    free(v[i].resource);
  }
  free(v);
}

int wire_iam_parse_simulate(const char *body, size_t len,
                            struct wire_eval **v, size_t *n, int *truncated,
                            char **marker)
{
  struct sim_ctx c;
  int rc;

  *v = NULL;
  *n = 0;
  *truncated = 0;
  *marker = NULL;
  memset(&c, 0, sizeof(c));
  rc = wx_walk(body, len, "SimulatePrincipalPolicyResponse", sim_cb, &c);
  if(!rc && c.truncated && !c.marker)
    rc = JAN_EPARSE;
  if(rc) {
    if(c.inprog) {
      free(c.v[c.n].action);
      free(c.v[c.n].resource);
    }
    wire_eval_list_free(c.v, c.n);
    free(c.marker);
    return rc;
  }
  *v = c.v;
  *n = c.n;
  *truncated = c.truncated;
  *marker = c.marker;
  return JAN_OK;
}

/* ---- IAM GetUser ---- */

static int user_cb(void *arg, enum wx_event ev, int depth,
                   const char *const *path, const char *text, size_t len)
{
  struct wire_user *u = arg;

  if(ev != WX_END || depth != 3 ||
     !wx_path_is(2, path, "GetUserResult", "User", NULL))
    return JAN_OK;
  if(!strcmp(path[3], "UserName"))
    return len ? wire_set_str(&u->name, text, len) : JAN_EPARSE;
  if(!strcmp(path[3], "Arn"))
    return set_arn(&u->arn, text, len);
  return JAN_OK;
}

void wire_user_free(struct wire_user *u)
{
  if(!u)
    return;
  free(u->name);
  free(u->arn);
  memset(u, 0, sizeof(*u));
}

int wire_iam_parse_get_user(const char *body, size_t len,
                            struct wire_user *out)
{
  int rc;

  memset(out, 0, sizeof(*out));
  rc = wx_walk(body, len, "GetUserResponse", user_cb, out);
  if(!rc && !out->arn)
    rc = JAN_EPARSE;
  if(rc)
    wire_user_free(out);
  return rc;
}
