# syntax=docker/dockerfile:1
# Build: a static binary with the time-zone database embedded (the binary imports
# time/tzdata), so customer quiet hours in Asia/Shanghai work on a scratch-like image.
#
# Base images are pinned by digest so a rebuild gets the same bytes. The digests
# below were copied from public Dockerfiles that pin the same tags; they were NOT
# verified against the registries from the build machine (it has no registry
# access). Before relying on them, and to update them, run:
#   docker buildx imagetools inspect golang:1.26.8 --format '{{.Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot --format '{{.Manifest.Digest}}'
# (or `crane digest <image>`), and replace the sha256 values.
FROM golang:1.26.8@sha256:6c2a5538f964f1c82f97ad14988bf05de100d922d159d0e398b54c7b0ca0c6c9 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/orderbot ./cmd/orderbot

# Run: distroless static has CA certificates (for the provider APIs) and a
# non-root user, and nothing else: no shell, no curl. The health check is
# therefore the binary itself (`orderbot healthcheck` GETs /healthz on
# ORDERBOT_ADDR, default :8080).
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/orderbot /usr/local/bin/orderbot
COPY orderbot.example.yaml /etc/orderbot/orderbot.yaml
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/orderbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/orderbot"]
CMD ["serve", "--config", "/etc/orderbot/orderbot.yaml"]
