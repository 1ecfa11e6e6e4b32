#!/bin/bash
# Stand-in for `erlnode ping NODE --cookie C --name N@HOST` (prints pong or pang), used
# only when an iex node plays the Rust node's part.
set -eu
[[ "${1:-}" == ping ]] || { echo "stand-in supports only: erlnode ping NODE --cookie C --name N@HOST" >&2; exit 64; }
shift
target="" cookie="" name=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cookie) cookie=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --ssl-dist-optfile) shift 2 ;; # TLS comes from $TLS, as for the node

        *) target=$1; shift ;;
    esac
done
erl="-kernel net_ticktime ${TICK:-60}"
if [[ "${TLS:-0}" == 1 ]]; then erl+=" -proto_dist inet_tls -ssl_dist_optfile /tls/${name#*@}.conf"; fi
PING_TARGET=$target exec elixir --hidden --name "$name" --cookie "$cookie" \
    --erl "$erl" \
    -e 'IO.puts(Node.ping(String.to_atom(System.fetch_env!("PING_TARGET"))))'
