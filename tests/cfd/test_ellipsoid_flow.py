"""The closed-form ellipsoid flow against potential-flow theory, and the Munk moment against surface integration."""

from __future__ import annotations

import numpy as np
import pytest
from noether_cfd.data.ellipsoid_flow import (
    added_mass_coefficients,
    body_velocity,
    depth_integrals,
    ellipsoidal_coordinate,
    munk_moment,
    pressure_coefficient,
    surface_normals,
    world_velocity,
)
from noether_cfd.data.icosphere import icosphere
from noether_cfd.data.mesh import point_areas
from scipy.spatial.transform import Rotation

AXES = np.array([1.1, 0.55, 0.3])
ROT = Rotation.from_euler("xyz", [0.4, -0.7, 1.2]).as_matrix()
STREAM = np.array([1.0, 0.0, 0.0])


def outside_points(n: int, seed: int = 0) -> np.ndarray:
    """World points between 1.05 and 3 times the body's size, in random directions."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return (d * AXES * rng.uniform(1.05, 3.0, size=(n, 1))) @ ROT.T


def test_depth_integrals_sum_to_two_and_match_the_spheroid_closed_form() -> None:
    np.testing.assert_allclose(depth_integrals(AXES).sum(), 2.0, rtol=1e-12)
    np.testing.assert_allclose(depth_integrals([1.0, 1.0, 1.0]), [2 / 3] * 3, rtol=1e-12)
    a, b = 2.0, 0.5  # prolate spheroid: alpha_0 = 2 (1 - e^2) / e^3 (artanh(e) - e)
    e = np.sqrt(1 - b**2 / a**2)
    alpha0 = 2 * (1 - e**2) / e**3 * (np.arctanh(e) - e)
    np.testing.assert_allclose(depth_integrals([a, b, b])[0], alpha0, rtol=1e-12)
    np.testing.assert_allclose(added_mass_coefficients([1.0, 1.0, 1.0]), [0.5] * 3, rtol=1e-12)


def test_ellipsoidal_coordinate_solves_its_equation() -> None:
    points = outside_points(500) @ ROT
    lam = ellipsoidal_coordinate(AXES, points)
    np.testing.assert_allclose((points**2 / (AXES**2 + lam[:, None])).sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(ellipsoidal_coordinate(AXES, 0.5 * points / np.abs(points / AXES).sum(1, keepdims=True)) == 0)


def test_sphere_surface_pressure_is_the_classical_formula() -> None:
    rng = np.random.default_rng(1)
    d = rng.normal(size=(400, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    stream = np.array([0.3, -0.5, 0.8])
    v = body_velocity([1.0, 1.0, 1.0], stream, 0.7 * d, lam=np.zeros(400))
    cos = d @ stream / np.linalg.norm(stream)
    np.testing.assert_allclose(pressure_coefficient(v, stream), 1 - 9 / 4 * (1 - cos**2), atol=1e-12)


def test_no_penetration_on_the_surface() -> None:
    unit, _ = icosphere(3)
    surface_body = unit * AXES
    v = world_velocity(AXES, ROT, STREAM, surface_body @ ROT.T, lam=np.zeros(len(unit)))
    normals = surface_normals(AXES, surface_body) @ ROT.T
    assert np.abs(np.einsum("ij,ij->i", v, normals)).max() < 1e-12
    # Computing lambda for surface points (instead of passing 0) gives the same velocity.
    np.testing.assert_allclose(world_velocity(AXES, ROT, STREAM, surface_body @ ROT.T), v, atol=1e-9)


def test_far_field_tends_to_the_stream() -> None:
    rng = np.random.default_rng(2)
    d = rng.normal(size=(100, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for radius, bound in ((50.0, 2e-5), (500.0, 2e-8)):
        v = world_velocity(AXES, ROT, STREAM, radius * d)
        assert np.abs(v - STREAM).max() < bound  # the disturbance decays like r^-3


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_stagnation_pressure_coefficient_is_one(axis: int) -> None:
    stream = np.eye(3)[axis]
    front = -AXES[axis] * stream
    v = body_velocity(AXES, stream, front[None], lam=np.zeros(1))
    np.testing.assert_allclose(np.linalg.norm(v), 0.0, atol=1e-14)
    np.testing.assert_allclose(pressure_coefficient(v, stream), [1.0], atol=1e-14)
    # At any orientation the largest surface Cp approaches 1 (and never exceeds it).
    unit, _ = icosphere(5)
    cp = pressure_coefficient(world_velocity(AXES, ROT, STREAM, (unit * AXES) @ ROT.T, lam=np.zeros(len(unit))),
                              STREAM)
    assert 0.99 < cp.max() <= 1.0 + 1e-12


def test_divergence_and_curl_vanish() -> None:
    points = outside_points(200, seed=3)
    h = 1e-3
    jac = np.zeros((len(points), 3, 3))  # jac[:, i, j] = d u_i / d x_j, fourth-order central differences

    def u(offset: np.ndarray) -> np.ndarray:
        return world_velocity(AXES, ROT, STREAM, points + offset)

    for j in range(3):
        e = np.eye(3)[j] * h
        jac[:, :, j] = (-u(2 * e) + 8 * u(e) - 8 * u(-e) + u(-2 * e)) / (12 * h)
    assert np.abs(jac).max() > 0.1  # the flow is far from uniform there
    divergence = np.abs(np.trace(jac, axis1=1, axis2=2))
    curl = np.abs(jac - jac.transpose(0, 2, 1)).max(axis=(1, 2))
    # Truncation error dominates the few points closest to the thin axis; elsewhere it is round-off.
    assert divergence.max() < 1e-6 and np.median(divergence) < 1e-10
    assert curl.max() < 1e-6 and np.median(curl) < 1e-10


def test_munk_moment_vanishes_for_a_sphere_and_along_principal_axes() -> None:
    np.testing.assert_allclose(munk_moment([0.8, 0.8, 0.8], ROT, STREAM), 0.0, atol=1e-14)
    np.testing.assert_allclose(munk_moment(AXES, np.eye(3), STREAM), 0.0, atol=1e-14)
    assert np.linalg.norm(munk_moment(AXES, ROT, STREAM)) > 0.05


def test_munk_moment_equals_the_integrated_surface_pressure() -> None:
    unit, triangles = icosphere(5)
    surface = (unit * AXES) @ ROT.T
    normals = surface_normals(AXES, unit * AXES) @ ROT.T
    areas = point_areas(surface, triangles)
    pressure = 0.5 * pressure_coefficient(world_velocity(AXES, ROT, STREAM, surface, lam=np.zeros(len(unit))),
                                          STREAM)
    moment = -(pressure[:, None] * np.cross(surface, normals) * areas[:, None]).sum(axis=0)
    force = -(pressure[:, None] * normals * areas[:, None]).sum(axis=0)
    exact = munk_moment(AXES, ROT, STREAM)
    np.testing.assert_allclose(moment, exact, atol=0.01 * np.linalg.norm(exact))
    assert np.linalg.norm(force) < 0.01 * np.linalg.norm(exact) / AXES.max()  # d'Alembert: no net force


def test_prolate_spheroid_munk_moment_has_the_textbook_form() -> None:
    a, b, alpha = 2.0, 0.5, np.deg2rad(10.0)
    axes = np.array([a, b, b])
    stream = np.array([np.cos(alpha), 0.0, np.sin(alpha)])
    k1, _, k3 = added_mass_coefficients(axes)
    volume = 4 / 3 * np.pi * a * b * b
    # |M| = (k3 - k1) rho V U^2 sin(alpha) cos(alpha), about the axis normal to the plane of body axis and stream.
    np.testing.assert_allclose(munk_moment(axes, np.eye(3), stream),
                               [0.0, (k3 - k1) * volume * np.sin(alpha) * np.cos(alpha), 0.0], atol=1e-14)
