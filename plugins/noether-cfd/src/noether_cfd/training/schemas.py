"""Config of the CFD trainer (torch-free)."""

import attrs

from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas.trainers import SupervisedTrainerConfig


@attrs.frozen(kw_only=True)
class CfdTrainerConfig(SupervisedTrainerConfig):
    """Masked loss per target field on padded batches (``surface_*`` targets use ``surface_mask``, ...).

    Each target adds ``loss_<field>`` (padding excluded) and, in evaluation, ``rel_l2/<field>`` per sample.
    With empty ``forward_properties`` the model gets every batch key except the targets and ``index``.
    At the start of training the trainer writes ``cfd_normalization.json`` into the run directory (the
    normalizers of the training dataset), which ``noether predict`` needs to map its outputs to physical units.
    """

    kind: NonBlankStr = "noether_cfd.CfdTrainer"
