#!/usr/bin/env bash
# Runs a command with a time limit; past it, prints what every process of the command was
# doing and stops it, so a hung test run fails in minutes with its stacks in the log instead
# of silently using up the CI's time.
#
#   scripts/watchdog.sh SECONDS command [arguments…]
#
# Exit status: the command's own, or 124 when the limit was reached (the command's processes
# and the test clusters they started are then stopped).
# What is printed on a hang:
# - every thread's backtrace of each process in the command's tree (gdb if installed,
#   otherwise the kernel's wait channel per thread);
# - the sessions of the test suite's PostgreSQL clusters (pg_stat_activity), which shows a
#   statement waiting on a lock or a transaction left open.
set -uo pipefail

limit=$1
shift
# The test suite's clusters live in the temporary folder (TMPDIR, as Foundation reads it).
tmp="${TMPDIR:-/tmp}"
tmp="${tmp%/}"
"$@" &
child=$!

descendants() {
  local pid=$1
  echo "$pid"
  for kid in $(pgrep -P "$pid" 2>/dev/null); do descendants "$kid"; done
}

report() {
  echo "watchdog: '$*' ran past ${limit} s; what each process was doing:" >&2
  for pid in $(descendants "$child"); do
    [[ -r /proc/$pid/cmdline ]] || continue
    echo "=== process $pid: $(tr '\0' ' ' < /proc/$pid/cmdline | cut -c1-200)" >&2
    if command -v gdb >/dev/null 2>&1; then
      timeout 120 gdb -p "$pid" -batch -nx -ex "set pagination off" -ex "thread apply all bt 30" 2>&1 \
        | grep -E '^(Thread|#)' >&2
    else
      for task in /proc/$pid/task/*; do
        echo "thread ${task##*/} $(cat "$task/comm" 2>/dev/null): $(cat "$task/wchan" 2>/dev/null)" >&2
      done
    fi
  done
  for socket in "$tmp"/proofmarket-tests-*/pg/.s.PGSQL.5432 /tmp/proofmarket-pg-*/.s.PGSQL.5432; do
    [[ -S $socket ]] || continue
    echo "=== PostgreSQL sessions at ${socket%/*}" >&2
    timeout 20 psql -h "${socket%/*}" -U proofmarket -d postgres -X -A -c \
      "SELECT pid, datname, state, wait_event_type, wait_event, now() - xact_start AS in_transaction,
              left(query, 160) AS query FROM pg_stat_activity WHERE backend_type = 'client backend'" >&2 || true
  done
}

elapsed=0
while kill -0 "$child" 2>/dev/null; do
  if (( elapsed >= limit )); then
    report "$@"
    # Each process by id: the test runner puts the test binary in a process group of its own.
    pids=$(descendants "$child")
    kill -TERM $pids 2>/dev/null
    sleep 5
    kill -KILL $pids 2>/dev/null
    wait "$child" 2>/dev/null
    # A test process killed this way never stops its PostgreSQL cluster (pg_ctl detaches it
    # from the process group): stop each one whose owner was killed, at once.
    for pid in $pids; do
      for pidfile in "$tmp"/proofmarket-tests-"$pid"-*/pg/postmaster.pid; do
        [[ -r $pidfile ]] || continue
        kill -QUIT "$(head -n 1 "$pidfile")" 2>/dev/null
        sleep 1
        rm -rf "${pidfile%/pg/postmaster.pid}"
      done
    done
    echo "watchdog: stopped after ${limit} s" >&2
    exit 124
  fi
  sleep 1
  elapsed=$((elapsed + 1))
done
wait "$child"
