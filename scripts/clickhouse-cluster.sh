#!/usr/bin/env bash
# A two-shard ClickHouse cluster on loopback, for tests and for trying the
# scale-out engine on one machine: two clickhouse-server processes, each with
# its own config, data and ports, and a `remote_servers` section naming the
# cluster `flowhunt` (two shards, one replica each, no ZooKeeper).
#
#   scripts/clickhouse-cluster.sh start DIR [BASEPORT]   prints the --store URL
#   scripts/clickhouse-cluster.sh stop DIR
#
# Ports: HTTP BASEPORT and BASEPORT+1, native TCP BASEPORT+2 and BASEPORT+3,
# interserver HTTP BASEPORT+4 and BASEPORT+5 (default BASEPORT 18123).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR [BASEPORT]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
base=${3:-18123}

server_bin() {
  command -v clickhouse-server || {
    echo "clickhouse-server is not installed (apt-get install clickhouse-server)" >&2
    exit 1
  }
}

write_config() {
  local n=$1 http=$2 tcp=$3 inter=$4 tcp1=$5 tcp2=$6
  local d="$dir/node$n"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/log"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$d/log/server.log</log>
    <errorlog>$d/log/server.err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>100</max_concurrent_queries>
  <keep_alive_timeout>10</keep_alive_timeout>
  <!-- Small caches: this is a test cluster sharing one machine with everything else. -->
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <!-- Retention drops whole day partitions; the 50 GB default guard would refuse a big day. -->
  <max_partition_size_to_drop>0</max_partition_size_to_drop>
  <max_table_size_to_drop>0</max_table_size_to_drop>
  <remote_servers>
    <flowhunt>
      <shard>
        <replica><host>127.0.0.1</host><port>$tcp1</port></replica>
      </shard>
      <shard>
        <replica><host>127.0.0.1</host><port>$tcp2</port></replica>
      </shard>
    </flowhunt>
  </remote_servers>
</yandex>
EOF
  cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <load_balancing>in_order</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
EOF
}

# `SELECT 1` over HTTP, without curl (not every machine has it).
ping_http() {
  local port=$1
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /?query=SELECT%%201 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local reply
  reply=$(timeout 2 cat <&3 || true)
  exec 3<&- 3>&-
  [[ $reply == *$'\r\n\r\n1'* ]]
}

start() {
  local bin
  bin=$(server_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local tcp1=$((base + 2)) tcp2=$((base + 3))
  for n in 1 2; do
    local pidf="$dir/node$n/pid"
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
      echo "node$n already running (pid $(cat "$pidf"))" >&2
      exit 1
    fi
    write_config "$n" $((base + n - 1)) $((base + n + 1)) $((base + n + 3)) "$tcp1" "$tcp2"
    # Foreground mode in a background job: we keep the pid ourselves. As root
    # the server runs as root (it only switches user when started by its
    # init script), which is what we want for a scratch directory.
    setsid "$bin" --config-file="$dir/node$n/config.xml" \
      >"$dir/node$n/log/stdout.log" 2>&1 </dev/null &
    echo $! >"$pidf"
  done
  local deadline=$((SECONDS + 60))
  for n in 1 2; do
    local port=$((base + n - 1))
    until ping_http "$port"; do
      if ! kill -0 "$(cat "$dir/node$n/pid")" 2>/dev/null; then
        echo "clickhouse-server node$n exited during start-up:" >&2
        tail -n 20 "$dir/node$n/log/server.err.log" "$dir/node$n/log/stdout.log" >&2 2>/dev/null || true
        stop
        exit 1
      fi
      if [ $SECONDS -ge $deadline ]; then
        echo "clickhouse-server node$n did not answer on port $port within 60 s" >&2
        stop
        exit 1
      fi
      sleep 0.2
    done
  done
  echo "clickhouse://127.0.0.1:$base/default?cluster=flowhunt&nodes=127.0.0.1:$base,127.0.0.1:$((base + 1))"
}

stop() {
  for n in 1 2; do
    local pidf="$dir/node$n/pid"
    [ -f "$pidf" ] || continue
    local pid
    pid=$(cat "$pidf")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidf"
  done
}

case $cmd in
start) start ;;
stop) stop ;;
*) usage ;;
esac
