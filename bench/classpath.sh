#!/usr/bin/env bash
# Compiles the product and the bench classes in this working copy (offline, no install) and prints the class path
# that runs them: the modules' own target folders first, then their dependencies from the local Maven repository.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-work
if ! mvn -B -o -q -Dstyle.color=never -pl integration-tests -am test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test > bench-work/build.log 2>&1; then
    tail -n 40 bench-work/build.log >&2
    echo "build failed; the whole log is in bench-work/build.log" >&2
    exit 1
fi
echo "$PWD/integration-tests/target/test-classes:$PWD/integration-tests/target/classes:$(cat integration-tests/target/bench-classpath.txt)"
