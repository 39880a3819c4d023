#!/usr/bin/env bash
# The long fuzzing run: every fuzz test of weights and multimodal (FuzzSafeTensorsTest, FuzzPthTest,
# FuzzImageTest, FuzzVocabularyTest: 11 generators) with N inputs per generator instead of CI's few
# hundred or thousand. Default N = 10000, i.e. 110,000 inputs in total.
#
#   bench/fuzz.sh [N] [SEED]      SEED changes every generator's seed (default: the fixed CI seeds)
#
# Same property as in CI (see engine/src/test/java/vecnet/testing/FuzzHarness.java): each
# input gives a valid result or the documented exception with a message; an undocumented throwable,
# an OutOfMemoryError, a StackOverflowError, a hang or a per-input allocation over the test's bound
# fails the run, and the input is saved under <module>/target/fuzz-findings/ for replay.
# Uses the default surefire heap. Prints per-generator counts and the total time.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
SEED_ARG=()
if [ -n "${2:-}" ]; then SEED_ARG=("-Dvecnet.fuzz.seed=$2"); fi

rm -f weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt
start=$(date +%s)
status=0
for module in weights multimodal; do
  echo "== $module: Fuzz* tests, $N inputs per generator"
  if ! mvn -B -o -q -pl "$module" verify -Dtest='Fuzz*Test' -Dsurefire.failIfNoSpecifiedTests=false \
       -Djacoco.skip=true "-Dvecnet.fuzz.iterations=$N" "${SEED_ARG[@]}"; then
    status=1
    echo "!! $module: a fuzz test failed; see $module/target/surefire-reports and $module/target/fuzz-findings/"
  fi
done
end=$(date +%s)

echo
echo "== results"
cat weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt 2>/dev/null || true
total=$(cat weights/target/fuzz-stats.txt multimodal/target/fuzz-stats.txt 2>/dev/null \
        | sed -n 's/.*: \([0-9]*\) inputs,.*/\1/p' | paste -sd+ - | bc)
echo "total: ${total:-0} inputs in $((end - start)) s (wall clock, including two Maven builds), exit status $status"
exit $status
