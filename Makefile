# drumsplit build. `make` builds bin/drumsplit and the C ABI library
# bin/libdrumsplit_torch.so; `make test` is the one test command (README, .ci/run).

GO        ?= go
PYTHON    ?= python3
BUILD_DIR ?= build
BIN_DIR   ?= bin

.PHONY: all build lib test test-go test-python fixtures clean

all: build

# build: the Go binary and the native library. The binary does not link the
# library (torch/ opens it at run time), so it builds without libtorch.
build: lib $(BIN_DIR)/drumsplit

$(BIN_DIR)/drumsplit: FORCE
	@mkdir -p $(BIN_DIR)
	$(GO) build -trimpath -ldflags "-X main.Commit=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" -o $@ ./cmd/drumsplit

FORCE:

# test: everything CI checks. DRUMSPLIT_REQUIRE_TORCH=1 turns "library not
# built" from a skip into a failure, so a broken native build cannot hide.
test: build test-go test-python

test-go:
	DRUMSPLIT_REQUIRE_TORCH=1 DRUMSPLIT_LIB=$(CURDIR)/$(BIN_DIR)/libdrumsplit_torch.so $(GO) test ./...

test-python:
	$(PYTHON) -m pytest -q scripts/tests

clean:
	rm -rf $(BUILD_DIR) $(BIN_DIR)
