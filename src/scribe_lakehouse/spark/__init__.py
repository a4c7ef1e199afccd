"""The Spark engine: the same Silver and Gold as the local engine, on Spark (Sail locally, Fabric,
Databricks or any Spark 3.5+ cluster). Never imports deltalake or polars."""
