#!/usr/bin/env bash
# Regenerates fuzz/seeds/ from a real OTP (needs erl/escript): term_to_binary of rich
# terms and distribution frames (seed.erl), plus handshake and EPMD packets captured
# from OTP 25 (the same bytes as the unit tests' vectors).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
rm -rf seeds && mkdir -p seeds
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
here=$PWD
cp seed.erl "$tmp/" && (cd "$tmp" && erlc seed.erl && erl -noshell -pa "$tmp" \
    -eval "ok = seed:main([\"$here/seeds\"]), halt().")
put() { mkdir -p "seeds/$1"; printf '%s' "$3" | xxd -r -p >"seeds/$1/$2"; }
# 2-byte length + body, as the handshake sends them.
pkt() { printf '%04x%s' $(( ${#1} / 2 )) "$1"; }
# erl -sname cap1 dialling us: send_name, then its challenge reply (src/proto/handshake/tests.rs).
put handshake_acceptor send_name "00$(pkt 4e0000000d07df7fbd6b02f33600076361703140766d)$(pkt 72353fe5f9a7182292ae22911e70b4da2163f5baf6)"
put handshake_acceptor alive "04$(pkt 4e0000000d07df7fbd6b02f33600076361703140766d)$(pkt 7374727565)"
# erl -sname cap2 answering our dial: status ok, challenge, ack.
put handshake_initiator accept "$(pkt 736f6b)$(pkt 4e0000000d07df7fbd83a1f9726b02f38400076361703240766d)$(pkt 618c51548cf33cb8616361214250054792)"
put handshake_initiator alive "$(pkt 73616c697665)$(pkt 4e0000000d07df7fbd83a1f9726b02f38400076361703240766d)"
# EPMD traffic of OTP 25 (src/proto/epmd/tests.rs).
put epmd alive2_req 001178b2074d00000600050004636170780000
put epmd alive2_resp 76006b02f2f0
put epmd alive2_refused 760100000063
put epmd port_please 00057a63617068
put epmd port2_resp 77008f0f4d00000600050004636170680000
put epmd port2_not_found 7701
put epmd names_req 00016e
put epmd names_resp 00005f316e616d65206361706820617420706f72742033363632330a
for d in seeds/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
