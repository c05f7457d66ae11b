"""Exact potential flow past Joukowski airfoils (complex analysis, numpy only).

The airfoil is the image of a circle under the Joukowski map ``z = zeta + c^2 / zeta`` with ``c = 1/4``;
the circle has centre ``mu = c (-eps + i beta)`` and passes through ``zeta = c``, which maps to the cusped
trailing edge. Physical coordinates are ``x + i y = z + 1/2``: the trailing edge is at ``(1, 0)`` and the
reference chord is ``4c = 1``. The free stream has speed 1 at angle of attack ``alpha``; the Kutta
condition (no velocity singularity at the trailing edge) fixes the circulation
``Gamma = 4 pi R sin(alpha - arg(c - mu))``, positive clockwise, so the lift coefficient is ``C_l = 2 Gamma``
(Kutta-Joukowski with ``rho = U = chord = 1``).

Every function broadcasts over numpy arrays, so whole splits are computed at once.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

#: The Joukowski constant ``c``; the chord of the airfoil is about ``4c``.
JOUKOWSKI_C = 0.25
#: Reference chord of the lift coefficient (``4c``).
CHORD = 4 * JOUKOWSKI_C
#: Shift of the real axis so that the trailing edge (``z = 2c``) lies at ``x = 1``.
X_SHIFT = 0.5
#: Thickness/chord of a Joukowski airfoil is about ``(3 sqrt(3) / 4) eps`` for small ``eps``.
THICKNESS_FACTOR = 3 * math.sqrt(3) / 4


@attrs.frozen
class Airfoils:
    """One or more airfoils at their angles of attack; every field broadcasts (arrays of equal shape)."""

    #: Nominal thickness/chord (``eps = thickness / THICKNESS_FACTOR``).
    thickness: np.ndarray
    #: Nominal maximum camber/chord (``beta = 2 camber``).
    camber: np.ndarray
    #: Angle of attack in degrees.
    angle_of_attack: np.ndarray

    @classmethod
    def of(cls, thickness: float | np.ndarray, camber: float | np.ndarray,
           angle_of_attack: float | np.ndarray) -> Airfoils:
        """Build from scalars or arrays (converted to float64 arrays)."""
        values = (thickness, camber, angle_of_attack)
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
        return cls(*arrays)

    @property
    def alpha(self) -> np.ndarray:
        """Angle of attack in radians."""
        return np.deg2rad(self.angle_of_attack)

    @property
    def center(self) -> np.ndarray:
        """Centre ``mu`` of the generating circle (complex)."""
        eps = self.thickness / THICKNESS_FACTOR
        beta = 2.0 * self.camber
        return JOUKOWSKI_C * (-eps + 1j * beta)

    @property
    def radius(self) -> np.ndarray:
        """Radius of the generating circle: it passes through ``zeta = c``."""
        return np.abs(JOUKOWSKI_C - self.center)

    @property
    def trailing_edge_angle(self) -> np.ndarray:
        """Angle on the circle (around ``mu``) of the point that maps to the trailing edge."""
        return np.angle(JOUKOWSKI_C - self.center)

    @property
    def circulation(self) -> np.ndarray:
        """Circulation (clockwise positive) set by the Kutta condition, for unit free-stream speed."""
        return 4.0 * np.pi * self.radius * np.sin(self.alpha - self.trailing_edge_angle)

    @property
    def lift_coefficient(self) -> np.ndarray:
        """Kutta-Joukowski lift per unit span over ``0.5 rho U^2 chord``: ``2 Gamma / (U chord)``."""
        return 2.0 * self.circulation / CHORD

    @property
    def stagnation_angle(self) -> np.ndarray:
        """Circle angle of the front stagnation point (the rear one is the trailing edge for these flows)."""
        return np.pi + 2.0 * self.alpha - self.trailing_edge_angle

    def _col(self, a: np.ndarray) -> np.ndarray:
        # Per-airfoil values as a column, to broadcast against ``(airfoils, points)`` arrays.
        return a[..., None]

    def circle_points(self, angles: np.ndarray, rho: np.ndarray | float = 1.0) -> np.ndarray:
        """Points ``mu + rho R exp(i angle)`` of the circle plane, shape ``(airfoils, points)``."""
        return self._col(self.center) + rho * self._col(self.radius) * np.exp(1j * angles)

    def velocity_zeta(self, zeta: np.ndarray) -> np.ndarray:
        """Complex velocity ``dw/dzeta`` of the flow around the circle."""
        d = zeta - self._col(self.center)
        a = self._col(self.alpha)
        r2 = self._col(self.radius) ** 2
        gamma = self._col(self.circulation)
        return np.exp(-1j * a) - r2 * np.exp(1j * a) / d**2 + 1j * gamma / (2.0 * np.pi * d)

    def potential(self, zeta: np.ndarray) -> np.ndarray:
        """Complex potential ``w``; its imaginary part is the stream function."""
        d = zeta - self._col(self.center)
        a = self._col(self.alpha)
        r2 = self._col(self.radius) ** 2
        gamma = self._col(self.circulation)
        return d * np.exp(-1j * a) + r2 * np.exp(1j * a) / d + 1j * gamma / (2.0 * np.pi) * np.log(d)


def joukowski(zeta: np.ndarray) -> np.ndarray:
    """Physical position ``x + i y`` of circle-plane points."""
    return zeta + JOUKOWSKI_C**2 / zeta + X_SHIFT


def map_derivative(zeta: np.ndarray) -> np.ndarray:
    """``dz/dzeta`` of the Joukowski map."""
    return 1.0 - JOUKOWSKI_C**2 / zeta**2


def physical_velocity(airfoils: Airfoils, zeta: np.ndarray) -> np.ndarray:
    """Velocity ``u + i v`` in the physical plane at the image of ``zeta`` (not at the trailing edge)."""
    return np.conj(airfoils.velocity_zeta(zeta) / map_derivative(zeta))


def pressure_coefficient(velocity: np.ndarray) -> np.ndarray:
    """Bernoulli with unit free stream: ``C_p = 1 - |V|^2``."""
    return 1.0 - np.abs(velocity) ** 2


def surface_angles(airfoils: Airfoils, num_points: int) -> np.ndarray:
    """Circle angles of the surface points: equally spaced, half a step off the trailing edge, anticlockwise.

    Equal spacing in the circle angle makes sums over the points spectrally accurate quadratures of
    surface integrals (the integrands are smooth and periodic in this angle).
    """
    steps = (np.arange(num_points) + 0.5) * (2.0 * np.pi / num_points)
    return airfoils.trailing_edge_angle[..., None] + steps


def surface_normals(airfoils: Airfoils, angles: np.ndarray) -> np.ndarray:
    """Outward unit normals (complex) at the surface points of ``angles``."""
    zeta = airfoils.circle_points(angles)
    tangent = map_derivative(zeta) * 1j * (zeta - airfoils.center[..., None])  # dz/dangle, counter-clockwise
    tangent = tangent / np.abs(tangent)
    return -1j * tangent
