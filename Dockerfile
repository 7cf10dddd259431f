# Nimbus in a container, started as LocalStack's image is:
#   docker build -t nimbus .
#   docker run --rm -p 4566:4566 -v "$PWD/volume:/var/lib/localstack" -v "$PWD/init:/etc/localstack/init" nimbus
# State lives in /var/lib/localstack (DATA_DIR; PERSISTENCE=1 keeps it across runs), init scripts
# in /etc/localstack/init/{boot,start,ready,shutdown}.d. Settings are environment variables, as
# with LocalStack (-e SERVICES=s3,sqs -e PERSISTENCE=1). See README.md, "Container image".

# ---- build: compile, then package with CPack (the same .deb as `cpack -G DEB`) ----
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      libuv1-dev libjansson-dev libexpat1-dev node-llhttp libsqlite3-dev libssl-dev zlib1g-dev libcbor-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" \
 && cd /build && cpack -G DEB -B /pkg \
 && mv /pkg/nimbus_*.deb /pkg/nimbus.deb

# ---- runtime: debian slim + the .deb (apt resolves its library packages from its Depends) ----
FROM debian:12-slim
COPY --from=build /pkg/nimbus.deb /tmp/nimbus.deb
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/nimbus.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/nimbus.deb \
 && mkdir -p /var/lib/localstack /etc/localstack/init/boot.d /etc/localstack/init/start.d \
      /etc/localstack/init/ready.d /etc/localstack/init/shutdown.d
# Every interface (Docker's port mapping reaches the container's eth0, not its loopback), LocalStack's
# volume path for state.
ENV GATEWAY_LISTEN=0.0.0.0:4566 \
    DATA_DIR=/var/lib/localstack
VOLUME /var/lib/localstack
EXPOSE 4566
# the server handles SIGTERM itself (in-flight requests finish, state is flushed), as PID 1
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s CMD ["nimbus", "status"]
ENTRYPOINT ["nimbus"]
