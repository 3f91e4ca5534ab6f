# shellcheck shell=bash
# Sourced by tests/cluster/*_test.sh: the suite, the unsharded reference run, the comparison,
# skipping, cleanup. Needs bash, python3 and the metronome executable (first argument of the
# test, else build/release/cli/metronome).

SKIP_STATUS=77 # ctest SKIP_RETURN_CODE
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034  # used by the tests
CLUSTER_DIR=$REPO/validation/cluster
TEST_NAME=$(basename "$0" .sh)
WORK=""
CLEANUP=() # commands run (last first) when the test exits, however it exits
KEEP_WORK=0

log() { echo "[$(date +%T)] $TEST_NAME: $*"; }
skip() {
  echo "SKIPPED: $TEST_NAME: $*"
  exit "$SKIP_STATUS"
}
fail() {
  echo "FAILED: $TEST_NAME: $*" >&2
  KEEP_WORK=1
  exit 1
}

on_exit() {
  local status=$? i
  trap - EXIT
  set +e
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[i]}"; done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$status" -ne 0 ] && [ "$status" -ne "$SKIP_STATUS" ] || [ "$KEEP_WORK" = 1 ]; then
      echo "$TEST_NAME: kept $WORK for inspection"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The executable under test (ctest passes it) and a scratch directory.
cluster_test_init() {
  METRONOME=${1:-$REPO/build/release/cli/metronome}
  [ -x "$METRONOME" ] || fail "$METRONOME: no such executable (build the release preset)"
  command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
  # Whatever Slurm job or parallel configuration the test runs inside must not leak in.
  local v
  for v in $(compgen -e); do
    case "$v" in SLURM_* | SBATCH_* | SALLOC_* | SRUN_* | PARALLEL | PARALLEL_*) unset "$v" ;; esac
  done
  unset METRONOME_SHARDS METRONOME_JOBS METRONOME_SHARD_ARGS METRONOME_MERGE_ARGS \
    METRONOME_MERGE_SBATCH_ARGS
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/metronome-$TEST_NAME.XXXXXX")
  log "metronome: $METRONOME; scratch: $WORK"
}

# A tiny suite: 3 layers of configs/networks/small.m x 2 dataflows on `ideal` = 6 jobs, the
# real simulator (well under a second each).
write_suite() {
  cat >"$WORK/suite.yaml" <<'EOF'
name: cluster-test
description: tests/cluster -- 3 small layers x 2 dataflows on ideal
networks:
  - network: small
    layers: [conv3x3, pointwise, gemm]
dataflows: [kcp_ws, rs]
hardware: [ideal]
EOF
  SUITE=$WORK/suite.yaml
}

# The unsharded run everything is compared with: $WORK/unsharded.
reference_run() {
  log "unsharded reference run"
  "$METRONOME" validate "$SUITE" --out "$WORK/unsharded" --jobs 2 --no-plots \
    >"$WORK/unsharded.log" 2>&1 || {
    cat "$WORK/unsharded.log"
    fail "the unsharded run failed"
  }
  grep -q "6 jobs, 6 compared, 0 failed" "$WORK/unsharded.log" || {
    cat "$WORK/unsharded.log"
    fail "the unsharded run did not compare 6 jobs"
  }
}

# OUT (a merged report) must equal the unsharded one.
expect_equal_to_unsharded() {
  local out=$1
  [ -f "$out/report.md" ] || fail "$out/report.md: not written"
  python3 "$REPO/tests/cluster/compare_outputs.py" "$WORK/unsharded" "$out" ||
    fail "$out: the merged report differs from the unsharded one"
}

# The comparison must see a real difference: a merge of shards 1..N-1 of OUT (one shard left
# out) must differ from the unsharded run.
expect_missing_shard_detected() {
  local out=$1 shards=$2 dirs=() i
  for ((i = 1; i < shards; i++)); do dirs+=("$out/shard-$i"); done
  "$METRONOME" validate "$SUITE" --merge "${dirs[@]}" --out "$WORK/partial" --no-plots \
    >"$WORK/partial.log" 2>&1 || true
  [ -f "$WORK/partial/report.md" ] || {
    cat "$WORK/partial.log"
    fail "the merge of $((shards - 1)) of $shards shards wrote no report"
  }
  if python3 "$REPO/tests/cluster/compare_outputs.py" "$WORK/unsharded" "$WORK/partial" \
    >"$WORK/partial.compare" 2>&1; then
    cat "$WORK/partial.compare"
    fail "the comparison did not notice that shard $shards/$shards was left out"
  fi
  log "as it must, the comparison tells a merge without shard $shards/$shards apart:"
  sed 's/^/    /' "$WORK/partial.compare" | head -n 8
}

# Runs "$@" until it succeeds or SECONDS seconds pass (then returns 1). Polls every 0.5 s.
wait_until() {
  local seconds=$1 deadline
  shift
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
