"""The batch contract shared by the CFD pipeline, models and metrics: key names and shapes.

A collated batch of ``B`` samples is a dict of tensors. Point sets of different sizes are padded to the
largest sample in the batch, with a boolean mask (``True`` = a real point) beside each padded set:

========================  ==================  ================================================
key                       shape               meaning
========================  ==================  ================================================
``geometry_position``     ``(B, G, 3)``       surface points that encode the geometry
``geometry_mask``         ``(B, G)``          real geometry points
``supernode_index``       ``(B, S)``          indices into the geometry points (pooling centres)
``supernode_mask``        ``(B, S)``          real supernodes
``supernode_neighbors``   ``(B, S, K)``       indices into the geometry points (radius/kNN graph)
``supernode_neighbor_mask`` ``(B, S, K)``     real neighbours
``surface_position``      ``(B, Ns, 3)``      surface query points (anchors first, then queries)
``surface_normal``        ``(B, Ns, 3)``      outward unit normals at the surface points
``surface_area``          ``(B, Ns)``         area weight of each surface point (for metrics)
``surface_mask``          ``(B, Ns)``         real surface points
``surface_anchor_count``  ``(B,)``            how many leading surface points are anchors (AB-UPT)
``volume_position``       ``(B, Nv, 3)``      volume query points
``volume_mask``           ``(B, Nv)``         real volume points
``volume_anchor_count``   ``(B,)``            how many leading volume points are anchors (AB-UPT)
``conditions``            ``(B, C)``          per-sample scalars (inflow speed, angles, ...)
``surface_pressure``      ``(B, Ns, 1)``      target / prediction on the surface
``surface_wallshear``     ``(B, Ns, 3)``      target / prediction on the surface (where present)
``volume_velocity``       ``(B, Nv, 3)``      target / prediction in the volume
``volume_pressure``       ``(B, Nv, 1)``      target / prediction in the volume (where present)
========================  ==================  ================================================

The ragged alternative (concatenation with a batch index) uses the same names for the concatenated point
tensors, ``(N_total, C)``, plus ``<set>_batch_index`` of shape ``(N_total,)``; :mod:`noether_cfd.data`
converts between the two. Models take the padded form; a model returns a dict with the predicted fields
under the target names above, padded like its inputs (values at masked points are unspecified).
"""

from typing import Final

GEOMETRY_POSITION: Final = "geometry_position"
GEOMETRY_MASK: Final = "geometry_mask"
SUPERNODE_INDEX: Final = "supernode_index"
SUPERNODE_MASK: Final = "supernode_mask"
SUPERNODE_NEIGHBORS: Final = "supernode_neighbors"
SUPERNODE_NEIGHBOR_MASK: Final = "supernode_neighbor_mask"
SURFACE_POSITION: Final = "surface_position"
SURFACE_NORMAL: Final = "surface_normal"
SURFACE_AREA: Final = "surface_area"
SURFACE_MASK: Final = "surface_mask"
SURFACE_ANCHOR_COUNT: Final = "surface_anchor_count"
VOLUME_POSITION: Final = "volume_position"
VOLUME_MASK: Final = "volume_mask"
VOLUME_ANCHOR_COUNT: Final = "volume_anchor_count"
CONDITIONS: Final = "conditions"
SURFACE_PRESSURE: Final = "surface_pressure"
SURFACE_WALLSHEAR: Final = "surface_wallshear"
VOLUME_VELOCITY: Final = "volume_velocity"
VOLUME_PRESSURE: Final = "volume_pressure"

SURFACE_FIELDS: Final = (SURFACE_PRESSURE, SURFACE_WALLSHEAR)
VOLUME_FIELDS: Final = (VOLUME_VELOCITY, VOLUME_PRESSURE)


def batch_index_key(point_set: str) -> str:
    """The key of the batch-index tensor of a concatenated (ragged) point set, e.g. ``surface_batch_index``."""
    return f"{point_set}_batch_index"
