-- One clinic, for current ClickHouse: its reporting database and the ClickHouse user of
-- its Grafana organization, which reads that clinic's published figures and nothing else.
-- (ClickHouse 18.16: scripts/clickhouse writes the same reader into users.xml for each
-- clinic of TEND_CLINICS.)
--
-- Run it as an administrator after deploy/clickhouse/users.sql, once per clinic, with
-- @CLINIC@ the clinic's name, @CLINIC_ID@ the same with '-' replaced by '_', and
-- @READER_PASSWORD_SHA256@ the SHA-256 (hex) of the reader's password, e.g.
--
--   c=northside; id=${c//-/_}
--   head -c 32 /dev/urandom | base64 | tr -dc A-Za-z0-9 > grafana_$id.password
--   sed -e "s/@CLINIC@/$c/g" -e "s/@CLINIC_ID@/$id/g" \
--       -e "s/@READER_PASSWORD_SHA256@/$(tr -d '\n' < grafana_$id.password | sha256sum | cut -d' ' -f1)/" \
--       deploy/clickhouse/clinic.sql | clickhouse-client --multiquery
--
-- then `tend migrate --clinics …` (listing every clinic) fills the database and keeps it
-- fed, and `tend dashboards provision` gives the reader's password to the clinic's
-- Grafana organization.

CREATE DATABASE IF NOT EXISTS tend_reporting_@CLINIC_ID@;

-- The writer copies the clinic's rows into its database (materialized views it creates in
-- the private database; tend migrate).
GRANT CREATE DATABASE, CREATE TABLE, DROP TABLE, ALTER, SELECT, INSERT, TRUNCATE, SHOW TABLES, SHOW COLUMNS
    ON tend_reporting_@CLINIC_ID@.* TO tend;

CREATE USER OR REPLACE grafana_@CLINIC_ID@
    IDENTIFIED WITH sha256_hash BY '@READER_PASSWORD_SHA256@'
    SETTINGS PROFILE tend_reporting_reader
    DEFAULT DATABASE tend_reporting_@CLINIC_ID@;

GRANT tend_reporting_reader TO grafana_@CLINIC_ID@;

-- Reads its clinic's database, nothing else: no URL, REMOTE, FILE or other source grants
-- (so no table function reaches anything), no SHOW PROCESSLIST (a user then sees only its
-- own running queries), no dictionaries, no system log tables.
GRANT SELECT ON tend_reporting_@CLINIC_ID@.* TO grafana_@CLINIC_ID@;

-- And within it the clinic's rows only, should anything else ever be copied there.
CREATE ROW POLICY OR REPLACE tend_clinic_only ON tend_reporting_@CLINIC_ID@.team_periods
    FOR SELECT USING clinic = '@CLINIC@' TO grafana_@CLINIC_ID@;
CREATE ROW POLICY OR REPLACE tend_clinic_only ON tend_reporting_@CLINIC_ID@.alerts
    FOR SELECT USING clinic = '@CLINIC@' TO grafana_@CLINIC_ID@;
CREATE ROW POLICY OR REPLACE tend_clinic_only ON tend_reporting_@CLINIC_ID@.open_periods
    FOR SELECT USING clinic = '@CLINIC@' TO grafana_@CLINIC_ID@;
CREATE ROW POLICY OR REPLACE tend_clinic_only ON tend_reporting_@CLINIC_ID@.late_checkins
    FOR SELECT USING clinic = '@CLINIC@' TO grafana_@CLINIC_ID@;
