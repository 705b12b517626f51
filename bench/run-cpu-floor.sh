#!/usr/bin/env bash
# Runs the floor bench: the time of each pass the product makes over a large file (record check, SHA-256, payload
# encryption and decryption, TLS record cipher) and of one durable copy, the least time per GiB they allow here, and
# the time of one manifest signature and its check.
# Options (see --help): --mib 1024 --rounds 3 --work bench-work. docs/benchmarks.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
classpath="$(bench/classpath.sh "$PWD/bench-work/classes-$$")"
status=0
java -Xmx256m -cp "$classpath" jp.kouiki.window.bench.CpuFloorBench "$@" || status=$?
rm -rf "bench-work/classes-$$"
exit $status
