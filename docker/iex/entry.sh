#!/bin/bash
# Start one Elixir node for the interop tests.
#   NODE    long node name, e.g. one@host1 (required)
#   COOKIE  distribution cookie (required; never printed)
#   TICK    net_ticktime in seconds (default 60)
#   HIDDEN  1 = start as a hidden node
#   TLS     1 = distribution over TLS with /tls/<host>.conf (docker/make-tls.sh)
#   STANDIN 1 = also play the erlnode contract (echo, inbox, --global-io, --connect),
#           so the whole suite can run with an iex node in the Rust node's place
# With a terminal attached (compose gives one/two a tty) this is a real iex shell that a
# person can `docker attach` to; without one it is the same node under `elixir --no-halt`.
set -eu
: "${NODE:?NODE must be set}" "${COOKIE:?COOKIE must be set}"
TICK=${TICK:-60}
erl="-kernel net_ticktime $TICK"
if [[ "${TLS:-0}" == 1 ]]; then erl+=" -proto_dist inet_tls -ssl_dist_optfile /tls/${NODE#*@}.conf"; fi
args=(--name "$NODE" --cookie "$COOKIE" --erl "$erl")
if [[ "${HIDDEN:-0}" == 1 ]]; then args+=(--hidden); fi
if [[ "${STANDIN:-0}" == 1 ]]; then
    # `erlnode ping ...` inside the stand-in container.
    ln -sf /opt/interop/erlnode-standin /usr/local/bin/erlnode
fi
if [[ -t 0 ]]; then
    exec iex "${args[@]}" -r /opt/interop/interop.exs
else
    exec elixir "${args[@]}" --no-halt -r /opt/interop/interop.exs
fi
