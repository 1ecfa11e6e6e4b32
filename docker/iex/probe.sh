#!/bin/bash
# interop-probe EXPR [NODE]
# Start a short-lived hidden node on this host, evaluate the Elixir expression EXPR on NODE
# (default: this container's $NODE) with :rpc, and print inspect(result) on stdout.
# Exit 0 on success, 2 on badrpc, 3 when NODE cannot be reached.
set -eu
expr=${1:?usage: interop-probe EXPR [NODE]}
target=${2:-$NODE}
host=${NODE#*@}
erl="-kernel net_ticktime ${TICK:-60}"
if [[ "${TLS:-0}" == 1 ]]; then erl+=" -proto_dist inet_tls -ssl_dist_optfile /tls/$host.conf"; fi
exec elixir --hidden --name "probe$$_$RANDOM@$host" --cookie "$COOKIE" \
    --erl "$erl" /opt/interop/probe.exs "$target" "$expr"
