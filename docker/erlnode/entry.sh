#!/bin/bash
# Start erlnode from the environment (same variables as docker/iex/entry.sh):
#   NODE, COOKIE (required), TICK (net_ticktime), HIDDEN=1, CONNECT="a@h b@h",
#   GLOBAL_IO=name (register the node's group leader globally under that name).
# erlnode starts its own EPMD when none answers, so the container needs no epmd.
set -eu
: "${NODE:?NODE must be set}" "${COOKIE:?COOKIE must be set}"
args=(--name "$NODE" --cookie "$COOKIE" --net-ticktime "${TICK:-60}")
if [[ "${HIDDEN:-0}" == 1 ]]; then args+=(--hidden); fi
for n in ${CONNECT:-}; do args+=(--connect "$n"); done
if [[ -n "${GLOBAL_IO:-}" ]]; then args+=(--global-io "$GLOBAL_IO"); fi
exec /usr/local/bin/erlnode "${args[@]}"
