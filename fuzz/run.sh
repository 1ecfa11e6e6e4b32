#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and prints, per target, the
# executions done and the crashes found (files in fuzz/artifacts/TARGET/).
#
#     fuzz/run.sh 600            # ten minutes per target
#     fuzz/run.sh 3600 etf       # one target for an hour
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It builds with the stable toolchain and
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only -Z flags); set FUZZ_TOOLCHAIN=nightly
# to use a nightly toolchain instead. Each target starts from fuzz/seeds/TARGET (bytes
# from a real OTP, see seed.sh) and keeps what it learns in fuzz/corpus/TARGET.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} = 0 ] && targets=(etf control handshake_acceptor handshake_initiator epmd)
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    fuzz=(cargo "+$FUZZ_TOOLCHAIN" fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz not found: cargo install cargo-fuzz" >&2; exit 2; }
# One build of every target (cargo fuzz build takes one target or none).
"${fuzz[@]}" build -O >build.log 2>&1 || { tail -30 build.log >&2; exit 2; }
failed=0
printf '%-22s %14s %10s %8s\n' target executions exec/s crashes
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    log="artifacts/$t.log"
    "${fuzz[@]}" run -O "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    after=$(find "artifacts/$t" -type f | wc -l)
    crashes=$((after - before))
    printf '%-22s %14s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
    if [ "$crashes" != 0 ] || [ -z "$execs" ]; then
        failed=1
        echo "  see $PWD/$log and $PWD/artifacts/$t/" >&2
    fi
done
exit $failed
