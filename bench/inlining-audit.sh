#!/usr/bin/env bash
# Which of vecnet's methods C2 compiled past its inlining budget (see "Small enough for C2" in
# VectorGemm): runs JMH benchmarks with -XX:+LogCompilation, then lists every C2 compilation of a
# vecnet method that inlined a Vector API call late or failed to apply a Vector API intrinsic.
# A failure that a test sees one run in a few shows in every log.
#
#   bench/inlining-audit.sh                      # ResNet-18 forward, batch 1, 1 and 2 threads
#   bench/inlining-audit.sh TrainStep            # any JMH regex and options instead
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/inlining-audit.sh
#
# Needs bench/target/benchmarks.jar (mvn -q install -DskipTests).
set -euo pipefail
cd "$(dirname "$0")/.."
java="${JAVA:-java}"
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "missing $jar: run mvn -q install -DskipTests first" >&2; exit 2; }
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(ResNet18Benchmark.forward -p batch=1)
"$java" -jar "$jar" "${args[@]}" -f 1 -wi 5 -i 3 -jvm "$(command -v "$java")" \
  -jvmArgsAppend "--add-modules=jdk.incubator.vector -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$logs/c2-%p.xml" \
  > "$logs/jmh.out" 2>&1 || { cat "$logs/jmh.out" >&2; exit 1; }
"$java" -cp "$jar" vecnet.bench.InliningAudit "$logs"/c2-*.xml
