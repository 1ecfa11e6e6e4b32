#!/usr/bin/env bash
# Runs every test of erlnode: formatting, clippy, unit and doc tests, each interop suite against
# the real Erlang/Elixir on PATH, the multi-host docker tests, and the interop suites again
# against each other OTP release of the matrix (Debian trixie's OTP 27 and sid's newest, see
# otp-matrix.sh). Ends with one summary line per part and a last line `N passed, N failed`.
# Installs Erlang/OTP and Elixir from Debian's packages when they are absent (and debootstrap
# for the matrix's OTP roots).
#
#     interop-tests/run-all.sh
#
# Environment:
#   CI=true                no part may be skipped: a skipped part counts as failed
#   ERLNODE_SKIP_DOCKER=1  skip the docker tests (reported as SKIP)
#   ERLNODE_OTP_MATRIX     the other OTP releases to run the interop suites against
#                          (default "trixie sid"; empty to skip, reported as SKIP)
# Exits non-zero when any part failed. Logs of each part: target/run-all/.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
LOGDIR=$REPO/target/run-all
mkdir -p "$LOGDIR"
# Every process this run starts is killed when it ends (see run-token.sh).
# shellcheck source=interop-tests/run-token.sh
. "$REPO/interop-tests/run-token.sh"

say() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

STARTED=$(date +%s)
SUMMARY=()
PASSED=0
FAILED=0
# record STATUS NAME DETAIL: one line of the closing summary.
record() {
    local status=$1
    if [ "$status" = SKIP ] && [ "${CI:-}" = true ]; then status=FAIL; fi
    case $status in
        PASS) PASSED=$((PASSED + 1)) ;;
        FAIL) FAILED=$((FAILED + 1)) ;;
    esac
    SUMMARY+=("$(printf '%-4s  %-28s %s' "$status" "$2" "${3:-}")")
}
# part NAME COMMAND...: runs one part, its output shown and kept in target/run-all/NAME.log.
part() {
    local name=$1 start secs rc log
    shift
    log=$LOGDIR/${name// /-}.log
    say "$name"
    start=$(date +%s)
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    secs=$(($(date +%s) - start))
    if [ "$rc" = 0 ]; then record PASS "$name" "(${secs}s)"; else record FAIL "$name" "(${secs}s, log: $log)"; fi
    return "$rc"
}

summary() {
    say "summary ($(($(date +%s) - STARTED))s)"
    printf '%s\n' "${SUMMARY[@]}"
    printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
}

# ------------------------------------------------------------------ prerequisites
if ! command -v elixir >/dev/null 2>&1 || ! command -v erl >/dev/null 2>&1 || ! command -v epmd >/dev/null 2>&1; then
    say "installing Erlang/OTP and Elixir from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elixir erlang-dev >/dev/null \
        || record FAIL install "apt-get install elixir erlang-dev failed"
fi
# TLS distribution tests (-proto_dist inet_tls) need OTP's ssl application.
if command -v erl >/dev/null 2>&1 \
    && ! erl -noshell -eval 'halt(case code:lib_dir(ssl) of {error, _} -> 1; _ -> 0 end).' >/dev/null 2>&1; then
    say "installing OTP's ssl application (erlang-ssl) for the TLS distribution tests"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-ssl >/dev/null \
        || record FAIL install "apt-get install erlang-ssl failed"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust (rustup) first" >&2
    record FAIL cargo "cargo not found"
    summary
    exit 1
fi

say "versions"
cargo --version
HOST_OTP=$(erl -noshell -eval '
    {ok, V} = file:read_file(filename:join([code:root_dir(), "releases",
                             erlang:system_info(otp_release), "OTP_VERSION"])),
    io:format("~s", [string:trim(V)]), halt().' 2>/dev/null || echo "?")
HOST_ELIXIR=$(elixir --version 2>/dev/null | sed -n 's/^Elixir \([^ ]*\).*/\1/p')
echo "host: OTP $HOST_OTP / Elixir ${HOST_ELIXIR:-?}"

# ------------------------------------------------------------------ static checks and unit tests
part "fmt" cargo fmt --all -- --check
part "clippy" cargo clippy --all-targets --quiet -- -D warnings
if part "build tests" cargo test --all-targets --no-run; then
    part "unit" cargo test --lib --bins --examples --benches --no-fail-fast
    part "doc" cargo test --doc
    # ---------------------------------------------------------------- interop suites, host OTP
    for suite in $(interop-tests/otp-matrix.sh --list); do
        part "interop $suite" cargo test --test "$suite" --no-fail-fast
        if grep -q 'SKIPPING' "$LOGDIR/interop-$suite.log"; then
            record SKIP "interop $suite skips" "erl/elixir missing on PATH"
        fi
    done
fi

# ------------------------------------------------------------------ fuzz smoke (5 s per target)
part "fuzz smoke" fuzz/smoke.sh
if grep -q 'SKIPPING' "$LOGDIR/fuzz-smoke.log"; then
    record SKIP "fuzz smoke skips" "cargo-fuzz not installed"
fi

# ------------------------------------------------------------------ docker
if [ "${ERLNODE_SKIP_DOCKER:-0}" = 1 ]; then
    say "docker tests SKIPPED: ERLNODE_SKIP_DOCKER=1"
    record SKIP docker "ERLNODE_SKIP_DOCKER=1"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    part "docker" interop-tests/docker.sh
    part "docker tls" env ERLNODE_DOCKER_TLS=1 interop-tests/docker.sh
else
    say "docker tests SKIPPED: no Docker engine answers on this machine"
    record SKIP docker "no Docker engine answers"
fi

# ------------------------------------------------------------------ other OTP releases
read -r -a RELEASES <<<"${ERLNODE_OTP_MATRIX-trixie sid}"
if [ ${#RELEASES[@]} = 0 ]; then
    record SKIP "otp matrix" "ERLNODE_OTP_MATRIX is empty"
else
    results=$LOGDIR/otp-matrix.results
    : >"$results"
    say "OTP matrix: ${RELEASES[*]}"
    ERLNODE_MATRIX_RESULTS=$results interop-tests/otp-matrix.sh "${RELEASES[@]}" 2>&1 \
        | tee "$LOGDIR/otp-matrix.log"
    if [ ! -s "$results" ]; then
        record FAIL "otp matrix" "no result (log: $LOGDIR/otp-matrix.log)"
    fi
    while IFS=$'\t' read -r status name detail; do
        record "$status" "$name" "$detail"
    done <"$results"
fi

summary
[ "$FAILED" = 0 ]
