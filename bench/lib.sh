# Shared by the bench/compare-* scripts: option parsing, nginx and gateway start-up, wrk measurement, cleanup.
# Everything listens on 127.0.0.1 only and stops when the calling script exits.

duration=15s; connections=50; warmup=5s; threads=1
parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --duration) duration=$2; shift 2 ;;
      --connections) connections=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  for tool in nginx wrk java curl; do
    command -v $tool >/dev/null || { echo "$tool is missing (apt-get install -y nginx wrk curl)" >&2; exit 2; }
  done
  jar=gateway/target/gateway.jar
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B package -DskipTests" >&2; exit 2; }
}

work=$(mktemp -d)
mkdir -p "$work/logs"
pids=()
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A 1 KiB JSON body, the upstream's answer.
json_body() { printf '{"data":"%s"}' "$(head -c 1013 /dev/zero | tr '\0' 'x')"; }

# nginx with the given http{} content, run as a plain process in $work.
start_nginx() {
  cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  keepalive_requests 1000000;
  $1
}
NGINX
  nginx -c "$work/nginx.conf" -p "$work"
}

# The gateway with the given gateway.yml content; waits until it is ready.
start_gateway() {
  echo "$2" > "$work/gateway.yml"
  JAVA_OPTS=${JAVA_OPTS:--XX:+UseG1GC -Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m}
  # like nginx here (access_log off), the gateway runs without its access log
  # shellcheck disable=SC2086
  GATEWAY_ACCESS_LOG=${GATEWAY_ACCESS_LOG:-OFF} java $JAVA_OPTS -jar "$jar" run -c "$work/gateway.yml" > "$work/logs/gateway.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/logs/gateway.log" >&2
  exit 1
}

# measure NAME URL -> "rps p99_ms errors", after a warm-up run
measure() {
  wrk -t$threads -c"$connections" -d"$warmup" "$2" >/dev/null
  local out; out=$(wrk -t$threads -c"$connections" -d"$duration" --latency "$2")
  echo "$out" > "$work/logs/wrk-$1.txt"
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$rps $p99 ${errors:-none}"
}

# report LABEL_A RPS_A P99_A ERR_A LABEL_B RPS_B P99_B ERR_B: the table and the ratios of B to A
report() {
  printf '%-16s %12s %10s  %s\n' setup rps p99_ms errors
  printf '%-16s %12.0f %10.2f  %s\n' "$1" "$2" "$3" "$4"
  printf '%-16s %12.0f %10.2f  %s\n' "$5" "$6" "$7" "$8"
  awk -v g="$6" -v n="$2" -v gp="$7" -v np="$3" -v a="$1" \
    'BEGIN { printf "ratio            throughput %.2fx %s, p99 %.2fx %s\n", g/n, a, gp/np, a }'
}
