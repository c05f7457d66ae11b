"""Force and moment coefficients integrated over a surface from pressure (and wall shear where present).

The traction on a surface element with outward normal ``n`` and area ``A`` is ``(-p n + tau) A``; forces are
its sum, moments the sum of ``(x - x_ref) x dF``. Coefficients divide by ``q A_ref`` (forces) and
``q A_ref L_ref`` (moments), with the dynamic pressure ``q = rho U^2 / 2``. When ``p`` is already a pressure
coefficient, use ``rho = 2, U = 1`` (``q = 1``) so that coefficients are the non-dimensional integrals.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import torch


@attrs.frozen(kw_only=True)
class Reference:
    """Reference quantities of the coefficients."""

    area: float = 1.0
    length: float = 1.0
    velocity: float = 1.0
    density: float = 1.0
    #: Point about which moments are taken.
    moment_center: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def dynamic_pressure(self) -> float:
        """``rho U^2 / 2``."""
        return 0.5 * self.density * self.velocity**2


def surface_loads(
    pressure: torch.Tensor,
    normal: torch.Tensor,
    area: torch.Tensor,
    position: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    wallshear: torch.Tensor | None = None,
    moment_center: Sequence[float] = (0.0, 0.0, 0.0),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dimensional force ``(B, 3)`` and moment ``(B, 3)`` from ``(B, N, ·)`` surface tensors (float64)."""
    p = pressure.double().reshape(*pressure.shape[:2], 1)
    weight = area.double().reshape(*area.shape[:2], 1)
    if mask is not None:
        weight = weight * mask.reshape(*mask.shape[:2], 1).double()
    traction = -p * normal.double()
    if wallshear is not None:
        traction = traction + wallshear.double()
    element = traction * weight
    arm = position.double() - torch.tensor(moment_center, dtype=torch.float64, device=position.device)
    force = element.sum(dim=1)
    moment = torch.linalg.cross(arm, element, dim=-1).sum(dim=1)
    return force, moment


def force_coefficients(
    pressure: torch.Tensor,
    normal: torch.Tensor,
    area: torch.Tensor,
    position: torch.Tensor,
    reference: Reference,
    *,
    mask: torch.Tensor | None = None,
    wallshear: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """``cf_x, cf_y, cf_z, cm_x, cm_y, cm_z`` per sample (each ``(B,)``) in the axes of the positions."""
    force, moment = surface_loads(
        pressure, normal, area, position, mask=mask, wallshear=wallshear, moment_center=reference.moment_center
    )
    q = reference.dynamic_pressure
    cf = force / (q * reference.area)
    cm = moment / (q * reference.area * reference.length)
    out: dict[str, torch.Tensor] = {}
    for i, axis in enumerate("xyz"):
        out[f"cf_{axis}"] = cf[:, i]
        out[f"cm_{axis}"] = cm[:, i]
    return out
