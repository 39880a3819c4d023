#!/usr/bin/env bash
# spark/bench.sh [rows] [rounds]: rows/s of the full-size fusion model in one plain JVM and in Spark
# local[1] and local[2] (vecnet.spark.SparkThroughput, in the test sources). Default 2000 rows, 2 rounds.
# Builds the spark module's jar and test classes first (mvn package -DskipTests of the spark module).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mvn -q -B -o -f "$here/../pom.xml" -pl spark -am package -DskipTests >&2
VECNET_CLASSPATH="$here/target/test-classes" exec "$here/run-local" --class vecnet.spark.SparkThroughput "$@"
