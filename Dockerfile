# The release image: the static pantheon binary (CGO off, as `make dist`) on
# distroless, run as nonroot. Everything embedded in the binary (web/dist,
# content, migrations) is committed, so no Node step is needed.
#   docker build -t pantheon:latest --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) .
# Checked statically by TestDockerfile (deploy_test.go).

# The build runs on the builder's platform and cross-compiles for the
# target's (docker buildx build --platform linux/amd64,linux/arm64).
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
    -ldflags "-X github.com/pantheon-oracles/pantheon/internal/buildinfo.version=${VERSION} -X github.com/pantheon-oracles/pantheon/internal/buildinfo.commit=${COMMIT}" \
    -o /out/pantheon . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pantheon /pantheon
# /data (the outbox, dev's SQLite file) belongs to nonroot, so a volume
# mounted there starts writable.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER nonroot:nonroot
# Lobby: --addr, --admin-addr. Room server: --kcp (UDP), --ws, --admin.
EXPOSE 8080 8081 7000/udp 7001 7002
ENTRYPOINT ["/pantheon"]
# Without a command the image lists the commands: `lobby` and `room` need
# their secrets and database (README, "Container image"). Listeners inside a
# container must bind 0.0.0.0 (the defaults are 127.0.0.1), so pass
# --addr/--admin-addr or --kcp/--ws/--admin. (`dev` does not fit a container:
# it advertises its bound address to players and its start-up bots only
# target loopback.)
CMD ["help"]
