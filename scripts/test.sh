#!/usr/bin/env bash
# The whole test suite: formatting, vet, and every package's tests with the
# race detector. `make test` runs it after installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

echo "== gofmt"
out=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$out" ]; then echo "gofmt would change:"; echo "$out"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -count=1 -timeout 20m ./...
echo "== go test -tags matprofile ./ingest/ (no Mat left open)"
go test -count=1 -tags matprofile ./ingest/
