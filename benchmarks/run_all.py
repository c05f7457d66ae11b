"""Run every benchmark in turn: ``python benchmarks/run_all.py [--quick]``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    quick = ["--quick"] if "--quick" in sys.argv else []
    for name, args in (("overhead.py", quick), ("startup.py", ["--repeats", "3"] if quick else []),
                       ("config.py", []), ("checkpoints.py", []), ("data.py", [])):
        print(f"\n===== {name} =====", flush=True)
        subprocess.run([sys.executable, str(HERE / name), *args], check=True)
