# An Elixir/Erlang node from Debian's own packages (Elixir 1.14, Erlang/OTP 25 on bookworm).
# Runs `iex --name $NODE --cookie $COOKIE --erl "-kernel net_ticktime $TICK"` with the
# interop helpers (docker/iex/interop.exs) loaded; see docker/iex/entry.sh.
FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends elixir erlang-base erlang-crypto erlang-ssl \
    && rm -rf /var/lib/apt/lists/*
COPY iex/interop.exs iex/probe.exs /opt/interop/
COPY iex/entry.sh /usr/local/bin/iex-node
COPY iex/probe.sh /usr/local/bin/interop-probe
COPY iex/erlnode-standin.sh /opt/interop/erlnode-standin
RUN chmod 0755 /usr/local/bin/iex-node /usr/local/bin/interop-probe /opt/interop/erlnode-standin
ENTRYPOINT ["/usr/local/bin/iex-node"]
