#!/usr/bin/env bash
# vecnet against PyTorch and ONNX Runtime on this machine, in one run: bench/RESULTS-compare.md (+ .json) and
# bench/compare.svg; with --quick, bench/target/RESULTS-compare-quick.md and bench/target/compare-quick.svg.
#
#   bench/compare.sh            full run, about 35 minutes on 2 idle cores (3 interleaved rounds; 15-17
#                               minutes of it are the inference and cold-start cases, the rest training)
#   bench/compare.sh --quick    plumbing check, about 8-10 minutes (1 round of 3 inference and the 3 training
#                               cases, very short iterations, 40 pictures, `vecnet train` on 40 samples for one
#                               epoch: its figures are noise, only the plumbing is checked)
#   options: --no-build (reuse bench/target/benchmarks.jar), --no-install (do not call apt-get),
#            --rounds N (full run: N interleaved rounds instead of 3, about 8 minutes each),
#            --no-train (leave out the training steps and `vecnet train`: the run of before issue 11),
#            --report NAME (a full run's files: bench/NAME.md, .json, .svg, -cold.json, -train.json instead of
#            bench/RESULTS-compare.*, bench/compare.svg: e.g. RESULTS-compare-jdk25 for a second JDK's run),
#            --train-samples N, --train-epochs N, --train-threads N, --train-rounds N (`vecnet train` against
#            bench/python/train_torch.py; default 128 samples, 2 epochs, 2 threads, 1 round: about 5 minutes)
#   env: JAVA=/path/to/bin/java (default: java on PATH), PYTHON (default /usr/bin/python3),
#        COLD_JAVA_HOMES=home1,home2 (the JDKs of the cold-start cases; default: $JAVA's and Temurin 25's)
#
# Steps: (1) install what is missing: Debian's python3-torch, python3-torchvision and libopenblas0-pthread,
# made the libblas.so.3 alternative so that torch's BLAS is OpenBLAS, not the reference BLAS; (2) build with
# Maven (fetches onnxruntime 1.20.0 for the bench module); (3) bench/python/compare_export.py: seeded models
# saved as safetensors (vecnet) and exported to ONNX (ONNX Runtime) from the same tensors, inputs, PyTorch's
# outputs; (4) parity: vecnet (1 and 2 threads) and ONNX Runtime must match PyTorch, else abort; (5)
# bench/python/compare_run.py: the cases timed interleaved (vecnet, PyTorch, ONNX Runtime per case, per round)
# at 1 and 2 threads (each CPU's speed alone, vecnet.bench.CoreSpeed, recorded before and after), then the
# report and the chart; (6) bench/python/compare_cold.py: `./vecnet classify` of one
# picture and of a folder of 500, one process per call, on each JDK, against the same job as a PyTorch script
# (bench/python/cold_torch.py), appended to the report; (7) bench/python/compare_train.py: `./vecnet train` on
# demo pictures with the image branch frozen and trained, against bench/python/train_torch.py doing the same
# job, appended to the report. The training steps of issue 11 are cases of step (5).
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(dirname "$(dirname "$SELF")")"
cd "$ROOT"
PYTHON="${PYTHON:-/usr/bin/python3}"
JAVA="${JAVA:-java}"
QUICK=0 BUILD=1 INSTALL=1 ROUNDS=3 TRAIN=1
TRAIN_SAMPLES="" TRAIN_EPOCHS="" TRAIN_THREADS=2 TRAIN_ROUNDS=1 REPORT=""
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS="${1:?--rounds needs a number}"; shift ;;
    --no-build) BUILD=0 ;;
    --no-install) INSTALL=0 ;;
    --no-train) TRAIN=0 ;;
    --report) REPORT="${1:?--report needs a name}"; shift
              [[ "$REPORT" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "--report takes a file name without a folder" >&2; exit 2; } ;;
    --train-samples) TRAIN_SAMPLES="${1:?--train-samples needs a number}"; shift ;;
    --train-epochs) TRAIN_EPOCHS="${1:?--train-epochs needs a number}"; shift ;;
    --train-threads) TRAIN_THREADS="${1:?--train-threads needs a number}"; shift ;;
    --train-rounds) TRAIN_ROUNDS="${1:?--train-rounds needs a number}"; shift ;;
    -h|--help) sed -n '2,19p' "$SELF"; exit 0 ;;
    *) echo "unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
START=$(date +%s)
step() { echo "== [$(( $(date +%s) - START ))s] $*"; }

if [ "$INSTALL" = 1 ]; then
  step "checking prerequisites"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  need=()
  if ! "$PYTHON" -c "import torch, torchvision" 2>/dev/null; then
    "$PYTHON" -c "import torch" 2>/dev/null || need+=(python3-torch)
    need+=(python3-torchvision)
  fi
  dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
  if [ "${#need[@]}" -gt 0 ]; then
    step "apt-get install ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
  fi
  ALT=libblas.so.3-x86_64-linux-gnu
  openblas="$(update-alternatives --list "$ALT" 2>/dev/null | grep openblas | head -1 || true)"
  if [ -z "$openblas" ]; then
    echo "OpenBLAS is installed but is not a $ALT alternative; torch would use the reference BLAS" >&2; exit 1
  fi
  if [ "$(readlink -f "/etc/alternatives/$ALT")" != "$(readlink -f "$openblas")" ]; then
    step "update-alternatives: libblas.so.3 -> $openblas"
    $SUDO update-alternatives --set "$ALT" "$openblas"
  fi
fi
command -v "$JAVA" >/dev/null || { echo "no java ($JAVA); set JAVA=/path/to/bin/java" >&2; exit 1; }

JAR="$ROOT/bench/target/benchmarks.jar"
if [ "$BUILD" = 1 ]; then
  step "building (mvn -B -q -DskipTests package)"
  mvn -B -q -DskipTests package
fi
[ -f "$JAR" ] || { echo "$JAR is missing: build without --no-build" >&2; exit 1; }

DIR="$ROOT/bench/target/compare"
mkdir -p "$DIR"
fresh=1
for f in bench/python/compare_export.py weights/python/seed_model.py weights/python/make_resnet18.py \
         weights/python/safetensors_io.py; do
  [ "$DIR/torch_ref.safetensors" -nt "$f" ] || fresh=0
done
if [ "$fresh" = 1 ]; then
  step "reusing the export in $DIR (newer than the scripts that wrote it)"
else
  step "exporting models, inputs and PyTorch outputs to $DIR"
  rm -f "$DIR/torch_ref.safetensors"
  "$PYTHON" -W ignore bench/python/compare_export.py "$DIR"
fi

step "parity: vecnet and ONNX Runtime against PyTorch"
"$JAVA" --add-modules=jdk.incubator.vector -Xmx4g -cp "$JAR" vecnet.bench.peers.ParityDump \
    "$DIR" "$DIR/vecnet_out.safetensors" 1 2 2>&1 | grep -v '^WARNING: Using incubator modules' | tee "$DIR/configs.txt"
"$PYTHON" bench/python/compare_check.py "$DIR" "$DIR/parity.md"

OUT=bench/RESULTS-compare.md SVG=bench/compare.svg BASE=bench/RESULTS-compare
if [ -n "$REPORT" ]; then OUT="bench/$REPORT.md" SVG="bench/$REPORT.svg" BASE="bench/$REPORT"; fi
if [ "$QUICK" = 1 ]; then
  OUT=bench/target/RESULTS-compare-quick.md SVG=bench/target/compare-quick.svg   # never overwrites a real run
  # plumbing check: one round of three inference cases (parity is still checked on all) and the three training
  # cases, iterations too short to mean much
  TIMING=(--rounds 1 --warmup 2 --warmup-s 0.2 --iters 2 --iter-s 0.2 --jit-warmup-s 2 --label quick
          --train-warmup 1 --train-warmup-s 0.5 --train-iters 2 --train-iter-s 0.5)
  CASES=resnet18_b1,text_t128,gemm_1024
  TRAIN_CASES=train_fusion_frozen,train_demo_e2e,train_resnet18_b8
else
  TIMING=(--rounds "$ROUNDS" --warmup 2 --warmup-s 0.7 --iters 3 --iter-s 0.7 --jit-warmup-s 6 --label full
          --train-warmup 3 --train-warmup-s 3 --train-iters 3 --train-iter-s 3)
  CASES=resnet18_b1,resnet18_b8,fusion_t16,text_t16,text_t128,gemm_1024
  TRAIN_CASES=train_fusion_frozen,train_demo_e2e,train_resnet18_b8
fi
# OpenBLAS 0.3.21 runs its AVX2 kernels on AMD's AVX-512 CPUs: time its AVX-512 kernels too (compare_run.py).
if grep -q -w avx512f /proc/cpuinfo; then CASES="$CASES,gemm_1024_avx512"; fi
if [ "$TRAIN" = 1 ]; then CASES="$CASES,$TRAIN_CASES"; fi
TIMING+=(--cases "$CASES")
step "timing (${TIMING[*]})"
"$PYTHON" bench/python/compare_run.py --dir "$DIR" --jar "$JAR" --java "$JAVA" "${TIMING[@]}" \
    --configs "$DIR/configs.txt" --parity "$DIR/parity.md" \
    --out "$OUT" --svg "$SVG"
COLD_HOMES="${COLD_JAVA_HOMES:-}"
if [ -z "$COLD_HOMES" ]; then
  COLD_HOMES="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")"
  t25=/usr/lib/jvm/temurin-25-jdk-amd64
  if [ -x "$t25/bin/java" ] && [ "$(readlink -f "$t25")" != "$(readlink -f "$COLD_HOMES")" ]; then
    COLD_HOMES="$COLD_HOMES,$t25"
  fi
fi
if [ "$QUICK" = 1 ]; then
  COLD=(--rounds 1 --folder-rounds 1 --pictures 40 --label quick --json bench/target/RESULTS-compare-cold-quick.json)
else
  COLD=(--rounds 5 --folder-rounds 2 --pictures 500 --label full --json "$BASE-cold.json")
fi
step "cold start and a folder, one process per call (${COLD[*]}; JDKs $COLD_HOMES)"
"$PYTHON" bench/python/compare_cold.py --dir "$DIR" --java-homes "$COLD_HOMES" "${COLD[@]}" --append "$OUT"
if [ "$TRAIN" = 1 ]; then
  if [ "$QUICK" = 1 ]; then
    TRAINRUN=(--samples "${TRAIN_SAMPLES:-40}" --epochs "${TRAIN_EPOCHS:-1}" --label quick
              --json bench/target/RESULTS-compare-train-quick.json)
  else
    TRAINRUN=(--samples "${TRAIN_SAMPLES:-128}" --epochs "${TRAIN_EPOCHS:-2}" --label full
              --json "$BASE-train.json")
  fi
  TRAINRUN+=(--threads "$TRAIN_THREADS" --rounds "$TRAIN_ROUNDS" --batch 32)
  TRAIN_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")"
  step "vecnet train against PyTorch, one process per run (${TRAINRUN[*]}; JDK $TRAIN_HOME)"
  "$PYTHON" bench/python/compare_train.py --dir "$DIR" --java-home "$TRAIN_HOME" "${TRAINRUN[@]}" --append "$OUT"
fi
step "done: $OUT, $SVG"
