#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying environment/cluster/ (and for the test that does): munged,
# slurmctld and slurmd from Debian (apt-get install slurm-wlm munge), listening on 127.0.0.1 only, with every file
# (munge key, socket, config, state, logs, pid files) in one folder; no systemd, no cgroups.
#   environment/cluster/one-node-slurm.sh start DIR [CPUS]   prints SLURM_CONF=DIR/slurm.conf (export it to submit)
#   environment/cluster/one-node-slurm.sh stop DIR           stops the three daemons by their pid files
set -euo pipefail
action="${1:-}"; dir="${2:-}"
[ -n "$action" ] && [ -n "$dir" ] || { echo "usage: one-node-slurm.sh start|stop DIR [CPUS]" >&2; exit 2; }
dir="$(realpath -m "$dir")"

stop_pid() {
  local file="$1"
  [ -f "$file" ] || return 0
  local pid; pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

if [ "$action" = stop ]; then
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munged.pid"
  exit 0
fi
[ "$action" = start ] || { echo "one-node-slurm: unknown action '$action'" >&2; exit 2; }
cpus="${3:-$(nproc)}"
for program in munged slurmctld slurmd sbatch; do
  command -v "$program" >/dev/null || [ -x "/usr/sbin/$program" ] || { echo "one-node-slurm: $program not found (Debian: apt-get install slurm-wlm munge)" >&2; exit 3; }
done
export PATH="$PATH:/usr/sbin"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
[ -s "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" --force

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
user="$(id -un)"
cat > "$dir/slurm.conf" <<CONF
ClusterName=saliency
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -c
slurmd -N localhost
for _ in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && break
  sleep 0.5
done
sinfo -h -o %T | grep -qE '^idle' || { echo "one-node-slurm: the node did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2; tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2; exit 1; }
echo "SLURM_CONF=$SLURM_CONF"
