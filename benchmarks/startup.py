"""Start-up: ``noether check`` over the dependency-import floor, other CLI commands, and where check's time goes.

Each command runs in a fresh process, alternating, ``--repeats`` times; medians and min-max are printed. The
floor is ``python -c "import attrs, cattrs, ruamel.yaml, pluggy"`` (the four dependencies check needs); the
target of issue 18 is check at most 1.5x the floor. ``noether check`` must never import torch (checked here
too). The breakdown profiles one check in a fresh process (cProfile, so its figures are inflated; read them
as shares). Figures only, no pass/fail. Run: ``python benchmarks/startup.py [--repeats N] [--no-run]``.

Two conditions are made explicit because they change the figure by tens of milliseconds:

- *Bytecode*: pip byte-compiles the dependencies when it installs them, but not the modules of an editable
  install, and an environment with ``PYTHONDONTWRITEBYTECODE=1`` (this machine's) never writes them, so every
  start would compile noether's sources again. The script byte-compiles noether and its plugins first
  (``compileall``, what a wheel install does), so both sides of the ratio start from bytecode.
- *Generated-code cache* (``noether.core.codecache``): check is timed with a warm cache (every start after the
  first) and cold (``NOETHER_NO_CACHE=1``, the first start after an install or upgrade).

Check is timed as ``python -m noether`` and, where installed, as the ``noether`` console script (what a user
types; it skips ``runpy``). The rounds above alternate every command, torch's import and a training start
included, which moves the floor's time by a third on a shared VM; the paired ratio at the end runs check and
the floor back to back ``--pairs`` times and takes the median of the per-pair ratios, by wall and by CPU time
(the process's user + system time, which does not count waiting for a core).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "airfoil.yaml"
FLOOR = "python -c 'import attrs, cattrs, ruamel.yaml, pluggy'"
CHECK = "noether check (example)"
CHECK_COLD = "noether check, cold generated-code cache"
CHECK_SCRIPT = "noether check, the installed console script"
#: Allowed ratio of ``noether check`` to the dependency-import floor (issue 18).
TARGET = 1.5

#: Run in a fresh process: profile ``noether check`` and print ``label seconds`` per part of its start-up.
BREAKDOWN = r"""
import cProfile, pstats, sys, time
start = time.perf_counter()
import attrs, cattrs, ruamel.yaml, pluggy
floor = time.perf_counter() - start
profile = cProfile.Profile()
profile.enable()
from noether.cli.main import main
try:
    main(["check", "-q", sys.argv[1]])
except SystemExit:
    pass
profile.disable()
table = pstats.Stats(profile).stats
def cum(fragment, name):
    return sum(v[3] for (path, _, func), v in table.items() if func == name and fragment in path)
total = sum(v[3] for (path, _, func), v in table.items() if func == "<module>" and path.endswith("noether/cli/main.py"))
total += cum("noether/cli/main.py", "main")
parts = {
    "compiling source (no bytecode, uncached generated code)": cum("~", "<built-in method builtins.compile>"),
    "attrs class creation (the config classes a config names)": cum("attr/_make.py", "attrs"),
    "cattrs code generation (make_dict_structure_fn)": cum("cattrs/gen/__init__.py", "make_dict_structure_fn"),
    "plugin registry (kinds modules, entry points)": cum("noether/core/registry/manager.py", "ensure_loaded"),
    "entry-point scanning (importlib.metadata)": cum("importlib/metadata/__init__.py", "entry_points"),
    "YAML parsing (events to a tree with locations)": cum("noether/core/config/yaml_source.py", "parse_yaml"),
    "structuring (incl. the classes and registry it loads)": cum("noether/core/config/converter.py", "structure"),
    "command-line parser": cum("noether/cli/main.py", "build_parser"),
}
print(f"dependency imports (unprofiled) {floor:.4f}")
print(f"noether check after them (profiled) {total:.4f}")
for label, seconds in parts.items():
    print(f"  {label} {seconds:.4f}")
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds one fresh process of ``cmd`` takes."""
    return timed_both(cmd, env)[0]


def timed_both(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh process of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired_ratios(check: list[str], floor: list[str], env: dict[str, str], pairs: int) -> dict[str, float]:
    """Check and the floor run back to back ``pairs`` times (the order swapped every other pair), nothing else
    between them: the medians of the per-pair ratios, by wall and by CPU time. A slow spell of the machine hits
    both halves of a pair, and no heavy command (torch, a training run) runs between them."""
    wall, cpu = [], []
    for index in range(pairs):
        first, second = (check, floor) if index % 2 == 0 else (floor, check)
        a, b = timed_both(first, env), timed_both(second, env)
        (c, f) = (a, b) if index % 2 == 0 else (b, a)
        wall.append(c[0] / f[0])
        cpu.append(c[1] / f[1])
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}


def byte_compile() -> None:
    """Write bytecode for noether and its installed plugins (as a wheel install does; see the module doc)."""
    import importlib.metadata
    import importlib.util

    import noether

    folders = {Path(noether.__file__).parent}
    for entry in importlib.metadata.entry_points(group="noether.plugins"):
        module = entry.value.split(":")[0].split(".")[0]
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin is not None:
            folders.add(Path(spec.origin).parent)
    for folder in sorted(folders):
        compileall.compile_dir(str(folder), quiet=1)


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


def breakdown(env: dict[str, str]) -> None:
    """Print where one ``noether check`` spends its start-up (see ``BREAKDOWN``)."""
    proc = subprocess.run([sys.executable, "-c", BREAKDOWN, str(EXAMPLE)], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    if proc.returncode != 0:
        print(f"(breakdown failed: {proc.stderr.strip().splitlines()[-1:]})")
        return
    print("\nwhere noether check's start-up goes (one fresh process; cProfile inflates, read as shares; parts overlap:"
          " structuring creates the classes and loads the registry):")
    for line in proc.stdout.strip().splitlines():
        label, _, seconds = line.rpartition(" ")
        print(f"  {label:<60} {float(seconds) * 1e3:>7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-run", action="store_true", help="leave out 'noether run -> first update'")
    parser.add_argument("--pairs", type=int, default=30,
                        help="back-to-back pairs of check and the floor for the paired ratio (default 30)")
    args = parser.parse_args()
    py = sys.executable
    byte_compile()
    cache = tempfile.mkdtemp(prefix="noether-startup-cache-")
    warm = {**os.environ, "NOETHER_CACHE_DIR": cache}
    warm.pop("NOETHER_NO_CACHE", None)
    cold = {**os.environ, "NOETHER_NO_CACHE": "1"}
    check = [py, "-m", "noether", "check", "-q", str(EXAMPLE)]
    timed(check, warm)  # fills the generated-code cache
    envs = {CHECK: warm, CHECK_COLD: cold}
    # What a user types: the `noether` script next to this interpreter (no runpy), when it is installed.
    script = Path(sys.executable).with_name("noether")
    commands = {
        FLOOR: [py, "-c", "import attrs, cattrs, ruamel.yaml, pluggy"],
        CHECK: check,
        CHECK_COLD: check,
        **({CHECK_SCRIPT: [str(script), "check", "-q", str(EXAMPLE)]} if script.exists() else {}),
        "noether --help": [py, "-m", "noether", "--help"],
        "noether plugins": [py, "-m", "noether", "plugins"],
        "python -c 'pass'": [py, "-c", "pass"],
        "python -c 'import torch'": [py, "-c", "import torch"],
    }
    probe = subprocess.run(
        [py, "-c", "import sys; from noether.cli.main import main; main(['check', '-q', sys.argv[1]]); "
                   "print('torch' in sys.modules)", str(EXAMPLE)], capture_output=True, text=True, cwd=ROOT)
    print(f"noether check imports torch: {probe.stdout.strip() or probe.stderr.strip()[-200:]}")
    samples: dict[str, list[float]] = {name: [] for name in commands}
    if not args.no_run:
        samples["noether run -> first update"] = []
    for _ in range(args.repeats):
        for name, cmd in commands.items():  # alternate against machine noise
            samples[name].append(timed(cmd, envs.get(name, warm)))
        if not args.no_run:
            with tempfile.TemporaryDirectory() as out:
                samples["noether run -> first update"].append(first_update_seconds(out))
    print(f"\n{'command (' + str(args.repeats) + ' fresh processes each)':<52} {'median s':>9} {'min-max s':>15}")
    for name, values in samples.items():
        print(f"{name:<52} {statistics.median(values):>9.3f} {min(values):>7.3f}-{max(values):<7.3f}")
    for name in (CHECK, CHECK_SCRIPT, CHECK_COLD):
        if name not in samples:
            continue
        ratio = statistics.median(samples[name]) / statistics.median(samples[FLOOR])
        best = min(samples[name]) / min(samples[FLOOR])
        print(f"\n{name} / dependency-import floor = {ratio:.2f}x by medians, {best:.2f}x by minima "
              f"(target <= {TARGET:.1f}x; noisy)", end="")
    print()
    if args.pairs > 0:
        paired = paired_ratios(check, commands[FLOOR], warm, args.pairs)
        print(f"\n{CHECK} / dependency-import floor, {args.pairs} back-to-back pairs: {paired['wall']:.2f}x by "
              f"wall time, {paired['cpu']:.2f}x by CPU time (medians of the per-pair ratios; target <= "
              f"{TARGET:.1f}x)")
    breakdown(warm)
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
