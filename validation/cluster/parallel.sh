#!/usr/bin/env bash
# `metronome validate` sharded with GNU parallel, on this machine's cores or on ssh hosts,
# then merged:
#
#   validation/cluster/parallel.sh SUITE.yaml OUT [SHARDS] [-- PARALLEL_OPTIONS...]
#
#   parallel.sh suite.yaml out                       # SHARDS = cores here, one shard per core
#   parallel.sh suite.yaml out 16 -- -j 4            # 16 shards, 4 at a time
#   parallel.sh suite.yaml out 32 -- --sshloginfile hosts.txt   # on the hosts (shared file system)
#
# Shard I of N runs `metronome validate SUITE --shard I/N --out OUT/shard-I --resume --jobs J
# --no-plots` (J = $METRONOME_JOBS, default 1: one simulation per parallel slot), then
#   metronome validate SUITE --merge OUT/shard-1 ... OUT/shard-N --out OUT
# Run it again to finish an interrupted run: --resume keeps every record already written.
# Exit status: the merge's (0 all passed, 1 some validation job failed), or 2 when a shard
# could not run (see OUT/parallel.joblog and OUT/shard-I.log). validation/cluster/README.md.
set -euo pipefail

die() {
  echo "parallel.sh: $*" >&2
  exit 2
}
usage="usage: parallel.sh SUITE.yaml OUT [SHARDS] [-- PARALLEL_OPTIONS...]"

args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case "$1" in
    -h | --help) echo "$usage"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ "${1:-}" = -- ] && shift
parallel_options=("$@")
if [ ${#args[@]} -lt 2 ] || [ ${#args[@]} -gt 3 ]; then die "$usage"; fi
suite=${args[0]}
out=${args[1]}
shards=${args[2]:-$(nproc)}
case "$shards" in '' | *[!0-9]* | 0*) die "SHARDS: '$shards' is not a whole number >= 1" ;; esac
jobs=${METRONOME_JOBS:-1}
command -v parallel >/dev/null 2>&1 || die "GNU parallel is not installed (apt-get install parallel)"
[ -f "$suite" ] || die "$suite: no such suite file"

# Absolute paths: the shards may run on other hosts (which must see the same paths).
case "$suite" in /*) ;; *) suite=$PWD/$suite ;; esac
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${METRONOME:-}" ]; then
  metronome=$METRONOME
elif [ -x "$here/../../build/release/cli/metronome" ]; then
  metronome=$here/../../build/release/cli/metronome
elif command -v metronome >/dev/null 2>&1; then
  metronome=$(command -v metronome)
else
  die "cannot find the metronome executable: set METRONOME=/path/to/metronome or build it"
fi
[ -x "$metronome" ] || die "$metronome is not an executable file"
metronome=$(cd "$(dirname "$metronome")" && printf '%s/%s' "$PWD" "$(basename "$metronome")")
mkdir -p "$out"

# One shard per job: {} is the shard number I. Logs to OUT/shard-I.log, one line per shard in
# OUT/parallel.joblog. `metronome validate` exits 1 when some validation jobs failed: they are
# recorded and the merged report lists them, so only other statuses count as a failed shard.
joblog=$out/parallel.joblog
rm -f "$joblog"
sh_quote() {  # one word, single-quoted for the shell parallel runs the command with
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
# One string, so that paths with spaces survive parallel (which joins its command words with
# spaces and gives them to a shell, also over ssh); parallel replaces {} with the shard number.
command="$(sh_quote "$metronome") validate $(sh_quote "$suite") --shard {}/$shards"
command+=" --out $(sh_quote "$out")/shard-{} --resume --jobs $(sh_quote "$jobs") --no-plots"
for word in ${METRONOME_SHARD_ARGS:-}; do command+=" $(sh_quote "$word")"; done
command+=" > $(sh_quote "$out")/shard-{}.log 2>&1"
parallel --will-cite --joblog "$joblog" --halt never "${parallel_options[@]}" "$command" \
  ::: $(seq 1 "$shards") || true
[ -f "$joblog" ] || die "GNU parallel did not start (no $joblog): check PARALLEL_OPTIONS"

# The joblog: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command; Seq is the
# shard number (the inputs are 1..N in order).
failed=$(awk -F'\t' -v n="$shards" -v out="$out" 'NR > 1 && (($7 != 0 && $7 != 1) || $8 != 0) {
  host = ($2 == ":" ? "this machine" : $2)
  printf "  shard %s/%s on %s: exit status %s, signal %s (log %s/shard-%s.log)\n", $1, n, host, $7, $8, out, $1
}' "$joblog")
finished=$(awk -F'\t' 'NR > 1' "$joblog" | wc -l)
if [ -n "$failed" ] || [ "$finished" -ne "$shards" ]; then
  [ "$finished" -eq "$shards" ] || echo "parallel.sh: only $finished of $shards shards ran" >&2
  [ -z "$failed" ] || printf 'parallel.sh: shards that failed:\n%s\n' "$failed" >&2
  die "not merging; run the same command again to retry (--resume keeps the finished work)"
fi

dirs=()
for ((i = 1; i <= shards; i++)); do dirs+=("$out/shard-$i"); done
# shellcheck disable=SC2086  # METRONOME_MERGE_ARGS is a list of words
exec "$metronome" validate "$suite" --merge "${dirs[@]}" --out "$out" ${METRONOME_MERGE_ARGS:-}
