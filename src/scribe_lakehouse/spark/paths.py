"""Where the Spark engine finds things: one lakehouse root seen two ways.

The driver reads and writes small files (Bronze manifest, corpus manifest, Delta log listings) through
a path it can open (`local`); Spark reads and writes tables through a URI (`uri`). On one machine they
are the same folder; on Fabric `local` is the lakehouse mount (/lakehouse/default/Files/…) and `uri`
its OneLake (abfss://…) address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import TableSpec

STAGING = "_spark_staging"


@dataclass(frozen=True)
class Location:
    """One folder (a Delta table, a scratch folder) as the driver opens it and as Spark addresses it."""

    path: Path
    uri: str

    def child(self, name: str) -> Location:
        return Location(self.path / name, f"{self.uri.rstrip('/')}/{name}")

    @property
    def name(self) -> str:
        """The last two path parts (`silver/patient`): safe for logs, never a file name."""
        return "/".join(self.path.parts[-2:])

    @property
    def sql(self) -> str:
        """The folder as a Delta table identifier for Spark SQL."""
        return "delta.`" + self.uri.replace("`", "``") + "`"


@dataclass(frozen=True)
class SparkRoot:
    local: Path
    uri: str

    @classmethod
    def on_disk(cls, root: Path) -> SparkRoot:
        """A root on a local disk, addressed by Spark through the same absolute path."""
        absolute = root.expanduser().resolve()
        return cls(absolute, str(absolute))

    @property
    def lakehouse(self) -> Lakehouse:
        return Lakehouse(self.local)

    def table(self, spec: TableSpec) -> Location:
        return Location(self.local / spec.path, self.join(spec.path))

    def join(self, relative: str) -> str:
        return f"{self.uri.rstrip('/')}/{relative}"

    def staging(self, name: str) -> Location:
        """A scratch folder under `_spark_staging/`; removed when its step is done."""
        relative = f"{STAGING}/{name}"
        return Location(self.local / relative, self.join(relative))
