#!/usr/bin/env bash
# Make sure the image debian:bookworm exists in the local Docker engine.
#
# On a machine that can pull from a registry the Dockerfiles simply use the official
# debian:bookworm.  Where nothing can be pulled, this script builds an equivalent base
# image from Debian's own packages: debootstrap (minbase variant) into a temporary
# folder, then `docker import`.  The mirror is the one apt on this machine already uses
# (override with DEBIAN_MIRROR=...).
#
# Caching: if the image is present it is reused.  If ERLNODE_DOCKER_CACHE names a folder,
# the imported image is also saved there as a tarball and loaded from it next time.
#
# Prints "made" on stdout when this run created the image (so a caller can remove it at
# the end), "present" when it was already there, "loaded" when it came from the cache.
set -euo pipefail

IMAGE=debian:bookworm
CACHE_DIR=${ERLNODE_DOCKER_CACHE:-}

log() { echo "[base] $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE already present; reusing it"
    echo present
    exit 0
fi

if [[ -n "$CACHE_DIR" && -f "$CACHE_DIR/debian-bookworm.tar" ]]; then
    log "loading $IMAGE from $CACHE_DIR/debian-bookworm.tar"
    if docker load -i "$CACHE_DIR/debian-bookworm.tar" >&2 && docker image inspect "$IMAGE" >/dev/null 2>&1; then
        echo loaded
        exit 0
    fi
    log "cached tarball unusable; rebuilding"
    rm -f "$CACHE_DIR/debian-bookworm.tar"
fi

# The Debian mirror apt on this host uses: first URI of a bookworm "main" archive that is
# not the security archive, from deb822 .sources files or one-line .list files.
detect_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        uri=$(awk '/^URIs:/ {print $2}' "$f" | grep -E '/debian/?$' | head -n1 || true)
        [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' "$f" \
            | grep -E '/debian/?$' | head -n1 || true)
        [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
    done
    echo http://deb.debian.org/debian
}
detect_security() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        uri=$(grep -E '^[[:space:]]*(URIs:|deb[[:space:]])' "$f" \
            | grep -oE '[a-z]+://[^ ]*/debian-security/?' | head -n1 || true)
        [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
    done
}

MIRROR=${DEBIAN_MIRROR:-$(detect_mirror)}
SECURITY=${DEBIAN_SECURITY_MIRROR:-$(detect_security)}

if ! command -v debootstrap >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing debootstrap with apt-get"
        apt-get install -y -q debootstrap >&2 || { apt-get update -q >&2 && apt-get install -y -q debootstrap >&2; }
    else
        log "debootstrap is missing; install it (apt-get install debootstrap) or provide $IMAGE"
        exit 1
    fi
fi
if [[ $(id -u) -ne 0 ]]; then
    log "debootstrap needs root; run as root or provide $IMAGE"
    exit 1
fi

ROOTFS=$(mktemp -d /tmp/erlnode-bookworm.XXXXXX)
cleanup() { rm -rf --one-file-system "$ROOTFS"; }
trap cleanup EXIT

log "debootstrap bookworm (minbase) from $MIRROR into $ROOTFS"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >&2

# Same sources layout as the official image, pointing at the mirror used above.
rm -f "$ROOTFS/etc/apt/sources.list"
{
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$MIRROR"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [[ -n "$SECURITY" ]]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$SECURITY"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
} >"$ROOTFS/etc/apt/sources.list.d/debian.sources"
# Keep images small, as the official image does.
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
echo 'Acquire::Languages "none";' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/tmp/* \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* 2>/dev/null || true
: >"$ROOTFS/etc/hostname"
: >"$ROOTFS/etc/resolv.conf"

log "importing as $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' - "$IMAGE" >&2

if [[ -n "$CACHE_DIR" ]]; then
    mkdir -p "$CACHE_DIR"
    docker save -o "$CACHE_DIR/debian-bookworm.tar.part" "$IMAGE" >&2 \
        && mv "$CACHE_DIR/debian-bookworm.tar.part" "$CACHE_DIR/debian-bookworm.tar"
fi
echo made
