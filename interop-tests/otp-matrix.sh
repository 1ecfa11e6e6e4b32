#!/usr/bin/env bash
# Runs the interop test suites (interop-tests/*.rs) against several Erlang/OTP and Elixir
# releases and prints a summary per release:
#
#     interop-tests/otp-matrix.sh                 the host's OTP, Debian trixie's and sid's
#     interop-tests/otp-matrix.sh trixie          one release (host = the erl/elixir on PATH)
#     interop-tests/otp-matrix.sh --list          the suites it would run
#
# A release other than `host` is a Debian suite: interop-tests/otp-root.sh builds (once, cached
# under /var/cache/erlnode/otp-roots) a Debian root with that suite's erlang and elixir packages
# and a folder of wrappers (erl, elixir, iex, epmd, erl_call, ...) that run them chrooted, with
# the host's network, hostname and files. The tests find the BEAM they drive through PATH only:
# for a release, that folder is put first in PATH. Trixie has OTP 27 / Elixir 1.18, sid the
# newest OTP / Elixir Debian packages.
#
# The test binaries are built once; each release runs the same binaries. Every process a run
# starts (BEAM nodes, epmd daemons, ...) carries a token in its environment and is killed
# when the run ends, however it ends; the roots' mounts live only as long as those processes.
#
# Environment:
#   ERLNODE_OTP_MATRIX    releases to run when none are named (default "host trixie sid")
#   ERLNODE_MATRIX_SUITES interop suites to run (default: every interop-tests/*.rs)
#   ERLNODE_MATRIX_RESULTS  file to append one "PASS|FAIL<TAB>name<TAB>detail" line per release to
#                         (run-all.sh reads it for its summary)
#   CI=true               a release whose root cannot be built fails (never skipped)
# Exits non-zero when any suite fails on any release. Test logs: target/otp-matrix/.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
LOGDIR=$REPO/target/otp-matrix
mkdir -p "$LOGDIR"

suites() {
    if [ -n "${ERLNODE_MATRIX_SUITES:-}" ]; then
        echo "$ERLNODE_MATRIX_SUITES" | tr ' ' '\n'
        return
    fi
    for f in interop-tests/*.rs; do basename "$f" .rs; done
}

if [ "${1:-}" = --list ]; then suites; exit 0; fi

if [ $# -gt 0 ]; then RELEASES=("$@"); else read -r -a RELEASES <<<"${ERLNODE_OTP_MATRIX:-host trixie sid}"; fi
mapfile -t SUITES < <(suites)

# Every process this run starts is killed when it ends (see run-token.sh).
# shellcheck source=interop-tests/run-token.sh
. "$REPO/interop-tests/run-token.sh"

# ------------------------------------------------------------------ build once
echo "==> building the interop test binaries (${SUITES[*]})"
test_args=()
for s in "${SUITES[@]}"; do test_args+=(--test "$s"); done
if ! cargo test --no-run "${test_args[@]}" >"$LOGDIR/build.log" 2>&1; then
    tail -n 30 "$LOGDIR/build.log"
    echo "otp-matrix: building the test binaries failed (log: $LOGDIR/build.log)"
    exit 1
fi

# ------------------------------------------------------------------ one release
declare -a SUMMARY=()
FAILED=0

versions_of() {
    local otp elixir
    otp=$(erl -noshell -eval '
        {ok, V} = file:read_file(filename:join([code:root_dir(), "releases",
                                 erlang:system_info(otp_release), "OTP_VERSION"])),
        io:format("~s", [string:trim(V)]), halt().' 2>/dev/null)
    elixir=$(elixir --version 2>/dev/null | sed -n 's/^Elixir \([^ ]*\).*/\1/p')
    echo "OTP ${otp:-?} / Elixir ${elixir:-?}"
}

run_release() {
    local rel=$1 bin="" path=$PATH versions start secs s log passed=0 failed=0 bad=() counts
    start=$(date +%s)
    if [ "$rel" != host ]; then
        echo "==> $rel: preparing its OTP root"
        if ! bin=$(interop-tests/otp-root.sh "$rel" 2>"$LOGDIR/$rel-root.log"); then
            cat "$LOGDIR/$rel-root.log"
            SUMMARY+=("FAIL	$rel	the $rel OTP root could not be built (log: $LOGDIR/$rel-root.log)")
            FAILED=1
            return
        fi
        path=$bin:$PATH
    fi
    versions=$(PATH=$path versions_of)
    echo "==> $rel: $versions: ${#SUITES[@]} interop suites"
    for s in "${SUITES[@]}"; do
        log=$LOGDIR/$rel-$s.log
        if PATH=$path cargo test --test "$s" --no-fail-fast >"$log" 2>&1; then
            passed=$((passed + 1))
            counts=$(grep -o '[0-9]* passed' "$log" | awk '{n+=$1} END {print n+0}')
            echo "    PASS $s ($counts tests)"
        else
            failed=$((failed + 1))
            bad+=("$s")
            echo "    FAIL $s (log: $log)"
            grep -E '^test .* FAILED$|^    [a-z_:]+$|panicked at' "$log" | head -n 20 | sed 's/^/      /'
        fi
        if grep -q 'SKIPPING' "$log"; then
            echo "    (!) $s skipped tests: erl/elixir missing on PATH"
        fi
    done
    secs=$(($(date +%s) - start))
    if [ "$failed" = 0 ]; then
        SUMMARY+=("PASS	$rel	$versions: all $passed interop suites passed (${secs}s)")
    else
        SUMMARY+=("FAIL	$rel	$versions: $failed of $((passed + failed)) interop suites failed: ${bad[*]} (${secs}s)")
        FAILED=1
    fi
}

for rel in "${RELEASES[@]}"; do run_release "$rel"; done

echo
echo "==> OTP matrix summary"
for line in "${SUMMARY[@]}"; do
    IFS=$'\t' read -r status rel detail <<<"$line"
    printf '%-4s %-7s %s\n' "$status" "$rel" "$detail"
    if [ -n "${ERLNODE_MATRIX_RESULTS:-}" ]; then
        printf '%s\totp %s\t%s\n' "$status" "$rel" "$detail" >>"$ERLNODE_MATRIX_RESULTS"
    fi
done
exit "$FAILED"
