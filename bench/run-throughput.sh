#!/usr/bin/env bash
# Runs the throughput bench: product against curl to nginx, interleaved, with medians and ratios.
# Options (see --help): --scenarios large,small,memory --pairs 3 --large-mib 1024 --small-files 2000 ...
# Results are printed and appended to <work>/results.txt (bench-work/ by default); docs/benchmarks.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
classpath="$(bench/classpath.sh "$PWD/bench-work/classes-$$")"
status=0
java -Xmx1g -cp "$classpath" jp.kouiki.window.bench.ThroughputBench "$@" || status=$?
rm -rf "bench-work/classes-$$"
exit $status
