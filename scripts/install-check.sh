#!/usr/bin/env bash
# Runs the installation steps of docs/operations.md from the built archives into a temporary prefix, as the current
# user and on loopback only. It unpacks both archives, creates keys and configuration and checks the configuration.
# It checks the systemd units with systemd-analyze when that is installed. It starts the central server and the agent
# with their start scripts (directly, since systemd may not be running here), moves one file and stops both with
# SIGTERM.
#
#   scripts/install-check.sh [--keep]
#
# Build the archives first with mvn -B package (tests may be skipped with -DskipTests). --keep leaves the prefix in
# place for a look. Exit code 0 when the file arrived with the same SHA-256 and both processes stopped cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=""
if [ "${1:-}" = "--keep" ]; then
    keep="yes"
fi

central_archive="$(ls central-server/target/central-server-*-dist.tar.gz 2>/dev/null | head -n 1 || true)"
agent_archive="$(ls municipal-agent/target/municipal-agent-*-dist.tar.gz 2>/dev/null | head -n 1 || true)"
if [ -z "$central_archive" ] || [ -z "$agent_archive" ]; then
    echo "archives not found: run mvn -B package -DskipTests first" >&2
    exit 1
fi

prefix="$(mktemp -d /tmp/window-install-check.XXXXXX)"
central_pid=""
agent_pid=""
stop() {
    local pid="$1"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 1
        done
        echo "pid $pid did not stop within 60 s of SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$agent_pid"
    stop "$central_pid"
    if [ -z "$keep" ]; then
        rm -rf "$prefix"
    else
        echo "left in place: $prefix"
    fi
}
trap cleanup EXIT

# set_property FILE KEY VALUE: replaces the key's line, or appends it.
set_property() {
    local file="$1" key="$2" value="$3"
    if grep -q "^$key=" "$file"; then
        sed -i "s|^$key=.*|$key=$value|" "$file"
    else
        printf '%s=%s\n' "$key" "$value" >> "$file"
    fi
}

# free_port: a random port from 20000 to 59999 on which nothing on 127.0.0.1 accepts connections.
free_port() {
    local candidate
    while true; do
        candidate=$((20000 + RANDOM % 40000))
        if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
}

echo "== 1. unpack the archives into $prefix/opt/window"
install -d "$prefix/opt/window"
tar xzf "$central_archive" -C "$prefix/opt/window"
tar xzf "$agent_archive" -C "$prefix/opt/window"

echo "== 2. folders for settings, keys, data and files"
install -d -m 0750 "$prefix/etc/window/central-server" "$prefix/etc/window/municipal-agent"
install -d -m 0700 "$prefix/etc/window/keys"
install -d -m 0750 "$prefix/var/lib/window/central" "$prefix/var/lib/window/agent"
install -d -m 0770 "$prefix/srv/window/union" "$prefix/srv/window/agent"

echo "== 3. key material (development CA; a union uses its own)"
java -cp "$prefix/opt/window/central-server/lib/*" jp.kouiki.window.security.DevCredentialsCommand \
    --keys-dir "$prefix/etc/window/keys" --municipalities 131016,131024 --server-name window.kouiki.example.lg.jp \
    > "$prefix/dev-credentials.out"

echo "== 4. configuration"
port="$(free_port)"
central_config="$prefix/etc/window/central-server/application.properties"
agent_config="$prefix/etc/window/municipal-agent/application.properties"
install -m 0640 "$prefix/opt/window/central-server/config/application.properties" "$central_config"
install -m 0640 "$prefix/opt/window/municipal-agent/config/application.properties" "$agent_config"
set_property "$central_config" central.municipalities 131016,131024
set_property "$central_config" central.union-root "$prefix/srv/window/union"
set_property "$central_config" central.data-dir "$prefix/var/lib/window/central"
set_property "$central_config" central.keys-dir "$prefix/etc/window/keys"
set_property "$central_config" central.window.host 127.0.0.1
set_property "$central_config" central.window.port "$port"
set_property "$central_config" central.window.min-free-disk-mib 64
set_property "$central_config" central.admission.caps-file "$prefix/etc/window/admission-caps.properties"
set_property "$central_config" central.operator.port "$(free_port)"
set_property "$central_config" central.operator.accounts-file "$prefix/etc/window/central-server/operator-accounts"
set_property "$agent_config" agent.folder-root "$prefix/srv/window/agent"
set_property "$agent_config" agent.data-dir "$prefix/var/lib/window/agent"
set_property "$agent_config" agent.keys-dir "$prefix/etc/window/keys"
set_property "$agent_config" agent.central-url "https://localhost:$port"
set_property "$agent_config" agent.pickup.quiet-period-ms 500
set_property "$agent_config" agent.warn.min-free-disk-mib 64

echo "== 5. check the configuration"
"$prefix/opt/window/central-server/bin/central-server" --config "$central_config" --check-config
"$prefix/opt/window/municipal-agent/bin/municipal-agent" --config "$agent_config" --check-config

echo "== 6. check the systemd units"
if command -v systemd-analyze > /dev/null; then
    # A root with the installed tree, the system's own units and the new ones, so that verify resolves everything.
    unit_root="$prefix/unit-root"
    install -d "$unit_root/etc/systemd/system" "$unit_root/lib/systemd" "$unit_root/opt"
    cp -r /lib/systemd/system "$unit_root/lib/systemd/"
    cp -r "$prefix/opt/window" "$unit_root/opt/"
    cp "$prefix"/opt/window/*/systemd/*.service "$unit_root/etc/systemd/system/"
    for unit in central-server municipal-agent; do
        findings="$(systemd-analyze verify --root="$unit_root" "/etc/systemd/system/$unit.service" 2>&1 || true)"
        if [ -n "$findings" ]; then
            echo "systemd-analyze verify $unit.service: $findings" >&2
            exit 1
        fi
        echo "systemd-analyze verify $unit.service: no findings"
    done
else
    echo "systemd-analyze not installed: units not verified"
fi

echo "== 7. start the central server and the agent"
"$prefix/opt/window/central-server/bin/central-server" --config "$central_config" > "$prefix/central.log" 2>&1 &
central_pid=$!
# The agent logs into a rotating file, as on a machine without the systemd journal.
WINDOW_LOG_DIR="$prefix/var/log/window" "$prefix/opt/window/municipal-agent/bin/municipal-agent" \
    --config "$agent_config" > "$prefix/agent.out" 2>&1 &
agent_pid=$!
ln -sfn "$prefix/var/log/window/municipal-agent.log" "$prefix/agent.log"
for _ in $(seq 1 120); do
    if grep -q "Central window server started:" "$prefix/central.log" \
            && grep -q "Municipal agent started:" "$prefix/agent.log"; then
        break
    fi
    if ! kill -0 "$central_pid" 2>/dev/null || ! kill -0 "$agent_pid" 2>/dev/null; then
        tail -n 30 "$prefix/central.log" "$prefix/agent.log" >&2
        echo "a process exited during start-up" >&2
        exit 1
    fi
    sleep 1
done

echo "== 8. move one file"
name="131016_POSTAL_20261204.csv"
outbox="$prefix/srv/window/agent/outbox/131016"
printf '13101,"100  ","1000000","ﾄｳｷｮｳﾄ","ﾁﾖﾀﾞｸ","ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ","東京都","千代田区","以下に掲載がない場合",0,0,0,0,0,0\r\n' \
    | iconv -f UTF-8 -t CP932 > "$outbox/.$name.tmp"
mv "$outbox/.$name.tmp" "$outbox/$name"
expected="$(sha256sum < "$outbox/$name" | cut -d ' ' -f 1)"
delivered="$prefix/srv/window/union/inbound/131016/$name"
for _ in $(seq 1 120); do
    [ -f "$delivered" ] && break
    sleep 1
done
if [ ! -f "$delivered" ]; then
    tail -n 30 "$prefix/central.log" "$prefix/agent.log" >&2
    echo "file not delivered within 120 s" >&2
    exit 1
fi
actual="$(sha256sum < "$delivered" | cut -d ' ' -f 1)"
if [ "$actual" != "$expected" ]; then
    echo "delivered file differs: SHA-256 $actual, expected $expected" >&2
    exit 1
fi
echo "delivered $delivered, SHA-256 $actual"

echo "== 9. stop both with SIGTERM"
for role in agent central; do
    pid_variable="${role}_pid"
    pid="${!pid_variable}"
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    if [ "$status" -ne 143 ]; then
        echo "$role exited with $status after SIGTERM, expected 143" >&2
        exit 1
    fi
    printf -v "$pid_variable" '%s' ""
    echo "$role stopped (exit code 143)"
done
grep -q "Municipal agent stopped" "$prefix/agent.log"
grep -q "Central window server stopped" "$prefix/central.log"
echo "install check passed"
