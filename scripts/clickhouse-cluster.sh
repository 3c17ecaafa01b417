#!/usr/bin/env bash
# A ClickHouse cluster on loopback, for tests and for trying the scale-out
# engine on one machine, from the Debian packages. Each clickhouse-server has
# its own config, data and ports; `remote_servers` names the cluster
# `flowhunt`. Two layouts:
#
#   sharded     two shards, one replica each, no ZooKeeper (the default)
#   replicated  two shards x two replicas (four servers, ReplicatedMergeTree,
#               internal_replication) and one ZooKeeper (the Debian
#               `zookeeper` package, started here as a plain java process)
#
#   scripts/clickhouse-cluster.sh start DIR [BASEPORT] [replicated]   prints the --store URL
#   scripts/clickhouse-cluster.sh stop DIR
#   scripts/clickhouse-cluster.sh kill-node DIR N    SIGKILL server N (1-based), to try a failure
#   scripts/clickhouse-cluster.sh start-node DIR N   start server N again with its config and data
#
# Ports, for N servers (2 or 4): HTTP BASEPORT..+N-1, native TCP +N..+2N-1,
# interserver HTTP +2N..+3N-1, ZooKeeper's client port +3N (replicated only).
# Default BASEPORT 18123. Server n of the replicated layout is shard
# (n+1)/2, replica 2-(n%2): servers 1,2 hold shard 1, servers 3,4 shard 2.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [BASEPORT] [replicated] | stop DIR | kill-node DIR N | start-node DIR N" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2

server_bin() {
  command -v clickhouse-server || {
    echo "clickhouse-server is not installed (apt-get install clickhouse-server)" >&2
    exit 1
  }
}

zk_classpath() {
  local jar=/usr/share/java/zookeeper.jar
  if [ ! -f "$jar" ] || ! command -v java >/dev/null; then
    echo "zookeeper is not installed (apt-get install zookeeper)" >&2
    exit 1
  fi
  # The jar's manifest names its dependencies; log4j 1.2 is the logging backend Debian ships.
  echo "$jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/slf4j-log4j12.jar"
}

# Written by `start`, read by the other commands.
layout_file() { echo "$dir/layout"; }

write_zk_config() {
  local port=$1
  local d="$dir/zookeeper"
  mkdir -p "$d/data" "$d/log"
  cat >"$d/zoo.cfg" <<EOF
tickTime=1000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
  cat >"$d/log4j.properties" <<EOF
log4j.rootLogger=WARN, FILE
log4j.appender.FILE=org.apache.log4j.RollingFileAppender
log4j.appender.FILE.File=$d/log/zookeeper.log
log4j.appender.FILE.MaxFileSize=10MB
log4j.appender.FILE.MaxBackupIndex=1
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1}: %m%n
EOF
}

# remote_servers of the layout: $1 = first native TCP port.
remote_servers() {
  local tcp=$1
  if [ "$nodes" = 2 ]; then
    cat <<EOF
    <flowhunt>
      <shard><replica><host>127.0.0.1</host><port>$tcp</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$((tcp + 1))</port></replica></shard>
    </flowhunt>
EOF
  else
    # Each replica writes its own copy through ReplicatedMergeTree: the Distributed
    # table sends a shard's rows to one (live) replica only.
    cat <<EOF
    <flowhunt>
      <shard>
        <internal_replication>true</internal_replication>
        <replica><host>127.0.0.1</host><port>$tcp</port></replica>
        <replica><host>127.0.0.1</host><port>$((tcp + 1))</port></replica>
      </shard>
      <shard>
        <internal_replication>true</internal_replication>
        <replica><host>127.0.0.1</host><port>$((tcp + 2))</port></replica>
        <replica><host>127.0.0.1</host><port>$((tcp + 3))</port></replica>
      </shard>
    </flowhunt>
EOF
  fi
}

write_config() {
  local n=$1
  local http=$((base + n - 1)) tcp=$((base + nodes + n - 1)) inter=$((base + 2 * nodes + n - 1))
  local d="$dir/node$n"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/log"
  local replication=""
  if [ "$nodes" = 4 ]; then
    replication="  <zookeeper>
    <node><host>127.0.0.1</host><port>$((base + 3 * nodes))</port></node>
    <!-- A killed server's session (and its 'is_active' mark) ends after this. -->
    <session_timeout_ms>5000</session_timeout_ms>
  </zookeeper>
  <macros>
    <shard>$(((n + 1) / 2))</shard>
    <replica>node$n</replica>
  </macros>"
  fi
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
  <mark_cache_size>$((nodes == 4 ? 134217728 : 268435456))</mark_cache_size>
  <uncompressed_cache_size>$((nodes == 4 ? 134217728 : 268435456))</uncompressed_cache_size>
  <!-- Retention drops whole day partitions; the 50 GB default guard would refuse a big day. -->
  <max_partition_size_to_drop>0</max_partition_size_to_drop>
  <max_table_size_to_drop>0</max_table_size_to_drop>
$replication
  <remote_servers>
$(remote_servers $((base + nodes)))
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
      <!-- Four servers on two shared cores: fewer merge and fetch threads than the default 16. -->
      <background_pool_size>$((nodes == 4 ? 4 : 16))</background_pool_size>
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

# One request/answer over a plain TCP socket, without curl (not every machine has it).
ask() {
  local port=$1 request=$2
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf '%b' "$request" >&3
  timeout 2 cat <&3 || true
  exec 3<&- 3>&-
}

ping_http() {
  local reply
  reply=$(ask "$1" 'GET /?query=SELECT%201 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n') || return 1
  [[ $reply == *$'\r\n\r\n1'* ]]
}

ping_zk() {
  local reply
  reply=$(ask "$1" 'ruok') || return 1
  [ "$reply" = imok ]
}

running() {
  local pidf=$1
  [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null
}

# Waits for $2 (a ping function) on port $3 while the process of pid file $1 lives.
await() {
  local pidf=$1 ping=$2 port=$3 name=$4 logs=$5
  local deadline=$((SECONDS + 60))
  until "$ping" "$port"; do
    if ! running "$pidf"; then
      echo "$name exited during start-up:" >&2
      tail -n 20 $logs >&2 2>/dev/null || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "$name did not answer on port $port within 60 s" >&2
      return 1
    fi
    sleep 0.2
  done
}

start_zk() {
  local d="$dir/zookeeper" port=$((base + 3 * nodes)) cp
  cp=$(zk_classpath)
  if running "$d/pid"; then
    echo "zookeeper already running (pid $(cat "$d/pid"))" >&2
    exit 1
  fi
  write_zk_config "$port"
  # A small heap: a test ensemble of one holds a few thousand znodes.
  setsid java -Xms16m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$d/log4j.properties" -Dzookeeper.jmx.log4j.disable=true \
    -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$d/zoo.cfg" \
    >"$d/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  await "$d/pid" ping_zk "$port" zookeeper "$d/log/zookeeper.log $d/log/stdout.log"
}

start_node() {
  local n=$1 bin
  bin=$(server_bin)
  local pidf="$dir/node$n/pid"
  if running "$pidf"; then
    echo "node$n already running (pid $(cat "$pidf"))" >&2
    return 1
  fi
  # Foreground mode in a background job: we keep the pid ourselves. As root
  # the server runs as root (it only switches user when started by its
  # init script), which is what we want for a scratch directory.
  setsid "$bin" --config-file="$dir/node$n/config.xml" \
    >>"$dir/node$n/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidf"
}

await_node() {
  local n=$1
  await "$dir/node$n/pid" ping_http $((base + n - 1)) "clickhouse-server node$n" \
    "$dir/node$n/log/server.err.log $dir/node$n/log/stdout.log"
}

start() {
  # BASEPORT may be left out: `start DIR replicated`.
  if [[ ${1:-} =~ ^[a-z]+$ ]]; then set -- 18123 "$1"; fi
  base=${1:-18123}
  local layout=${2:-sharded}
  [[ $base =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le 65500 ] || {
    echo "BASEPORT must be a number from 1024 to 65500, not $base" >&2
    exit 2
  }
  case $layout in
  sharded) nodes=2 ;;
  replicated) nodes=4 ;;
  *) usage ;;
  esac
  server_bin >/dev/null
  [ "$nodes" = 2 ] || zk_classpath >/dev/null
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  echo "$layout $base $nodes" >"$(layout_file)"
  if [ "$nodes" = 4 ]; then start_zk || {
    stop
    exit 1
  }; fi
  for n in $(seq 1 "$nodes"); do
    write_config "$n"
    start_node "$n" || {
      stop
      exit 1
    }
  done
  for n in $(seq 1 "$nodes"); do
    await_node "$n" || {
      stop
      exit 1
    }
  done
  local list=""
  for n in $(seq 1 "$nodes"); do list="$list${list:+,}127.0.0.1:$((base + n - 1))"; done
  echo "clickhouse://127.0.0.1:$base/default?cluster=flowhunt&nodes=$list"
}

read_layout() {
  [ -f "$(layout_file)" ] || {
    echo "no cluster in $dir (no $(layout_file))" >&2
    exit 1
  }
  read -r _ base nodes <"$(layout_file)"
}

stop_pid() {
  local pidf=$1
  [ -f "$pidf" ] || return 0
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
}

stop() {
  for d in "$dir"/node*; do
    [ -d "$d" ] && stop_pid "$d/pid"
  done
  stop_pid "$dir/zookeeper/pid"
}

node_arg() {
  [[ ${1:-} =~ ^[1-9]$ ]] && [ "$1" -le "$nodes" ] || {
    echo "no server $1 in $dir (it has $nodes)" >&2
    exit 2
  }
}

case $cmd in
start)
  shift 2
  start "$@"
  ;;
stop) stop ;;
kill-node)
  read_layout
  node_arg "${3:-}"
  pidf="$dir/node$3/pid"
  running "$pidf" || {
    echo "node$3 is not running" >&2
    exit 1
  }
  kill -KILL "$(cat "$pidf")"
  # Reaped by init; wait until it is gone so that its ports are free.
  while kill -0 "$(cat "$pidf")" 2>/dev/null; do sleep 0.05; done
  rm -f "$pidf"
  ;;
start-node)
  read_layout
  node_arg "${3:-}"
  start_node "$3"
  await_node "$3"
  ;;
*) usage ;;
esac
