#!/usr/bin/env bash
# Compiles the product and the bench classes in this working copy (offline, no install). Copies the compiled classes
# into SNAPSHOT_DIR (first argument), so that a rebuild during a long bench does not change the JVMs it starts. Prints
# the class path: those copies first, then the dependencies from the local Maven repository.
set -euo pipefail
snapshot="$1"
cd "$(dirname "$0")/.."
mkdir -p bench-work
if ! mvn -B -o -q -Dstyle.color=never -pl integration-tests -am test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test > bench-work/build.log 2>&1; then
    tail -n 40 bench-work/build.log >&2
    echo "build failed; the whole log is in bench-work/build.log" >&2
    exit 1
fi
rm -rf "$snapshot"
mkdir -p "$snapshot"
for module in broker routes municipal-agent central-server integration-tests; do
    cp -r "$module/target/classes" "$snapshot/$module"
done
cp -r integration-tests/target/test-classes "$snapshot/integration-tests-test"
dependencies="$(cat integration-tests/target/bench-classpath.txt)"
for module in broker routes municipal-agent central-server; do
    dependencies="${dependencies//$PWD\/$module\/target\/classes/$snapshot/$module}"
done
echo "$snapshot/integration-tests-test:$snapshot/integration-tests:$dependencies"
