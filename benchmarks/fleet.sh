#!/usr/bin/env bash
# Issue 14 (a push transport built for fleets): the event transport against
# Kitex on netpoll, with the raw TCP floor measured in the same run.
#
#   benchmarks/fleet.sh HERALD_BIN OUT
#
# Herald (and the floor's server) run pinned to CPU $SERVER_CPU, the load
# generator (and the floor's client) to CPU $CLIENT_CPU, so a server's CPU
# per push is its own. Each round: the floor at 5,000 and 10,000
# connections; then, the variants' order rotating each round (A B, B A,
# ...), a fresh Herald per run: idle memory at 5,000, 10,000 and 19,000
# subscribed connections, back-to-back fan-out to 5,000 and 10,000, paced
# fan-out to 10,000 (change-to-ack), register/deregister over 20
# connections. Every JSON line goes to OUT, tagged with its variant and
# round (the floor's with "scenario":"floor"), the summaries to stdout;
# go run ./benchmarks/cmd/fleetsum [-base VARIANT] OUT turns OUT into
# ratios per round (to the floor, and to a base variant).
#
# Environment: ROUNDS (default 3), SERVER_CPU (0), CLIENT_CPU (1),
# LOADGEN, TCPFLOOR (built binaries; default: go build into a temp dir),
# VARIANTS (default "netpoll event netpoll-fixed"; netpoll-fixed is
# netpoll with fixed 64 KiB windows, fan-out runs only; a variant ending in
# "@base", e.g. event@base, runs BASE_BIN, an older build, instead),
# PARTS (default "idle fanout register": which scenarios run), CLIENT
# (the load connections' client, grpc or lean; default grpc; a variant
# ending in ":lean" or ":grpc", e.g. event:lean or event@base:lean, says
# its own).
set -uo pipefail
bin=${1:?usage: fleet.sh HERALD_BIN OUT}
out=${2:?usage: fleet.sh HERALD_BIN OUT}
rounds=${ROUNDS:-3}
scpu=${SERVER_CPU:-0}
ccpu=${CLIENT_CPU:-1}
read -r -a variants <<<"${VARIANTS:-netpoll event netpoll-fixed}"
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
loadgen=${LOADGEN:-$work/loadgen}
floor=${TCPFLOOR:-$work/tcpfloor}
[ -x "$loadgen" ] || go build -o "$loadgen" ./benchmarks/cmd/loadgen || exit 1
[ -x "$floor" ] || go build -o "$floor" ./benchmarks/cmd/tcpfloor || exit 1
# The load generator starts Herald; this wrapper moves it to its own CPU
# (taskset execs, so the PID loadgen reads /proc of is Herald's).
wrap() {
  printf '#!/bin/sh\nexec taskset -c %s %s "$@"\n' "$scpu" "$(realpath "$2")" >"$work/$1"
  chmod +x "$work/$1"
}
wrap herald "$bin"
[ -n "${BASE_BIN:-}" ] && wrap herald-base "$BASE_BIN"
read -r -a parts <<<"${PARTS:-idle fanout register}"
has_part() { [[ " ${parts[*]} " == *" $1 "* ]]; }

failed=0
run() {
  local label=$1; shift
  echo "== [$label] loadgen $*"
  local res herald=$work/herald client=${CLIENT:-grpc}
  [[ $label == *:* ]] && client=${label##*:}
  [[ ${label%:*} == *@base ]] && herald=$work/herald-base
  res=$(taskset -c "$ccpu" "$loadgen" -herald-bin "$herald" -client "$client" ${COMMIT:+-commit "$COMMIT"} "$@" 2>/dev/null)
  grep -v '^{' <<<"$res"
  grep '^{' <<<"$res" | sed "s/^{/{\"variant\":\"$label\",\"round\":$r,/" >>"$out"
  grep -q '"ok":true' <<<"$res" || failed=1
}

floor_run() {
  local n=$1
  echo "== [floor] tcpfloor -conns $n -rounds 20"
  rm -f "$work/floor.out"
  taskset -c "$scpu" "$floor" -role server -conns "$n" -rounds 20 >"$work/floor.out" &
  local spid=$! addr=""
  for _ in $(seq 100); do
    addr=$(head -1 "$work/floor.out" 2>/dev/null)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  local cres cus
  cres=$(taskset -c "$ccpu" "$floor" -role client -addr "$addr" -conns "$n") || failed=1
  wait "$spid" || failed=1
  tail -1 "$work/floor.out"
  echo "$cres"
  # The floor record carries the client's CPU per push too.
  cus=$(grep -o '"cpuMicrosPerPush":[0-9.e+-]*' <<<"$cres" | cut -d: -f2)
  tail -1 "$work/floor.out" |
    sed "s/^{/{\"scenario\":\"floor\",\"variant\":\"floor\",\"round\":$r,\"clientCPUMicrosPerPush\":${cus:-0},/" >>"$out"
}

args_of() {
  case $1 in
    netpoll) echo "-grpc.transport netpoll" ;;
    event) echo "-grpc.transport event" ;;
    netpoll-fixed) echo "-grpc.transport netpoll -grpc.initialWindowSize 65535 -grpc.initialConnWindowSize 65535" ;;
  esac
}

variant_runs() {
  local v=$1 a t
  t=${v%:*}
  t=${t%@base}
  a=$(args_of "$t")
  if [ "$t" != netpoll-fixed ] && has_part idle; then
    for n in 5000 10000 19000; do
      run "$v" -scenario idle -conns "$n" -herald-args "$a"
    done
  fi
  if has_part fanout; then
    run "$v" -scenario fanout -subs 5000 -changes 20 -back-to-back -herald-args "$a"
    run "$v" -scenario fanout -subs 10000 -changes 20 -back-to-back -herald-args "$a"
    run "$v" -scenario fanout -subs 10000 -changes 10 -herald-args "$a"
  fi
  if [ "$t" != netpoll-fixed ] && has_part register; then
    run "$v" -scenario register -conns 20 -duration 10s -herald-args "$a"
  fi
}

for r in $(seq "$rounds"); do
  echo "#### round $r $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  floor_run 5000
  floor_run 10000
  for i in "${!variants[@]}"; do
    variant_runs "${variants[$(( (i + r) % ${#variants[@]} ))]}"
  done
done
exit "$failed"
