#!/usr/bin/env bash
# Runs every benchmark at full size and keeps what they print in bench/results/<date>.txt.
# Needs what the test command installs (.venv, PostgreSQL, Redis): run `bash scripts/test.sh`
# once first. The 1,000,000-slip databases take 5–10 minutes to load the first time and are
# kept (minyi_bench, minyi_bench_stats) so later runs skip the load; the whole run takes
# 20–40 minutes on 2 cores. Take figures on a quiet machine: the load average is printed.
#
#   bash scripts/bench.sh            # everything
#   bash scripts/bench.sh webhook    # only the named ones: webhook classify similar dialogs console stats delivery
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: run 'bash scripts/test.sh' first"; exit 1; }
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not running on 127.0.0.1:5432"; exit 1; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not running on 127.0.0.1:6379"; exit 1; }

mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).txt"
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(webhook classify similar dialogs urgency routing console stats delivery)

run() {
  local name=$1; shift
  printf '\n== %s: %s  (%s, load average %s)\n' "$name" "$*" "$(date -u +%H:%M:%S)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
  "$@" 2>&1 | tee -a "$out"
}

{
  echo "Minyi benchmarks, $(date -u), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "$(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB, $($PY --version)"
} | tee "$out"
for name in "${want[@]}"; do
  case $name in
    webhook) run webhook "$PY" bench/webhook.py ;;
    classify) run classify "$PY" bench/classify.py --messages 2178 ;;
    similar) run similar "$PY" bench/similar.py --open 2000 ;;
    dialogs) run dialogs "$PY" bench/dialogs.py ;;
    urgency) run urgency "$PY" bench/urgency.py ;;
    routing) run routing "$PY" bench/routing.py ;;
    console) run console "$PY" bench/console.py --slips 1000000 ;;
    stats) run stats "$PY" -m bench.stats --slips 1000000 --reuse ;;
    delivery) run delivery "$PY" bench/delivery_kill.py --trials 10 ;;
    *) echo "unknown benchmark: $name (webhook classify similar dialogs urgency routing console stats delivery)"; exit 2 ;;
  esac
done
echo; echo "figures kept in $out"
