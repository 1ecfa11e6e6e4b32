#!/usr/bin/env bash
# Interop tests across real hosts: two iex nodes (one@host1.test, two@host2.test) and the
# Rust node (rust@host3.test) in containers on a private Docker network, with partitions,
# restarts and kills.  One command:
#
#     interop-tests/docker.sh
#
# It builds debian:bookworm when the engine lacks it (docker/base.sh), builds the release
# binary, builds the images, starts docker/compose.yml, runs the scenarios, prints PASS or
# FAIL for each and a closing "N passed, N failed" line, and exits non-zero on any failure.
# Containers, networks and the images this run made are always removed at the end.
#
# Environment:
#   ERLNODE_STANDIN=1     an iex node plays rust@host3.test (same registered processes and
#                         options), to check the suite itself without the Rust node
#   KEEP_IMAGES=1         keep the images at the end (faster reruns)
#   ERLNODE_DOCKER_CACHE  folder for saved image tarballs, reused across runs
#                         (default ~/.cache/erlnode-docker; empty disables)
#   NET_TICKTIME          net_ticktime of every node in seconds (default 8)
#   ERLNODE_COOKIE        shared cookie (default: a fixed test cookie)
#   ERLNODE_COMPOSE_PROJECT  compose project name (default erlnodeinterop)
#   ERLNODE_DOCKER_TLS=1  every node runs distribution over TLS (-proto_dist inet_tls): a CA
#                         and per-host certificates are made at start (docker/make-tls.sh),
#                         compose.tls.yml mounts them, scenario names start with "tls:", and
#                         a plain node dialling the TLS cluster is checked to be refused
# Logs of the containers, the build and the probes are left in target/docker-interop/.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKER_DIR=$ROOT/docker
LOGDIR=$ROOT/target/docker-interop
PROJECT=${ERLNODE_COMPOSE_PROJECT:-erlnodeinterop}
STANDIN=${ERLNODE_STANDIN:-0}
TLS_MODE=${ERLNODE_DOCKER_TLS:-0}
KEEP_IMAGES=${KEEP_IMAGES:-0}
export ERLNODE_DOCKER_CACHE=${ERLNODE_DOCKER_CACHE-${HOME:-/tmp}/.cache/erlnode-docker}
export ERLNODE_NET=${ERLNODE_NET:-${PROJECT}_net}
export NET_TICKTIME=${NET_TICKTIME:-8}
export ERLNODE_COOKIE=${ERLNODE_COOKIE:-erlnode-interop-cookie}
export IEX_IMAGE=erlnode-iex:test
if [[ "$STANDIN" == 1 ]]; then export RUST_IMAGE=$IEX_IMAGE; else export RUST_IMAGE=erlnode-rust:test; fi
export RUST_HIDDEN=0

N1=one@host1.test
N2=two@host2.test
NR=rust@host3.test
A1=":\"$N1\""
A2=":\"$N2\""
AR=":\"$NR\""
T=$NET_TICKTIME
# net_ticktime T means a dead peer is noticed after T to 1.25*T seconds; allow 3 s more.
DOWN_LIMIT_MS=$((T * 1250 + 3000))

log() { echo "[docker.sh] $*" >&2; }
now_ms() { date +%s%3N; }

mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/*.log

# ---------------------------------------------------------------- engine and compose
if ! docker info >/dev/null 2>&1; then
    echo "docker.sh: SKIPPED: no Docker engine answers (docker info failed)"
    exit 0
fi
if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
else
    echo "docker.sh: neither 'docker compose' nor 'docker-compose' is installed" >&2
    exit 1
fi
COMPOSE_FILES=(-f "$DOCKER_DIR/compose.yml")
TAG=""      # scenario name prefix
PING_TLS="" # TLS options of `erlnode ping` inside the rust container
if [[ "$TLS_MODE" == 1 ]]; then
    export ERLNODE_TLS_DIR
    ERLNODE_TLS_DIR=$(mktemp -d /tmp/erlnode-docker-tls.XXXXXX)
    if ! "$DOCKER_DIR/make-tls.sh" "$ERLNODE_TLS_DIR" 2>>"$LOGDIR/build.log"; then
        echo "docker.sh: making the TLS certificates failed (see $LOGDIR/build.log)" >&2
        rm -rf "$ERLNODE_TLS_DIR"
        exit 1
    fi
    COMPOSE_FILES+=(-f "$DOCKER_DIR/compose.tls.yml")
    TAG="tls: "
    PING_TLS="--ssl-dist-optfile /tls/host3.test.conf"
fi
compose() { "${COMPOSE[@]}" -p "$PROJECT" "${COMPOSE_FILES[@]}" "$@"; }
# The newest container of a service, running or not (compose v1 and v2 both label them).
cid() {
    docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" 2>/dev/null | head -n1
}

# ---------------------------------------------------------------- teardown, always
MADE_IMAGES=()
save_logs() { # save_logs SERVICE FILE
    local c
    c=$(cid "$1")
    [[ -n "$c" ]] && docker logs "$c" >"$LOGDIR/$2" 2>&1
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    save_logs one one.log
    save_logs two two.log
    save_logs rust rust.log
    compose down -v --remove-orphans -t 2 >>"$LOGDIR/compose.log" 2>&1
    docker network rm "$ERLNODE_NET" >/dev/null 2>&1
    rm -rf "$DOCKER_DIR/.build"
    [[ -n "${ERLNODE_TLS_DIR:-}" ]] && rm -rf "$ERLNODE_TLS_DIR"
    if [[ "$KEEP_IMAGES" != 1 ]]; then
        for img in "${MADE_IMAGES[@]}"; do
            docker rmi -f "$img" >/dev/null 2>&1 && log "removed image $img"
        done
        docker image prune -f --filter "label=erlnode.interop=1" >/dev/null 2>&1
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- results
PASSED=0
FAILED=0
FAILED_NAMES=()
pass() { echo "PASS: $TAG$1"; PASSED=$((PASSED + 1)); }
fail() {
    echo "FAIL: $TAG$1"
    [[ -n "${2:-}" ]] && printf '      %s\n' "$2" | head -n 12
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$TAG$1")
}
summary() {
    echo
    if ((FAILED > 0)); then
        echo "failed scenarios:"
        printf '  - %s\n' "${FAILED_NAMES[@]}"
    fi
    echo "$PASSED passed, $FAILED failed"
}

interrupted() {
    echo
    fail "run interrupted by $1"
    summary
    exit "$2"
}
trap cleanup EXIT
trap 'interrupted SIGINT 130' INT
trap 'interrupted SIGTERM 143' TERM

# ---------------------------------------------------------------- probes
# beam SERVICE EXPR: evaluate the Elixir expression EXPR on SERVICE's node (through a
# short-lived hidden node in the same container) and print inspect(result).
beam() {
    compose exec -T "$1" interop-probe "$2" 2>>"$LOGDIR/probe.err"
}
# expect NAME SERVICE EXPR REGEX: pass when the result matches REGEX (extended).
expect() {
    local name=$1 svc=$2 expr=$3 want=$4 out
    out=$(beam "$svc" "$expr")
    if grep -qE -- "$want" <<<"$out"; then pass "$name"; else fail "$name" "on $svc: $expr => ${out:-<no result, see target/docker-interop/probe.err>}"; fi
}
# matches SERVICE EXPR REGEX: like expect, but only returns the status (0 = matched)
# and leaves the output in $OUT.
OUT=""
matches() {
    OUT=$(beam "$1" "$2")
    grep -qE -- "$3" <<<"$OUT"
}
# rust_log REGEX SINCE_MS TIMEOUT_S: wait until the rust container's log (stdout and
# stderr) since SINCE_MS has a line matching REGEX.
rust_log() {
    local re=$1 since=$2 deadline=$(($(date +%s) + $3)) c
    while :; do
        c=$(cid rust)
        if [[ -n "$c" ]] && docker logs --since "$((since / 1000))" "$c" 2>&1 |
            sed 's/\x1b\[[0-9;]*m//g' | grep -qE -- "$re"; then
            return 0
        fi
        (($(date +%s) >= deadline)) && return 1
        sleep 0.5
    done
}
rust_tail() {
    local c
    c=$(cid rust)
    [[ -n "$c" ]] && docker logs --tail 8 "$c" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tr '\n' '|'
}
wait_ready() { # wait_ready SERVICE NODE: the node answers a probe within 40 s
    for _ in $(seq 1 40); do
        matches "$1" 'node()' "$2" && return 0
        sleep 1
    done
    return 1
}
rust_running() {
    local c
    c=$(cid rust)
    [[ -n "$c" ]] && [[ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" == true ]]
}
RUST_UP=0
RUST_WHY="the Rust node is not running"
need_rust() { # need_rust NAME: fail NAME at once when the Rust node is not up
    if [[ "$RUST_UP" != 1 ]]; then
        fail "$1" "$RUST_WHY"
        return 1
    fi
}
start_rust() { # start_rust: (re)create the rust service and check it stays up
    compose up -d rust >>"$LOGDIR/compose.log" 2>&1
    sleep 2
    if rust_running; then
        RUST_UP=1
    else
        RUST_UP=0
        RUST_WHY="rust container exited at start: $(rust_tail)"
    fi
}
rand() { echo "$RANDOM$RANDOM"; }
# Warnings of OTP's global on the iex nodes (e.g. disconnects "to prevent overlapping
# partitions"), to explain a lost one <-> two connection.
global_hints() {
    local svc c
    for svc in one two; do
        c=$(cid "$svc")
        [[ -n "$c" ]] && docker logs "$c" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -F "'global'" |
            sed "s/^/$svc: /" | tail -n 3
    done | tr '\n' '|'
}

# ---------------------------------------------------------------- images
log "compose: ${COMPOSE[*]}; logs in $LOGDIR"
compose down -v --remove-orphans -t 1 >>"$LOGDIR/compose.log" 2>&1

base_state=$("$DOCKER_DIR/base.sh" 2>>"$LOGDIR/build.log") || {
    echo "docker.sh: could not provide debian:bookworm (see $LOGDIR/build.log)" >&2
    tail -n 20 "$LOGDIR/build.log" >&2
    exit 1
}
[[ "$base_state" == made || "$base_state" == loaded ]] && MADE_IMAGES+=(debian:bookworm)
log "base image debian:bookworm: $base_state"

# iex image, keyed by the files it is built from; cached as a tarball.
iex_key=$(cat "$DOCKER_DIR/iex.Dockerfile" "$DOCKER_DIR"/iex/* | sha256sum | cut -c1-16)
have_key=$(docker image inspect -f '{{index .Config.Labels "erlnode.key"}}' "$IEX_IMAGE" 2>/dev/null || true)
iex_tar=${ERLNODE_DOCKER_CACHE:+$ERLNODE_DOCKER_CACHE/erlnode-iex-$iex_key.tar}
if [[ "$have_key" == "$iex_key" ]]; then
    log "image $IEX_IMAGE present and current"
elif [[ -n "$iex_tar" && -f "$iex_tar" ]] && docker load -i "$iex_tar" >>"$LOGDIR/build.log" 2>&1; then
    MADE_IMAGES+=("$IEX_IMAGE")
    log "image $IEX_IMAGE loaded from $iex_tar"
else
    log "building $IEX_IMAGE (apt-get install elixir inside the image)"
    MADE_IMAGES+=("$IEX_IMAGE")
    if ! docker build --label erlnode.key="$iex_key" --label erlnode.interop=1 -t "$IEX_IMAGE" \
        -f "$DOCKER_DIR/iex.Dockerfile" "$DOCKER_DIR" >>"$LOGDIR/build.log" 2>&1; then
        echo "docker.sh: building $IEX_IMAGE failed:" >&2
        tail -n 20 "$LOGDIR/build.log" >&2
        exit 1
    fi
    if [[ -n "$iex_tar" ]]; then
        mkdir -p "$ERLNODE_DOCKER_CACHE"
        rm -f "$ERLNODE_DOCKER_CACHE"/erlnode-iex-*.tar
        docker save -o "$iex_tar.part" "$IEX_IMAGE" && mv "$iex_tar.part" "$iex_tar"
    fi
fi

# The Rust node: release binary built on the host, copied onto the same base.
RUST_IMAGE_OK=0
if [[ "$STANDIN" == 1 ]]; then
    log "ERLNODE_STANDIN=1: an iex node plays $NR"
    RUST_IMAGE_OK=1
else
    log "cargo build --release"
    if (cd "$ROOT" && cargo build --release) >"$LOGDIR/cargo.log" 2>&1 && [[ -x "$ROOT/target/release/erlnode" ]]; then
        mkdir -p "$DOCKER_DIR/.build"
        cp "$ROOT/target/release/erlnode" "$DOCKER_DIR/.build/erlnode"
        MADE_IMAGES+=("$RUST_IMAGE")
        if docker build --label erlnode.interop=1 -t "$RUST_IMAGE" -f "$DOCKER_DIR/erlnode.Dockerfile" \
            "$DOCKER_DIR" >>"$LOGDIR/build.log" 2>&1; then
            RUST_IMAGE_OK=1
        else
            RUST_WHY="building $RUST_IMAGE failed: $(tail -n 5 "$LOGDIR/build.log" | tr '\n' '|')"
        fi
    else
        RUST_WHY="cargo build --release failed: $(grep -E '^error' "$LOGDIR/cargo.log" | head -n 3 | tr '\n' '|')"
    fi
fi

# ---------------------------------------------------------------- the cluster
log "starting one and two"
compose up -d one two >>"$LOGDIR/compose.log" 2>&1
if wait_ready one "$N1" && wait_ready two "$N2"; then
    pass "iex nodes $N1 and $N2 start (long names, net_ticktime $T)"
else
    fail "iex nodes $N1 and $N2 start (long names, net_ticktime $T)" "$(compose logs --tail 20 one two 2>&1)"
    summary
    exit 1
fi

echo "--- BEAM to BEAM across hosts"
expect "one -> two: Node.connect" one "Interop.connect($A2)" '^true$'
expect "two sees one in Node.list" two "$A1 in Node.list()" '^true$'
SPAWNED_RE='"spawned-[0-9]+\\n"\}$'
expect "Node.spawn(two, IO, :puts, ...) prints in the caller's group leader" one \
    "Interop.capture(fn m -> Node.spawn($A2, IO, :puts, [m]) end)" "^\{:ok, $A2, $SPAWNED_RE"
expect "Node.spawn(two, shell fun) prints in the caller's group leader" one \
    "Interop.capture(fn m -> Node.spawn($A2, fn -> IO.puts(m) end) end)" "^\{:ok, $A2, $SPAWNED_RE"

echo "--- the Rust node joins"
if [[ "$RUST_IMAGE_OK" == 1 ]]; then
    t_start=$(now_ms)
    start_rust
else
    RUST_UP=0
fi

if need_rust "rust -> one: rust@host3.test connects at start (--connect)"; then
    if matches one "Interop.wait_listed($AR, :visible, true, 20_000)" '^true$' &&
        rust_log "node up: .*one@host1\.test" "$t_start" 10; then
        pass "rust -> one: rust@host3.test connects at start (--connect)"
    else
        fail "rust -> one: rust@host3.test connects at start (--connect)" "one: $OUT; rust log: $(rust_tail)"
    fi
fi

if need_rust "two -> rust: Node.connect"; then
    if matches two "Interop.connect($AR, 15_000)" '^true$' &&
        rust_log "node up: .*two@host2\.test" "$t_start" 10; then
        pass "two -> rust: Node.connect"
    else
        fail "two -> rust: Node.connect" "two: $OUT; rust log: $(rust_tail)"
    fi
fi

if need_rust "Node.list on every node (rust visible)"; then
    ok=1 why=""
    matches one "l = Node.list(); $A2 in l and $AR in l and $AR not in Node.list(:hidden)" '^true$' ||
        { ok=0; why+="one: $(beam one 'Interop.lists()'); "; }
    matches two "l = Node.list(); $A1 in l and $AR in l and $AR not in Node.list(:hidden)" '^true$' ||
        { ok=0; why+="two: $(beam two 'Interop.lists()'); "; }
    # The Rust node has no shell: its view is its log, both peers up and none down since.
    if ! rust_log "node up: .*one@host1\.test" "$t_start" 1 || ! rust_log "node up: .*two@host2\.test" "$t_start" 1 ||
        rust_log "node down:" "$t_start" 0; then
        ok=0 why+="rust log: $(rust_tail)"
    fi
    if [[ $ok == 1 ]]; then pass "Node.list on every node (rust visible)"; else fail "Node.list on every node (rust visible)" "$why $(global_hints)"; fi
fi

if need_rust "rust's own Node.list (erlang:nodes/0 via :rpc) has one and two"; then
    expect "rust's own Node.list (erlang:nodes/0 via :rpc) has one and two" one \
        "l = :rpc.call($AR, :erlang, :nodes, [], 5_000); is_list(l) and $A1 in l and $A2 in l or l" '^true$'
fi

if need_rust "Node.ping rust from one and two"; then
    if matches one "Node.ping($AR)" '^:pong$' && matches two "Node.ping($AR)" '^:pong$'; then
        pass "Node.ping rust from one and two"
    else
        fail "Node.ping rust from one and two" "$OUT"
    fi
fi

if need_rust "erlnode ping from host3: pong, and pang with a wrong cookie"; then
    # The cookie stays inside the container's environment.
    # The answer is on stdout; logs (stderr) go to the probe log.
    p_ok=$(compose exec -T rust sh -c "erlnode ping $N1 --cookie \"\$COOKIE\" --name pinger$(rand)@host3.test $PING_TLS" 2>>"$LOGDIR/probe.err")
    # pang goes to stderr with the reason ("erlnode: pang: ...").
    p_bad=$(compose exec -T rust sh -c "erlnode ping $N1 --cookie wrong-cookie --name pinger$(rand)@host3.test $PING_TLS" 2>&1 | tee -a "$LOGDIR/probe.err")
    if grep -qx pong <<<"$p_ok" && grep -qE '^(erlnode: )?pang' <<<"$p_bad"; then
        pass "erlnode ping from host3: pong, and pang with a wrong cookie"
    else
        fail "erlnode ping from host3: pong, and pang with a wrong cookie" "right cookie: $p_ok | wrong cookie: $p_bad"
    fi
fi

if need_rust "registered send to echo on rust round-trips (one)"; then
    expect "registered send to echo on rust round-trips (one)" one "Interop.echo($AR)" '^:ok$'
fi
if need_rust "echo round-trips a rich term (two)"; then
    expect "echo round-trips a rich term (two)" two "Interop.echo($AR, :rich)" '^:ok$'
fi

if need_rust "Node.spawn(rust, IO, :puts, ...) prints in the caller's group leader"; then
    expect "Node.spawn(rust, IO, :puts, ...) prints in the caller's group leader" one \
        "Interop.capture(fn m -> Node.spawn($AR, IO, :puts, [m]) end)" "^\{:ok, $AR, $SPAWNED_RE"
fi
if need_rust "Node.spawn(rust, iex shell fun) prints in the caller's group leader"; then
    expect "Node.spawn(rust, iex shell fun) prints in the caller's group leader" two \
        "Interop.capture(fn m -> Node.spawn($AR, fn -> IO.puts(m) end) end)" "^\{:ok, $AR, $SPAWNED_RE"
fi

if need_rust "registered send to inbox on rust is printed"; then
    word=inbox_probe_$(rand)
    t=$(now_ms)
    if matches one "Interop.inbox($AR, :$word)" '^:ok$' && rust_log "$word" "$t" 10; then
        pass "registered send to inbox on rust is printed"
    else
        fail "registered send to inbox on rust is printed" "one: $OUT; rust log: $(rust_tail)"
    fi
fi

if need_rust "IO to the Rust group leader via :global"; then
    text=global_io_probe_$(rand)
    t=$(now_ms)
    if matches one "Interop.global_io(:rustio, \"$text\")" "^\{:ok, $AR\}$" && rust_log "$text" "$t" 10; then
        pass "IO to the Rust group leader via :global"
    else
        fail "IO to the Rust group leader via :global" "one: $OUT; rust log: $(rust_tail)"
    fi
fi

if [[ "$TLS_MODE" == 1 ]] && need_rust "a plain node on host1 dialling the TLS cluster is refused (pang; rust logs why)"; then
    t=$(now_ms)
    # A hidden node without -proto_dist inet_tls, next to one.
    plain=$(compose exec -T one sh -c "elixir --hidden --name plain$(rand)@host1.test --cookie \"\$COOKIE\" -e 'IO.puts(Node.ping(:\"$NR\"))'" 2>>"$LOGDIR/probe.err" | tail -n 1)
    if [[ "$plain" == pang ]] && rust_log "dialled without TLS" "$t" 10 && matches one "Node.ping($AR)" '^:pong$'; then
        pass "a plain node on host1 dialling the TLS cluster is refused (pang; rust logs why)"
    else
        fail "a plain node on host1 dialling the TLS cluster is refused (pang; rust logs why)" "plain ping: $plain; one: $OUT; rust log: $(rust_tail)"
    fi
fi

echo "--- partition: docker network disconnect of host3"
if need_rust "partition: one and two get nodedown for rust within net_ticktime"; then
    t_cut=$(now_ms)
    docker network disconnect "$ERLNODE_NET" "$(cid rust)" >>"$LOGDIR/compose.log" 2>&1
    wait_s=$((DOWN_LIMIT_MS + 5000))
    ok=1 why=""
    for svc in one two; do
        out=$(beam "$svc" "Interop.wait_event($AR, :down, $t_cut, $wait_s)")
        if [[ "$out" =~ ^\{:ok,\ ([0-9]+),\ (.*)\}$ ]]; then
            delay=$((BASH_REMATCH[1] - t_cut))
            why+="$svc: nodedown after ${delay} ms (${BASH_REMATCH[2]}); "
            ((delay <= DOWN_LIMIT_MS)) || ok=0
        else
            ok=0 why+="$svc: $out; "
        fi
    done
    if [[ $ok == 1 ]]; then
        pass "partition: one and two get nodedown for rust within net_ticktime ($why)"
    else
        fail "partition: one and two get nodedown for rust within net_ticktime" "$why limit ${DOWN_LIMIT_MS} ms"
    fi
    if rust_log "node down: .*one@host1\.test" "$t_cut" 10 && rust_log "node down: .*two@host2\.test" "$t_cut" 5; then
        pass "partition: rust logs one and two down"
    else
        fail "partition: rust logs one and two down" "rust log: $(rust_tail)"
    fi
    if matches one "$A2 in Node.list()" '^true$'; then
        pass "partition: one and two stay connected"
    else
        fail "partition: one and two stay connected" "one: $(beam one 'Interop.lists()') $(global_hints)"
    fi

    t_heal=$(now_ms)
    docker network connect --alias host3.test "$ERLNODE_NET" "$(cid rust)" >>"$LOGDIR/compose.log" 2>&1
    if matches one "Interop.connect($AR, 20_000)" '^true$' && matches two "Interop.connect($AR, 20_000)" '^true$' &&
        matches one "Interop.echo($AR)" '^:ok$' && matches two "Interop.echo($AR)" '^:ok$' &&
        rust_log "node up: .*one@host1\.test" "$t_heal" 10 && rust_log "node up: .*two@host2\.test" "$t_heal" 10; then
        pass "heal: reconnecting host3 restores the cluster (connect, echo, rust logs up)"
    else
        fail "heal: reconnecting host3 restores the cluster (connect, echo, rust logs up)" "last: $OUT; rust log: $(rust_tail)"
    fi
else
    fail "partition: rust logs one and two down" "$RUST_WHY"
    fail "heal: reconnecting host3 restores the cluster (connect, echo, rust logs up)" "$RUST_WHY"
fi

echo "--- docker compose restart two"
t_rs=$(now_ms)
compose restart -t 5 two >>"$LOGDIR/compose.log" 2>&1
if wait_ready two "$N2" && matches two "Interop.connect($A1, 15_000)" '^true$'; then
    pass "restart two: the new two@host2.test reconnects to one"
else
    fail "restart two: the new two@host2.test reconnects to one" "$OUT"
fi
if need_rust "restart two: two reconnects to rust (connect, echo, rust logs down and up)"; then
    if matches two "Interop.connect($AR, 15_000)" '^true$' && matches two "Interop.echo($AR, :rich)" '^:ok$' &&
        rust_log "node down: .*two@host2\.test" "$t_rs" 5 && rust_log "node up: .*two@host2\.test" "$t_rs" 5; then
        pass "restart two: two reconnects to rust (connect, echo, rust logs down and up)"
    else
        fail "restart two: two reconnects to rust (connect, echo, rust logs down and up)" "two: $OUT; rust log: $(rust_tail)"
    fi
fi

echo "--- docker kill of host3"
if need_rust "kill rust: a monitor on {:echo, rust} gets DOWN :noconnection"; then
    early=""
    if matches one "Interop.connect($AR, 5_000) and Interop.start_monitor({:echo, $AR}) == :ok" '^true$'; then
        sleep 1
        early=$(beam one "Interop.monitor_result()")
    fi
    t_kill=$(now_ms)
    docker kill "$(cid rust)" >>"$LOGDIR/compose.log" 2>&1
    RUST_UP=0 RUST_WHY="the Rust container was killed"
    if [[ "$early" == nil ]] && matches one "Interop.wait_monitor(10_000)" '^\{:down, :noconnection, [0-9]+\}$'; then
        pass "kill rust: a monitor on {:echo, rust} gets DOWN :noconnection"
    else
        fail "kill rust: a monitor on {:echo, rust} gets DOWN :noconnection" "before kill: ${early:-<no monitor>}; after: $OUT"
    fi
    expect "kill rust: two sees rust down" two "Interop.wait_event($AR, :down, $t_kill, 10_000)" '^\{:ok, '
else
    fail "kill rust: two sees rust down" "$RUST_WHY"
fi
save_logs rust rust-visible.log

echo "--- hidden: the Rust node again, with --hidden"
export RUST_HIDDEN=1
if [[ "$RUST_IMAGE_OK" == 1 ]]; then
    t_start=$(now_ms)
    start_rust
fi
if need_rust "hidden: rust connects to one and shows only in Node.list(:hidden)"; then
    if matches one "Interop.wait_listed($AR, :hidden, true, 20_000) and $AR not in Node.list()" '^true$'; then
        pass "hidden: rust connects to one and shows only in Node.list(:hidden)"
    else
        fail "hidden: rust connects to one and shows only in Node.list(:hidden)" "one: $(beam one 'Interop.lists()'); rust log: $(rust_tail)"
    fi
fi
if need_rust "hidden: two -> rust connects; rust only in :hidden on one and two"; then
    if matches two "Interop.connect($AR, 15_000) and $AR in Node.list(:hidden) and $AR not in Node.list()" '^true$' &&
        matches one "$AR not in Node.list() and $A2 in Node.list()" '^true$'; then
        pass "hidden: two -> rust connects; rust only in :hidden on one and two"
    else
        fail "hidden: two -> rust connects; rust only in :hidden on one and two" "last: $OUT; one: $(beam one 'Interop.lists()'); two: $(beam two 'Interop.lists()')"
    fi
fi
if need_rust "hidden: rust's own lists (erlang:nodes/1 via :rpc): one and two hidden only"; then
    expect "hidden: rust's own lists (erlang:nodes/1 via :rpc): one and two hidden only" one \
        "v = :rpc.call($AR, :erlang, :nodes, [:visible], 5_000); h = :rpc.call($AR, :erlang, :nodes, [:hidden], 5_000); v == [] and is_list(h) and $A1 in h and $A2 in h or {v, h}" '^true$'
fi
if need_rust "hidden: echo round-trips over the hidden connection"; then
    expect "hidden: echo round-trips over the hidden connection" one "Interop.echo($AR, :rich)" '^:ok$'
fi

summary
((FAILED == 0))
