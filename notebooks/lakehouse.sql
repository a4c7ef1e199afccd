-- scribe-lakehouse: exploring the lakehouse with DuckDB (read-only).
--
-- Cells start with a `-- %% [NN] title` line; run them one by one in the DuckDB UI or CLI, or the whole
-- file with `.read notebooks/lakehouse.sql`. Every query reads the Delta tables in place through the
-- `delta` extension; nothing is written to the lakehouse. See notebooks/README.md for setting it up
-- (offline: duckdb==1.5.5 + duckdb-extension-delta==1.5.5; online: INSTALL delta).
--
-- The lakehouse root defaults to ./lakehouse (what `make demo` writes). For another root, run this
-- first:  SET VARIABLE lakehouse_root = '/path/to/lakehouse';

-- %% [00] Setup: the delta extension, UTC, and one view per table
LOAD delta;
SET TimeZone = 'UTC';
SET VARIABLE lakehouse_root = coalesce(getvariable('lakehouse_root'), './lakehouse');
CREATE OR REPLACE VIEW patient AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/patient');
CREATE OR REPLACE VIEW encounter AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/encounter');
CREATE OR REPLACE VIEW condition AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/condition');
CREATE OR REPLACE VIEW observation AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/observation');
CREATE OR REPLACE VIEW medication_request AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/medication_request');
CREATE OR REPLACE VIEW procedure AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/procedure');
CREATE OR REPLACE VIEW soap_note AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/soap_note');
CREATE OR REPLACE VIEW ecg_metadata AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/ecg_metadata');
CREATE OR REPLACE VIEW imaging_study AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/imaging_study');
CREATE OR REPLACE VIEW genomic_report AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/genomic_report');
CREATE OR REPLACE VIEW ingest_log AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/ingest_log');
CREATE OR REPLACE VIEW quarantine AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/quarantine');
CREATE OR REPLACE VIEW processed_files AS FROM delta_scan(getvariable('lakehouse_root') || '/silver/processed_files');
CREATE OR REPLACE VIEW encounter_summary AS FROM delta_scan(getvariable('lakehouse_root') || '/gold/encounter_summary');
CREATE OR REPLACE VIEW corpus_manifest AS FROM read_json(getvariable('lakehouse_root') || '/gold/_metadata/corpus_manifest.json');
CREATE OR REPLACE VIEW bronze_manifest AS
    SELECT unnest(files, recursive := true)
    FROM read_json(getvariable('lakehouse_root') || '/bronze/_metadata/manifest.json', maximum_object_size := 1073741824);
SELECT getvariable('lakehouse_root') AS lakehouse_root, count(*) AS gold_rows FROM encounter_summary;

-- %% [01] Corpus headline counts (Gold), beside what the corpus manifest says
SELECT
    count(*) AS encounters,
    count(DISTINCT patient_id) AS patients,
    count(soap_note_id) AS with_soap_note,
    count(*) FILTER (WHERE recent_labs IS NOT NULL AND len(recent_labs) > 0) AS with_labs,
    count(*) FILTER (WHERE has_ecg) AS with_ecg,
    count(*) FILTER (WHERE imaging.has_imaging) AS with_imaging,
    count(*) FILTER (WHERE has_genomics) AS with_genomics,
    round(avg(len(active_conditions)), 3) AS avg_conditions,
    (SELECT corpus_stats.encounters FROM corpus_manifest) AS manifest_encounters,
    (SELECT contract_version FROM corpus_manifest) AS contract_version
FROM encounter_summary;

-- %% [02] Schema of the Gold corpus (contract columns, in order)
DESCRIBE encounter_summary;

-- %% [03] Rows per table, Bronze to Gold
SELECT 'bronze fhir files' AS what, count(*) AS row_count FROM bronze_manifest WHERE kind = 'fhir'
UNION ALL SELECT 'silver.patient', count(*) FROM patient
UNION ALL SELECT 'silver.encounter', count(*) FROM encounter
UNION ALL SELECT 'silver.condition', count(*) FROM condition
UNION ALL SELECT 'silver.observation', count(*) FROM observation
UNION ALL SELECT 'silver.medication_request', count(*) FROM medication_request
UNION ALL SELECT 'silver.procedure', count(*) FROM procedure
UNION ALL SELECT 'silver.soap_note', count(*) FROM soap_note
UNION ALL SELECT 'silver.ecg_metadata', count(*) FROM ecg_metadata
UNION ALL SELECT 'silver.imaging_study', count(*) FROM imaging_study
UNION ALL SELECT 'silver.genomic_report', count(*) FROM genomic_report
UNION ALL SELECT 'gold.encounter_summary', count(*) FROM encounter_summary;

-- %% [04] Bronze: landed files by kind and cohort (from the sha256 manifest)
SELECT kind, coalesce(cohort, '-') AS cohort, count(*) AS files, round(sum(bytes) / 1e6, 1) AS mb,
       min(landed_at) AS first_landed, max(landed_at) AS last_landed
FROM bronze_manifest
GROUP BY ALL
ORDER BY kind, cohort;

-- %% [05] Top encounter types (with their FHIR class)
SELECT type_display, class_code, count(*) AS encounters, count(DISTINCT patient_id) AS patients
FROM encounter
GROUP BY ALL
ORDER BY encounters DESC, type_display
LIMIT 15;

-- %% [06] Demographics: patients by gender, race and ethnicity
SELECT gender, race, ethnicity, count(*) AS patients,
       count(*) FILTER (WHERE deceased) AS deceased
FROM patient
GROUP BY ALL
ORDER BY patients DESC, gender, race;

-- %% [07] Age at the latest encounter, in 10-year bands, by gender
WITH latest AS (
    SELECT patient_id, patient_gender, arg_max(patient_age, encounter_date) AS age
    FROM encounter_summary
    GROUP BY ALL
)
SELECT (age // 10) * 10 AS age_band, patient_gender, count(*) AS patients
FROM latest
WHERE age IS NOT NULL
GROUP BY ALL
ORDER BY age_band, patient_gender;

-- %% [08] Top active conditions (encounters where active, distinct patients)
SELECT condition, count(*) AS encounters, count(DISTINCT patient_id) AS patients
FROM (SELECT patient_id, unnest(active_conditions) AS condition FROM encounter_summary)
GROUP BY ALL
ORDER BY encounters DESC, condition
LIMIT 15;

-- %% [09] Top active medications (encounters where active, distinct patients)
SELECT medication, count(*) AS encounters, count(DISTINCT patient_id) AS patients
FROM (SELECT patient_id, unnest(active_medications) AS medication FROM encounter_summary)
GROUP BY ALL
ORDER BY encounters DESC, medication
LIMIT 15;

-- %% [10] Encounters per year
SELECT year(encounter_date) AS year, count(*) AS encounters, count(DISTINCT patient_id) AS patients,
       bar(count(*), 0, max(count(*)) OVER (), 30) AS chart
FROM encounter_summary
WHERE encounter_date IS NOT NULL
GROUP BY ALL
ORDER BY year;

-- %% [11] Condition load: encounters by number of active conditions
SELECT CASE
           WHEN len(active_conditions) = 0 THEN '0'
           WHEN len(active_conditions) <= 2 THEN '1-2'
           WHEN len(active_conditions) <= 5 THEN '3-5'
           WHEN len(active_conditions) <= 10 THEN '6-10'
           ELSE '11+'
       END AS active_conditions,
       count(*) AS encounters,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
FROM encounter_summary
GROUP BY ALL
ORDER BY min(len(active_conditions));

-- %% [12] Heart rate at the encounter: a text histogram in 10 bpm bins
SELECT floor(recent_vitals.heart_rate / 10)::INT * 10 AS bpm_from, count(*) AS encounters,
       bar(count(*), 0, max(count(*)) OVER (), 40) AS chart
FROM encounter_summary
WHERE recent_vitals.heart_rate IS NOT NULL
GROUP BY ALL
ORDER BY bpm_from;

-- %% [13] Vitals percentiles (p5, median, p95) over the encounters that recorded them
SELECT vital, count(*) AS encounters,
       round(quantile_cont(value, 0.05), 1) AS p05,
       round(median(value), 1) AS median,
       round(quantile_cont(value, 0.95), 1) AS p95
FROM (
    UNPIVOT (
        SELECT recent_vitals.heart_rate, recent_vitals.bp_systolic, recent_vitals.bp_diastolic,
               recent_vitals.temperature, recent_vitals.o2_saturation
        FROM encounter_summary
    ) ON heart_rate, bp_systolic, bp_diastolic, temperature, o2_saturation INTO NAME vital VALUE value
)
GROUP BY vital
ORDER BY vital;

-- %% [14] Labs: the most frequent laboratory results at encounters, with their median value
SELECT lab.name, lab.unit, count(*) AS results, round(median(lab.value), 2) AS median_value
FROM (SELECT unnest(recent_labs) AS lab FROM encounter_summary)
GROUP BY ALL
ORDER BY results DESC, lab.name
LIMIT 15;

-- %% [15] Imaging: modality x body site, and how many studies were enriched from a DICOM header
SELECT modality, body_site_display, count(*) AS studies,
       count(*) FILTER (WHERE dicom_extracted) AS with_dicom_header,
       any_value(slice_thickness_mm) FILTER (WHERE dicom_extracted) AS slice_thickness_mm
FROM imaging_study
GROUP BY ALL
ORDER BY studies DESC, modality, body_site_display;

-- %% [16] ECG reports: rhythm and heart rate
SELECT rhythm, count(*) AS reports, round(avg(heart_rate_bpm), 1) AS avg_heart_rate_bpm,
       count(*) FILTER (WHERE has_waveform) AS with_waveform
FROM ecg_metadata
GROUP BY ALL
ORDER BY reports DESC, rhythm;

-- %% [17] Genomic reports (synthetic inheritance, not clinical variants)
-- may be empty: small corpora can hold no genomic report
SELECT gene_panel_name, has_pathogenic_variant, family_history_flag, count(*) AS reports,
       any_value(data_limitation) AS data_limitation
FROM genomic_report
GROUP BY ALL
ORDER BY reports DESC;

-- %% [18] One patient's timeline (the patient with the most encounters; set patient_id to pick another)
SET VARIABLE patient_id = (
    SELECT patient_id FROM encounter_summary GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1
);
SELECT * FROM (
    SELECT start_date AS event_time, 'encounter' AS kind, type_display AS what FROM encounter
        WHERE patient_id = getvariable('patient_id')
    UNION ALL SELECT onset_date, 'condition onset', display FROM condition
        WHERE patient_id = getvariable('patient_id')
    UNION ALL SELECT abatement_date, 'condition resolved', display FROM condition
        WHERE patient_id = getvariable('patient_id') AND abatement_date IS NOT NULL
    UNION ALL SELECT authored_on, 'medication ' || status, display FROM medication_request
        WHERE patient_id = getvariable('patient_id')
    UNION ALL SELECT performed_start, 'procedure', display FROM procedure
        WHERE patient_id = getvariable('patient_id')
    UNION ALL SELECT started_date, 'imaging', modality || ' ' || coalesce(body_site_display, '') FROM imaging_study
        WHERE patient_id = getvariable('patient_id')
    UNION ALL SELECT report_date, 'ECG', conclusion FROM ecg_metadata
        WHERE patient_id = getvariable('patient_id')
)
ORDER BY event_time, kind, what
LIMIT 80;

-- %% [19] As-of-date condition growth: conditions active at the end of each year, corpus-wide
WITH bounds AS (
    SELECT min(year(onset_date)) AS first_year, max(year(onset_date)) AS last_year FROM condition
),
years AS (SELECT unnest(range(first_year, last_year + 1)) AS year FROM bounds)
SELECT year,
       count(c.condition_id) AS active_conditions,
       count(DISTINCT c.patient_id) AS patients_with_any
FROM years
LEFT JOIN condition AS c
    ON c.onset_date < make_timestamptz(year + 1, 1, 1, 0, 0, 0, 'UTC')
   AND (c.abatement_date IS NULL OR c.abatement_date >= make_timestamptz(year + 1, 1, 1, 0, 0, 0, 'UTC'))
GROUP BY year
ORDER BY year;

-- %% [20] A full SOAP note: the latest note of the timeline's patient (tip: `.mode line` in the CLI)
SELECT encounter_date, encounter_type, patient_age, patient_gender, soap_note_text
FROM encounter_summary
WHERE patient_id = getvariable('patient_id') AND soap_note_text IS NOT NULL
ORDER BY encounter_date DESC, summary_id
LIMIT 1;

-- %% [21] SOAP sections: how many notes carry S, O, A and P, and how long they are
SELECT count(*) AS notes,
       round(100.0 * avg(has_subjective::INT), 1) AS pct_subjective,
       round(100.0 * avg(has_objective::INT), 1) AS pct_objective,
       round(100.0 * avg(has_assessment::INT), 1) AS pct_assessment,
       round(100.0 * avg(has_plan::INT), 1) AS pct_plan,
       round(avg(char_count)) AS avg_chars,
       round(avg(word_count)) AS avg_words
FROM soap_note;

-- %% [22] Keyword cohort search: patients whose notes mention a term (set keyword to search another)
SET VARIABLE keyword = 'hypertension';
SELECT patient_id, patient_gender, count(*) AS notes_mentioning,
       min(encounter_date) AS first_mention, max(encounter_date) AS last_mention,
       arg_max(active_conditions, encounter_date) AS active_conditions_at_last_mention
FROM encounter_summary
WHERE soap_note_text ILIKE '%' || getvariable('keyword') || '%'
GROUP BY ALL
ORDER BY notes_mentioning DESC, patient_id;

-- %% [23] Coverage by encounter type: share of encounters with a note, vitals, labs, procedures
SELECT encounter_type, count(*) AS encounters,
       round(100.0 * count(soap_note_id) / count(*), 1) AS pct_note,
       round(100.0 * count(*) FILTER (WHERE recent_vitals.heart_rate IS NOT NULL
                                       OR recent_vitals.bp_systolic IS NOT NULL) / count(*), 1) AS pct_vitals,
       round(100.0 * count(*) FILTER (WHERE len(recent_labs) > 0) / count(*), 1) AS pct_labs,
       round(100.0 * count(*) FILTER (WHERE len(procedures) > 0) / count(*), 1) AS pct_procedures
FROM encounter_summary
GROUP BY ALL
ORDER BY encounters DESC, encounter_type
LIMIT 15;

-- %% [24] Lineage: the Silver versions Gold rows were built from, against the manifest's current ones
WITH current AS (
    SELECT s.table AS silver_table, s.delta_version AS manifest_version, s.row_count AS manifest_rows
    FROM (SELECT unnest(silver_sources) AS s FROM corpus_manifest)
),
built AS (
    SELECT silver_table, built_from_version, count(*) AS gold_rows
    FROM (
        UNPIVOT (SELECT silver_versions.* FROM encounter_summary)
        ON COLUMNS(*) INTO NAME silver_table VALUE built_from_version
    )
    GROUP BY ALL
)
SELECT silver_table, built_from_version, gold_rows, manifest_version, manifest_rows
FROM built JOIN current USING (silver_table)
ORDER BY silver_table, built_from_version;

-- %% [25] Validation: the latest result of every Silver table (from ingest_log)
SELECT "table", row_count, passed, failed_checks, resources_seen, rows_written, rows_quarantined,
       duplicates_collapsed, ingest_timestamp
FROM ingest_log
QUALIFY row_number() OVER (PARTITION BY "table" ORDER BY ingest_timestamp DESC) = 1
ORDER BY "table";

-- %% [26] Validation rule by rule, for the latest run
SELECT "table", unnest(from_json(detail_json,
           '[{"rule": "VARCHAR", "passed": "BOOLEAN", "observed": "VARCHAR", "expected": "VARCHAR"}]'),
       recursive := true)
FROM ingest_log
WHERE run_id = (SELECT arg_max(run_id, ingest_timestamp) FROM ingest_log)
ORDER BY "table";

-- %% [27] Counts reconcile: resources seen = rows written + quarantined + duplicates, per run and table
SELECT run_id, "table", resources_seen, rows_written, rows_quarantined, duplicates_collapsed,
       resources_seen = rows_written + rows_quarantined + duplicates_collapsed AS reconciles
FROM ingest_log
WHERE resources_seen IS NOT NULL
ORDER BY ingest_timestamp, "table";

-- %% [28] Quarantine: rejected files and resources by reason (detail names the field, never a value)
-- may be empty: a clean corpus quarantines nothing
SELECT reason, resource_type, count(*) AS rejected, any_value(detail) AS example_detail
FROM quarantine
GROUP BY ALL
ORDER BY rejected DESC, reason;

-- %% [29] Processed files: what each run parsed into Silver, by cohort
SELECT cohort, run_id, count(*) AS files, min(ingest_timestamp) AS parsed_at
FROM processed_files
GROUP BY ALL
ORDER BY parsed_at, cohort;
