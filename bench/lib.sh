# Shared by the bench/compare-* scripts: option parsing, nginx and gateway start-up, wrk measurement, cleanup.
# Everything listens on 127.0.0.1 only and stops when the calling script exits.

duration=15s; connections=50; warmup=20s; threads=1; floor=0; rounds=3
parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --duration) duration=$2; shift 2 ;;
      --connections) connections=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --rounds) rounds=$2; shift 2 ;;
      --floor) floor=1; shift ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  for tool in nginx wrk java curl; do
    command -v $tool >/dev/null || { echo "$tool is missing (apt-get install -y nginx wrk curl)" >&2; exit 2; }
  done
  jar=${GATEWAY_JAR:-gateway/target/gateway.jar}   # GATEWAY_JAR: another build, for an A/B of two versions
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B package -DskipTests" >&2; exit 2; }
  # the load generator on a core of its own when there is more than one, so it takes less from the proxies
  # and the servers (the proxies and the upstream) on the others
  wrk_cmd=(wrk); servers_cmd=(); pinned="nothing pinned"; server_cpus=all
  if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null && [ "${PIN:-1}" = 1 ]; then   # PIN=0: nothing pinned
    server_cpus=$(seq -s ' ' 0 $(($(nproc) - 2)))
    wrk_cmd=(taskset -c $(($(nproc) - 1)) wrk); servers_cmd=(taskset -c 0-$(($(nproc) - 2)))
    pinned="wrk pinned to CPU $(($(nproc) - 1)), the servers to CPU 0-$(($(nproc) - 2)), with taskset"
  fi
}

work=$(mktemp -d)
mkdir -p "$work/logs"
pids=()
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A 1 KiB JSON body, the upstream's answer.
json_body() { printf '{"data":"%s"}' "$(head -c 1013 /dev/zero | tr '\0' 'x')"; }

# start_nginx NAME CONTENT: an nginx instance with the given http{} content, run as a plain process in $work.
# The upstream and the proxy under comparison run as separate instances, so each one's CPU can be read apart.
# NGINX_WORKERS (auto by default) sets worker_processes, for every nginx a script starts, an nginx upstream's too.
start_nginx() {
  local name=$1; shift
  cat > "$work/$name.conf" <<NGINX
worker_processes ${NGINX_WORKERS:-auto};
pid $work/$name.pid;
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
  "${servers_cmd[@]}" nginx -c "$work/$name.conf" -p "$work"
  for _ in $(seq 1 50); do [ -s "$work/$name.pid" ] && return 0; sleep 0.1; done
  echo "nginx $name did not start (see $work/logs/error.log)" >&2; return 1
}

# The worker processes of nginx instance NAME, and proxy_cache's cache manager (not its loader, which exits after a
# minute and would leave a pid with no /proc entry).
nginx_workers() { pgrep -P "$(cat "$work/$1.pid")" -f 'worker process|cache manager' | tr '\n' ' '; }

# CPU time used so far by the given processes, in clock ticks: "user+system user".
cpu_ticks() {
  local t=0 u=0 p
  for p in "$@"; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    u=$((u + $(awk '{print $14}' "/proc/$p/stat")))
  done
  echo "$t $u"
}

# thread_times PIDS... -> one line per thread of the given processes: "tid group run_ns wait_ns" from schedstat
# (the time it ran, and the time it was runnable but waited for a CPU); group is loop (an event loop or the acceptor,
# or an nginx process), jit (the compilers), gc (the collector and the VM thread, which runs its pauses) or other
thread_times() {
  local p t
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      printf '%s\t%s\t%s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" "$(cat "$t/schedstat" 2>/dev/null)"
    done
  done | awk -F'\t' 'NF == 3 && $3 != "" { split($3, s, " "); n = $2
    g = n ~ /^(gateway-io|gateway-accept|nginx|multiThreadIoEv)/ ? "loop" : n ~ /^C[12] Compiler/ ? "jit" \
      : n ~ /^(GC Thread|G1 |VM Thread)/ ? "gc" : "other"
    print $1, g, s[1], s[2] }'
}

# thread_delta BEFORE AFTER REQUESTS -> per group, what its threads ran and waited between two thread_times
# snapshots: "loop run 9.1 wait 4.2 us/req; jit run 310 ms; ..." (a thread started in between counts from zero)
thread_delta() {
  awk -v n="$3" 'FNR == NR { run[$1] = $3; wait[$1] = $4; next }
    { r[$2] += $3 - run[$1]; w[$2] += $4 - wait[$1] }
    END { if (n <= 0) n = 1e9   # no count (the load failed): the per-request figures read as 0
      printf "loop run %.1f wait %.1f us/req", r["loop"] / n / 1e3, w["loop"] / n / 1e3
      split("jit gc other", g, " ")
      for (i = 1; i <= 3; i++) printf "; %s run %.0f wait %.0f ms", g[i], r[g[i]] / 1e6, w[g[i]] / 1e6
      printf "\n" }' <(echo "$1") <(echo "$2")
}

# The gateway with the given gateway.yml content; waits until it is ready.
start_gateway() {
  echo "$2" > "$work/gateway-$1.yml"   # per port: a second gateway has files of its own
  JAVA_OPTS=${JAVA_OPTS:--XX:+UseG1GC -Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m}
  # like nginx here (access_log off), the gateway runs without its access log
  # shellcheck disable=SC2086
  GATEWAY_ACCESS_LOG=${GATEWAY_ACCESS_LOG:-OFF} "${servers_cmd[@]}" java $JAVA_OPTS -jar "$jar" run -c "$work/gateway-$1.yml" > "$work/logs/gateway-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/logs/gateway-$1.log" >&2
  exit 1
}

# warm_load URL DURATION: a side's load, not measured (bench/websocket defines its own)
warm_load() { "${wrk_cmd[@]}" -t$threads -c"$connections" -d"$2" "$1" >/dev/null; }

# settle NAME URL PIDS...: after a side's first warm-up, its load goes on 5 s at a time until the JIT compilers of its
# processes (and of $settle_also's, a Java upstream, which nginx's side then waits for too) ran or waited to run at
# most JIT_QUIET_MS in one such run (20: they have next to nothing left to compile), for at most JIT_SETTLE s (120)
# more; says on stderr how long it took, or that it did not settle. A compiler still at work after the warm-up takes
# the core from the event loop in bursts while the loop runs slower code, and widens the p99 of the rounds it runs
# in (bench/README, issue 22, fourth part). A side without a JIT of its own or upstream settles at once. (A compiler
# thread that exits in between is not counted: with more than one core, -XX:-UseDynamicNumberOfCompilerThreads.)
settle() {
  local name=$1 url=$2; shift 2
  local pids waited=0 before compiled=0
  pids=($(printf '%s\n' "$@" ${settle_also:-} | sort -u))
  [ -n "$(thread_times "${pids[@]}" | awk '$2 == "jit"')" ] || return 0
  while [ "$waited" -lt "${JIT_SETTLE:-120}" ]; do
    before=$(thread_times "${pids[@]}")
    warm_load "$url" 5s
    waited=$((waited + 5))
    compiled=$(awk 'FNR == NR { was[$1] = $3 + $4; next } $2 == "jit" { t += $3 + $4 - was[$1] }
      END { printf "%d", t / 1e6 }' <(echo "$before") <(thread_times "${pids[@]}"))
    [ "$compiled" -le "${JIT_QUIET_MS:-20}" ] && break
  done
  if [ "$compiled" -le "${JIT_QUIET_MS:-20}" ]; then
    echo "$name: its JIT settled after ${waited}s more (${compiled} ms compiling or waiting to in the last 5 s)" >&2
  else
    echo "$name: its JIT did not settle within ${waited}s more (${compiled} ms in the last 5 s)" >&2
  fi
}

# measure NAME URL PIDS... -> "rps p99_ms cpu_us user_us errors", after a warm-up run; cpu_us is the CPU time the
# given processes (the proxy under test) spent per request during the measured run, user_us the part of it spent
# in user space (the rest is the kernel's: system calls and the loopback TCP stack)
declare -A warmed=()
measure() {
  local name=$1 url=$2; shift 2
  # the first time a side is measured its JIT gets the whole warm-up and then settles; afterwards a few seconds
  # bring it back
  warm_load "$url" "${warmed[$name]:-$warmup}"
  [ -n "${warmed[$name]:-}" ] || settle "$name" "$url" "$@"
  local before user_before; read -r before user_before <<<"$(cpu_ticks "$@")"; steal_from
  local out; out=$("${wrk_cmd[@]}" -t$threads -c"$connections" -d"$duration" --latency "$url")
  local after user_after; read -r after user_after <<<"$(cpu_ticks "$@")"; steal_to "$name"
  echo "$out" > "$work/logs/wrk-$name.txt"
  local rps p99 errors requests cpu user
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  user=$(awk -v t=$((user_after - user_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$rps $p99 $cpu $user ${errors:-none}"
}

# start_floor MODE PORT [UPSTREAM_PORT]: bench/floor/NettyFloor.java on the gateway's jar: a relay of bytes (tcp),
# of Netty's decoded HTTP objects (http), Netty's HTTP codec answering a constant response (static), or one
# pre-encoded answer per request head with no codec (bytes); waits until PORT answers.
start_floor() {
  # shellcheck disable=SC2086
  "${servers_cmd[@]}" java ${JAVA_OPTS:--XX:+UseG1GC -Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m} -cp "$jar" \
    bench/floor/NettyFloor.java "$@" > "$work/logs/floor-$1.log" 2>&1 &
  pids+=($!)
  wait_for_port "$2" "$work/logs/floor-$1.log"
}

# wait_for_port PORT LOG: returns once PORT answers HTTP; after 10 s prints LOG and exits.
wait_for_port() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$2" >&2
  exit 1
}

# side NAME URL PIDS...: a setup to measure (the gateway last); run_sides then measures them all, $rounds times,
# each round in another order (rotated, so no side always goes first or after the same one), and reports each
# metric's median over the rounds
side_names=(); side_urls=(); side_pids=()
side() {
  side_names+=("$1"); side_urls+=("$2"); shift 2; side_pids+=("$*")
}

# server_ticks -> "stolen total": the CPU ticks the hypervisor took so far from the CPUs the servers run on (the whole
# machine when they are not pinned) and all their ticks so far (/proc/stat); a round it took much from (steal above a
# few %) measured a machine slower than the others did
server_ticks() {
  awk -v cpus="$server_cpus" 'BEGIN { n = split(cpus, c, " "); for (i = 1; i <= n; i++) want["cpu" c[i]] = 1 }
    (cpus == "all" && $1 == "cpu") || ($1 in want) { for (i = 2; i <= 9; i++) t += $i; s += $9 }
    END { print s, t }' /proc/stat
}

# steal_from, then steal_to NAME: the steal on the servers' CPUs over the measured run only (not its warm-up),
# in percent, kept in a file for run_sides (measure runs in a subshell)
steal_from() { read -r steal_ticks_before steal_total_before <<<"$(server_ticks)"; }
steal_to() {
  local stolen total; read -r stolen total <<<"$(server_ticks)"
  awk -v s=$((stolen - steal_ticks_before)) -v t=$((total - steal_total_before)) \
    'BEGIN { printf "%.0f", (t > 0 ? 100 * s / t : 0) }' > "$work/steal-$1"
}

median() {   # of an even count: the mean of the two in the middle
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

# run_sides: every side measured $rounds times, in rotated order; prints each round with the steal on the servers'
# CPUs, then the medians over all rounds, and the medians over the clean rounds only (steal at most STEAL_MAX %, 5 by
# default) for the sides that had one
run_sides() {
  [[ ${STEAL_MAX:-5} =~ ^[0-9]+$ ]] || { echo "STEAL_MAX is a whole number of percent" >&2; exit 2; }
  local n=${#side_names[@]} r i k
  declare -A results=() steal=()
  for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < n; k++)); do
      i=$(((k + r) % n))
      # shellcheck disable=SC2086
      results[$i,$r]=$(measure "${side_names[i]}" "${side_urls[i]}" ${side_pids[i]})
      warmed[${side_names[i]}]=3s   # here, not in measure: that runs in a subshell
      steal[$i,$r]=$(cat "$work/steal-${side_names[i]}")
      echo "round $((r + 1)) ${side_names[i]}: ${results[$i,$r]} (steal ${steal[$i,$r]}%)" >&2
    done
  done
  echo "machine: $(uname -r), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs"
  echo "medians of $rounds rounds, each side warmed $warmup first and then until its JIT settled (see above; JIT_QUIET_MS ${JIT_QUIET_MS:-20}, JIT_SETTLE ${JIT_SETTLE:-120}), $pinned"
  report_medians 100
  echo "medians of the clean rounds only (at most ${STEAL_MAX:-5}% steal on the servers' CPUs; NAME/N: N such rounds)"
  report_medians "${STEAL_MAX:-5}"
}

# report_medians MAX_STEAL: the report over each side's rounds with at most that steal; none when the gateway (the
# last side, which the ratios are of) had no such round
report_medians() {
  local args=() l a b c d e
  while read -r l a b c d e; do args+=("$l" "$a" "$b" "$c" "$d" "$e"); done < <(side_medians "$1")
  if [ "${#args[@]}" -eq 0 ] || [ "${args[-6]%/*}" != "${side_names[-1]}" ]; then
    echo "(no clean round of ${side_names[-1]})"
  else
    report "${args[@]}"
  fi
}

# side_medians MAX_STEAL -> (LABEL RPS P99 CPU USER ERRORS)... over the rounds of each side with at most that steal
# (reads run_sides' results and steal)
side_medians() {
  local i r a b c d e rps p99 cpu usr err kept
  for ((i = 0; i < ${#side_names[@]}; i++)); do
    rps=(); p99=(); cpu=(); usr=(); err=""; kept=0
    for ((r = 0; r < rounds; r++)); do
      [ "${steal[$i,$r]}" -le "$1" ] || continue
      read -r a b c d e <<<"${results[$i,$r]}"
      rps+=("$a"); p99+=("$b"); cpu+=("$c"); usr+=("$d"); [ "$e" = none ] || err="$err r$((r + 1)):$e"
      kept=$((kept + 1))
    done
    [ "$kept" -gt 0 ] || { echo "(no clean round of ${side_names[i]})" >&2; continue; }
    echo "${side_names[i]}/$kept" "$(median "${rps[@]}")" "$(median "${p99[@]}")" "$(median "${cpu[@]}")" \
      "$(median "${usr[@]}")" "${err:-none}"
  done
}

# report (LABEL RPS P99 CPU USER ERRORS)...: the table, then the ratios of the last side (the gateway) to each other
# one
report() {
  local args=("$@") i n=$(($# / 6)) last
  last=$(((n - 1) * 6))
  printf '%-24s %10s %8s %12s %8s  %s\n' setup rps p99_ms cpu_us/req user_us errors
  for ((i = 0; i < n * 6; i += 6)); do
    printf '%-24s %10.0f %8.2f %12.1f %8.1f  %s\n' "${args[i]}" "${args[i + 1]}" "${args[i + 2]}" "${args[i + 3]}" \
      "${args[i + 4]}" "${args[i + 5]}"
  done
  for ((i = 0; i < last; i += 6)); do
    awk -v a="${args[i]}" -v n="${args[i + 1]}" -v np="${args[i + 2]}" -v nc="${args[i + 3]}" \
      -v g="${args[last + 1]}" -v gp="${args[last + 2]}" -v gc="${args[last + 3]}" \
      'BEGIN { printf "ratio              throughput %.2fx %s, p99 %.2fx, CPU per request %.2fx\n", g/n, a, gp/np, gc/nc }'
  done
}

# start_haproxy NAME CONTENT PORT: an HAProxy process with the given configuration after a shared global/defaults
# section, run in the foreground of a background job (its pid is the one process whose CPU is read); waits until
# PORT answers.
start_haproxy() {
  local name=$1; shift
  cat > "$work/$name.cfg" <<HAPROXY
global
  maxconn 4096
  log stdout format raw local0 err
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
$1
HAPROXY
  "${servers_cmd[@]}" haproxy -db -f "$work/$name.cfg" > "$work/logs/$name.log" 2>&1 &
  echo $! > "$work/$name.pid"
  wait_for_port "$2" "$work/logs/$name.log"
}
