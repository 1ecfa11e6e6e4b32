#!/usr/bin/env bash
# Runs every test of erlnode: formatting, clippy, unit tests, interop tests against real
# Erlang/Elixir, and the multi-host docker tests when a Docker engine answers.
# Installs Erlang/OTP and Elixir from Debian's packages when they are absent.
#
#     interop-tests/run-all.sh
#
# With CI=true no interop test may skip: a missing erl/elixir is a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v elixir >/dev/null 2>&1 || ! command -v erl >/dev/null 2>&1 || ! command -v epmd >/dev/null 2>&1; then
  say "installing Erlang/OTP and Elixir from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elixir erlang-dev >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }

say "versions"
cargo --version
erl -noshell -eval 'io:format("OTP ~s~n", [erlang:system_info(otp_release)]), halt().'
elixir --version | tail -n 1

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

say "cargo test (unit and interop tests against real erl/elixir)"
cargo test --all-targets --no-fail-fast

if [ "${ERLNODE_SKIP_DOCKER:-0}" = 1 ]; then
  say "docker tests SKIPPED: ERLNODE_SKIP_DOCKER=1"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "docker multi-host interop tests"
  interop-tests/docker.sh
else
  say "docker tests SKIPPED: no Docker engine answers on this machine"
fi
