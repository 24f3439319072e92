#!/usr/bin/env bash
# Runs the scenarios recorded in RESULTS.md against one Herald binary.
# Every run is repeated ROUNDS times, interleaved (A B C A B C), so the
# variants of one table share the machine's noise. Each run's JSON line is
# appended to OUT; the human summaries go to stdout.
#
#   benchmarks/suite.sh HERALD_BIN OUT [idle|fanout|register|chain|telemetry|transport|all]
#
# Environment: ROUNDS (default 2), COMMIT (label for the report),
# BASE_BIN (an older build run alongside, parts telemetry and transport),
# LOADGEN (a built loadgen; default: go build into a temp dir).
set -uo pipefail
bin=${1:?usage: suite.sh HERALD_BIN OUT [idle|fanout|register|chain|all]}
out=${2:?usage: suite.sh HERALD_BIN OUT [idle|fanout|register|chain|all]}
what=${3:-all}
rounds=${ROUNDS:-2}
cd "$(dirname "$0")/.."

loadgen=${LOADGEN:-}
if [ -z "$loadgen" ]; then
  loadgen=$(mktemp -d)/loadgen
  go build -o "$loadgen" ./benchmarks/cmd/loadgen || exit 1
fi

failed=0
bin_override="" # set by a part to run another binary
run() {
  echo "== loadgen $*"
  local res
  res=$("$loadgen" -herald-bin "${bin_override:-$bin}" ${COMMIT:+-commit "$COMMIT"} "$@" 2>/dev/null)
  grep -v '^{' <<<"$res"
  grep '^{' <<<"$res" >>"$out"
  grep -q '^{"scenario":"[a-z]*","ok":true' <<<"$res" || failed=1
}

idle() {
  for _ in $(seq "$rounds"); do
    run -scenario idle -conns 5000
    run -scenario idle -conns 15000
    run -scenario idle -conns 15000 -herald-args "-grpc.reuseWriteBuffer -grpc.reuseFramerBuffer"
    run -scenario idle -conns 15000 -herald-args "-grpc.writeBufferSize 4096 -grpc.readBufferSize 4096"
    run -scenario idle -conns 15000 -herald-args "-grpc.reuseWriteBuffer -grpc.reuseFramerBuffer -grpc.writeBufferSize 4096 -grpc.readBufferSize 4096"
    run -scenario idle -conns 15000 -herald-args "-grpc.writeBufferSize 0 -grpc.readBufferSize 0"
  done
}

fanout() {
  for _ in $(seq "$rounds"); do
    run -scenario fanout -subs 1000 -changes 20
    run -scenario fanout -subs 1000 -changes 20 -back-to-back
    run -scenario fanout -subs 10000 -changes 20
    run -scenario fanout -subs 10000 -changes 20 -back-to-back
  done
}

register() {
  for _ in $(seq "$rounds"); do
    run -scenario register -conns 20 -duration 10s
  done
}

chain() {
  for _ in $(seq "$rounds"); do
    run -scenario chain -subs 10000 -services 100 -changes 100
    run -scenario chain -subs 10000 -services 100 -changes 100 -direct
  done
}

# telemetry: fan-out with traces exported over OTLP/HTTP to a local sink
# (benchmarks/cmd/otlpsink), sampler off / ratio 0.01 / always, against no
# exporter at all; SUBS (default 5000) subscribers. With BASE_BIN set,
# each round also runs off and always with that binary (an older build),
# interleaved with the rest. SINK_ARGS are extra otlpsink flags
# (-count-spans).
telemetry() {
  local dir sinkpid endpoint subs=${SUBS:-5000}
  dir=$(mktemp -d)
  go build -o "$dir/otlpsink" ./benchmarks/cmd/otlpsink || exit 1
  "$dir/otlpsink" -addr 127.0.0.1:0 ${SINK_ARGS:-} >"$dir/sink.log" &
  sinkpid=$!
  for _ in $(seq 100); do [ -s "$dir/sink.log" ] && break; sleep 0.1; done
  read -r endpoint <"$dir/sink.log"
  local t="-telemetry.traces.endpoint $endpoint -telemetry.traces.exportInterval 1s"
  for _ in $(seq "$rounds"); do
    run -scenario fanout -subs "$subs" -changes 20 -back-to-back
    run -scenario fanout -subs "$subs" -changes 20 -back-to-back -herald-args "$t -telemetry.traces.sampler off"
    run -scenario fanout -subs "$subs" -changes 20 -back-to-back -herald-args "$t -telemetry.traces.sampler ratio -telemetry.traces.ratio 0.01"
    run -scenario fanout -subs "$subs" -changes 20 -back-to-back -herald-args "$t -telemetry.traces.sampler always"
    [ -n "${BASE_BIN:-}" ] && telemetry_base "$t"
  done
  kill "$sinkpid"
  wait "$sinkpid"
  tail -n +2 "$dir/sink.log"
}

# transport: Kitex's netpoll against gonet (grpc.transport), both with the
# inbound guard, on the issue-3 workloads; with BASE_BIN set, also that
# binary (e.g. Herald before the guard) on netpoll. The order of the
# variants rotates each round.
transport() {
  local variants=("netpoll" "gonet") i v
  [ -n "${BASE_BIN:-}" ] && variants+=("base")
  for r in $(seq "$rounds"); do
    for i in "${!variants[@]}"; do
      v=${variants[$(( (i + r) % ${#variants[@]} ))]}
      transport_runs "$v"
    done
  done
}

transport_runs() {
  local args="-grpc.transport $1"
  if [ "$1" = base ]; then bin_override=$BASE_BIN; args=""; fi
  run -scenario idle -conns 15000 ${args:+-herald-args "$args"}
  run -scenario fanout -subs 10000 -changes 20 -back-to-back ${args:+-herald-args "$args"}
  run -scenario register -conns 20 -duration 10s ${args:+-herald-args "$args"}
  bin_override=""
}

# telemetry_base runs off and always with BASE_BIN.
telemetry_base() {
  bin_override=$BASE_BIN
  run -scenario fanout -subs "${SUBS:-5000}" -changes 20 -back-to-back -herald-args "$1 -telemetry.traces.sampler off"
  run -scenario fanout -subs "${SUBS:-5000}" -changes 20 -back-to-back -herald-args "$1 -telemetry.traces.sampler always"
  bin_override=""
}

case $what in
  transport) transport ;;
  telemetry) telemetry ;;
  idle) idle ;;
  fanout) fanout ;;
  register) register ;;
  chain) chain ;;
  all) idle; fanout; register; chain ;;
  *) echo "unknown part $what" >&2; exit 2 ;;
esac
exit $failed
