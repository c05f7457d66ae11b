"""Run every benchmark in turn: ``python benchmarks/run_all.py [--quick]``.

``--quick`` (CI's log) takes a few minutes: fewer updates and repeats, so the figures are rougher. Figures
only: no threshold fails the run (shared machines are too noisy for that); a benchmark that crashes does,
after the others have run, because that is a bug, not noise.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(quick: bool) -> list[tuple[str, list[str]]]:
    """``(script, arguments)`` in running order."""
    flag = ["--quick"] if quick else []
    # The CFD benchmarks need the plugin (plugins/noether-cfd); a core-only install skips them.
    cfd = [("cfd_data.py", flag), ("cfd_models.py", flag)] if importlib.util.find_spec("noether_cfd") else []
    return [
        ("overhead.py", flag),
        ("startup.py", ["--repeats", "3"] if quick else []),  # (its paired ratio: 30 pairs either way)
        ("config.py", flag),
        ("checkpoints.py", flag),
        ("data.py", flag),
        *cfd,
    ]


def main() -> int:
    quick = "--quick" in sys.argv
    failed = []
    started = time.perf_counter()
    for name, args in plan(quick):
        print(f"\n===== {name} {' '.join(args)} =====", flush=True)
        step = time.perf_counter()
        if subprocess.run([sys.executable, str(HERE / name), *args]).returncode != 0:
            failed.append(name)
        print(f"({name}: {time.perf_counter() - step:.0f} s)", flush=True)
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s")
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
