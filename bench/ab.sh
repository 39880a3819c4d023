#!/usr/bin/env bash
# Two builds of vecnet timed in one JVM, alternated (vecnet.bench.AbAlternate): on a host whose
# speed moves by more than the change being measured, a ratio taken in one JVM, round by round, is
# what can show a few per cent; two JMH runs minutes apart cannot.
#
#   bench/ab.sh REV_A REV_B CASE[,CASE...] [THREADS [ROUNDS [BATCH]]]
#
#   bench/ab.sh HEAD~1 HEAD resnet18 2          # the last commit's effect, ResNet-18 batch 1, 2 threads
#   bench/ab.sh main . conv:l2,conv:l3 1 9      # the working tree against main, two layers, 9 rounds
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/ab.sh HEAD~1 HEAD resnet18 1
#   JAVA_OPTS=-Dvecnet.vectorBits=256 bench/ab.sh HEAD~1 HEAD resnet18 1
#   CALLS=6 bench/ab.sh HEAD~1 HEAD train 1 5 2  # a ResNet-18 SGD step on 2 pictures, 6 calls a block
#
# A revision is anything git names, "." for the working tree as it is, or a benchmarks.jar built
# before. Each revision is built (mvn package, tests skipped) in a temporary worktree, nothing
# installed. Cases (see AbSubject): resnet18, stempool, train, sgemm:<size>, text:<tokens>,
# fusion:<tokens> (the seed's model), and conv:<layer> with layer
# one of stem, l1, l2down, l2, l3down, l3, l4down, l4. It prints, per case, the median, lowest and
# highest of the rounds' ratios B / A (below 1: B is faster) and each round's medians in ms, each
# median over a block of CALLS calls (40 unless set; the warm-up is ten blocks of each build).
# JVMS=N runs N JVMs one after the other, B's jar loaded first in every second one: each copy of
# the classes is compiled on its own, and on the Intel host two copies of one build differed by up
# to 20 % on a layer, in one JVM's order or the other (bench/RESULTS.md); the last lines then give,
# per case, the median of all rounds' B / A over the N JVMs and each JVM's own median.
# The JVM runs with -XX:ObjectAlignmentInBytes=64, as compare.sh and the JMH forks do: every array on a
# 64-byte line, so both builds read their panels from the same place in a line (VectorGemm.PAD); without
# it each array lands anywhere, and a layer moved by up to 30 % between JVMs (bench/RESULTS.md).
# Nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 2; }
java="${JAVA:-java}"
javac="$(dirname "$(readlink -f "$(command -v "$java")")")/javac"
work="$(mktemp -d)"
cleanup() {
  for tree in "$work"/tree-*; do
    [ -d "$tree" ] && git worktree remove --force "$tree" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

build() { # build REV OUT_JAR
  if [[ "$1" == *.jar && -f "$1" ]]; then # a benchmarks.jar built before
    cp "$1" "$2"
    return
  fi
  local src=.
  if [ "$1" != "." ]; then
    src="$work/tree-$(basename "$2" .jar)"
    git worktree add --detach -q "$src" "$1"
  fi
  echo "== building $1" >&2
  (cd "$src" && mvn -q -B -Dstyle.color=never package -pl bench -am -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true) >&2
  cp "$src/bench/target/benchmarks.jar" "$2"
}
build "$1" "$work/a.jar"
build "$2" "$work/b.jar"

# AbSubject from this tree, compiled against build B and loaded next to each build's jar;
# AbAlternate from this tree too, on its own class path.
mkdir -p "$work/subject" "$work/main"
"$javac" --release 17 -nowarn -cp "$work/b.jar" \
  -d "$work/subject" bench/src/main/java/vecnet/bench/AbSubject.java 2>&1 | grep -v '^warning\|incubat' >&2 || true
"$javac" --release 17 -d "$work/main" bench/src/main/java/vecnet/bench/AbAlternate.java
alternate() { # alternate FIRST_JAR SECOND_JAR
  # shellcheck disable=SC2086
  "$java" --add-modules jdk.incubator.vector -Xmx6g -XX:ObjectAlignmentInBytes=64 ${JAVA_OPTS:-} -cp "$work/main" vecnet.bench.AbAlternate \
    "$work/subject" "$1" "$2" "$cases" "${threads:-1}" "${rounds:-9}" "${batch:-1}" "${CALLS:-40}" 2>&1 | grep -v 'incubator modules'
}
cases="$3" threads="${4:-}" rounds="${5:-}" batch="${6:-}"
jvms="${JVMS:-1}"
if [ "$jvms" -le 1 ]; then
  alternate "$work/a.jar" "$work/b.jar"
  exit
fi
for ((i = 1; i <= jvms; i++)); do
  if ((i % 2)); then
    echo "== JVM $i of $jvms: A's jar loaded first"
    alternate "$work/a.jar" "$work/b.jar" | sed 's/^/AB /'
  else
    echo "== JVM $i of $jvms: B's jar loaded first (its lines name it A)"
    alternate "$work/b.jar" "$work/a.jar" | sed 's/^/BA /'
  fi
done | tee "$work/runs.txt" | sed 's/^AB //; s/^BA //'
# Per case, every round's ratio of B (the second revision) to A, whichever jar a JVM loaded first.
awk '
  function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  ($1 == "AB" || $1 == "BA") && /per round/ {
    name = $2; jvm[name]++; k = 0
    for (f = 1; f <= NF; f++) if ($f == "round") break
    for (f++; f <= NF; f++) {
      split($f, ms, "/"); r = $1 == "AB" ? ms[2] / ms[1] : ms[1] / ms[2]
      all[name, ++count[name]] = r; one[++k] = r
    }
    per[name] = per[name] sprintf(" %.3f", median(one, k))
    if (!(name in seen)) { seen[name] = 1; order[++names] = name }
  }
  END {
    for (c = 1; c <= names; c++) {
      name = order[c]; n = count[name]
      for (i = 1; i <= n; i++) v[i] = all[name, i]
      printf "%s: B/A median %.3f over %d rounds in %d JVMs (JVM medians%s)\n", name, median(v, n), n, jvm[name], per[name]
    }
  }' "$work/runs.txt"
