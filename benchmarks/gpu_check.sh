#!/usr/bin/env bash
# Issue 18's GPU checks in one prepared run for a lent CUDA machine, sized to about 5 minutes on one H200 so
# that a session's 15 minutes of device time leave room for the machine's start and one rerun:
#   1. benchmarks/gpu_trainer.py: noether with its default callbacks against a hand-written bf16 loop on a
#      302 M-parameter Transformer, ms per update and host syncs per update (target: within 3 %, no extra sync);
#   2. benchmarks/gpu_distributed.py: DDP and FSDP under torchrun with NCCL and bf16, a SIGTERM at an exact
#      update, the resume, bit-exactness, step time;
#   3. benchmarks/cfd_gpu.py: every CFD model at recipe size (16,384 points per set), eager, ms per step and
#      peak memory; COMPILE=1 adds the torch.compile rows (several minutes more).
# Prepare the wheels first (bash benchmarks/gpu_wheels.sh, on a machine with PyPI), then call the device tool
# with carry [".whl"], the command `bash benchmarks/gpu_check.sh` and timeout_s 420. Each step's output goes
# to $OUT/<step>.txt as it runs, so a step cut off by its limit still reports what it printed.
# SMOKE=1 runs the same steps small on a CPU (how this script is tried without a GPU).
set -u
export PYTHONUNBUFFERED=1
out=${OUT:-gpu-check-output}
mkdir -p "$out"
cd "$(dirname "$0")/.." || exit 1
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || { echo "installing the carried wheels failed" | tee "$out/setup.txt"; exit 1; }
fi
# The checkout's sources come first (the wheels may be older); the installed wheels' metadata still gives
# importlib the plugin's entry point and the versions.
export PYTHONPATH=$PWD/src:$PWD/plugins/noether-cfd/src:/tmp/site${PYTHONPATH:+:$PYTHONPATH}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
    python3 -c "import torch, noether, noether_cfd; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'gpus', torch.cuda.device_count(), 'noether', noether.__version__)" 2>&1
} | tee "$out/setup.txt"
step() {  # step NAME LIMIT_SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit} s): $*"
    timeout --signal=INT --kill-after=20 "$limit" "$@" 2>&1 | tee "$out/$name.txt"
    echo "== $name: exit ${PIPESTATUS[0]}" | tee -a "$out/$name.txt"
}
if [ "${SMOKE:-0}" = 1 ]; then
    step gpu_trainer 200 python3 benchmarks/gpu_trainer.py --device cpu --width 64 --depth 2 --heads 4 --seq 32 --quick
    step gpu_distributed 300 python3 benchmarks/gpu_distributed.py --cpu --updates 40 --stop-at 15
    step cfd_gpu 170 python3 benchmarks/cfd_gpu.py --device cpu --points 64 --steps 1 --no-compile
else
    step gpu_trainer 200 python3 benchmarks/gpu_trainer.py --device cuda --repeats 2
    step gpu_distributed 120 python3 benchmarks/gpu_distributed.py --updates 200 --stop-at 80
    step cfd_gpu 60 python3 benchmarks/cfd_gpu.py --device cuda --steps 10 --no-compile
    if [ "${COMPILE:-0}" = 1 ]; then
        step cfd_gpu_compiled 240 python3 benchmarks/cfd_gpu.py --device cuda --steps 10
    fi
fi
