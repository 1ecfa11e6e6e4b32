#!/usr/bin/env bash
# Makes the certificates and -ssl_dist_optfile files of a TLS cluster: a CA, and for each
# host a key and a certificate naming the host in subjectAltName, plus HOST.conf, the
# options file (mutual TLS, TLS 1.2 and 1.3) with paths as the containers see them (/tls).
#
#     docker/make-tls.sh DIR [HOST...]      (default hosts: host1.test host2.test host3.test)
#
# Made at test time; nothing here is ever committed. Needs openssl (installed from Debian's
# packages when absent and this runs as root).
set -euo pipefail
dir=${1:?usage: make-tls.sh DIR [HOST...]}
shift
hosts=("$@")
[[ ${#hosts[@]} -gt 0 ]] || hosts=(host1.test host2.test host3.test)

if ! command -v openssl >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "[make-tls] installing openssl" >&2
        apt-get install -y -q openssl >&2 || { apt-get update -q >&2 && apt-get install -y -q openssl >&2; }
    else
        echo "[make-tls] openssl is missing: apt-get install openssl" >&2
        exit 1
    fi
fi

mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 30 -subj "/CN=erlnode interop CA" 2>/dev/null
for h in "${hosts[@]}"; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$h.key" -out "$h.csr" -subj "/CN=$h" 2>/dev/null
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$h" >"$h.ext"
    openssl x509 -req -in "$h.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
        -out "$h.pem" -extfile "$h.ext" 2>/dev/null
    rm -f "$h.csr" "$h.ext"
    cat >"$h.conf" <<CONF
[{server, [{certfile, "/tls/$h.pem"}, {keyfile, "/tls/$h.key"}, {cacertfile, "/tls/ca.pem"},
           {verify, verify_peer}, {fail_if_no_peer_cert, true},
           {versions, ['tlsv1.2', 'tlsv1.3']}]},
 {client, [{certfile, "/tls/$h.pem"}, {keyfile, "/tls/$h.key"}, {cacertfile, "/tls/ca.pem"},
           {verify, verify_peer}, {versions, ['tlsv1.2', 'tlsv1.3']}]}].
CONF
done
# Certificates and options files are public; keys stay owner-only (erlnode refuses others).
chmod 0644 ca.pem ./*.pem ./*.conf
chmod 0600 ./*.key
rm -f ca.srl
echo "[make-tls] CA and certificates for ${hosts[*]} in $dir" >&2
