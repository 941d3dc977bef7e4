#!/bin/sh
# Start or stop the local AWS stand-in in the background.
#
#   standin-ctl.sh start DIR [standin.py args...]   prints the port
#   standin-ctl.sh stop DIR
#   standin-ctl.sh port DIR
#
# DIR keeps standin.pid, standin.port and standin.stderr.  The interpreter
# is $JAN_PYTHON (else /usr/bin/python3).  Waits at most 10 s for start-up.
# Sourcing this file defines standin_start/standin_stop with the same
# arguments.


_standin_here=$(cd "$(dirname "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)

standin_start() {
    dir=$1; shift
    py=${JAN_PYTHON:-/usr/bin/python3}
    script=${JAN_STANDIN_SCRIPT:-$_standin_here/standin.py}
    mkdir -p "$dir" || return 1
    rm -f "$dir/standin.port"
    "$py" "$script" --port 0 --max-lifetime 3600 --port-file "$dir/standin.port" "$@" \
        </dev/null >/dev/null 2>"$dir/standin.stderr" &
    echo $! >"$dir/standin.pid"
    i=0
    while [ $i -lt 500 ]; do
        if [ -s "$dir/standin.port" ]; then
            cat "$dir/standin.port"
            return 0
        fi
        if ! kill -0 "$(cat "$dir/standin.pid")" 2>/dev/null; then
            echo "standin-ctl: stand-in exited during start-up:" >&2
            cat "$dir/standin.stderr" >&2
            return 1
        fi
        sleep 0.02
        i=$((i + 1))
    done
    echo "standin-ctl: no port after 10 s" >&2
    standin_stop "$dir"
    return 1
}

standin_stop() {
    dir=$1
    [ -f "$dir/standin.pid" ] || return 0
    pid=$(cat "$dir/standin.pid")
    kill -TERM "$pid" 2>/dev/null
    i=0
    # Alive and not a zombie waiting for its (re)parent to reap it.
    while kill -0 "$pid" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" != Z ] \
        && [ $i -lt 250 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    [ $i -lt 250 ] || kill -KILL "$pid" 2>/dev/null
    rm -f "$dir/standin.pid" "$dir/standin.port"
    return 0
}

case "$(basename "$0")" in
standin-ctl.sh)
    cmd=${1:-}
    [ $# -ge 2 ] || { echo "usage: $0 start|stop|port DIR [args...]" >&2; exit 2; }
    shift
    case $cmd in
    start) standin_start "$@" ;;
    stop) standin_stop "$1" ;;
    port) cat "$1/standin.port" ;;
    *) echo "usage: $0 start|stop|port DIR [args...]" >&2; exit 2 ;;
    esac
    ;;
esac
