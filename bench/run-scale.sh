#!/usr/bin/env bash
# Runs the scale bench: a central server for all 1,741 member municipalities (credential generation, start-up time,
# idle heap, threads, sockets) and a small-file run spread over all of them through several agents.
# Options (see --help): --agents 6 --small-files 2000 --heap 256m ...
# Results are printed and appended to <work>/results.txt (bench-work/ by default); docs/benchmarks.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
classpath="$(bench/classpath.sh "$PWD/bench-work/classes-$$")"
status=0
java -Xmx1g -cp "$classpath" jp.kouiki.window.bench.ScaleBench "$@" || status=$?
rm -rf "bench-work/classes-$$"
exit $status
