# dnsd container image: Debian 12 (bookworm), two stages.
#   docker build -t dnsd .
#   docker run --rm -p 8600:8600/udp -p 8600:8600/tcp dnsd
#   docker run --rm -p 8600:8600/udp -p 8600:8600/tcp -p 8500:8500 \
#     -v $PWD/dnsd.yaml:/etc/dnsd/dnsd.yaml:ro dnsd
# The baked-in configuration (examples/docker/dnsd.yaml) keeps the HTTP API on the
# container's loopback: mount one with http.listen on 0.0.0.0 and http.tokens to register
# from outside.
# The build stage installs the build part of .ci/packages (the list the README's commands
# use: from "# build" to "# test"), builds dnsd and runs its unit tests.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY .ci/packages .ci/packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      $(sed -n '/^# build$/,/^# test/p' .ci/packages | grep -vE '^\s*(#|$)') \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDNSD_BUILD_BENCH=OFF \
 && cmake --build build -j"$(nproc)" \
 && ctest --test-dir build --output-on-failure -R '^unit[.]' \
 && mkdir -p /out/lib \
 && cp build/dnsd/dnsd /out/dnsd \
 && ! ldd build/dnsd/dnsd | grep 'not found' \
 && ldd build/dnsd/dnsd | awk '/=> \// {print $3}' | xargs -r -I{} cp -L {} /out/lib/

FROM debian:bookworm-slim
COPY --from=build /out/dnsd /usr/local/bin/dnsd
COPY --from=build /out/lib/ /usr/local/lib/dnsd/
ENV LD_LIBRARY_PATH=/usr/local/lib/dnsd
RUN useradd --system --uid 999 --user-group --no-create-home --shell /usr/sbin/nologin dnsd \
 && mkdir -p /etc/dnsd/zones
COPY examples/docker/dnsd.yaml /etc/dnsd/dnsd.yaml
USER 999:999
EXPOSE 8600/udp 8600/tcp 8500/tcp
# bash's /dev/tcp speaks enough HTTP/1.0 for /healthz, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["bash", "-c", \
  "exec 3<>/dev/tcp/127.0.0.1/8500 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# Mount another config over /etc/dnsd/dnsd.yaml, or append flags (they override the file).
ENTRYPOINT ["/usr/local/bin/dnsd", "--config", "/etc/dnsd/dnsd.yaml"]
