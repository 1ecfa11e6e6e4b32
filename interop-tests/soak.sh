#!/usr/bin/env bash
# Soak with faults: MESSAGES (default 1000000) messages each way between a real BEAM node
# and the erlnode binary, every reply checked in order, while the link between them is cut
# and healed twice and the BEAM node is killed (-9) and restarted. Checks: nothing lost or
# reordered while connected (interop-tests/soak/driver.exs), node-down on both sides within
# net_ticktime, reconnection, and the erlnode process's memory back near its baseline.
#
#     interop-tests/soak.sh [MESSAGES]        (as root: it uses a network namespace)
#
# SOAK_TICKTIME (default 4) is net_ticktime on both nodes, in seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-1000000}
T=${SOAK_TICKTIME:-4}
[ "$(id -u)" = 0 ] || { echo "soak.sh needs root (ip netns)" >&2; exit 2; }
command -v elixir >/dev/null || { echo "elixir not found" >&2; exit 2; }

say() { printf '[soak %s] %s\n' "$(date +%T)" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
ms() { date +%s%3N; }

cargo build --release --quiet --bin erlnode
BIN=$PWD/target/release/erlnode
DRIVER=$PWD/interop-tests/soak/driver.exs
LOG=$(mktemp -d /tmp/erlnode-soak.XXXX)
tag=$$
NS=erlsoak$tag
VH=vsh$((tag % 100000))
VN=vsn$((tag % 100000))
HOST_IP=10.201.$((tag % 200)).1
BEAM_IP=10.201.$((tag % 200)).2
EPMD_PORT=$((20000 + tag % 20000))
RUST=rust@$HOST_IP
BEAM=beam@$BEAM_IP
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip link del "$VH" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NS"
ip link add "$VH" type veth peer name "$VN"
ip link set "$VN" netns "$NS"
ip addr add "$HOST_IP/24" dev "$VH"
ip link set "$VH" up
ip netns exec "$NS" ip addr add "$BEAM_IP/24" dev "$VN"
ip netns exec "$NS" ip link set "$VN" up
ip netns exec "$NS" ip link set lo up

rss_kib() { awk '{print $2 * 4}' "/proc/$1/statm"; }
wait_log() { # FILE PATTERN SECONDS
    local end=$(( $(date +%s) + $3 ))
    until grep -q -- "$2" "$1"; do
        [ "$(date +%s)" -lt "$end" ] || fail "no '$2' in $1 after $3 s (logs: $LOG)"
        sleep 0.05
    done
}
count_log() { grep -c -- "$2" "$1" || true; }

say "erlnode $RUST, BEAM $BEAM in netns $NS, net_ticktime $T s, $N messages each way; logs in $LOG"
"$BIN" --name "$RUST" --cookie soak --epmd-port "$EPMD_PORT" --net-ticktime "$T" >"$LOG/rust.log" 2>&1 &
RPID=$!; pids+=("$RPID")
wait_log "$LOG/rust.log" "is up" 30

beam() { # LABEL COUNT: starts the BEAM node in the namespace; its pid in BPID
    ip netns exec "$NS" env ERL_EPMD_PORT="$EPMD_PORT" elixir --name "$BEAM" --cookie soak \
        --erl "-kernel net_ticktime $T" "$DRIVER" "$RUST" "$2" >"$LOG/beam-$1.log" 2>&1 &
    BPID=$!
    pids+=("$BPID")
}

# Memory after a first, short run has warmed up the connection and the allocator.
beam warmup 20000
wait "$BPID" || fail "warm-up run failed: $(tail -3 "$LOG/beam-warmup.log")"
wait_log "$LOG/rust.log" "node down: $BEAM" $((T * 2))
sleep 1
BASE=$(rss_kib "$RPID")
say "baseline RSS of erlnode: $BASE KiB"

cut_and_heal() { # LOGFILE
    local downs_before rust_before t0 t1 t2
    downs_before=$(count_log "$1" NODEDOWN)
    rust_before=$(count_log "$LOG/rust.log" "node down: $BEAM")
    t0=$(ms)
    ip link set "$VH" down
    say "link cut"
    until [ "$(count_log "$LOG/rust.log" "node down: $BEAM")" -gt "$rust_before" ]; do
        [ $(( $(ms) - t0 )) -lt $(( T * 2000 + 5000 )) ] || fail "erlnode saw no node-down after the cut"
        sleep 0.05
    done
    t1=$(ms)
    until [ "$(count_log "$1" NODEDOWN)" -gt "$downs_before" ]; do
        [ $(( $(ms) - t0 )) -lt $(( T * 2000 + 5000 )) ] || fail "BEAM saw no nodedown after the cut"
        sleep 0.05
    done
    t2=$(ms)
    say "node-down after $((t1 - t0)) ms on erlnode, $((t2 - t0)) ms on BEAM (net_ticktime $((T * 1000)) ms)"
    # Ticks go every T/4; a peer is down after T without traffic: allow T + T/4 + 1 s.
    [ $((t1 - t0)) -le $((T * 1250 + 1000)) ] || fail "erlnode took too long"
    [ $((t2 - t0)) -le $((T * 1250 + 1000)) ] || fail "BEAM took too long"
    ip link set "$VH" up
    say "link healed"
    until [ "$(count_log "$1" RECONNECTED)" -gt "$downs_before" ]; do
        [ $(( $(ms) - t0 )) -lt $(( T * 2000 + 30000 )) ] || fail "no reconnection after healing"
        sleep 0.05
    done
    say "reconnected"
}

progress() { grep -o 'progress=[0-9]*' "$1" | tail -1 | cut -d= -f2; }
wait_progress() { # LOGFILE AT
    until [ "${2}" -le "$(progress "$1" || echo 0)" ] 2>/dev/null; do
        grep -q "ORDER ERROR\|STALL" "$1" && fail "$(grep "ORDER ERROR\|STALL" "$1")"
        sleep 0.1
    done
}

# Run A: two cuts, then killed.
beam A "$N"
A=$BPID
wait_log "$LOG/beam-A.log" CONNECTED 60
wait_progress "$LOG/beam-A.log" $((N / 4 / 50000 * 50000 > 0 ? N / 4 / 50000 * 50000 : 50000))
cut_and_heal "$LOG/beam-A.log"
wait_progress "$LOG/beam-A.log" $((N / 2 / 50000 * 50000 > 0 ? N / 2 / 50000 * 50000 : 50000))
cut_and_heal "$LOG/beam-A.log"
at=$((N * 3 / 4 / 50000 * 50000)); [ "$at" -gt 0 ] || at=50000
wait_progress "$LOG/beam-A.log" "$at"
done_a=$(progress "$LOG/beam-A.log")
rust_before=$(count_log "$LOG/rust.log" "node down: $BEAM")
t0=$(ms)
kill -9 "$A"
say "BEAM node killed after $done_a replies"
until [ "$(count_log "$LOG/rust.log" "node down: $BEAM")" -gt "$rust_before" ]; do
    [ $(( $(ms) - t0 )) -lt $(( T * 2000 + 5000 )) ] || fail "erlnode saw no node-down after the kill"
    sleep 0.05
done
say "node-down on erlnode $(( $(ms) - t0 )) ms after the kill"

# Run B: a restarted BEAM node does the rest.
beam B $((N - done_a))
if ! wait "$BPID"; then fail "run B: $(grep -v '^$' "$LOG/beam-B.log" | tail -3)"; fi
grep -q "^DONE" "$LOG/beam-B.log" || fail "run B did not finish"
grep -q "ORDER ERROR" "$LOG/beam-A.log" && fail "$(grep "ORDER ERROR" "$LOG/beam-A.log")"
say "run A: $done_a replies in order, $(count_log "$LOG/beam-A.log" NODEDOWN) nodedowns and reconnections"
say "run B: $(grep '^DONE' "$LOG/beam-B.log")"

wait_log "$LOG/rust.log" "node down: $BEAM" $((T * 2))
sleep $((T + 1))
AFTER=$(rss_kib "$RPID")
say "erlnode RSS: baseline $BASE KiB, after $AFTER KiB"
[ "$AFTER" -le $((BASE + BASE / 2 + 16384)) ] || fail "memory not back near its baseline"
kill -0 "$RPID" || fail "erlnode died"
say "PASS: $N messages each way, order kept while connected, node-down within net_ticktime, reconnected, memory back"
