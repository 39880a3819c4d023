#!/usr/bin/env bash
# The long fuzzing run: every fuzz test of weights and multimodal (FuzzSafeTensorsTest, FuzzPthTest,
# FuzzImageTest, FuzzImageStructureTest, FuzzVocabularyTest, FuzzModelTest, FuzzParquetTest: 17
# generators) with N inputs per generator instead of CI's few hundred or thousand. Default N = 15000,
# i.e. 255,000 inputs in total.
#
#   bench/fuzz.sh [N] [SEED]      SEED changes every generator's seed (default: the fixed CI seeds)
#   FUZZ_TESTS='multimodal:FuzzImageStructureTest#progressiveJpegs' bench/fuzz.sh 20000
#                                 only these tests: MODULE:SUREFIRE-FILTER (as for -Dtest)
#
# Same property as in CI (see engine/src/test/java/vecnet/testing/FuzzHarness.java): each
# input gives a valid result or the documented exception with a message; an undocumented throwable,
# an OutOfMemoryError, a StackOverflowError, a hang, an input slower than 10 s or a per-input
# allocation over the test's bound fails the run, and the input is saved under
# <module>/target/fuzz-findings/ for replay. Every input's time and allocation is logged
# (-Dvecnet.fuzz.log=true, <module>/target/fuzz-inputs.tsv); the run ends with the slowest and the
# largest inputs, and the peak resident memory of each test JVM. Uses the default surefire heap.
# The fuzzers run one input at a time; the test JVM is told it has one CPU
# (-XX:ActiveProcessorCount=1) so that its garbage collector and JIT leave the other cores alone;
# FUZZ_JVM replaces those JVM options (e.g. FUZZ_JVM='-XX:ActiveProcessorCount=1 -Xlog:gc:file=/tmp/gc.log').
# On a machine whose run queue is far longer than its cores, add -Dvecnet.fuzz.cpuTime=true to FUZZ_JVM:
# the 10 s per input then bounds the thread's CPU time, not the wall clock (both are logged).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-15000}"
SEED_ARG=()
if [ -n "${2:-}" ]; then SEED_ARG=("-Dvecnet.fuzz.seed=$2"); fi
TARGETS=("weights:vecnet/weights/**/Fuzz*Test" "multimodal:vecnet/multimodal/**/Fuzz*Test")
if [ -n "${FUZZ_TESTS:-}" ]; then TARGETS=("$FUZZ_TESTS"); fi
MODULES=()
for target in "${TARGETS[@]}"; do MODULES+=("${target%%:*}"); done

for module in "${MODULES[@]}"; do rm -f "$module/target/fuzz-stats.txt" "$module/target/fuzz-inputs.tsv"; done
start=$(date +%s)
status=0
for target in "${TARGETS[@]}"; do
  module="${target%%:*}"
  tests="${target#*:}"
  echo "== $module: $tests, $N inputs per generator"
  # -am builds the modules it depends on; the test filter keeps their tests (and fuzzers) out of this run
  if ! mvn -B -o -q -pl "$module" -am verify "-Dtest=$tests" -Dsurefire.failIfNoSpecifiedTests=false \
       -Djacoco.skip=true "-Dvecnet.fuzz.iterations=$N" -Dvecnet.fuzz.log=true "${SEED_ARG[@]}" \
       "-Dsurefire.argLine=${FUZZ_JVM:--XX:ActiveProcessorCount=1}"; then
    status=1
    echo "!! $module: a fuzz test failed; see $module/target/surefire-reports and $module/target/fuzz-findings/"
  fi
done
end=$(date +%s)

echo
echo "== results (per generator: outcomes, largest allocation, slowest input, JVM peak RSS so far)"
stats=$(for m in "${MODULES[@]}"; do cat "$m/target/fuzz-stats.txt" 2>/dev/null || true; done)
printf '%s\n' "$stats"
inputs=$(for m in "${MODULES[@]}"; do cat "$m/target/fuzz-inputs.tsv" 2>/dev/null || true; done)
if [ -n "$inputs" ]; then
  echo
  echo "== the 5 slowest inputs (generator, seed, index, microseconds, bytes allocated, outcome, CPU microseconds)"
  # '|| true': head closes the pipe early, and with pipefail sort's SIGPIPE would end the script here
  printf '%s\n' "$inputs" | sort -t$'\t' -k4,4nr | head -5 || true
  echo "== the 5 inputs that allocated most"
  printf '%s\n' "$inputs" | sort -t$'\t' -k5,5nr | head -5 || true
  echo "== time per input: median and 99.9th percentile (microseconds)"
  printf '%s\n' "$inputs" | cut -f4 | sort -n | awk '{a[NR]=$1} END {print "median " a[int(NR/2)+1] ", p99.9 " a[int(NR*0.999)+1] ", max " a[NR] " over " NR " inputs"}'
fi
total=$(printf '%s\n' "$stats" | sed -n 's/.*: \([0-9]*\) inputs,.*/\1/p' | paste -sd+ - | bc)
echo "total: ${total:-0} inputs in $((end - start)) s (wall clock, including ${#TARGETS[@]} Maven build(s)), exit status $status"
exit $status
