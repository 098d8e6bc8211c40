# syntax=docker/dockerfile:1
# Build: a static binary with the time-zone database embedded (the binary imports
# time/tzdata), so customer quiet hours in Asia/Shanghai work on a scratch-like image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/orderbot ./cmd/orderbot

# Run: distroless static has CA certificates (for the provider APIs) and a
# non-root user, and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/orderbot /usr/local/bin/orderbot
COPY orderbot.example.yaml /etc/orderbot/orderbot.yaml
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/orderbot"]
CMD ["serve", "--config", "/etc/orderbot/orderbot.yaml"]
