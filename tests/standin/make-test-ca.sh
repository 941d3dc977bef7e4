#!/bin/sh
# Make a throw-away test CA and a server certificate for 127.0.0.1 and
# localhost in DIR: ca.pem, ca-key.pem, server.pem, server-key.pem.
# Further arguments are more subject alternative names for the server
# certificate, e.g. DNS:lambda.eu-west-1.amazonaws.com DNS:*.s3.eu-west-1.amazonaws.com
# (the TLS proxy test serves AWS's own host names).
# For tests only; the keys are never reused.
set -eu
dir=${1:?usage: make-test-ca.sh DIR [SAN...]}
shift
san="IP:127.0.0.1,DNS:localhost"
for extra in "$@"; do
    san="$san,$extra"
done
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=remotion-janitor test CA" \
    -keyout ca-key.pem -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr 2>/dev/null
cat >server.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
