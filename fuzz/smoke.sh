#!/usr/bin/env bash
# The fuzz smoke run for the test suite: every target for 5 s (about 30 s in all, plus
# the first build). Exits non-zero on a crash. Skips (exit 0, with a message) when
# cargo-fuzz is not installed, unless CI=true.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v cargo-fuzz >/dev/null; then
    if [ "${CI:-}" = true ]; then
        echo "fuzz smoke: cargo-fuzz not installed (cargo install cargo-fuzz) and CI=true" >&2
        exit 1
    fi
    echo "*** SKIPPING fuzz smoke: cargo-fuzz not installed (cargo install cargo-fuzz) ***"
    exit 0
fi
exec ./run.sh "${FUZZ_SMOKE_SECONDS:-5}"
