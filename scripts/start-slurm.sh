#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine (loopback), for the tests marked `slurm`.
#
# Installs Debian's slurm-wlm daemons and munge when they are missing (needs root and apt), writes a minimal
# slurm.conf for a single node with this machine's CPUs, starts munged, slurmctld and slurmd without systemd,
# and waits until the node accepts jobs. Idempotent: running daemons are left alone.
#
#   scripts/start-slurm.sh          # then: python -m pytest -m slurm tests/slurm
#   scripts/start-slurm.sh --stop   # stop the daemons it started
set -euo pipefail

CONF_DIR=/etc/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm

if [ "${1:-}" = "--stop" ]; then
    # By the pid files the daemons write, so that nothing else with the same name is touched.
    for pidfile in "$RUN_DIR/slurmd.pid" "$RUN_DIR/slurmctld.pid" /run/munge/munged.pid; do
        pid=$(cat "$pidfile" 2>/dev/null || true)
        if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
            echo "stopped $(basename "$pidfile" .pid) ($pid)"
        fi
    done
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "start-slurm.sh: run as root (it installs packages and starts system daemons)" >&2
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
        || ! command -v sbatch >/dev/null; then
    echo "installing slurmctld, slurmd, slurm-client and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# -- munge: the authentication every SLURM daemon and client uses ----------------------------------------------
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
fi

# -- slurm.conf: one node, this machine ------------------------------------------------------------------------
node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"
chown slurm:slurm "$STATE_DIR" "$LOG_DIR" 2>/dev/null || true
cat > "$CONF_DIR/slurm.conf" <<CONF
# Written by scripts/start-slurm.sh: a single-node cluster for tests.
ClusterName=noether-test
SlurmctldHost=$node(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
# No cgroup.conf: slurmd autodetects what it can use (22.05 has no "disabled" cgroup plugin), and the
# proctrack/task plugins above need no cgroups, so this also works inside containers.

if ! pgrep -x slurmctld >/dev/null; then
    /usr/sbin/slurmctld -i
fi
if ! pgrep -x slurmd >/dev/null; then
    /usr/sbin/slurmd
fi

for _ in $(seq 1 60); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)
    case "$state" in
        idle*|mix*|alloc*) echo "slurm is up: node $node ($cpus CPUs), partition debug"; exit 0 ;;
        down*|drain*) scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 1
done
echo "start-slurm.sh: the node did not become idle; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log" >&2
sinfo -N -l >&2 || true
exit 1
