"""Render the sbatch script of ``noether submit``.

The script is plain bash that a person can read and submit by hand:

* ``#SBATCH`` directives from :meth:`SlurmConfig.directives` in declaration order, then the ones the
  preemption protocol needs: ``--signal=B:USR1@<grace>`` (SLURM warns the batch shell ``grace`` seconds before
  the time limit), ``--requeue`` (the job may be put back in the queue) and ``--open-mode=append`` (a requeued
  job appends to its log instead of truncating it);
* ``env_path`` sourced inside the job;
* the rendezvous: ``MASTER_ADDR`` is the first node of the allocation (``scontrol show hostnames
  "$SLURM_JOB_NODELIST" | head -n1``) and ``MASTER_PORT`` is derived from the job id, so every task of every
  node computes the same endpoint;
* ``srun noether run <config> <overrides...> run_id=<id>``: one task per GPU (``--ntasks-per-node`` matches the
  GPUs per node, checked by :func:`~noether.slurm.shape.shape_issues` before anything is rendered); every word
  shell-quoted; the run id is fixed at submission so that every attempt of the job writes into the same run
  directory;
* on USR1 (delivered to the batch shell, which runs on the first node) the script forwards the signal to
  ``srun``, which forwards it to every task on every node; the ranks agree to stop after the same update, write
  a ``.signal_interrupt`` checkpoint and exit with status 75; the script then runs
  ``scontrol requeue $SLURM_JOB_ID`` (the whole allocation is requeued);
* when the job (re)starts and ``<run dir>/checkpoints/latest.json`` exists, the script adds
  ``resume_run_id=<id> resume_checkpoint=latest``: a requeued job continues from its own latest checkpoint, in
  the same run directory and tracker run. The decision is a shell test inside the script (no environment
  variable read by the runner), so the script alone shows what each attempt runs.
"""

from __future__ import annotations

import datetime
import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from noether.core.errors import Issue
from noether.core.exit_codes import EXIT_INTERRUPTED
from noether.core.layout import CHECKPOINTS, LATEST_POINTER
from noether.slurm.shape import job_shape, shape_issues

#: Run ids become directory names and YAML/shell words: keep them to a safe alphabet.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: Characters that cannot appear in an ``#SBATCH`` value: sbatch reads ``"`` as quoting, ``\`` as an escape
#: and ``#`` as the start of a comment, and a line break would end the directive.
_UNSAFE_DIRECTIVE = re.compile(r'["\\#\n\r]')


class SlurmScriptError(ValueError):
    """A config that cannot be turned into a job script (the message says why)."""


class SlurmShapeError(SlurmScriptError):
    """A ``slurm:`` section whose nodes, tasks and GPUs do not fit together (``issues`` names each field)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


@attrs.frozen
class JobScript:
    """A rendered job script and where its run will write."""

    #: The bash script.
    text: str
    #: The fixed run id of every attempt (array jobs append ``-a<task id>`` inside the job).
    run_id: str
    #: The run directory (``output_path/[debug/]run_id[/stage_name]``) of a non-array job.
    run_dir: Path
    #: Where ``noether submit`` writes the script (and, unless ``output`` is set, the job's log).
    script_path: Path


def _directive(flag: str, value: str | None) -> str:
    if value is None:
        return f"#SBATCH {flag}"
    if _UNSAFE_DIRECTIVE.search(value):
        raise SlurmScriptError(
            f"slurm.{flag[2:].replace('-', '_')}: {value!r} contains a character (\", \\, # or a line break) "
            "that an #SBATCH line cannot carry"
        )
    # sbatch splits directive values on whitespace unless they are in double quotes.
    if any(ch.isspace() for ch in value):
        value = f'"{value}"'
    return f"#SBATCH {flag}={value}"


def _comment(text: str) -> str:
    """``text`` safe inside a ``#`` comment line (a line break would end the comment)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _yaml_string_override(key: str, value: str | None) -> str:
    """``key=<value>`` where the value is read back as a YAML string (JSON quoting is valid YAML)."""
    return f"{key}={json.dumps(value)}" if value is not None else f"{key}=null"


def _task_ids(array: str) -> list[int]:
    """The task ids of an ``--array`` value (``0-3``, ``1,3``, ``0-7:2``, ``%`` throttle ignored)."""
    ids: list[int] = []
    for part in array.split("%")[0].split(","):
        if not part:
            continue
        span, _, step = part.partition(":")
        first, _, last = span.partition("-")
        ids.extend(range(int(first), int(last or first) + 1, int(step or 1)))
    return ids


def render_job_script(
    config: Any,
    config_path: str | Path,
    overrides: Sequence[str],
    *,
    run_id: str,
    grace_seconds: int = 120,
    noether_command: Sequence[str] = ("noether",),
    array_points: Sequence[tuple[str, Sequence[str]]] | None = None,
    done_dir: Path | None = None,
) -> JobScript:
    """The sbatch script that runs ``noether run config_path overrides...`` as a requeueable SLURM job.

    ``config`` is the validated :class:`~noether.core.schemas.ConfigSchema` of ``config_path`` with
    ``overrides``; it must have a ``slurm`` section. ``array_points`` (for ``noether sweep --slurm``) gives, per
    array task id in order of ``slurm.array``, the run id and the extra overrides of that task; every task then
    behaves as a single job (its own run directory, resume on requeue). A task that exits with status 0 touches
    ``done_dir/<run id>``.
    """
    from noether._version import __version__
    from noether.core.initializers.paths import run_directory
    from noether.core.schemas import ResumeInitializerConfig

    slurm = config.slurm
    if slurm is None:
        raise SlurmScriptError("the config has no 'slurm' section")
    problems = shape_issues(slurm)
    if problems:
        raise SlurmShapeError(problems)
    if not _RUN_ID.fullmatch(run_id):
        raise SlurmScriptError(f"run_id {run_id!r} must consist of letters, digits, '.', '_' and '-'")
    if grace_seconds < 1:
        raise SlurmScriptError(f"the preemption grace time must be at least 1 second, got {grace_seconds}")
    q = shlex.quote
    config_file = Path(config_path).expanduser().resolve()
    output_path = Path(config.output_path)
    base = output_path / "debug" if config.debug else output_path
    run_dir = run_directory(output_path, run_id, config.stage_name, config.debug)
    slurm_dir = output_path / "slurm"
    is_array = slurm.array is not None
    if array_points is not None and not is_array:
        raise SlurmScriptError("a sweep array needs slurm.array (the task ids of its points)")

    lines = [
        "#!/bin/bash",
        f"# Written by `noether submit` (noether {__version__}) on "
        f"{datetime.datetime.now().isoformat(timespec='seconds')}.",
        f"# Config: {_comment(str(config_file))}",
        f"# Sweep of {len(array_points)} points, one per array task: {_comment(str(base))}/<run id>"
        if array_points is not None else
        f"# Run {run_id}{' (+ -a<array task id>)' if is_array else ''}: {_comment(str(run_dir))}",
        "#",
        f"# Preemption: SLURM sends USR1 to this script {grace_seconds} s before the time limit",
        "# (or: scancel --batch --signal=USR1 <job>). The script forwards it to the training tasks,",
        f"# which checkpoint after their current update and exit with status {EXIT_INTERRUPTED}; the script",
        "# then requeues the job. A job that starts and finds checkpoints/latest.json in its run",
        "# directory resumes from it.",
        f"# Layout: {job_shape(slurm).describe()}.",
    ]
    lines += [_directive(flag, value) for flag, value in slurm.directives()]
    lines += [
        _directive("--signal", f"B:USR1@{grace_seconds}"),
        _directive("--requeue", None),
        _directive("--open-mode", "append"),
    ]
    if slurm.output is None:
        log_name = "sweep-%A_%a.out" if array_points is not None else f"{run_id}-%j.out"
        lines.append(_directive("--output", str(slurm_dir / log_name)))

    body: list[str] = ["", f"readonly EXIT_INTERRUPTED={EXIT_INTERRUPTED}", ""]
    if slurm.env_path:
        env = q(slurm.env_path)
        body += [
            "# The job's software environment.",
            f"source {env} || {{ echo {q(f'noether: cannot source {slurm.env_path}')} >&2; exit 1; }}",
            "",
        ]
    # Every attempt of the job uses the same run id, hence the same run directory and tracker run.
    if array_points is not None:
        body.append("# One sweep point per array task: its run id and overrides.")
        body.append('case "${SLURM_ARRAY_TASK_ID:-}" in')
        for task, (point_id, point_overrides) in zip(_task_ids(slurm.array), array_points, strict=False):
            if not _RUN_ID.fullmatch(point_id):
                raise SlurmScriptError(f"run_id {point_id!r} must consist of letters, digits, '.', '_' and '-'")
            body.append(f"    {task}) run_id={q(point_id)}; point=({' '.join(q(o) for o in point_overrides)}) ;;")
        body.append('    *) echo "noether: no sweep point for array task ${SLURM_ARRAY_TASK_ID:-}" >&2; exit 1 ;;')
        body.append("esac")
    elif is_array:
        body.append(f'run_id={q(run_id)}-a"${{SLURM_ARRAY_TASK_ID:-0}}"')
    else:
        body.append(f"run_id={q(run_id)}")
    stage = q("/" + config.stage_name) if config.stage_name else ""
    body.append(f'run_dir={q(str(base))}/"$run_id"{stage}')

    words = [q(str(config_file)), *(q(o) for o in overrides)]
    if array_points is not None:
        words.append('"${point[@]}"')
    if slurm.chdir is not None:
        # The job runs in another directory: pin output_path to where submit resolved it (and looks for
        # checkpoints), so a relative output_path cannot point elsewhere inside the job.
        words.append(q(_yaml_string_override("output_path", str(output_path))))
    words.append('"run_id=\\"$run_id\\""')
    body.append("args=(" + " ".join(words) + ")")

    resume = ['"resume_run_id=\\"$run_id\\""', "resume_checkpoint=latest",
              q(_yaml_string_override("resume_stage_name", config.stage_name))]
    if isinstance(config.trainer.initializer, ResumeInitializerConfig):
        resume.append("trainer.initializer=null")  # it would take precedence over resume_run_id
    body += [
        "# Rendezvous: every task, on every node, joins the process group at the first node of the allocation;",
        "# the port comes from the job id, so all tasks compute the same endpoint without talking to each other.",
        'if [ -n "${SLURM_JOB_NODELIST:-}" ] && command -v scontrol >/dev/null 2>&1; then',
        '    first_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
        '    if [ -n "$first_node" ]; then export MASTER_ADDR="$first_node"; fi',
        "fi",
        "export MASTER_PORT=$((15000 + ${SLURM_JOB_ID:-0} % 10000))",
        "",
        f'if [ -f "$run_dir/{CHECKPOINTS}/{LATEST_POINTER}" ]; then',
        '    echo "noether: run $run_id continues from its latest checkpoint"'
        ' "(restart ${SLURM_RESTART_COUNT:-0})"',
        "    args+=(" + " ".join(resume) + ")",
        "fi",
        "",
        "preempted=0",
        "srun_pid=",
        "forward_preemption() {",
        "    preempted=1",
        '    echo "noether: preemption warning: checkpointing, then requeueing job ${SLURM_JOB_ID:-}" >&2',
        "    # srun forwards the signal to every task; each stops after its current update.",
        '    if [ -n "$srun_pid" ]; then kill -USR1 "$srun_pid" 2>/dev/null; fi',
        "}",
        "trap forward_preemption USR1",
        "",
        # In the background, because bash runs traps only between commands, never during a foreground one.
        "srun " + " ".join(q(c) for c in noether_command) + ' run "${args[@]}" &',
        "srun_pid=$!",
        "# wait returns early when the trap runs; wait again until srun has really exited.",
        "while :; do",
        '    wait "$srun_pid"',
        "    status=$?",
        '    kill -0 "$srun_pid" 2>/dev/null || break',
        "done",
        "",
        'if [ "$status" -eq "$EXIT_INTERRUPTED" ] && [ "$preempted" -eq 1 ]; then',
        "    if ! command -v scontrol >/dev/null 2>&1; then",
        "        echo \"noether: cannot requeue job ${SLURM_JOB_ID:-}: 'scontrol' is not on PATH.\" >&2",
        '        echo "noether: the checkpoint is written; submit this script again to continue." >&2',
        '        exit "$status"',
        "    fi",
        '    echo "noether: requeueing job $SLURM_JOB_ID" >&2',
        '    scontrol requeue "$SLURM_JOB_ID" || exit "$status"',
        "    exit 0",
        "fi",
    ]
    if done_dir is not None:
        done = q(str(done_dir))
        body += ['if [ "$status" -eq 0 ]; then', f'    mkdir -p {done} && touch {done}/"$run_id"', "fi"]
    body += [
        'exit "$status"',
    ]
    text = "\n".join(lines + body) + "\n"
    return JobScript(text=text, run_id=run_id, run_dir=run_dir, script_path=slurm_dir / f"{run_id}.sbatch")
