"""Torch-free registration of the CFD data kinds (config classes and ``module:attr`` component paths)."""

from typing import Any

_P = "noether_cfd"
#: The package of the public data sets' loaders in upstream Noether: configs written for it load here too.
_UPSTREAM = "noether.data.datasets.cfd"
#: ``(kind suffix, config class, "module:Class" of the dataset, aliases)``; modules are imported on first use.
_DATASETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("EllipsoidFlowDataset", "EllipsoidFlowDatasetConfig", "ellipsoid_dataset:EllipsoidFlowDataset", ()),
    ("CfdStoreDataset", "CfdStoreDatasetConfig", "store_dataset:CfdStoreDataset", ()),
    ("ShapeNetCarDataset", "ShapeNetCarDatasetConfig", "public_datasets:ShapeNetCarDataset",
     (f"{_UPSTREAM}.ShapeNetCarDataset", f"{_UPSTREAM}.shapenet_car.ShapeNetCarDataset")),
    ("DrivAerMLDataset", "CaeMLDatasetConfig", "public_datasets:DrivAerMLDataset",
     (f"{_UPSTREAM}.DrivAerMLDataset", f"{_UPSTREAM}.caeml.DrivAerMLDataset")),
    ("AhmedMLDataset", "AhmedMLDatasetConfig", "public_datasets:AhmedMLDataset",
     (f"{_UPSTREAM}.AhmedMLDataset", f"{_UPSTREAM}.caeml.AhmedMLDataset")),
)


def register(register: Any) -> None:
    """Register every CFD data kind with the registry's ``register`` callable."""
    for kind, config, component, aliases in _DATASETS:
        register(
            "dataset",
            f"{_P}.{kind}",
            config=f"{_P}.data.schemas:{config}",
            component=f"{_P}.data.{component}",
            aliases=aliases,
        )
