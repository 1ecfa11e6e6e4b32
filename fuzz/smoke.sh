#!/usr/bin/env bash
# The fuzz smoke run for the test suite: every target for 5 s (about 30 s in all, plus
# the first build). Exits non-zero on a crash. Skips (exit 0, with a message) when
# cargo-fuzz cannot be installed (it is installed from crates.io when absent), unless CI=true.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v cargo-fuzz >/dev/null; then
    # The test command installs what it needs: cargo-fuzz comes from crates.io.
    echo "fuzz smoke: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked --quiet || true
fi
if ! command -v cargo-fuzz >/dev/null; then
    if [ "${CI:-}" = true ]; then
        echo "fuzz smoke: cargo-fuzz could not be installed and CI=true" >&2
        exit 1
    fi
    echo "*** SKIPPING fuzz smoke: cargo-fuzz could not be installed ***"
    exit 0
fi
exec ./run.sh "${FUZZ_SMOKE_SECONDS:-5}"
