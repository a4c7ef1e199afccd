# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 06 · Silver: notes, ECG and genomic reports
# Decoded clinical notes with SOAP section flags; ECG reports; genomic reports (negation-aware).
# MERGE INTO each Delta table, cohort by cohort, only new or changed rows (a re-run over unchanged
# Bronze writes no new version). Needs notebook 02 first; does nothing when nothing is staged.

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

TABLES = ('soap_note', 'ecg_metadata', 'genomic_report')
counts = pipeline.merge_silver(eng, TABLES)
for table in TABLES:
    print(table, {name: per_table.get(table, 0) for name, per_table in counts.items()})

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
