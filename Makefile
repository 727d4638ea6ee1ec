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

.PHONY: run build test verify bench fmt stress loadtest web dist

# loadtest: SCENARIO against a fresh `pantheon dev` on the LOADTEST_* ports; the report (JSON and
# HTML) goes to LOADTEST_OUT; fails (exit 99) when a threshold fails.
SCENARIO      ?= smoke
LOADTEST_OUT  ?= loadtest-report
LOADTEST_PORT ?= 18000
BENCHFLAGS    ?=

## run: the whole system on one machine with embedded defaults (flags: make run ARGS='--bots 4')
ARGS ?=
run:
	$(GO) run . dev $(ARGS)

# The build's stamp (internal/buildinfo): `pantheon version`, pantheon_build_info, bench reports.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS ?= -X github.com/pantheon-oracles/pantheon/internal/buildinfo.version=$(VERSION) \
           -X github.com/pantheon-oracles/pantheon/internal/buildinfo.commit=$(COMMIT)

## build: the pantheon binary in ./bin, stamped with VERSION and COMMIT
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/pantheon .

## dist: release archives for PLATFORMS in dist/ (binary + README.md; .zip for windows) and dist/SHA256SUMS
PLATFORMS ?= linux/amd64 linux/arm64 darwin/arm64 windows/amd64
dist:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; name=pantheon-$(VERSION)-$$os-$$arch; ext=; [ $$os = windows ] && ext=.exe; \
	  mkdir -p dist/$$name; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/$$name/pantheon$$ext .; \
	  cp README.md dist/$$name/; \
	  if [ $$os = windows ]; then (cd dist && zip -qr $$name.zip $$name); else tar -C dist -czf dist/$$name.tar.gz $$name; fi; \
	  rm -rf dist/$$name; echo "dist/$$name"; \
	done
	cd dist && sha256sum pantheon-* > SHA256SUMS

## test: every test, with the race detector, in random order
test:
	$(GO) test $(TESTFLAGS) $(PKGS)

## loadtest: the smoke scenario (or SCENARIO=...) against `pantheon dev`, report in LOADTEST_OUT
loadtest: build
	@set -e; dir=$$(mktemp -d); p=$(LOADTEST_PORT); \
	./bin/pantheon dev --bots 0 --lobby 127.0.0.1:$$((p+80)) --lobby-admin 127.0.0.1:$$((p+81)) \
	  --kcp 127.0.0.1:$$p --ws 127.0.0.1:$$((p+1)) --admin 127.0.0.1:$$((p+2)) \
	  --db sqlite:$$dir/dev.db --outbox $$dir/outbox >$$dir/dev.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf $$dir' EXIT; \
	for i in $$(seq 150); do \
	  secret=$$(sed -n 's/^  fleet secret \([0-9a-f]*\).*/\1/p' $$dir/dev.log); [ -n "$$secret" ] && break; \
	  kill -0 $$pid 2>/dev/null || { cat $$dir/dev.log; exit 1; }; sleep 0.1; done; \
	[ -n "$$secret" ] || { echo "pantheon dev did not start"; cat $$dir/dev.log; exit 1; }; \
	echo "$$secret" >$$dir/secret; \
	./bin/pantheon bench --scenario $(SCENARIO) --lobby http://127.0.0.1:$$((p+80)) --lobby-admin http://127.0.0.1:$$((p+81)) \
	  --target http://127.0.0.1:$$((p+2)) --fleet-secret @$$dir/secret --out $(LOADTEST_OUT) $(BENCHFLAGS)

## stress: the tests again and again (under load with LOAD=1); prints each failure with its seed
stress:
	$(GO) run ./tools/stress -rounds $(ROUNDS) -count $(COUNT) -run '$(RUN)' -load=$(if $(filter 1 true yes,$(LOAD)),true,false) $(PKGS)

## verify: formatting, vet (here and cross-compiled for windows/amd64 and darwin/arm64), staticcheck, exhaustive switches, the purity analyzer, the dependency rules (tools/depcheck), a tidy go.mod and (with node) a current web bundle
verify:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $(PKGS)
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	$(GO) tool exhaustive -default-signifies-exhaustive -ignore-enum-members '(Count|None|statusSlots)$$' $(PKGS)
	@if [ -d tools/purity ]; then $(GO) run ./tools/purity/cmd/purity ./ecs/...; fi
	$(GO) run ./tools/depcheck/cmd/depcheck
	$(GO) mod tidy -diff
	@if command -v node >/dev/null && [ -d web/node_modules ]; then \
	  (cd web && npx --no-install tsc -p tsconfig.json) && node web/build.mjs --check; \
	else echo "verify: no node or web/node_modules: the web bundle was not checked (npm ci in web/)"; fi

## web: rebuild the page's bundle (web/dist, embedded in the binary) from web/src and sdk/js/src; commit it
web:
	@command -v node >/dev/null || { echo "make web needs Node 20 or later"; exit 1; }
	@[ -d web/node_modules ] || (cd web && npm ci --no-audit --no-fund)
	cd web && npx --no-install tsc -p tsconfig.json && node build.mjs

## bench: every benchmark once, with allocation counts
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
