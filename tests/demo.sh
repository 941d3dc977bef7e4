#!/usr/bin/env bash
# The README's first command ends here: a sweep of a made-up AWS account
# (tests/standin/fixtures/demo.json: 23 regions, 2 not enabled, Remotion's
# functions, layers and buckets, one young bucket kept with old renders in
# it, plus look-alikes) served by the local stand-in on 127.0.0.1.  No AWS
# account, no network.
#
#   bash tests/demo.sh [BUILD_DIR] [extra remotion-janitor arguments]
#
# The default is a report (nothing deleted).  Try --json, or --delete --yes
# to watch it clean the stand-in's account.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
bin=$build/daemon/remotion-janitor
[ -x "$bin" ] || { echo "demo: $bin not found; build first" >&2; exit 2; }

dir=$(mktemp -d /tmp/remotion-janitor-demo.XXXXXX)
cleanup() { bash "$here/standin/standin-ctl.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

export JAN_PYTHON=${JAN_PYTHON:-/usr/bin/python3}
port=$(bash "$here/standin/standin-ctl.sh" start "$dir" --fixture "$here/standin/fixtures/demo.json")
cat >"$dir/demo.conf" <<CONF
[aws]
endpoint_url = http://127.0.0.1:$port
account_id = 123456789012
[policy]
buckets = yes
renders = artifacts
max_deletions = 500
[daemon]
state_file = $dir/state/state.json
audit_log = $dir/state/audit.jsonl
socket = $dir/state/janitor.sock
CONF

# The stand-in's test user; nothing else from the environment is used.
env -i PATH="$PATH" HOME="$dir" \
  AWS_ACCESS_KEY_ID=AKIDJANITORTEST \
  AWS_SECRET_ACCESS_KEY='janitor/test+secret/NOT-A-REAL-KEY/00000' \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  "$bin" -c "$dir/demo.conf" --sweep "$@"
