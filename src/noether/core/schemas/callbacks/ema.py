"""Config of the weight-averaging callback."""

from typing import Annotated, Literal

import attrs

from noether.core.schemas._constraints import Between, NonBlankStr, NonEmpty
from noether.core.schemas.callbacks.base import CallBackBaseConfig


@attrs.frozen(kw_only=True)
class EmaCallbackConfig(CallBackBaseConfig):
    """Exponential moving averages of the weights, one per factor and model path."""

    name: Literal["EmaCallback"] = "EmaCallback"
    #: EMA factors f in ``shadow = f * shadow + (1 - f) * param``.
    target_factors: Annotated[list[Annotated[float, Between(0.0, 1.0)]], NonEmpty()]
    #: Dotted submodule paths to average (``None`` item = the whole model).
    model_paths: list[NonBlankStr | None] | None = None
    #: Save the EMA weights under the periodic tag.
    save_weights: bool = True
    #: Save the EMA weights under tag ``last`` at the end of training.
    save_last_weights: bool = True
    #: Save the EMA weights under tag ``latest`` at every invocation.
    save_latest_weights: bool = False

