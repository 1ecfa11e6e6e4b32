#!/bin/bash
# Start erlnode from the environment (same variables as docker/iex/entry.sh):
#   NODE, COOKIE (required), TICK (net_ticktime), HIDDEN=1, CONNECT="a@h b@h",
#   GLOBAL_IO=name (register the node's group leader globally under that name),
#   TLS=1 (distribution over TLS with /tls/<host>.conf, made by docker/make-tls.sh).
# erlnode starts its own EPMD when none answers, so the container needs no epmd.
set -eu
: "${NODE:?NODE must be set}" "${COOKIE:?COOKIE must be set}"
# An option this build does not know yet is left out with a warning (the scenarios that
# need it then fail on their own) rather than stopping the node from starting at all.
help=$(/usr/local/bin/erlnode --help 2>&1 || true)
supports() {
    if grep -q -- "$1" <<<"$help"; then return 0; fi
    echo "erlnode-node: this erlnode has no $1 option; starting without it" >&2
    return 1
}
args=(--name "$NODE" --cookie "$COOKIE" --net-ticktime "${TICK:-60}")
if [[ "${HIDDEN:-0}" == 1 ]] && supports --hidden; then args+=(--hidden); fi
if [[ -n "${CONNECT:-}" ]] && supports --connect; then
    for n in $CONNECT; do args+=(--connect "$n"); done
fi
if [[ -n "${GLOBAL_IO:-}" ]] && supports --global-io; then args+=(--global-io "$GLOBAL_IO"); fi
if [[ "${TLS:-0}" == 1 ]]; then args+=(--ssl-dist-optfile "/tls/${NODE#*@}.conf"); fi
exec /usr/local/bin/erlnode "${args[@]}"
