#!/usr/bin/env bash
# Stand-in container images for the tests (no registry can be reached here, so
# no official image can be pulled).
#
#   bash scripts/ci-images.sh            # prints the YAML block below on stdout
#   bash scripts/ci-images.sh > images.yaml
#
# What it does, each step skipped when already done (so it is cheap to run again):
#   1. installs Docker's engine from Debian (docker.io) and starts dockerd when no
#      engine answers (`docker info`); dockerd's log: /var/log/msx-ci/dockerd.log
#   2. installs compose v1 (Debian's docker-compose 1.29) and compose v2 + buildx
#      (static binaries from Debian 13's packages, fetched with a private apt state
#      under /var/cache/msx-ci/apt so the machine's own apt state is untouched)
#   3. builds the stand-in images, which mimic the official images' interface
#      (env vars, entrypoints, data paths, healthcheck tools) so that a compose
#      file is the same for official and stand-in images:
#        msx-ci/debian:12      debootstrap minbase, trimmed (the base of the others)
#        msx-ci/node:20        the host's node 20 + npm, user node (1000:1000)
#        msx-ci/postgres:15    POSTGRES_USER/PASSWORD/DB, /var/lib/postgresql/data
#        msx-ci/rabbitmq:3     RABBITMQ_DEFAULT_USER/PASS, rabbitmq-diagnostics
#        msx-ci/redis:7        redis-server [args], redis-cli
#        msx-ci/prometheus:2   ENTRYPOINT /bin/prometheus, port 9090, wget
#      postgres, rabbitmq, redis and prometheus share one layer of Debian packages.
#      An image is rebuilt when its recipe (a hash stored in the label
#      msx-ci.recipe) differs from this script's, so editing the script is enough.
#   4. prints on stdout ONLY the `infrastructure.compose.images` block for msx.yaml;
#      everything else goes to stderr.
#
# Concurrent runs wait for each other (flock on /tmp/msx-ci-images.lock).
# Fails loudly (exit 1, a message saying what failed and where its log is).
#
# How the tests use it: `.ci/run` runs this script, writes the YAML to a file and
# exports MSX_TEST_COMPOSE_IMAGES=<that file>; test/support/containers.ts reads
# that file, or runs this script itself when the variable is not set (e.g. when a
# developer runs one test file), once per test process.
set -euo pipefail

# stdout is reserved for the YAML block: keep it on fd 3, send everything else to stderr.
exec 3>&1 1>&2

say() { printf 'ci-images: %s\n' "$*" >&2; }
die() { printf 'ci-images: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts dockerd); run it with sudo"

exec 9>/tmp/msx-ci-images.lock
if ! flock -n 9; then
  say "another run holds /tmp/msx-ci-images.lock; waiting for it"
  flock 9
fi

started=$SECONDS
state_dir=/var/cache/msx-ci
log_dir=/var/log/msx-ci
mkdir -p "$state_dir" "$log_dir"
export DEBIAN_FRONTEND=noninteractive

apt_install() { # packages...
  local log=$log_dir/apt.log
  say "apt-get install $*"
  if ! apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1; then
    apt-get update >>"$log" 2>&1 || true
    apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1 \
      || die "apt-get install $* failed; see $log"
  fi
}

# The Debian mirror this machine's apt uses (not its security archive, not a comment).
debian_mirror() {
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -E '^[[:space:]]*(deb[[:space:]]|URIs:)' | grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 || true)
  m=${m%% }
  echo "${m:-http://deb.debian.org/debian}"
}

# ---------------------------------------------------------------- the engine
engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if ! engine_answers; then
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST to let this script start a local one"
  fi
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || die "no docker client on PATH after installing docker.io"
  if pgrep -x dockerd >/dev/null; then
    say "dockerd is running but does not answer yet; waiting"
  else
    say "starting dockerd (log: $log_dir/dockerd.log)"
    # setsid: the engine outlives this script and the test process that ran it;
    # 9>&-: it must not inherit the lock, or every later run waits for it forever.
    setsid dockerd --host=unix:///var/run/docker.sock --ip=127.0.0.1 \
      >>"$log_dir/dockerd.log" 2>&1 </dev/null 9>&- &
  fi
  for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  engine_answers || die "dockerd did not answer within 30 s; see $log_dir/dockerd.log (last lines: $(tail -n 5 "$log_dir/dockerd.log" 2>/dev/null | tr '\n' ' '))"
fi
say "engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# ---------------------------------------------------------------- compose v1
# Its version comes from dpkg: starting the Python program takes seconds on a busy machine.
compose_v1() { dpkg-query -W -f='${Status} ${Version}' docker-compose 2>/dev/null | sed -n 's/^install ok installed \([^-]*\).*/\1/p'; }
if [ -z "$(compose_v1)" ] || ! command -v docker-compose >/dev/null; then
  apt_install docker-compose
  docker-compose version --short >/dev/null 2>&1 || die "docker-compose (v1) does not run after installing it; see $log_dir/apt.log"
fi

# ------------------------------------------------- compose v2 + buildx (plugins)
plugin_dir=/usr/local/lib/docker/cli-plugins
compose_v2=$(docker compose version --short 2>/dev/null || true)
buildx=$(docker buildx version 2>/dev/null | awk '{print $2}' || true)
if [ -z "$compose_v2" ] || [ -z "$buildx" ]; then
  say "fetching compose v2 and buildx from Debian 13 (private apt state in $state_dir/apt)"
  apt_root=$state_dir/apt
  mkdir -p "$apt_root/lists/partial" "$apt_root/cache/archives/partial" "$apt_root/debs"
  mirror=$(debian_mirror)
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" >"$apt_root/sources.list"
  apt_private=(-o "Dir::Etc::SourceList=$apt_root/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$apt_root/lists" -o "Dir::Cache=$apt_root/cache")
  apt-get "${apt_private[@]}" --error-on=any update >>"$log_dir/apt-trixie.log" 2>&1 \
    || die "apt-get update from $mirror trixie failed; see $log_dir/apt-trixie.log"
  (cd "$apt_root/debs" && rm -f ./*.deb && apt-get "${apt_private[@]}" download docker-compose/trixie docker-buildx/trixie >>"$log_dir/apt-trixie.log" 2>&1) \
    || die "apt-get download docker-compose docker-buildx (trixie) failed; see $log_dir/apt-trixie.log"
  rm -rf "$apt_root/x" && mkdir -p "$apt_root/x" "$plugin_dir"
  for deb in "$apt_root"/debs/*.deb; do dpkg-deb -x "$deb" "$apt_root/x"; done
  for plugin in docker-compose docker-buildx; do
    install -m 0755 "$apt_root/x/usr/libexec/docker/cli-plugins/$plugin" "$plugin_dir/$plugin" \
      || die "$plugin not found in Debian 13's package"
  done
  rm -rf "$apt_root/x"
  compose_v2=$(docker compose version --short 2>/dev/null) || die "docker compose (v2) does not run after installing $plugin_dir/docker-compose"
  buildx=$(docker buildx version 2>/dev/null | awk '{print $2}') || die "docker buildx does not run after installing $plugin_dir/docker-buildx"
fi
say "compose v1 $(compose_v1), compose v2 $compose_v2, buildx $buildx"

# ---------------------------------------------------------------- images
# An image is current when it exists and carries the recipe hash of what built it.
recipe_of() { # text... -> short hash
  printf '%s\n' "$@" | sha256sum | cut -c1-16
}
image_current() { # tag recipe
  [ "$(docker image inspect --format '{{index .Config.Labels "msx-ci.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}

work=$(mktemp -d /var/tmp/msx-ci-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Builds <tag> from a Dockerfile given on stdin, unless the image is current.
# <prepare> is a function that fills the build context (its first argument)
# and is called only when a build is needed.
build_image() { # tag prepare recipe-extra (Dockerfile on stdin)
  local tag=$1 prepare=$2 extra=$3 dockerfile recipe log ctx t0
  dockerfile=$(cat)
  recipe=$(recipe_of "$dockerfile" "$extra")
  if image_current "$tag" "$recipe"; then say "$tag: up to date"; return 0; fi
  local previous
  previous=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  log=$log_dir/build-${tag//[\/:]/-}.log
  ctx=$work/ctx-${tag//[\/:]/-}
  say "$tag: building (log: $log)"
  t0=$SECONDS
  rm -rf "$ctx" && mkdir -p "$ctx"
  "$prepare" "$ctx"
  printf '%s\n' "$dockerfile" >"$ctx/Dockerfile"
  # The legacy builder: it needs no buildx, and these Dockerfiles need nothing newer.
  DOCKER_BUILDKIT=0 docker build --label "msx-ci.recipe=$recipe" -t "$tag" "$ctx" >"$log" 2>&1 \
    || die "building $tag failed; last lines of $log:
$(tail -n 20 "$log")"
  rm -rf "$ctx"
  # The image this one replaces goes, unless a container or another image still uses it.
  [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
  say "$tag: built in $((SECONDS - t0)) s"
}

# --- base: Debian 12 minbase
base=msx-ci/debian:12
base_recipe=$(recipe_of "debootstrap minbase bookworm v1")
if image_current "$base" "$base_recipe"; then
  say "$base: up to date"
else
  command -v debootstrap >/dev/null || apt_install debootstrap
  mirror=$(debian_mirror)
  say "$base: debootstrap --variant=minbase bookworm from $mirror (log: $log_dir/debootstrap.log)"
  t0=$SECONDS
  root=$work/rootfs
  debootstrap --variant=minbase bookworm "$root" "${mirror%/}" >"$log_dir/debootstrap.log" 2>&1 \
    || die "debootstrap failed; last lines of $log_dir/debootstrap.log:
$(tail -n 20 "$log_dir/debootstrap.log")"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/locale "$root"/tmp/* "$root"/var/log/*.log
  mkdir -p "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
  # Like Docker's official Debian images: no docs or man pages from later installs.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/locale/*' >"$root/etc/dpkg/dpkg.cfg.d/docker-minimal"
  printf 'deb %s bookworm main\n' "${mirror%/}" >"$root/etc/apt/sources.list"
  printf '%s\n' 'APT::Install-Recommends "false";' 'APT::Install-Suggests "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  tar -C "$root" -c . | docker import --change "LABEL msx-ci.recipe=$base_recipe" --change 'CMD ["bash"]' \
    --change 'ENV LANG=C.UTF-8' - "$base" >/dev/null || die "docker import of the Debian root file system failed"
  rm -rf "$root"
  say "$base: built in $((SECONDS - t0)) s"
fi

# --- node: the host's node binary (Debian's nodejs is 18, too old) and npm
node_tag=msx-ci/node:20
node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
case $node_version in v20.*) ;; *) die "the host's node is $node_version; the node stand-in image needs node 20" ;; esac
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$npm_dir/package.json" ] || die "cannot find npm's package folder (looked at $npm_dir)"
npm_version=$(node -p "require('$npm_dir/package.json').version")
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca_bundle" ] || die "no CA bundle at $ca_bundle (npm inside the node image needs the host's CAs)"
node_context() { # ctx
  cp "$node_bin" "$1/node"
  cp -a "$npm_dir" "$1/npm"
  cp "$ca_bundle" "$1/ca-certificates.crt"
}
build_image "$node_tag" node_context "node $node_version npm $npm_version ca $(sha256sum "$ca_bundle" | cut -c1-16)" <<'EOF'
FROM msx-ci/debian:12
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
# Without the host's CAs npm fails inside a container with SELF_SIGNED_CERT_IN_CHAIN.
ENV NODE_VERSION=20 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt \
    NPM_CONFIG_UPDATE_NOTIFIER=false
CMD ["node"]
EOF

# --- infrastructure: one layer of Debian packages shared by four images
infra=msx-ci/infra:12
no_context() { :; }
build_image "$infra" no_context "" <<'EOF'
FROM msx-ci/debian:12
# policy-rc.d: the packages' scripts must not start their servers during the build.
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 rabbitmq-server redis-server redis-tools prometheus wget ca-certificates \
 && { pg_dropcluster --stop 15 main 2>/dev/null || true; } \
 && rm -rf /var/lib/postgresql/15 /etc/postgresql/15 /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log \
 && command -v pg_isready && command -v rabbitmq-diagnostics && command -v redis-cli && command -v prometheus && command -v wget
ENV LANG=C.UTF-8
EOF

# --- postgres (like the official postgres image's docker-entrypoint.sh, the part msx uses)
postgres_context() { # ctx
  cat >"$1/docker-entrypoint.sh" <<'SH'
#!/bin/bash
# Stand-in for the official postgres image's entrypoint: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, POSTGRES_INITDB_ARGS
# and /docker-entrypoint-initdb.d/*.{sh,sql} on first start (empty PGDATA).
set -Eeo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 700 "$PGDATA"
  # setpriv, not su: postgres becomes PID 1 and gets the stop signal itself.
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
    echo '       Set POSTGRES_PASSWORD to a non-empty value (or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password).' >&2
    exit 1
  fi
  pwfile=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    # A private file, not <(...): initdb failed to open the /dev/fd/63 pipe in this image.
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    pwfile=(--pwfile="$pwfile")
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
  initdb --username="$POSTGRES_USER" "${pwfile[@]}" -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  [ ${#pwfile[@]} = 0 ] || rm -f "${pwfile[0]#--pwfile=}"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\nport = 5432\n" >>"$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  export PGUSER=$POSTGRES_USER PGPASSWORD=${POSTGRES_PASSWORD:-}
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
SH
  chmod 755 "$1/docker-entrypoint.sh"
}
build_image msx-ci/postgres:15 postgres_context "$(declare -f postgres_context)" <<'EOF'
FROM msx-ci/infra:12
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /docker-entrypoint-initdb.d "$PGDATA" /var/run/postgresql \
 && chown postgres:postgres /var/lib/postgresql "$PGDATA" /var/run/postgresql \
 && chmod 700 "$PGDATA" && chmod 2777 /var/run/postgresql
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
EOF

# --- rabbitmq (like the official rabbitmq:3 image)
rabbitmq_context() { # ctx
  cat >"$1/docker-entrypoint.sh" <<'SH'
#!/bin/bash
# Stand-in for the official rabbitmq image's entrypoint: RABBITMQ_DEFAULT_USER,
# RABBITMQ_DEFAULT_PASS and RABBITMQ_DEFAULT_VHOST create the first user on first
# start; logins from other containers are allowed; logs go to stdout.
set -euo pipefail
if [ "${1:0:1}" = '-' ]; then set -- rabbitmq-server "$@"; fi

if [ "$1" = rabbitmq-server ]; then
  # With dockerd's default of about a million open files Erlang spends half a
  # minute at boot walking the descriptor table; RabbitMQ needs far fewer.
  if [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt 65536 ]; then ulimit -n 65536; fi
  conf=/etc/rabbitmq/conf.d/20-default-user.conf
  {
    [ -z "${RABBITMQ_DEFAULT_USER:-}" ] || printf 'default_user = %s\n' "$RABBITMQ_DEFAULT_USER"
    [ -z "${RABBITMQ_DEFAULT_PASS:-}" ] || printf 'default_pass = %s\n' "$RABBITMQ_DEFAULT_PASS"
    [ -z "${RABBITMQ_DEFAULT_VHOST:-}" ] || printf 'default_vhost = %s\n' "$RABBITMQ_DEFAULT_VHOST"
  } >"$conf"
  if [ "$(id -u)" = 0 ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
    # The cookie exists before a healthcheck run as root could create it as root.
    cookie=/var/lib/rabbitmq/.erlang.cookie
    if [ ! -s "$cookie" ]; then
      head -c 15 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$cookie"
      chown rabbitmq:rabbitmq "$cookie"; chmod 400 "$cookie"
    fi
    chown rabbitmq:rabbitmq "$conf"
    # Debian's /usr/sbin/rabbitmq-server wrapper ignores SIGTERM: exec the real one.
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server "${@:2}"
  fi
  exec /usr/lib/rabbitmq/bin/rabbitmq-server "${@:2}"
fi
exec "$@"
SH
  chmod 755 "$1/docker-entrypoint.sh"
  printf '%s\n' 'loopback_users = none' 'listeners.tcp.default = 5672' >"$1/10-defaults.conf"
}
build_image msx-ci/rabbitmq:3 rabbitmq_context "$(declare -f rabbitmq_context)" <<'EOF'
FROM msx-ci/infra:12
ENV PATH=/usr/lib/rabbitmq/bin:$PATH RABBITMQ_LOGS=- HOME=/var/lib/rabbitmq
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY 10-defaults.conf /etc/rabbitmq/conf.d/10-defaults.conf
RUN mkdir -p /var/lib/rabbitmq /etc/rabbitmq/conf.d \
 && rm -f /etc/rabbitmq/rabbitmq-env.conf \
 && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq \
 && ln -sf /var/lib/rabbitmq/.erlang.cookie /root/.erlang.cookie
VOLUME /var/lib/rabbitmq
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 4369 5671 5672 25672
CMD ["rabbitmq-server"]
EOF

# --- redis (like the official redis:7 image)
redis_context() { # ctx
  cat >"$1/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# Stand-in for the official redis image's entrypoint: `redis-server [config] [--option value]...`,
# run as the redis user, data in /data, and protected mode off (the official
# image is built with it off, so that other containers may connect).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ] && [ "${2%.conf}" = "${2:-}" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
SH
  chmod 755 "$1/docker-entrypoint.sh"
}
build_image msx-ci/redis:7 redis_context "$(declare -f redis_context)" <<'EOF'
FROM msx-ci/infra:12
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /data && chown redis:redis /data
VOLUME /data
WORKDIR /data
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
EOF

# --- prometheus (like the official prom/prometheus:v2 image)
prometheus_context() { # ctx
  cat >"$1/prometheus.yml" <<'YML'
# The official image's default: Prometheus scrapes itself.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']
YML
}
build_image msx-ci/prometheus:2 prometheus_context "$(declare -f prometheus_context)" <<'EOF'
FROM msx-ci/infra:12
COPY prometheus.yml /etc/prometheus/prometheus.yml
RUN { [ -x /bin/prometheus ] || ln -s "$(readlink -f "$(command -v prometheus)")" /bin/prometheus; } \
 && mkdir -p /prometheus && chown -R nobody:nogroup /prometheus /etc/prometheus
USER nobody
EXPOSE 9090
VOLUME /prometheus
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF

say "done in $((SECONDS - started)) s"
cat >&3 <<'YAML'
infrastructure:
  compose:
    images:
      node: msx-ci/node:20
      postgres: msx-ci/postgres:15
      rabbitmq: msx-ci/rabbitmq:3
      redis: msx-ci/redis:7
      prometheus: msx-ci/prometheus:2
YAML
