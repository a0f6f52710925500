# Multi-stage Debian build of dfa-pipeline: a build stage with the -dev
# packages, and a slim runtime with only the shared libraries.
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config librdkafka-dev libjansson-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY aggregator aggregator
COPY producers producers
COPY consumers consumers
COPY bench bench
COPY tests tests
COPY config config
COPY deploy deploy
COPY scripts scripts
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DDFA_BUILD_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc -DDFA_CONFIG_DIR=/etc/dfa \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/out cmake --install /build

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libjansson4 libhiredis0.14 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/dfa --create-home dfa
COPY --from=build /out/ /
ENV DFA_SNAPSHOT_DIR=/var/lib/dfa/snapshots
USER dfa
WORKDIR /var/lib/dfa
CMD ["dfa-consumer"]
