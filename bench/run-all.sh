#!/usr/bin/env bash
# vecnet's own JMH benchmarks, one after the other (never two at once: the machine has 2 cores),
# on each JDK given, with the figures each issue asks for. Results: bench/results-raw/<jdk>-<name>.txt
# (JMH's human output) and .json; bench/RESULTS.md is written from them by hand.
#
#   bench/run-all.sh [--quick] [JAVA_HOME ...]     default: the JDK on PATH, then Temurin 25 if present
#
# --quick: 1 warm-up and 2 measurement iterations of 1 s, to check the plumbing (numbers are noise).
set -euo pipefail
cd "$(dirname "$0")/.."
WI=4 I=6 T=2s      # model benchmarks: 4 warm-up and 6 measured iterations of 2 s
GWI=3 GI=5 GT=1s   # GEMM: many shapes, shorter iterations
if [ "${1:-}" = "--quick" ]; then WI=1 I=2 T=1s GWI=1 GI=2 GT=1s; shift; fi
jdks=("$@")
if [ ${#jdks[@]} -eq 0 ]; then
  jdks=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && jdks+=(/usr/lib/jvm/temurin-25-jdk-amd64)
fi
[ -f bench/target/benchmarks.jar ] || mvn -B -q -DskipTests package
mkdir -p bench/results-raw
for jdk in "${jdks[@]}"; do
  v=$("$jdk/bin/java" -version 2>&1 | head -1 | sed 's/.*"\(.*\)".*/\1/')
  tag="jdk${v%%.*}"
  run() { # name, then JMH arguments (iterations from $WI $I $T unless the name starts with gemm)
    local name=$1; shift
    local wi=$WI i=$I t=$T
    case "$name" in gemm*) wi=$GWI i=$GI t=$GT ;; esac
    echo "== $tag $name ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$jdk/bin/java" -jar bench/target/benchmarks.jar "$@" -wi "$wi" -w "$t" -i "$i" -r "$t" \
        -rf json -rff "bench/results-raw/$tag-$name.json" > "bench/results-raw/$tag-$name.txt" 2>&1 \
      || { echo "   failed: see bench/results-raw/$tag-$name.txt"; return 0; }
    grep -E "^(Benchmark|[A-Za-z0-9]+Benchmark\.)" "bench/results-raw/$tag-$name.txt" | grep -v ":gc\.\(count\|time\)" | sed 's/^/   /'
  }
  run gemm GemmBenchmark.vector -p threads=1,2
  run gemm-baselines 'GemmBenchmark.(scalar|ejml)' -p shape=64x64x64,256x256x256,512x512x512 -p threads=1
  run resnet18 ResNet18Benchmark -prof gc
  run fusion FusionModelBenchmark -prof gc
  run text TextBranchBenchmark -prof gc
  run weights WeightsLoadBenchmark
  run preprocess 'PreprocessBenchmark.fileToTensor'
done
