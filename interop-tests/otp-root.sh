#!/usr/bin/env bash
# Builds and caches a Debian root holding another Erlang/OTP and Elixir release, and writes a
# folder of wrappers (erl, elixir, iex, epmd, erl_call, ...) that run them from the host.
#
#     interop-tests/otp-root.sh SUITE            build the root once (cached), write the wrappers,
#                                               print the wrapper folder (put it first in PATH)
#     interop-tests/otp-root.sh SUITE --refresh  also apt-get upgrade an existing root
#
# SUITE is a Debian suite: trixie (OTP 27, Elixir 1.18), sid (the newest OTP and Elixir), ...
# The root is `debootstrap --variant=minbase SUITE` plus erlang-nox erlang-dev erlang-src elixir,
# kept under $ERLNODE_OTP_ROOTS/SUITE (default /var/cache/erlnode/otp-roots/SUITE); a second
# call finds it ready and only rewrites the wrappers. Building needs root (or sudo) and takes a few
# minutes; a half-built root never counts as ready.
#
# Each wrapper runs its command in a private mount namespace (`unshare --mount`) that binds /proc,
# /dev, /tmp, $HOME, the repository and the caller's working directory into the root at the same
# paths, then `chroot`s into it. The network and the hostname are the host's, the working folder
# and the environment (ERL_EPMD_PORT, ERL_FLAGS, ...) are kept. The mounts live exactly as long
# as the processes that use them, so nothing is left mounted on the host whatever way a run ends.
#
# Environment:
#   ERLNODE_OTP_ROOTS       where roots are cached (default /var/cache/erlnode/otp-roots)
#   ERLNODE_DEBIAN_MIRROR   Debian mirror (default: the host's deb.debian.org/debian entry in
#                           /etc/apt, else http://deb.debian.org/debian)
#   ERLNODE_OTP_BIND        extra host folders to bind into the root, separated by ':'
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOTS=${ERLNODE_OTP_ROOTS:-/var/cache/erlnode/otp-roots}
PACKAGES=(erlang-nox erlang-dev erlang-src elixir)
# The commands a wrapper is written for, when the root has them.
COMMANDS=(erl erlc escript epmd elixir elixirc iex mix erl_call)

log() { echo "[otp-root] $*" >&2; }
die() { log "error: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

[ $# -ge 1 ] || die "usage: $0 SUITE [--refresh]"
SUITE=$1
REFRESH=0
[ "${2:-}" = --refresh ] && REFRESH=1
case $SUITE in *[!a-z0-9-]*|'') die "not a Debian suite name: $SUITE" ;; esac

ROOT=$ROOTS/$SUITE
BIN=$ROOTS/$SUITE.bin
STAMP=$ROOT/.erlnode-root-ready

mirror() {
    if [ -n "${ERLNODE_DEBIAN_MIRROR:-}" ]; then echo "$ERLNODE_DEBIAN_MIRROR"; return; fi
    local m
    m=$(grep -hoE '(https?://[^ ]*/debian)/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* \
        2>/dev/null | grep -v -- '-security' | head -n 1 | tr -d ' ' || true)
    echo "${m:-http://deb.debian.org/debian}"
}

# Runs "$@" chrooted in $1 with /proc and /dev mounted, in a private mount namespace.
in_root() {
    local root=$1; shift
    as_root unshare --mount --propagation private -- /bin/sh -c '
        set -e; r=$1; shift
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive HOME=/root "$@"' sh "$root" "$@"
}

apt_install() {
    local root=$1
    in_root "$root" apt-get update -q
    in_root "$root" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    in_root "$root" apt-get clean
}

build() {
    command -v debootstrap >/dev/null 2>&1 || {
        log "installing debootstrap"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    local tmp=$ROOTS/.$SUITE.building m
    m=$(mirror)
    as_root rm -rf "$tmp"
    log "debootstrap --variant=minbase $SUITE from $m (a few minutes)"
    # A suite's Release file may have passed its Valid-Until (sid's often has in snapshots);
    # debootstrap checks the signature, not the date. With a keyring older than the suite's
    # signing key, fall back to an unchecked bootstrap only when asked.
    local gpg=()
    [ "${ERLNODE_DEBOOTSTRAP_NO_GPG:-0}" = 1 ] && gpg=(--no-check-gpg)
    if ! as_root debootstrap --variant=minbase "${gpg[@]}" "$SUITE" "$tmp" "$m" \
        >"$ROOTS/.$SUITE.debootstrap.log" 2>&1; then
        tail -n 20 "$ROOTS/.$SUITE.debootstrap.log" >&2
        die "debootstrap $SUITE failed (log: $ROOTS/.$SUITE.debootstrap.log)"
    fi
    as_root sh -c "cat > '$tmp/etc/apt/apt.conf.d/99erlnode'" <<'EOF'
// erlnode OTP root: a cached suite's Release may be past its Valid-Until date.
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
EOF
    as_root cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
    log "apt-get install ${PACKAGES[*]} in the $SUITE root"
    apt_install "$tmp" >"$ROOTS/.$SUITE.apt.log" 2>&1 || {
        tail -n 20 "$ROOTS/.$SUITE.apt.log" >&2
        die "apt-get install in the $SUITE root failed (log: $ROOTS/.$SUITE.apt.log)"
    }
    as_root rm -rf "$ROOT"
    as_root mv "$tmp" "$ROOT"
    as_root touch "$STAMP"
}

# The wrapper folder: one script per command, each entering the root through `enter`.
write_wrappers() {
    local tmp=$BIN.new c target erl_call f
    # Mount points for the host's name-resolution files (bound over them at each run).
    for f in /etc/hosts /etc/resolv.conf; do
        [ -f "$ROOT$f" ] && [ ! -L "$ROOT$f" ] && continue
        as_root rm -f "$ROOT$f"
        as_root touch "$ROOT$f"
    done
    as_root rm -rf "$tmp"
    as_root mkdir -p "$tmp"
    as_root sh -c "cat > '$tmp/enter'" <<EOF
#!/bin/sh
# Runs a command of the $SUITE OTP root ($ROOT) from the host: private mount namespace,
# same network, hostname, environment and working folder. Written by interop-tests/otp-root.sh.
root='$ROOT'
repo='$REPO'
EOF
    as_root sh -c "cat >> '$tmp/enter'" <<'EOF'
[ "$(id -u)" = 0 ] || exec sudo -E "$0" "$@"
[ -n "${LANG:-}" ] || export LANG=C.UTF-8
exec unshare --mount --propagation private -- /bin/sh -c '
    set -e
    root=$1; repo=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    for f in /etc/hosts /etc/resolv.conf; do
        [ -f "$f" ] && mount --bind "$f" "$root$f"
    done
    binds="/tmp:${HOME:-/root}:$repo:$PWD:${ERLNODE_OTP_BIND:-}"
    IFS=:
    for d in $binds; do
        case $d in /|/proc|/proc/*|/dev|/dev/*|"") continue ;; esac
        [ -d "$d" ] || continue
        mountpoint -q "$root$d" 2>/dev/null && continue
        mkdir -p "$root$d"
        mount --rbind "$d" "$root$d"
    done
    unset IFS
    cwd=$PWD
    exec chroot "$root" /bin/sh -c "cd \"\$1\" && shift && exec \"\$@\"" sh "$cwd" \
        env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
' sh "$root" "$repo" "$@"
EOF
    as_root chmod 755 "$tmp/enter"
    for c in "${COMMANDS[@]}"; do
        if [ "$c" = erl_call ]; then
            # erl_call lives in code:lib_dir(erl_interface)/bin, not always on PATH.
            erl_call=$(cd "$ROOT" && ls -d usr/lib/erlang/lib/erl_interface-*/bin/erl_call 2>/dev/null \
                | sort -V | tail -n 1)
            [ -n "$erl_call" ] || continue
            target=/$erl_call
        else
            [ -x "$ROOT/usr/bin/$c" ] || continue
            target=/usr/bin/$c
        fi
        as_root sh -c "printf '#!/bin/sh\nexec \"\$(dirname \"\$0\")/enter\" %s \"\$@\"\n' '$target' > '$tmp/$c'"
        as_root chmod 755 "$tmp/$c"
    done
    as_root rm -rf "$BIN"
    as_root mv "$tmp" "$BIN"
}

as_root mkdir -p "$ROOTS"
exec 9>"$ROOTS/.$SUITE.lock"
flock 9
if [ ! -f "$STAMP" ]; then
    build
elif [ "$REFRESH" = 1 ]; then
    log "refreshing the $SUITE root"
    in_root "$ROOT" apt-get update -q >&2
    in_root "$ROOT" apt-get upgrade -y -q >&2
    in_root "$ROOT" apt-get clean >&2
fi
write_wrappers
echo "$BIN"
