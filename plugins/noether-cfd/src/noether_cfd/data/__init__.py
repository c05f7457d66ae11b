"""CFD data: mesh files, the exact ellipsoid flows, public data sets' layouts, and the chunked store.

* :mod:`~noether_cfd.data.mesh` reads STL/VTP/VTU/legacy VTK and writes VTP/VTU/STL
  (:mod:`~noether_cfd.data.vtk_xml`, :mod:`~noether_cfd.data.vtk_legacy` for what meshio lacks);
* :mod:`~noether_cfd.data.ellipsoid_flow` is the closed-form potential flow and Munk moment,
  :mod:`~noether_cfd.data.ellipsoid_generate` and :mod:`~noether_cfd.data.ellipsoid_dataset` the data set;
* :mod:`~noether_cfd.data.layouts` knows ShapeNet-Car, DrivAerML, AhmedML and a generic layout,
  :mod:`~noether_cfd.data.public_datasets` loads them;
* :mod:`~noether_cfd.data.store` converts folders into a store, :mod:`~noether_cfd.data.store_dataset` reads it;
* :mod:`~noether_cfd.data.schemas` holds the (torch-free) configs and :mod:`~noether_cfd.data.kinds` registers them.
"""
