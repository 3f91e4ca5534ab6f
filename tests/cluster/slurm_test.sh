#!/usr/bin/env bash
# validation/cluster/ on a real one-node Slurm: starts munged, slurmctld and slurmd (Debian's
# munge and slurm-wlm) with a generated slurm.conf for this host, all state under a scratch
# directory, then submits a 6-job suite as 3 shards three ways at once:
#   A  sbatch --array=0-2 validate.sbatch SUITE OUT   (the first task submits the merge job)
#   B  submit.sh SUITE OUT 3                          (submits the array and the merge job)
#   C  like A, but every shard fails (a bad metronome option): the merge job must be cancelled
# then re-runs one shard of A (D, METRONOME_SHARDS=3 --array=1) and checks that an array not
# numbered 0..N-1 without METRONOME_SHARDS is refused (E),
# waits (at most 240 s) until the queue is empty, checks every job's final state, compares the
# merged reports of A and B with an unsharded run, checks that the comparison notices a merge
# without one shard, and stops every daemon it started (also on failure or interruption).
#
#   bash tests/cluster/slurm_test.sh [METRONOME]
#
# Needs root (the daemons). Exits 77 (ctest: skipped) when not root or when munge or Slurm is
# not installed. Registered with ctest as cluster.slurm (tests/cluster/CMakeLists.txt).
set -euo pipefail
# shellcheck source=tests/cluster/common.sh
source "$(dirname "$0")/common.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to start munged, slurmctld and slurmd (run as root)"
missing=()
for c in munged munge unmunge slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || skip "not installed: ${missing[*]} (apt-get install slurm-wlm munge;" \
  "scripts/install.sh installs them)"

cluster_test_init "${1:-}"
# munged wants every directory above its socket searchable by all, and mktemp makes 0700.
chmod 755 "$WORK"
mkdir -p "$WORK/slurm/state" "$WORK/slurm/spool" "$WORK/logs"
chmod 700 "$WORK/slurm/state"

# ---- the daemons; stop_daemon runs on exit for each one started ------------------------------
stop_daemon() { # NAME PID: SIGTERM, up to 10 s, then SIGKILL
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$TEST_NAME: $name (pid $pid) ignored SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  echo "$TEST_NAME: stopped $name (pid $pid)"
}
munged_pid="" slurmctld_pid="" slurmd_pid=""
start_daemon() { # NAME COMMAND...: in the foreground mode of the daemon, in the background here
  local name=$1
  shift
  "$@" >"$WORK/logs/$name.out" 2>&1 &
  local pid=$!
  CLEANUP+=("stop_daemon $name $pid")
  eval "${name}_pid=$pid"
  log "started $name (pid $pid): $*"
}
alive_or_fail() { # NAME PID
  kill -0 "$2" 2>/dev/null || {
    cat "$WORK/logs/$1.out"
    fail "$1 exited"
  }
}

# munge: a fresh key and a private socket, so that nothing of the host's munge is used.
if command -v mungekey >/dev/null 2>&1; then
  mungekey --create --keyfile="$WORK/munge.key"
else
  dd if=/dev/urandom of="$WORK/munge.key" bs=1024 count=1 status=none
fi
chmod 600 "$WORK/munge.key"
socket=$WORK/munge.socket
start_daemon munged munged --foreground --socket="$socket" --key-file="$WORK/munge.key" \
  --pid-file="$WORK/munged.pid" --log-file="$WORK/logs/munged.log" --seed-file="$WORK/munged.seed"
munge_works() { munge -n -S "$socket" | unmunge -S "$socket"; }
wait_until 20 munge_works || {
  alive_or_fail munged "$munged_pid"
  cat "$WORK/logs/munged.out"
  fail "munged does not answer on $socket"
}

# Two free TCP ports (not Slurm's default 6817/6818: a real Slurm may run on this machine).
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')

host=$(hostname -s)
# "NodeName=HOST CPUs=.. Boards=.. SocketsPerBoard=.. CoresPerSocket=.. ThreadsPerCore=..
# RealMemory=..": this machine as slurmd sees it.
node_hw=$(slurmd -C | sed -n 's/^NodeName=[^ ]* //p' | head -n 1)
[ -n "$node_hw" ] || fail "slurmd -C printed no NodeName line"
export SLURM_CONF=$WORK/slurm/slurm.conf
cat >"$SLURM_CONF" <<EOF
# written by tests/cluster/slurm_test.sh: one node, everything under $WORK
ClusterName=metronome-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$WORK/slurm/state
SlurmdSpoolDir=$WORK/slurm/spool
SlurmctldPidFile=$WORK/slurm/slurmctld.pid
SlurmdPidFile=$WORK/slurm/slurmd.pid
SlurmctldLogFile=$WORK/logs/slurmctld.log
SlurmdLogFile=$WORK/logs/slurmd.log
# No cgroups (containers): processes tracked by parent pid, no task binding or accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SchedulerType=sched/builtin
ReturnToService=2
MailProg=/bin/true
# Keep finished jobs visible to scontrol for the checks below.
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
cancel_all_jobs() { # so that no job step outlives slurmd (only this test's cluster is asked)
  [ -n "$(squeue -h -o %i 2>/dev/null)" ] || return 0
  echo "$TEST_NAME: cancelling the jobs still queued"
  scancel --full --user=root 2>/dev/null
  wait_until 20 queue_empty || echo "$TEST_NAME: jobs still queued after scancel"
}
# A failing squeue (controller down) is not an empty queue.
queue_empty() {
  local q
  q=$(squeue -h -o %i) || return 1
  [ -z "$q" ]
}

start_daemon slurmctld slurmctld -D -c -f "$SLURM_CONF"
start_daemon slurmd slurmd -D -f "$SLURM_CONF" -N "$host"
CLEANUP+=("cancel_all_jobs") # runs first: before slurmd and slurmctld stop
node_idle() { [ "$(sinfo -h -n "$host" -o %T)" = idle ]; }
wait_until 60 node_idle || {
  alive_or_fail slurmctld "$slurmctld_pid"
  alive_or_fail slurmd "$slurmd_pid"
  sinfo || true
  tail -n 20 "$WORK/logs/slurmctld.out" "$WORK/logs/slurmd.out"
  fail "node $host did not become idle within 60 s"
}
log "Slurm is up: $(sinfo -h -o '%P %D nodes %c CPUs %T')"

# ---- the runs ---------------------------------------------------------------------------------
write_suite
reference_run

# A: the issue's form. It must find metronome itself (from the script's repository) when the
# binary under test is the repository's release build; otherwise it is told with METRONOME.
if [ "$METRONOME" -ef "$REPO/build/release/cli/metronome" ]; then
  env_a=(env -u METRONOME)
  log "A: sbatch --array=0-2 validate.sbatch (metronome found from the script's repository)"
else
  env_a=(env "METRONOME=$METRONOME")
  log "A: sbatch --array=0-2 validate.sbatch (METRONOME=$METRONOME)"
fi
cd "$WORK" # the submit directory: OUT is given relative to it
array_a=$("${env_a[@]}" sbatch --parsable --array=0-2 --output="$WORK/logs/a-%A_%a.out" \
  "$CLUSTER_DIR/validate.sbatch" suite.yaml out-sbatch)
array_a=${array_a%%;*}
log "A: array job $array_a"

log "B: submit.sh SUITE OUT 3"
submitted_b=$(METRONOME=$METRONOME bash "$CLUSTER_DIR/submit.sh" "$SUITE" "$WORK/out-submit" 3 \
  -- --output="$WORK/logs/b-%A_%a.out")
echo "    $submitted_b"
[[ "$submitted_b" =~ ^array\ job\ ([0-9]+)\ \(3\ shards\),\ merge\ job\ ([0-9]+)$ ]] ||
  fail "submit.sh printed '$submitted_b', not 'array job N (3 shards), merge job M'"
array_b=${BASH_REMATCH[1]}
merge_b=${BASH_REMATCH[2]}

log "C: sbatch --array=0-1 validate.sbatch with failing shards (METRONOME_SHARD_ARGS=--no-such-option)"
array_c=$(METRONOME=$METRONOME METRONOME_SHARD_ARGS=--no-such-option sbatch --parsable \
  --array=0-1 --output="$WORK/logs/c-%A_%a.out" "$CLUSTER_DIR/validate.sbatch" "$SUITE" \
  "$WORK/out-failing")
array_c=${array_c%%;*}

log "waiting for the queue to empty (at most 240 s)"
wait_until 240 queue_empty || {
  squeue
  fail "jobs still queued after 240 s"
}
log "queue empty"

# ---- the checks -------------------------------------------------------------------------------
job_field() { # JOBID FIELD: the field of `scontrol show job` (first record)
  scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
expect_array_state() { # ARRAY_JOB TASKS STATE EXITCODE
  local states
  states=$(scontrol show job "$1" | tr ' ' '\n' | sed -n 's/^\(JobState\|ExitCode\)=//p' |
    paste -d' ' - - | sort | uniq -c | sed 's/^ *//')
  [ "$states" = "$2 $3 $4" ] || {
    scontrol show job "$1"
    fail "array job $1: tasks '$states', expected '$2 $3 $4'"
  }
}
expect_merge_after() { # MERGE_JOB ARRAY_JOB: the merge started after the last task ended
  local start last_end
  start=$(job_field "$1" StartTime)
  last_end=$(scontrol show job "$2" | tr ' ' '\n' | sed -n 's/^EndTime=//p' | sort | tail -n 1)
  [[ ! "$start" < "$last_end" ]] ||
    fail "merge job $1 started at $start, before array job $2's last task ended ($last_end)"
  log "merge job $1 started at $start, after the last task of array job $2 ended ($last_end)"
}
merge_job_of() { # OUT ARRAY_JOB: the merge job the first task submitted
  local f="$1/.merge-job-$2/id"
  [ -s "$f" ] || fail "$f: no merge job recorded (the tasks did not submit one)"
  cat "$f"
}

expect_array_state "$array_a" 3 COMPLETED 0:0
merge_a=$(merge_job_of "$WORK/out-sbatch" "$array_a")
log "A: 3 tasks COMPLETED; merge job $merge_a $(job_field "$merge_a" JobState)"
expect_merge_after "$merge_a" "$array_a"
[ "$(job_field "$merge_a" JobState)" = COMPLETED ] || {
  cat "$WORK"/out-sbatch/merge-*.out || true
  fail "A: merge job $merge_a did not complete"
}
expect_equal_to_unsharded "$WORK/out-sbatch"
grep -q "6 jobs, 6 compared, 0 failed" "$WORK/out-sbatch/merge-$merge_a.out" ||
  fail "A: the merge job's log has no '6 jobs, 6 compared, 0 failed'"

expect_array_state "$array_b" 3 COMPLETED 0:0
[ "$(job_field "$merge_b" JobState)" = COMPLETED ] || {
  cat "$WORK"/out-submit/merge-*.out || true
  fail "B: merge job $merge_b did not complete"
}
log "B: 3 tasks COMPLETED, merge job $merge_b COMPLETED"
expect_merge_after "$merge_b" "$array_b"
expect_equal_to_unsharded "$WORK/out-submit"
grep -q "6 jobs, 6 compared, 0 failed" "$WORK/out-submit/merge-$merge_b.out" ||
  fail "B: the merge job's log has no '6 jobs, 6 compared, 0 failed'"

expect_array_state "$array_c" 2 FAILED 2:0
merge_c=$(merge_job_of "$WORK/out-failing" "$array_c")
state_c=$(job_field "$merge_c" JobState)
reason_c=$(job_field "$merge_c" Reason)
[ "$state_c" = CANCELLED ] || fail "C: merge job $merge_c is $state_c, not CANCELLED"
[ ! -e "$WORK/out-failing/report.md" ] || fail "C: the failed shards were merged"
log "C: 2 tasks FAILED (exit 2); merge job $merge_c $state_c ($reason_c), nothing merged"

# Re-running some shards (README: METRONOME_SHARDS=N sbatch --array=LIST): the task resumes
# with nothing left to do and submits a new merge job, whose report is still the same. Without
# METRONOME_SHARDS such an array is refused (it does not say how many shards there are).
log "D: METRONOME_SHARDS=3 sbatch --array=1 validate.sbatch (shard 2/3 again, into A's directory)"
array_d=$("${env_a[@]}" METRONOME_SHARDS=3 sbatch --parsable --array=1 \
  --output="$WORK/logs/d-%A_%a.out" "$CLUSTER_DIR/validate.sbatch" "$SUITE" "$WORK/out-sbatch")
array_d=${array_d%%;*}
log "E: sbatch --array=1 validate.sbatch without METRONOME_SHARDS (must be refused)"
array_e=$("${env_a[@]}" sbatch --parsable --array=1 --output="$WORK/logs/e-%A_%a.out" \
  "$CLUSTER_DIR/validate.sbatch" "$SUITE" "$WORK/out-refused")
array_e=${array_e%%;*}
wait_until 120 queue_empty || {
  squeue
  fail "jobs still queued after 120 s"
}
expect_array_state "$array_d" 1 COMPLETED 0:0
grep -q "2 of 2 jobs already in the results" "$WORK/logs/d-${array_d}_1.out" || {
  cat "$WORK/logs/d-${array_d}_1.out"
  fail "D: shard 2/3 did not resume"
}
merge_d=$(merge_job_of "$WORK/out-sbatch" "$array_d")
[ "$(job_field "$merge_d" JobState)" = COMPLETED ] || fail "D: merge job $merge_d did not complete"
expect_merge_after "$merge_d" "$array_d"
expect_equal_to_unsharded "$WORK/out-sbatch"
log "D: shard 2/3 resumed with nothing to do; merge job $merge_d COMPLETED"
expect_array_state "$array_e" 1 FAILED 2:0
grep -q "is not 0..N-1" "$WORK/logs/e-${array_e}_1.out" || {
  cat "$WORK/logs/e-${array_e}_1.out"
  fail "E: the task did not say why it refused"
}
log "E: refused: $(grep -o 'array 1-1.*' "$WORK/logs/e-${array_e}_1.out" | head -c 100)..."

expect_missing_shard_detected "$WORK/out-sbatch" 3

# Every daemon is stopped by the EXIT trap (cleanup above); check none is left.
log "passed"
