#!/usr/bin/env bash
# Smoke check of the deployments on a real, loopback-only Prefect server (about 40 s):
# deploy deployments/prefect.yaml, run the ad-hoc ingest through a process worker, check that the
# nightly cron schedule created runs; then ingest through an existing Dask cluster (--dask-address).
# Run from the repository root in the installed environment: bash deployments/smoke.sh
set -euo pipefail
WORK="$(mktemp -d /tmp/skillmix-smoke.XXXXXX)"
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_HOME="$WORK/prefect-home"
PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DPORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done; sleep 2
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
prefect server start --host 127.0.0.1 --port "$PORT" --no-ui > "$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do curl -sf "$PREFECT_API_URL/health" >/dev/null && break; sleep 0.5; done
skillmix sample-corpus "$WORK/corpus.jsonl" --max-mb 4 > /dev/null
prefect work-pool create skillmix-cpu --type process > /dev/null
prefect work-pool create skillmix-gpu --type process > /dev/null
prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml > "$WORK/deploy.log" 2>&1
PREFECT_WORKER_QUERY_SECONDS=2 prefect worker start --pool skillmix-cpu > "$WORK/worker.log" 2>&1 &
PIDS+=($!)
out=$(prefect deployment run 'ingest/ingest-adhoc' --param "inputs=[\"$WORK/corpus.jsonl\"]" \
      --param "run=$WORK/run" --param 'params={"source_field": "domain"}' 2>&1)
id=$(echo "$out" | grep -oE "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" | head -1)
state=""
for _ in $(seq 1 120); do
  state=$(curl -s "$PREFECT_API_URL/flow_runs/$id" | python -c 'import json,sys; print(json.load(sys.stdin)["state"]["type"])')
  case "$state" in COMPLETED|FAILED|CRASHED) break;; esac; sleep 1
done
echo "ingest-adhoc flow run $id: $state"
[ "$state" = COMPLETED ] || { tail -40 "$WORK/worker.log"; exit 1; }
python - "$WORK/run/report/ingest/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts_add_up"] and s["kept"] > 0, s
print(f"summary: {s['records']:,} records = {s['kept']:,} kept + {s['rejected']:,} rejected")
PY
n=$(curl -s -X POST "$PREFECT_API_URL/flow_runs/filter" -H 'content-type: application/json' \
    -d '{"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}' | python -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "scheduled runs from the nightly cron: $n"
[ "$n" -ge 1 ]
dask scheduler --host 127.0.0.1 --port "$DPORT" --dashboard-address 127.0.0.1:0 > "$WORK/sched.log" 2>&1 &
PIDS+=($!)
sleep 3
dask worker "tcp://127.0.0.1:$DPORT" --nworkers 2 --nthreads 1 --dashboard-address 127.0.0.1:0 > "$WORK/dworker.log" 2>&1 &
PIDS+=($!)
sleep 6
skillmix ingest "$WORK/corpus.jsonl" --run "$WORK/dask-run" --dask-address "tcp://127.0.0.1:$DPORT" > "$WORK/dask-ingest.log" 2>&1
grep -q "counts add up" "$WORK/dask-ingest.log"
echo "ingest through the existing Dask cluster at tcp://127.0.0.1:$DPORT: ok"
echo "smoke check passed"
