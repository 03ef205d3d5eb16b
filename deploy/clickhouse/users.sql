-- tend's ClickHouse users, for current ClickHouse (22.x and later: SQL access control).
-- (ClickHouse 18.16 has no CREATE USER: scripts/clickhouse writes the same users into
-- users.xml instead; see the README, "Running it beyond one machine".)
--
-- Run it as an administrator (a user with access_management = 1), after replacing the
-- placeholder with the SHA-256 (hex) of the writer's password, e.g.
--
--   head -c 32 /dev/urandom | base64 | tr -dc A-Za-z0-9 > tend.password
--   sed -e "s/@TEND_PASSWORD_SHA256@/$(tr -d '\n' < tend.password | sha256sum | cut -d' ' -f1)/" \
--       deploy/clickhouse/users.sql | clickhouse-client --multiquery
--
-- then deploy/clickhouse/clinic.sql once per clinic: its database and its Grafana
-- organization's reader. Only hashes reach the server and its logs; tend reads its
-- password from TEND_CLICKHOUSE_PASSWORD_FILE.
-- Keep the `default` user disabled or passworded (design principle 8): no passwordless user.

CREATE DATABASE IF NOT EXISTS tend;
CREATE DATABASE IF NOT EXISTS tend_reporting;

-- Grafana's readers (one per clinic, clinic.sql). readonly = 1 (no writes, no DDL, no table functions, no settings
-- changes), and each limit a constraint its user cannot lift: READONLY, except
-- max_execution_time, which Grafana's ClickHouse plugin sends with every query
-- (clickhouse-go sends the time left before the query's deadline plus 5 s; tend
-- provisions the datasource with queryTimeout 30, so at most 35): changeable in
-- readonly mode up to MAX 35, never to 0 (no limit).
CREATE SETTINGS PROFILE OR REPLACE tend_reporting_reader SETTINGS
    readonly = 1 READONLY,
    max_execution_time = 30 MIN 1 MAX 35 CHANGEABLE_IN_READONLY,
    max_memory_usage = 1000000000 READONLY,
    max_result_rows = 1000000 READONLY,
    max_rows_to_read = 100000000 READONLY,
    max_concurrent_queries_for_user = 8 READONLY;

-- Every clinic's reader is granted this role (clinic.sql): the quota, per reader.
CREATE ROLE IF NOT EXISTS tend_reporting_reader;

CREATE QUOTA OR REPLACE tend_reporting_reader_quota
    KEYED BY user_name
    FOR INTERVAL 1 minute MAX queries = 600, result_rows = 10000000, read_rows = 1000000000, execution_time = 120
    TO tend_reporting_reader;

-- tend's writer: the private and the reporting database. It creates and migrates
-- them (tend migrate, tend up), inserts check-ins, publishes aggregates, and erases
-- (ALTER … DELETE, then waits on system.mutations, readable for its own databases).
CREATE USER OR REPLACE tend
    IDENTIFIED WITH sha256_hash BY '@TEND_PASSWORD_SHA256@'
    DEFAULT DATABASE tend;

GRANT CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, ALTER, OPTIMIZE,
      SELECT, INSERT, TRUNCATE, SHOW TABLES, SHOW COLUMNS ON tend.* TO tend;
GRANT CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, ALTER, OPTIMIZE,
      SELECT, INSERT, TRUNCATE, SHOW TABLES, SHOW COLUMNS ON tend_reporting.* TO tend;
