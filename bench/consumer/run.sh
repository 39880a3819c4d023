#!/usr/bin/env bash
# Builds this consumer against the vecnet artifacts installed in the local Maven repository
# (run `mvn install` at the repository root first), then runs it three ways:
#   on the class path with --add-modules jdk.incubator.vector      -> the Vector API kernels
#   on the module path with the flag                               -> the Vector API kernels
#   on the module path without it                                   -> the scalar kernels, no JVM warning
# Extra arguments go to Maven (e.g. -Dmaven.repo.local=...).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

mvn -B -q -f "$here/pom.xml" "$@" clean package     # javac -Werror, then MainTest under Surefire

classes="$here/target/classes"
lib="$here/target/lib"
fail() { echo "consumer: $*" >&2; exit 1; }

out="$("$java" --add-modules jdk.incubator.vector -cp "$classes:$lib/*" dev.vecnet.consumer.Main 2>/dev/null)"
echo "class path, flag:       $out"
[[ "$out" == vector-*" 8/8" ]] || fail "class path run: $out"

out="$("$java" --add-modules jdk.incubator.vector -p "$classes:$lib" -m dev.vecnet.consumer/dev.vecnet.consumer.Main 2>/dev/null)"
echo "module path, flag:      $out"
[[ "$out" == vector-*" 8/8" ]] || fail "module path run: $out"

err="$(mktemp)"
out="$("$java" -p "$classes:$lib" -m dev.vecnet.consumer/dev.vecnet.consumer.Main 2>"$err")"
echo "module path, no flag:   $out"
[[ "$out" == "scalar 8/8" ]] || fail "module path run without the flag: $out"
if grep -q "incubator modules" "$err"; then fail "the JVM printed the incubator warning without the flag"; fi
rm -f "$err"
echo "consumer: OK"
