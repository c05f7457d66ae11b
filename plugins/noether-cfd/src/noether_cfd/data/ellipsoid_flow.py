"""Exact potential flow past an ellipsoid in a uniform stream, and its Munk moment (numpy + scipy).

Body frame: the ellipsoid ``x^2/a^2 + y^2/b^2 + z^2/c^2 = 1`` at rest in a stream ``U`` (constant at
infinity). With the ellipsoidal coordinate ``lambda`` of a point (the root ``>= 0`` of
``sum x_i^2 / (a_i^2 + lambda) = 1``; 0 on the surface) and

    A_i(lambda) = a b c * integral_lambda^inf dt / ((a_i^2 + t) sqrt((a^2 + t)(b^2 + t)(c^2 + t)))

(``alpha_0, beta_0, gamma_0 = A_1(0), A_2(0), A_3(0)``; they sum to 2), the velocity potential is

    Phi = sum_i U_i x_i (1 + A_i(lambda) / (2 - A_i(0)))

(Lamb, *Hydrodynamics*, sections 114-115): ``x_i A_i(lambda)`` is harmonic, decays like ``r^-3`` and the
coefficient makes the normal velocity vanish on the surface. The integrals are Carlson's symmetric elliptic
integral, ``A_i = (2/3) a b c R_D(a_j^2 + lambda, a_k^2 + lambda, a_i^2 + lambda)``
(:func:`scipy.special.elliprd`). For a sphere ``A_i(0) = 2/3`` and ``Phi = U x (1 + R^3 / (2 r^3))``.

The pressure coefficient is Bernoulli's ``C_p = 1 - |u|^2 / |U|^2``. The added masses are
``m_i = k_i rho V`` with ``k_i = A_i(0) / (2 - A_i(0))`` and ``V = 4/3 pi a b c`` (Lamb, section 373); a
closed body in steady potential flow feels no force (d'Alembert) but the couple
``M = (M_added U) x U`` (Munk), which turns an elongated body broadside to the stream.

World frame: a rotation ``R`` maps body to world coordinates (``x_world = R x_body``); vectors are rotated
the same way. Every function takes and returns float64 arrays.
"""

from __future__ import annotations

import numpy as np
from scipy.special import elliprd


def _check_axes(semi_axes: np.ndarray) -> np.ndarray:
    axes = np.asarray(semi_axes, dtype=np.float64).reshape(3)
    if np.any(axes <= 0):
        raise ValueError(f"semi-axes must be positive, got {axes.tolist()}")
    return axes


def depth_integrals(semi_axes: np.ndarray, lam: np.ndarray | float = 0.0) -> np.ndarray:
    """``A_i(lambda)`` for ``i = 1, 2, 3``: shape ``lam.shape + (3,)`` (``alpha_0, beta_0, gamma_0`` at 0)."""
    a2 = _check_axes(semi_axes) ** 2
    lam = np.asarray(lam, dtype=np.float64)[..., None]
    shifted = a2 + lam
    abc = float(np.sqrt(a2.prod()))
    return np.stack([
        (2.0 / 3.0) * abc * elliprd(shifted[..., (i + 1) % 3], shifted[..., (i + 2) % 3], shifted[..., i])
        for i in range(3)
    ], axis=-1)


def added_mass_coefficients(semi_axes: np.ndarray) -> np.ndarray:
    """``(k1, k2, k3)``: added mass along each body axis over the displaced mass ``rho V``."""
    alpha = depth_integrals(semi_axes)
    return np.asarray(alpha / (2.0 - alpha))


def ellipsoidal_coordinate(semi_axes: np.ndarray, points: np.ndarray, iterations: int = 200) -> np.ndarray:
    """``lambda >= 0`` of body-frame points ``(..., 3)`` (0 on and inside the surface).

    ``f(lambda) = sum x_i^2 / (a_i^2 + lambda) - 1`` is convex and falling; Newton's method started left of
    the root (``lambda = 0``, where ``f > 0`` outside the body) then climbs to it without overshooting.
    """
    a2 = _check_axes(semi_axes) ** 2
    x2 = np.asarray(points, dtype=np.float64) ** 2
    inside = (x2 / a2).sum(axis=-1) <= 1.0
    lam = np.zeros(x2.shape[:-1])
    for _ in range(iterations):
        denom = a2 + lam[..., None]
        f = (x2 / denom).sum(axis=-1) - 1.0
        df = -(x2 / denom**2).sum(axis=-1)
        step = np.where(inside, 0.0, f / np.where(df < 0, df, -1.0))
        lam = lam - step
        if np.all(np.abs(step) <= 1e-14 * (1.0 + lam)):
            break
    return np.where(inside, 0.0, lam)


def body_velocity(semi_axes: np.ndarray, stream: np.ndarray, points: np.ndarray,
                  lam: np.ndarray | None = None) -> np.ndarray:
    """Velocity ``(..., 3)`` at body-frame ``points`` on or outside the surface, stream ``U`` (body frame).

    ``lam`` (the ellipsoidal coordinate) can be given, e.g. zeros for points on the surface.
    """
    axes = _check_axes(semi_axes)
    a2 = axes**2
    x = np.asarray(points, dtype=np.float64)
    u = np.asarray(stream, dtype=np.float64).reshape(3)
    lam = ellipsoidal_coordinate(axes, x) if lam is None else np.broadcast_to(np.asarray(lam, float), x.shape[:-1])
    surface = depth_integrals(axes, 0.0)
    factor = 1.0 / (2.0 - surface)  # (3,)
    a_lam = depth_integrals(axes, lam)  # (..., 3)
    denom = a2 + lam[..., None]
    delta = np.sqrt(denom.prod(axis=-1))  # (...)
    abc = float(axes.prod())
    # dA_i/dlambda = -abc / ((a_i^2 + lambda) Delta); dlambda/dx_j = (2 x_j / (a_j^2+lambda)) / sum x_k^2/(.)^2
    d_a = -abc / (denom * delta[..., None])
    grad_lam = 2.0 * x / denom / (x**2 / denom**2).sum(axis=-1, keepdims=True)
    # Phi = sum_i U_i x_i (1 + factor_i A_i): the direct term plus the term through lambda.
    direct = u * (1.0 + factor * a_lam)
    through = (u * x * factor * d_a).sum(axis=-1, keepdims=True) * grad_lam
    return np.asarray(direct + through)


def pressure_coefficient(velocity: np.ndarray, stream: np.ndarray) -> np.ndarray:
    """Bernoulli: ``C_p = 1 - |u|^2 / |U|^2`` (shape ``velocity.shape[:-1]``)."""
    speed2 = float(np.sum(np.asarray(stream, dtype=np.float64) ** 2))
    return np.asarray(1.0 - (np.asarray(velocity) ** 2).sum(axis=-1) / speed2)


def surface_normals(semi_axes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Outward unit normals ``(..., 3)`` at body-frame surface points: along ``(x/a^2, y/b^2, z/c^2)``."""
    grad = np.asarray(points, dtype=np.float64) / _check_axes(semi_axes) ** 2
    return np.asarray(grad / np.linalg.norm(grad, axis=-1, keepdims=True))


def munk_moment(semi_axes: np.ndarray, rotation: np.ndarray, stream: np.ndarray,
                density: float = 1.0) -> np.ndarray:
    """The couple ``(3,)`` on the body about its centre, world frame, for a world-frame stream ``U``.

    Equal to ``-integral p (x cross n) dS`` over the surface (``n`` outward, ``p`` the pressure of the flow
    above, any constant reference pressure); zero for a sphere and along a principal axis.
    """
    axes = _check_axes(semi_axes)
    rot = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
    u_body = rot.T @ np.asarray(stream, dtype=np.float64).reshape(3)
    volume = 4.0 / 3.0 * np.pi * float(axes.prod())
    impulse = density * volume * added_mass_coefficients(axes) * u_body
    return np.asarray(rot @ np.cross(impulse, u_body))


def world_velocity(semi_axes: np.ndarray, rotation: np.ndarray, stream: np.ndarray,
                   points: np.ndarray, lam: np.ndarray | None = None) -> np.ndarray:
    """Velocity at world-frame ``points`` for a world-frame stream, the body rotated by ``rotation``."""
    rot = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
    body_points = np.asarray(points, dtype=np.float64) @ rot  # rows: R^T x
    u_body = rot.T @ np.asarray(stream, dtype=np.float64).reshape(3)
    return np.asarray(body_velocity(semi_axes, u_body, body_points, lam) @ rot.T)
