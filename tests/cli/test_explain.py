"""``noether explain`` and ``noether plugins --kinds``: built-in kinds, seed class names and a real plugin's kind.

Each call runs the CLI in a subprocess (a plugin as an installed distribution on ``PYTHONPATH``), and asserts
that torch was never imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.plugins.test_discovery import GOOD, ROOT, make_dist

#: Runs the CLI in-process of a fresh interpreter, then fails (exit 3) if torch got imported.
RUNNER = textwrap.dedent("""
    import sys
    from noether.cli.main import main
    status = main(sys.argv[1:])
    sys.exit(3 if "torch" in sys.modules else status)
""")


def noether(*args: str, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    paths = [str(site)] if site else []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*paths, str(ROOT)]))
    return subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, env=env)


def test_a_builtin_kind_in_text_and_json() -> None:
    out = noether("explain", "noether.core.schedules.LinearWarmupCosineDecaySchedule")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "(schedule)" in text and "provided by: noether==" in text
    assert "warmup_percent: number or null  (default null)" in text
    assert "in [0.0, 1.0]" in text  # the constraint
    assert "Length of the warm-up as a fraction of the run" in text  # the field doc
    assert "Exactly one of warmup_steps, warmup_percent must be set." in text  # a rule across fields
    assert "example:\n  kind: noether.core.schedules.LinearWarmupCosineDecaySchedule" in text
    data = json.loads(noether("explain", "--json", "noether.core.schedules.LinearWarmupCosineDecaySchedule").stdout)
    assert data["family"] == "schedule" and data["provided_by"]["distribution"] == "noether"
    warmup = next(f for f in data["fields"] if f["name"] == "warmup_percent")
    assert warmup == {"name": "warmup_percent", "type": "number or null", "required": False, "default": "null",
                      "constraints": ["[0.0, 1.0]"], "doc": warmup["doc"]}


def test_an_alias_a_registered_check_and_a_seed_class() -> None:
    data = json.loads(noether("explain", "--json", "MLP").stdout)
    assert data["kind"] == "noether.core.models.MLP" and data["aliases"] == ["MLP"]
    assert any(f["name"] == "input_dim" and f["required"] for f in data["fields"])
    assert "kind: noether.core.models.MLP\n" in data["example"] and "input_dim: 3\n" in data["example"]
    optimizer = noether("explain", "torch.optim.AdamW")
    assert optimizer.returncode == 0 and "carries its own check" in optimizer.stdout
    seed = json.loads(noether("explain", "--json", "ConfigSchema").stdout)
    assert seed["config_class"] == "noether.core.schemas.config.ConfigSchema" and "kind" not in seed
    assert {"trainer", "model", "datasets"} <= {f["name"] for f in seed["fields"]}
    from ruamel.yaml import YAML

    from noether.core.config.converter import structure
    from noether.core.schemas import ConfigSchema

    config = structure(YAML(typ="safe").load(seed["example"]), ConfigSchema)
    assert config.trainer.max_epochs == 1  # the example of the root config is a complete, valid config


def test_an_unknown_name_is_an_error_with_close_matches() -> None:
    out = noether("explain", "CheckpointCallbak")
    assert out.returncode == 2
    assert "did you mean 'CheckpointCallback'" in out.stderr and "Traceback" not in out.stderr


def test_the_class_name_of_a_dotted_kind_finds_it() -> None:
    out = noether("explain", "LinearWarmupCosineDecaySchedule")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("noether.core.schedules.LinearWarmupCosineDecaySchedule  (schedule)")
    near = noether("explain", "CosineDecreasing")
    assert near.returncode == 2 and "did you mean 'CosineDecreasingSchedule'" in near.stderr
    part = noether("explain", "CosineDecay")
    assert part.returncode == 2 and "'LinearWarmupCosineDecaySchedule'" in part.stderr


def test_a_plugins_kind_and_the_plugin_listing(tmp_path: Path) -> None:
    make_dist(tmp_path, "acme-sched", "acme_sched", GOOD.format(kind="acme.Const"))
    out = noether("explain", "acme.Const", site=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "provided by: acme-sched==0.3 (plugin acme-sched)" in out.stdout
    assert "A constant schedule under the plugin's own kind." in out.stdout
    assert "value: number  (required)" in out.stdout
    assert "example:\n  kind: acme.Const\n  value: 1.0" in out.stdout  # a minimal example that validates
    listing = noether("plugins", "--kinds", site=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "acme.Const" in listing.stdout and "BaseCallbacksConfig" not in listing.stdout
    assert "SchedulerConfig" not in listing.stdout
    assert "(also: MLP)" in listing.stdout
    data = json.loads(noether("plugins", "--json", site=tmp_path).stdout)
    kinds = {k["kind"]: k for p in data["plugins"] for k in p["kinds"]}
    assert kinds["acme.Const"]["summary"] == "A constant schedule under the plugin's own kind."
    assert kinds["noether.core.models.MLP"]["aliases"] == ["MLP"]
    assert "BaseCallbacksConfig" not in kinds and "noether.core.schedules.scheduler.SchedulerConfig" not in kinds


def test_small_cli_fixes(tmp_path: Path) -> None:
    """``plugins --help`` describes the command, ``plot --help`` names ``outputs/``, ``verify-resume`` rejects a
    ``--interrupt-at`` outside the run plainly (no exception type, no source path)."""
    assert "misspelled hook name" in noether("plugins", "--help").stdout
    assert "noether plot outputs/" in noether("plot", "--help").stdout
    out = noether("verify-resume", str(ROOT / "examples" / "airfoil.yaml"), "--updates", "4", "--interrupt-at", "9")
    assert out.returncode == 2
    assert "--interrupt-at must lie between 1 and 3 (--updates 4), got 9" in out.stderr
    assert "ValueError" not in out.stderr and "raised at" not in out.stderr
