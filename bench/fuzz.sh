#!/usr/bin/env bash
# The long fuzzing run: every fuzz test of weights and multimodal (FuzzSafeTensorsTest, FuzzPthTest,
# FuzzImageTest, FuzzVocabularyTest, FuzzModelTest, FuzzParquetTest: 15 generators) with N inputs per generator
# instead of CI's few hundred or thousand. Default N = 15000, i.e. 225,000 inputs in total.
#
#   bench/fuzz.sh [N] [SEED]      SEED changes every generator's seed (default: the fixed CI seeds)
#
# Same property as in CI (see engine/src/test/java/vecnet/testing/FuzzHarness.java): each
# input gives a valid result or the documented exception with a message; an undocumented throwable,
# an OutOfMemoryError, a StackOverflowError, a hang, an input slower than 10 s or a per-input
# allocation over the test's bound fails the run, and the input is saved under
# <module>/target/fuzz-findings/ for replay. Every input's time and allocation is logged
# (-Dvecnet.fuzz.log=true, <module>/target/fuzz-inputs.tsv); the run ends with the slowest and the
# largest inputs, and the peak resident memory of each test JVM. Uses the default surefire heap.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-15000}"
SEED_ARG=()
if [ -n "${2:-}" ]; then SEED_ARG=("-Dvecnet.fuzz.seed=$2"); fi

rm -f weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt \
      weights/target/fuzz-inputs.tsv multimodal/target/fuzz-inputs.tsv
start=$(date +%s)
status=0
for module in weights multimodal; do
  echo "== $module: Fuzz* tests, $N inputs per generator"
  # -am builds the modules it depends on; the test filter keeps their tests (and fuzzers) out of this run
  if ! mvn -B -o -q -pl "$module" -am verify "-Dtest=vecnet/$module/**/Fuzz*Test" -Dsurefire.failIfNoSpecifiedTests=false \
       -Djacoco.skip=true "-Dvecnet.fuzz.iterations=$N" -Dvecnet.fuzz.log=true "${SEED_ARG[@]}"; then
    status=1
    echo "!! $module: a fuzz test failed; see $module/target/surefire-reports and $module/target/fuzz-findings/"
  fi
done
end=$(date +%s)

echo
echo "== results (per generator: outcomes, largest allocation, slowest input, JVM peak RSS so far)"
cat weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt 2>/dev/null || true
inputs=$(cat weights/target/fuzz-inputs.tsv multimodal/target/fuzz-inputs.tsv 2>/dev/null || true)
if [ -n "$inputs" ]; then
  echo
  echo "== the 5 slowest inputs (generator, seed, index, microseconds, bytes allocated, outcome)"
  printf '%s\n' "$inputs" | sort -t$'\t' -k4,4nr | head -5
  echo "== the 5 inputs that allocated most"
  printf '%s\n' "$inputs" | sort -t$'\t' -k5,5nr | head -5
  echo "== time per input: median and 99.9th percentile (microseconds)"
  printf '%s\n' "$inputs" | cut -f4 | sort -n | awk '{a[NR]=$1} END {print "median " a[int(NR/2)+1] ", p99.9 " a[int(NR*0.999)+1] ", max " a[NR] " over " NR " inputs"}'
fi
total=$(cat weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt 2>/dev/null \
        | sed -n 's/.*: \([0-9]*\) inputs,.*/\1/p' | paste -sd+ - | bc)
echo "total: ${total:-0} inputs in $((end - start)) s (wall clock, including two Maven builds), exit status $status"
exit $status
