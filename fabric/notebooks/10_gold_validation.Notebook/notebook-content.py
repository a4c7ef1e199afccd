# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 10 · Gold validation
# The contract gates a corpus consumer relies on: the schema equals contract 1.1.0, one row per Silver
# encounter, `summary_id` unique and stable, required fields present, every row valid against
# `schemas/gold_encounter_summary.json` (checked on the executors), and a current corpus manifest.
# Fails the notebook when a gate fails; its exit value is the gate summary (JSON).

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""

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

import json

from scribe_lakehouse.spark.gates import contract_gates

gates = contract_gates(eng)
for g in gates:
    print(f"{'pass' if g.passed else 'FAIL':4}  {g.name:26} {g.observed}  (expected {g.expected})")
failed = [g.name for g in gates if not g.passed]
if failed:
    raise RuntimeError(f"Gold contract gates failed: {', '.join(failed)}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

fabric.exit_notebook(json.dumps({"passed": True, "gates": [g.name for g in gates]}))

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
