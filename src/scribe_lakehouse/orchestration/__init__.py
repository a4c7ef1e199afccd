"""The Dagster asset graph: a thin shell over the same library functions the CLI calls.

`definitions.py` assembles; `assets.py`, `checks.py`, `sensors.py`, `partitions.py` and `resources.py`
hold the pieces; `launch.py` starts the UI (`scribe-lakehouse ui`).
"""
