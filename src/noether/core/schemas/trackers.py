"""Experiment-tracker configs. A local metrics file is always written; these add a service on top."""


from typing import Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import NonBlankStr, PositiveInt

_P = "noether.core.trackers."


@attrs.frozen(kw_only=True)
class WandBTrackerSchema(Schema):
    """Weights & Biases (``offline`` writes local files and needs no network)."""

    kind: Literal["noether.core.trackers.WandBTracker"] = _P + "WandBTracker"
    #: The W&B entity (user or team).
    entity: str | None = None
    #: The W&B project.
    project: str | None = None
    #: ``online``, ``offline`` (local files, sync later) or ``disabled``.
    mode: Literal["disabled", "online", "offline"] | None = "online"


@attrs.frozen(kw_only=True)
class TrackioTrackerSchema(Schema):
    """Trackio (a local-first tracker)."""

    kind: Literal["noether.core.trackers.TrackioTracker"] = _P + "TrackioTracker"
    #: The Trackio project.
    project: NonBlankStr
    #: Hugging Face space to sync to (``None``: local only).
    space_id: str | None = None


@attrs.frozen(kw_only=True)
class TensorboardTrackerSchema(Schema):
    """TensorBoard event files under ``<run_dir>/<log_dir>``."""

    kind: Literal["noether.core.trackers.TensorboardTracker"] = _P + "TensorboardTracker"
    #: Directory of the event files, relative to the run directory.
    log_dir: NonBlankStr = "runs"
    #: Seconds between flushes of the event file.
    flush_secs: PositiveInt = 60
