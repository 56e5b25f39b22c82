#!/usr/bin/env bash
# Start or stop a private Virtuoso Open Source instance bound to 127.0.0.1 only.
#
#   scripts/virtuoso.sh start DIR HTTP_PORT SQL_PORT PASSWORD   # creates DIR on first use
#   scripts/virtuoso.sh stop DIR
#
# Needs Debian's `virtuoso-opensource` package (virtuoso-t). The package's own
# instance is not used: this one keeps its database, log and PID file in DIR.
# Graph Store Protocol: http://127.0.0.1:HTTP_PORT/sparql-graph-crud-auth (digest auth, user dba);
# queries: http://127.0.0.1:HTTP_PORT/sparql.
set -euo pipefail

TEMPLATE=/usr/share/virtuoso-opensource-7/virtuoso.ini

die() { echo "virtuoso.sh: error: $*" >&2; exit 2; }

start() {
    local dir=$1 http_port=$2 sql_port=$3 password=$4
    command -v virtuoso-t >/dev/null || die "virtuoso-t not found: apt-get install -y virtuoso-opensource"
    [[ -f $TEMPLATE ]] || die "$TEMPLATE missing: apt-get install -y virtuoso-opensource"
    [[ $http_port =~ ^[0-9]+$ && $sql_port =~ ^[0-9]+$ ]] || die "ports must be numbers"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ -f $dir/virtuoso.pid ]] && kill -0 "$(cat "$dir/virtuoso.pid")" 2>/dev/null; then
        die "already running in $dir (PID $(cat "$dir/virtuoso.pid"))"
    fi
    # The template separates keys and values with TABS: match [[:space:]]*, never ' *',
    # or the ServerPort lines are silently missed and the server binds 0.0.0.0.
    awk -v dir="$dir" -v http="127.0.0.1:$http_port" -v sql="127.0.0.1:$sql_port" '
        /^\[/ { section = $0 }
        { gsub("/var/lib/virtuoso-opensource-7/db", dir) }
        /^ServerPort[[:space:]]*=/ {
            if (section == "[Parameters]") { print "ServerPort\t\t\t= " sql; next }
            if (section == "[HTTPServer]") { print "ServerPort\t\t\t= " http; next }
        }
        /^DirsAllowed[[:space:]]*=/ { print $0 ", " dir; next }
        { print }
    ' "$TEMPLATE" > "$dir/virtuoso.ini"
    local bound
    bound=$(grep -cE "^ServerPort[[:space:]]*=[[:space:]]*127\.0\.0\.1:" "$dir/virtuoso.ini" || true)
    [[ $bound == 2 ]] || die "could not bind both ServerPort lines to 127.0.0.1 in $dir/virtuoso.ini"

    cd "$dir"
    if [[ ! -f $dir/virtuoso.db ]]; then
        # First run: create the database, set the dba/dav passwords, and exit.
        virtuoso-t +foreground +configfile "$dir/virtuoso.ini" +pwdold dba +pwddba "$password" +pwddav "$password" \
            > "$dir/first-run.out" 2>&1 || die "first run failed, see $dir/first-run.out and $dir/virtuoso.log"
    fi
    virtuoso-t +foreground +configfile "$dir/virtuoso.ini" > "$dir/server.out" 2>&1 &
    echo $! > "$dir/virtuoso.pid"
    for _ in $(seq 1 240); do
        if curl -s -o /dev/null "http://127.0.0.1:$http_port/sparql?query=ASK%7B%7D"; then
            echo "virtuoso running: PID $(cat "$dir/virtuoso.pid"), http://127.0.0.1:$http_port/sparql"
            return 0
        fi
        kill -0 "$(cat "$dir/virtuoso.pid")" 2>/dev/null || die "virtuoso-t exited, see $dir/server.out and $dir/virtuoso.log"
        sleep 0.25
    done
    die "virtuoso did not answer on 127.0.0.1:$http_port within 60 s"
}

stop() {
    local dir=$1 pid
    [[ -f $dir/virtuoso.pid ]] || die "no virtuoso.pid in $dir"
    pid=$(cat "$dir/virtuoso.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$dir/virtuoso.pid"
}

case "${1:-}" in
    start) [[ $# == 5 ]] || die "usage: $0 start DIR HTTP_PORT SQL_PORT PASSWORD"; start "$2" "$3" "$4" "$5" ;;
    stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR HTTP_PORT SQL_PORT PASSWORD | stop DIR" ;;
esac
