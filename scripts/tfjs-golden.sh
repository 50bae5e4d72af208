#!/usr/bin/env bash
# Regenerates features/testdata/mobilenet_v2_golden.json: the original TF.js
# MobileNetV2 of nsfwjs@4.4.0, run by @tensorflow/tfjs on Node.js (CPU), on
# the synthetic images of scripts/tfjs-golden.cjs. Needs node and npm; all
# downloads go to a temporary directory that is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=$(grep -o 'sha512-[A-Za-z0-9+/=]*' features/modelstore/spec.go | head -1)
(cd "$tmp" && npm pack nsfwjs@4.4.0 --silent --ignore-scripts >/dev/null)
tgz="$tmp/nsfwjs-4.4.0.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$want" ]; then
	echo "nsfwjs tarball integrity $got, expected $want" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/dist/models/mobilenet_v2
(cd "$tmp" && npm install --silent --no-audit --no-fund --ignore-scripts @tensorflow/tfjs@4.22.0 >/dev/null)
d="$tmp/package/dist/models/mobilenet_v2"
node scripts/tfjs-golden.cjs "$tmp" "$d/model.min.js" "$d/group1-shard1of1.min.js" \
	>features/testdata/mobilenet_v2_golden.json
echo "wrote features/testdata/mobilenet_v2_golden.json"
