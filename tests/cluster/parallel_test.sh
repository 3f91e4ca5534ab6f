#!/usr/bin/env bash
# validation/cluster/parallel.sh for real: a 6-job suite in 3 shards through GNU parallel
# (2 slots), merged, must equal the unsharded run; run again (everything resumed) it must still;
# a merge without the last shard must differ; a shard that cannot run must stop the merge.
#
#   bash tests/cluster/parallel_test.sh [METRONOME]
#
# Exits 77 (ctest: skipped) when GNU parallel is not installed. Registered with ctest as
# cluster.parallel (tests/cluster/CMakeLists.txt).
set -euo pipefail
# shellcheck source=tests/cluster/common.sh
source "$(dirname "$0")/common.sh"

command -v parallel >/dev/null 2>&1 ||
  skip "GNU parallel is not installed (apt-get install parallel; scripts/install.sh installs it)"
parallel --version 2>/dev/null | grep -q "GNU parallel" ||
  skip "'parallel' is not GNU parallel (moreutils' parallel?): $(command -v parallel)"
cluster_test_init "${1:-}"
write_suite
reference_run

out=$WORK/out
log "parallel.sh: 3 shards, parallel -j 2"
METRONOME=$METRONOME timeout 300 bash "$CLUSTER_DIR/parallel.sh" "$SUITE" "$out" 3 -- -j 2 \
  >"$WORK/parallel.log" 2>&1 || {
  cat "$WORK/parallel.log"
  fail "parallel.sh failed"
}
for i in 1 2 3; do
  grep -q "2 jobs, 2 compared, 0 failed" "$out/shard-$i.log" || {
    cat "$out/shard-$i.log"
    fail "shard $i/3 did not run its 2 jobs"
  }
done
[ "$(awk 'NR > 1' "$out/parallel.joblog" | wc -l)" -eq 3 ] || fail "parallel ran not 3 jobs"
expect_equal_to_unsharded "$out"
grep -q "6 jobs, 6 compared, 0 failed" "$WORK/parallel.log" || {
  cat "$WORK/parallel.log"
  fail "the merge did not report 6 compared jobs"
}

log "parallel.sh again on the same directory: every shard resumes with nothing to do"
METRONOME=$METRONOME timeout 300 bash "$CLUSTER_DIR/parallel.sh" "$SUITE" "$out" 3 -- -j 2 \
  >"$WORK/parallel-again.log" 2>&1 || {
  cat "$WORK/parallel-again.log"
  fail "parallel.sh failed the second time"
}
grep -q "0 jobs run" "$out/shard-1.log" || {
  cat "$out/shard-1.log"
  fail "the second run of shard 1/3 ran jobs again"
}
expect_equal_to_unsharded "$out"

expect_missing_shard_detected "$out" 3

log "a shard that cannot run (a bad option): parallel.sh exits 2 and does not merge"
status=0
METRONOME=$METRONOME METRONOME_SHARD_ARGS=--no-such-option timeout 300 \
  bash "$CLUSTER_DIR/parallel.sh" "$SUITE" "$WORK/bad" 3 -- -j 2 >"$WORK/bad.log" 2>&1 || status=$?
[ "$status" -eq 2 ] || {
  cat "$WORK/bad.log"
  fail "parallel.sh exited with $status, not 2, when every shard failed"
}
grep -q "shard 2/3 on this machine: exit status 2" "$WORK/bad.log" || {
  cat "$WORK/bad.log"
  fail "parallel.sh did not say why it did not merge"
}
[ ! -e "$WORK/bad/report.md" ] || fail "parallel.sh merged failed shards"

log "passed"
