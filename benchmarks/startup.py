"""Start-up: wall time of CLI commands next to ``python -c 'import torch'``.

Each command runs in a fresh process, alternating, ``--repeats`` times; medians and min-max are printed.
``noether check`` must never import torch (checked here too). Run: ``python benchmarks/startup.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "airfoil.yaml"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def first_update_seconds(out: str) -> float:
    """Seconds from starting ``noether run`` to the first logged update (metrics.jsonl line)."""
    cmd = [sys.executable, "-m", "noether", "run", str(EXAMPLE), f"output_path={out}", "trainer.max_updates=1",
           "~trainer.max_epochs", "store_code_in_output=false", "trainer.callbacks=[]"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        found = list(Path(out).glob("*/metrics.jsonl"))
        if found and found[0].stat().st_size > 0:
            elapsed = time.perf_counter() - start
            proc.wait()
            return elapsed
        if proc.poll() is not None:
            raise RuntimeError("noether run ended without logging an update")
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    commands = {
        "python -c 'import torch'": [py, "-c", "import torch"],
        "noether --help": [py, "-m", "noether", "--help"],
        "noether check (example)": [py, "-m", "noether", "check", "-q", str(EXAMPLE)],
        "noether plugins": [py, "-m", "noether", "plugins"],
        "python -c 'pass'": [py, "-c", "pass"],
    }
    probe = subprocess.run(
        [py, "-c", "import sys; from noether.cli.main import main; main(['check', '-q', sys.argv[1]]); "
                   "print('torch' in sys.modules)", str(EXAMPLE)], capture_output=True, text=True, cwd=ROOT)
    print(f"noether check imports torch: {probe.stdout.strip()}")
    samples: dict[str, list[float]] = {name: [] for name in commands}
    samples["noether run -> first update"] = []
    for _ in range(args.repeats):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd))
        with tempfile.TemporaryDirectory() as out:
            samples["noether run -> first update"].append(first_update_seconds(out))
    print(f"\n{'command':<34} {'median s':>9} {'min-max s':>15}")
    for name, values in samples.items():
        print(f"{name:<34} {statistics.median(values):>9.3f} {min(values):>7.3f}-{max(values):<7.3f}")


if __name__ == "__main__":
    main()
