#!/usr/bin/env bash
# Shaped-link bench: a central server and an agent in two network namespaces joined by a veth pair that tc tbf shapes to
# a slow line in both directions, with a small online-business HTTP server beside the central server whose requests
# from the agent's side are timed. Three runs: the idle link, a burst of uploads with pacing off, the same burst with
# an agent cap. Prints p50/p99 of the online requests, link utilisation and the time until the burst arrived.
#
# Needs root, iproute2 (ip, tc) and python3. Creates its own namespaces, named after this script's pid, with private
# addresses that exist only inside them, and removes them on exit. Nothing is sent outside these namespaces.
#
# Options: --municipalities N (5), --file-mib MIB (20), --link-mbit MBIT (10), --cap RATE (7.5Mbit/s),
# --queue-ms MS (tbf queue length, 200), --idle-seconds S (20), --runs idle,unpaced,paced,
# --set key=value (an agent setting for every run; repeatable).
# Results are printed and appended to bench-work/results.txt; docs/benchmarks.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."

municipalities=5
file_mib=20
link_mbit=10
cap="7.5Mbit/s"
queue_ms=200
idle_seconds=20
runs="idle,unpaced,paced"
extra_settings=()
while [ $# -gt 0 ]; do
    case "$1" in
        --municipalities) municipalities="$2"; shift 2 ;;
        --file-mib) file_mib="$2"; shift 2 ;;
        --link-mbit) link_mbit="$2"; shift 2 ;;
        --cap) cap="$2"; shift 2 ;;
        --queue-ms) queue_ms="$2"; shift 2 ;;
        --idle-seconds) idle_seconds="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --set) extra_settings+=("$2"); shift 2 ;;
        --help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown option $1; see --help" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "run as root: network namespaces and tc need it" >&2
    exit 2
fi
for program in ip tc python3 java; do
    command -v "$program" > /dev/null || { echo "$program is missing (Debian packages iproute2, python3)" >&2; exit 2; }
done

# The online server and probe run under the real-time FIFO policy, so that other work on a busy machine does not show
# up as line latency; they send ten small requests a second and use little CPU.
probe_priority=(chrt -f 10)
if ! command -v chrt > /dev/null; then
    echo "chrt is missing (Debian package util-linux); the online probe runs at normal priority" >&2
    probe_priority=()
fi

# Tokyo's first ten wards; the bench files carry the sender's code in their first column.
all_codes=(131016 131024 131032 131041 131059 131067 131075 131083 131091 131105)
codes=("${all_codes[@]:0:$municipalities}")
code_list="$(IFS=,; echo "${codes[*]}")"

work="$PWD/bench-work/shaped-$$"
ns_central="wcen$$"
ns_agent="wagt$$"
veth_central="wvc$$"
veth_agent="wva$$"
central_address=10.213.0.1
agent_address=10.213.0.2
started_pids=()

cleanup() {
    for pid in "${started_pids[@]}"; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in "${started_pids[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2> /dev/null || true
    done
    ip netns del "$ns_agent" 2> /dev/null || true
    ip netns del "$ns_central" 2> /dev/null || true
    rm -rf "$work/classes"
}
trap cleanup EXIT

mkdir -p "$work"
classpath="$(bench/classpath.sh "$work/classes")"

ip netns add "$ns_central"
ip netns add "$ns_agent"
ip link add "$veth_central" netns "$ns_central" type veth peer name "$veth_agent" netns "$ns_agent"
ip -n "$ns_central" addr add "$central_address/24" dev "$veth_central"
ip -n "$ns_agent" addr add "$agent_address/24" dev "$veth_agent"
for ns in "$ns_central" "$ns_agent"; do
    ip -n "$ns" link set lo up
done
ip -n "$ns_central" link set "$veth_central" up
ip -n "$ns_agent" link set "$veth_agent" up
# tbf needs a bucket of at least one packet; 5 KB is also the least that a 10 Mbit/s rate needs at HZ 250.
tc -n "$ns_agent" qdisc add dev "$veth_agent" root tbf rate "${link_mbit}mbit" burst 5kb latency "${queue_ms}ms"
tc -n "$ns_central" qdisc add dev "$veth_central" root tbf rate "${link_mbit}mbit" burst 5kb latency "${queue_ms}ms"

# The agent reaches the central server by a name that the development server certificate carries.
printf '%s window-central\n' "$central_address" > "$work/hosts"
java -cp "$classpath" jp.kouiki.window.security.DevCredentialsCommand --keys-dir "$work/keys" \
    --municipalities "$code_list" --server-name window-central > "$work/credentials.log"

ip netns exec "$ns_central" "${probe_priority[@]}" python3 bench/online_probe.py serve --host "$central_address" --port 8080 &
started_pids+=($!)

# Starts a product JVM in a namespace; waits for its ready line; prints its pid.
start_jvm() {
    local ns="$1" main="$2" config="$3" log="$4" ready="$5"
    shift 5
    ip netns exec "$ns" env LC_ALL=C.UTF-8 java -Xmx256m "$@" -cp "$classpath" "$main" --config "$config" \
        > "$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 1200); do
        if grep -q "$ready" "$log"; then
            echo "$pid"
            return
        fi
        kill -0 "$pid" 2> /dev/null || { tail -n 30 "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "no '$ready' in $log after 120 s" >&2
    kill "$pid"
    exit 1
}

stop_pid() {
    kill "$1" 2> /dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$1" 2> /dev/null || return 0
        sleep 0.1
    done
    kill -9 "$1" 2> /dev/null || true
}

now() {
    date +%s.%N
}

run_case() {
    local label="$1" pacing="$2" burst="$3"
    local dir="$work/$label"
    mkdir -p "$dir"
    cat > "$dir/central.properties" <<EOF
central.municipalities=$code_list
central.union-root=$dir/union
central.data-dir=$dir/central-data
central.keys-dir=$work/keys
central.window.host=$central_address
central.window.port=8443
central.operator.enabled=false
EOF
    cat > "$dir/agent.properties" <<EOF
agent.municipalities=$code_list
agent.folder-root=$dir/agent-folders
agent.data-dir=$dir/agent-data
agent.keys-dir=$work/keys
agent.central-url=https://window-central:8443
agent.pacing.windows=default $pacing
EOF
    for setting in "${extra_settings[@]}"; do
        echo "$setting" >> "$dir/agent.properties"
    done
    local central_pid agent_pid probe_pid
    central_pid="$(start_jvm "$ns_central" jp.kouiki.window.central.CentralServer "$dir/central.properties" \
        "$dir/central.log" "Central window server started:")"
    started_pids+=("$central_pid")
    agent_pid="$(start_jvm "$ns_agent" jp.kouiki.window.agent.MunicipalAgent "$dir/agent.properties" \
        "$dir/agent.log" "Municipal agent started:" "-Djdk.net.hosts.file=$work/hosts")"
    started_pids+=("$agent_pid")

    ip netns exec "$ns_agent" "${probe_priority[@]}" python3 bench/online_probe.py probe --host "$central_address" --port 8080 \
        --interface "$veth_agent" --latencies "$dir/latencies.txt" --samples "$dir/samples.txt" \
        --stop-file "$dir/stop" --max-seconds 900 &
    probe_pid=$!
    started_pids+=("$probe_pid")
    sleep 2
    local start end arrived="-"
    if [ "$burst" = yes ]; then
        java -cp "$classpath" jp.kouiki.window.bench.BurstFiles "$dir/agent-folders/outbox" \
            $((file_mib * 1024 * 1024)) "${codes[@]}" > "$dir/burst.txt"
        start="$(now)"
        local deadline=$((SECONDS + 900))
        while [ "$(find "$dir/union/inbound" -name '*_POSTAL_*.csv' 2> /dev/null | wc -l)" -lt "$municipalities" ]; do
            if [ $SECONDS -gt $deadline ]; then
                echo "burst not arrived after 900 s; logs in $dir" >&2
                exit 1
            fi
            sleep 0.2
        done
        end="$(now)"
        arrived="$(python3 -c "print('%.1f' % ($end - $start))")"
    else
        start="$(now)"
        sleep "$idle_seconds"
        end="$(now)"
    fi
    touch "$dir/stop"
    wait "$probe_pid" || true
    stop_pid "$agent_pid"
    stop_pid "$central_pid"
    local figures
    figures="$(python3 bench/online_probe.py report --latencies "$dir/latencies.txt" --samples "$dir/samples.txt" \
        --start "$start" --end "$end" --link-mbit "$link_mbit")"
    local line
    line="$(date -Is) shaped-link run=$label cap=$pacing link=${link_mbit}mbit queue=${queue_ms}ms"
    line="$line burst=${municipalities}x${file_mib}MiB arrived_s=$arrived $figures load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
    echo "$line"
    echo "$line" >> bench-work/results.txt
}

IFS=, read -r -a selected <<< "$runs"
for run in "${selected[@]}"; do
    case "$run" in
        idle) run_case idle 0 no ;;
        unpaced) run_case unpaced 0 yes ;;
        paced) run_case paced "$cap" yes ;;
        *) echo "unknown run $run; expected idle, unpaced or paced" >&2; exit 2 ;;
    esac
done
