#!/usr/bin/env bash
# Runs the floor bench. It times each pass the product makes over a large file (record check, SHA-256, payload
# encryption and decryption, TLS record cipher) and one durable copy, and prints the least time per GiB they allow
# here. It also times one manifest signature and its check.
# Options (see --help): --mib 1024 --rounds 3 --work bench-work. docs/benchmarks.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
classpath="$(bench/classpath.sh "$PWD/bench-work/classes-$$")"
status=0
java -Xmx256m -cp "$classpath" jp.kouiki.window.bench.CpuFloorBench "$@" || status=$?
rm -rf "bench-work/classes-$$"
exit $status
