# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 09 · Build Gold
# Rebuilds `gold.encounter_summary` (one row per encounter, contract 1.1.0) in Spark when Silver moved,
# MERGEs only changed rows, and writes `gold/_metadata/corpus_manifest.json`.

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""
FORCE = False  # rebuild even when Silver has not moved

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

from scribe_lakehouse.spark import fabric, pipeline

eng = fabric.notebook_engine(spark, root=ROOT or None)

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

result = pipeline.gold(eng, force=FORCE)
print(f"Gold {'rebuilt' if result.changed else 'unchanged'}: {result.row_count} rows "
      f"(+{result.inserted} ~{result.updated} -{result.deleted}), version {result.version}")
if result.stats is not None:
    for name, value in vars(result.stats).items():
        print(f"  {name:32} {value}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
