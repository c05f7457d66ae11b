"""The open unions of the component families, without their members.

A field typed with one of these takes any registered config of the family, chosen by ``kind``; the member
classes are imported only when a config names them. Keeping the unions here, apart from the families'
modules, is what lets ``noether check`` create only the config classes a config uses.
"""

from typing import Annotated

from noether.core.schemas._base import OpenUnion, Schema

#: Any schedule config, selected by ``kind``.
AnyScheduleConfig = Annotated[Schema, OpenUnion("schedule")]
#: Any initializer config, selected by ``kind``.
AnyInitializer = Annotated[Schema, OpenUnion("initializer")]
#: Any tracker config, selected by ``kind``; ``disabled`` or ``{}`` means no tracker.
AnyTracker = Annotated[Schema, OpenUnion("tracker", none_strings=("disabled",))]
#: Any dataset-wrapper config, selected by ``kind``.
DatasetWrappers = Annotated[Schema, OpenUnion("wrapper")]
#: Any normalizer config, selected by ``kind``.
AnyNormalizer = Annotated[Schema, OpenUnion("normalizer")]

__all__ = ["AnyInitializer", "AnyNormalizer", "AnyScheduleConfig", "AnyTracker", "DatasetWrappers"]
