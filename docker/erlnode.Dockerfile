# The Rust node: the release binary built on the host (`cargo build --release`), copied
# onto the same Debian base as the iex nodes.  interop-tests/docker.sh puts the binary
# at docker/.build/erlnode before building this image.
FROM debian:bookworm
ENV LANG=C.UTF-8 RUST_LOG=info NO_COLOR=1
COPY .build/erlnode /usr/local/bin/erlnode
COPY erlnode/entry.sh /usr/local/bin/erlnode-node
RUN chmod 0755 /usr/local/bin/erlnode /usr/local/bin/erlnode-node
ENTRYPOINT ["/usr/local/bin/erlnode-node"]
