# Pantheon build. `make run` and `make test` are the README's Quick start.
GO       ?= go
PKGS     ?= ./...
TESTFLAGS ?= -race -shuffle=on -timeout 30m

.PHONY: run build test verify bench fmt

## run: the whole system on one machine with embedded defaults
run:
	$(GO) run . dev

## build: the pantheon binary in ./bin
build:
	$(GO) build -o bin/pantheon .

## test: every test, with the race detector, in random order
test:
	$(GO) test $(TESTFLAGS) $(PKGS)

## verify: formatting, vet, the purity analyzer and a tidy go.mod
verify:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@if [ -d tools/purity ]; then $(GO) run ./tools/purity/cmd/purity ./ecs/...; fi
	$(GO) mod tidy -diff

## bench: every benchmark once, with allocation counts
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
