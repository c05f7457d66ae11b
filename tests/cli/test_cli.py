"""The CLI through real subprocesses: check, schema, plugins, --version, python -m noether."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from noether import __version__

CONFIG = """\
output_path: {out}
store_code_in_output: false
datasets:
  train: {{kind: noether.data.FolderDataset, root: {out}/data, split: train}}
model:
  kind: noether.core.models.MLP
  name: mlp
  input_dim: 3
  output_dim: 1
  optimizer_config: {{kind: torch.optim.AdamW, lr: 0.001}}
trainer:
  kind: SupervisedTrainer
  max_epochs: 2
  effective_batch_size: 8
  callbacks:
    - {{name: CheckpointCallback, every_n_epochs: 1}}
"""


def noether(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, env=env)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(CONFIG.format(out=tmp_path))
    return path


def test_version() -> None:
    out = noether("--version")
    assert out.returncode == 0 and __version__ in out.stdout


def test_check_prints_resolved_config_without_importing_torch(config: Path) -> None:
    code = (
        "import sys; from noether.cli.main import main; rc = main(['check', sys.argv[1], 'seed=7']); "
        "print('TORCH', 'torch' in sys.modules); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "TORCH False" in out.stdout
    assert "seed: 7" in out.stdout
    assert "save_latest_weights: true" in out.stdout  # defaults filled in


def test_check_reports_every_error_with_location_and_exit_2(config: Path) -> None:
    text = config.read_text().replace("max_epochs: 2", "max_epochs: two").replace("lr: 0.001", "lr: -1")
    config.write_text(text)
    out = noether("check", str(config), "trainer.callbacks[0].every_n_epochs=0")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "cfg.yaml:13:15: trainer.max_epochs: expected an integer, got 'two'" in out.stderr
    assert "model.optimizer_config.lr: must be > 0" in out.stderr
    assert "override 'trainer.callbacks[0].every_n_epochs=0'" in out.stderr


def test_unknown_kind_lists_close_matches(config: Path) -> None:
    config.write_text(config.read_text().replace("CheckpointCallback", "CheckpointCalback"))
    out = noether("check", str(config))
    assert out.returncode == 2
    assert "did you mean: 'CheckpointCallback'" in out.stderr


def test_schema_is_valid_json_schema_and_validates_configs(config: Path, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    out = noether("schema", "--out", str(tmp_path / "schema.json"))
    assert out.returncode == 0, out.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    from noether.core.config.compose import load_document

    validator = jsonschema.Draft202012Validator(schema)
    data = load_document(config).data
    assert not list(validator.iter_errors(data))
    data["trainer"]["max_epochs"] = -1
    assert list(validator.iter_errors(data))
    del data["trainer"]["max_epochs"]
    data["trainer"]["max_epochz"] = 1
    assert list(validator.iter_errors(data))


def test_examples_pass_check() -> None:
    examples = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
    assert examples
    for example in examples:
        out = noether("check", "-q", str(example))
        assert out.returncode == 0, (example, out.stderr)


def test_plugins_lists_builtins_as_json() -> None:
    out = noether("plugins", "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    kinds = {(k["family"], k["kind"]) for p in data["plugins"] for k in p["kinds"]}
    assert ("callback", "CheckpointCallback") in kinds
    assert ("schedule", "noether.core.schedules.LinearWarmupCosineDecaySchedule") in kinds
    assert data["broken"] == []


def test_help_lists_commands() -> None:
    out = noether("--help")
    assert out.returncode == 0
    for command in ("run", "check", "schema", "plugins"):
        assert command in out.stdout


def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly() -> None:
    # ``noether schema | head -c 1``: the reader takes one byte and closes its end while the schema (larger than
    # a pipe's buffer) is still being written.
    proc = subprocess.Popen([sys.executable, "-m", "noether", "schema"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err  # 128 + SIGPIPE, what a shell shows for a writer killed so
    assert first == b"{" and err == ""  # no traceback, no "error: BrokenPipeError"


def test_a_broken_pipe_that_is_not_stdout_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from noether.cli.reporting import run_reporting_errors

    def handler(_: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # as a tracker's or a child process's pipe would

    assert run_reporting_errors(handler, argparse.Namespace()) == 1
    assert "error: BrokenPipeError: [Errno 32] Broken pipe (raised at " in capsys.readouterr().err
