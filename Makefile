# Pantheon build. `make run` and `make test` are the README's Quick start.
GO       ?= go
PKGS     ?= ./...
TESTFLAGS ?= -race -shuffle=on -timeout 30m

# stress: ROUNDS rounds of `go test -race -shuffle=on -count=COUNT` over PKGS (RUN filters
# tests); LOAD=1 runs the module's other packages' tests in a loop alongside.
ROUNDS ?= 10
COUNT  ?= 3
RUN    ?=
LOAD   ?= 0

.PHONY: run build test verify bench fmt stress

## run: the whole system on one machine with embedded defaults
run:
	$(GO) run . dev

## build: the pantheon binary in ./bin
build:
	$(GO) build -o bin/pantheon .

## test: every test, with the race detector, in random order
test:
	$(GO) test $(TESTFLAGS) $(PKGS)

## stress: the tests again and again (under load with LOAD=1); prints each failure with its seed
stress:
	$(GO) run ./tools/stress -rounds $(ROUNDS) -count $(COUNT) -run '$(RUN)' -load=$(if $(filter 1 true yes,$(LOAD)),true,false) $(PKGS)

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
