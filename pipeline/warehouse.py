"""DuckDB helpers: short connections, tables from polars frames, `sql/` files, quarantine, publishing.

DuckDB allows one writer per file, so every helper takes an open connection that the caller holds
only for the duration of one step, and people read a published copy, never the working file.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import polars as pl

from pipeline.export import TMP_PREFIX
from pipeline.paths import SQL_DIR
from pipeline.quarantine import QUARANTINE_SCHEMA

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Tables a query reads: `from schema.table` / `join schema.table`.
_TABLE_REFERENCE = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")
PUBLISHED_MAIN_VIEWS = ("marts", "ops", "core", "costs")
# The published copy is written in the storage format the DuckDB shell installed beside the project
# (`duckdb-cli` in requirements.in) can read: the shell on PyPI trails the Python package, and a file in a newer
# format is refused by it ("Trying to read a database file with version number ...").
PUBLISHED_STORAGE_VERSION = "v1.5.0"  # their tables are also exposed unqualified in the published copy
BUILDING_SUFFIX = "__building"  # a table being built a slice at a time (write_table_in_slices)


def _ident(name: str) -> str:
    # Identifiers come from code and sql/ file names, never from input; check anyway.
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return name


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute one statement and drain its result (DuckDB 2 refuses new work while a result is pending)."""
    return con.execute(sql, params or []).fetchall()


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Run every `sql/macros/*.sql` (scalar helpers the staging and mart queries use)."""
    for path in sorted((SQL_DIR / "macros").glob("*.sql")):
        run(con, path.read_text())


@contextmanager
def connect(path: Path | str, read_only: bool = False, config: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=config or {})
    try:
        if not read_only:
            install_macros(con)
        yield con
    finally:
        con.close()


def write_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame) -> int:
    """Replace `schema.table` with `frame` (empty frames keep their columns) and return its row count."""
    run(con, f"create schema if not exists {_ident(schema)}")
    # Arrow's string views are polars's own layout: no copy of every string on the way to DuckDB. One chunk per
    # column first: the chunks a lazy plan leaves share their string buffers, and DuckDB took twice as long over them.
    con.register("__ledger_frame", frame.rechunk().to_arrow(compat_level=pl.CompatLevel.newest()))
    try:
        run(con, f"create or replace table {_ident(schema)}.{_ident(table)} as select * from __ledger_frame")
    finally:
        con.unregister("__ledger_frame")
    return frame.height


def write_table_in_slices(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, first: pl.DataFrame, rest: Iterable[pl.DataFrame]
) -> int:
    """Replace `schema.table` with `first` and then every frame of `rest`: a large table built a slice at a time,
    so only one slice is in memory. The slices go to a building table, committed as they come (one transaction
    over them all would hold every slice in memory until the end), which then replaces the table in one
    transaction: a failure leaves the previous table whole."""
    building = f"{_ident(table)}{BUILDING_SUFFIX}"
    try:
        rows = write_table(con, schema, building, first)
        for frame in rest:
            if frame.height:
                _insert(con, schema, building, frame)
                rows += frame.height
    except Exception:
        run(con, f"drop table if exists {_ident(schema)}.{building}")
        raise
    run(con, "begin transaction")
    try:
        run(con, f"drop table if exists {_ident(schema)}.{_ident(table)}")
        run(con, f"alter table {_ident(schema)}.{building} rename to {_ident(table)}")
        run(con, "commit")
    except Exception:
        run(con, "rollback")
        raise
    return rows


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    # duckdb_tables() reads the catalogue; information_schema builds a view over every object first
    return (
        con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]).fetchall()[0][0] > 0
    )


def _insert(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame) -> None:
    con.register("__ledger_rows", frame.rechunk().to_arrow(compat_level=pl.CompatLevel.newest()))
    try:
        _add_missing_columns(con, schema, table)
        run(con, f"insert into {_ident(schema)}.{_ident(table)} by name select * from __ledger_rows")
    finally:
        con.unregister("__ledger_rows")


def _add_missing_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """A table kept across runs (raw, validated, ops) gains the columns a newer version of the code writes, so an
    upgraded checkout runs on the working database an earlier one left; older rows read null there."""
    have = {name for name, _ in column_types(con, schema, table)}
    for name, dtype, *_ in con.execute("describe select * from __ledger_rows").fetchall():
        if name not in have:
            run(con, f"alter table {_ident(schema)}.{_ident(table)} add column {_ident(name)} {dtype}")


def replace_source_rows(con: duckdb.DuckDBPyConnection, schema: str, table: str, source_name: str, frame: pl.DataFrame) -> int:
    """Make `schema.table` hold exactly `frame` for one source (idempotent: a re-run replaces, never duplicates)."""
    if not table_exists(con, schema, table):
        write_table(con, schema, table, frame.clear())
    run(con, "begin transaction")
    try:
        run(con, f"delete from {_ident(schema)}.{_ident(table)} where source_name = ?", [source_name])
        _insert(con, schema, table, frame)
        run(con, "commit")
    except Exception:
        run(con, "rollback")
        raise
    return frame.height


SCORE_KEY = ("model_name", "benchmark", "metric", "source")


def record_score_changes(con: duckdb.DuckDBPyConnection, source_name: str, new_rows: pl.DataFrame, version: str) -> int:
    """Append to `ops.score_history` every score of this source that appeared, changed or disappeared
    since its last load (keyed by model, benchmark, metric and source). Returns the number of changes."""
    run(con, "create schema if not exists ops")
    run(
        con,
        """create table if not exists ops.score_history (
        source_name varchar, model_name varchar, benchmark varchar, metric varchar, source varchar,
        change varchar, old_score_pct double, new_score_pct double, changed_at timestamptz, data_version varchar)""",
    )
    previous = (
        "select * from raw.benchmark_results where source_name = ?"
        if table_exists(con, "raw", "benchmark_results")
        else "select * from (select null::varchar as source_name, null::varchar as model_name, null::varchar as benchmark, "
        "null::varchar as metric, null::varchar as source, null::double as score_pct) where source_name = ?"
    )
    key = " and ".join(f"o.{c} is not distinct from n.{c}" for c in SCORE_KEY)
    con.register("__ledger_new_scores", new_rows.select(*SCORE_KEY, "score_pct").to_arrow())
    try:
        changes = run(
            con,
            f"""
            insert into ops.score_history
            select ?, coalesce(n.model_name, o.model_name), coalesce(n.benchmark, o.benchmark), coalesce(n.metric, o.metric),
                   coalesce(n.source, o.source),
                   case when o.model_name is null and o.benchmark is null then 'added'
                        when n.model_name is null and n.benchmark is null then 'removed' else 'changed' end,
                   o.score_pct, n.score_pct, now(), ?
            from ({previous}) as o
            full outer join (select distinct * from __ledger_new_scores) as n on {key}
            where o.score_pct is distinct from n.score_pct
               or (o.model_name is null and o.benchmark is null) or (n.model_name is null and n.benchmark is null)
            returning 1""",
            [source_name, version, source_name],
        )
    finally:
        con.unregister("__ledger_new_scores")
    return len(changes)


def append_rows(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame) -> int:
    if not table_exists(con, schema, table):
        run(con, f"create schema if not exists {_ident(schema)}")
        write_table(con, schema, table, frame.clear())
    if frame.height:
        _insert(con, schema, table, frame)
    return frame.height


def content_version(*frames: pl.DataFrame) -> str:
    """A fingerprint of the frames' columns and rows, in order: the same data gives the same version, so a
    re-materialised table that did not change triggers nothing downstream."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(repr(frame.schema).encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()[:16]


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str] | None = None) -> pl.DataFrame:
    selected = ", ".join(_ident(c) for c in columns) if columns else "*"
    return con.sql(f"select {selected} from {_ident(schema)}.{_ident(table)}").pl()


def sql_path(layer: str, name: str) -> Path:
    return SQL_DIR / _ident(layer) / f"{_ident(name)}.sql"


def referenced_tables(sql: str) -> list[tuple[str, str]]:
    """The (schema, table) pairs a query reads, in order of first mention."""
    seen: dict[tuple[str, str], None] = {}
    for schema, table in _TABLE_REFERENCE.findall(sql.lower()):
        seen.setdefault((schema, table), None)
    return list(seen)


def build_from_sql(con: duckdb.DuckDBPyConnection, layer: str, name: str, materialize: str = "view") -> int:
    """Create `layer.name` from `sql/<layer>/<name>.sql` as a view or table; return its row count."""
    query = sql_path(layer, name).read_text()
    kind = {"view": "view", "table": "table"}[materialize]
    run(con, f"create schema if not exists {_ident(layer)}")
    run(con, f"create or replace {kind} {_ident(layer)}.{_ident(name)} as {query}")
    return con.execute(f"select count(*) from {_ident(layer)}.{_ident(name)}").fetchall()[0][0]


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    # `describe` reads the catalogue entry; information_schema scans every column of every table.
    return [(row[0], row[1]) for row in con.execute(f"describe {_ident(schema)}.{_ident(table)}").fetchall()]


def row_count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return con.execute(f"select count(*) from {_ident(schema)}.{_ident(table)}").fetchall()[0][0]


def head(con: duckdb.DuckDBPyConnection, schema: str, table: str, rows: int, columns: list[str] | None = None) -> pl.DataFrame:
    selected = ", ".join(_ident(c) for c in columns) if columns else "*"
    return con.sql(f"select {selected} from {_ident(schema)}.{_ident(table)} limit {int(rows)}").pl()


def replace_quarantine(con: duckdb.DuckDBPyConnection, source_name: str, rows: pl.DataFrame) -> int:
    """Make `ops.quarantine` hold exactly `rows` for this source, keeping when each was first seen."""
    run(con, "create schema if not exists ops")
    columns = ", ".join(f"{name} varchar" for name in QUARANTINE_SCHEMA)
    run(con, f"create table if not exists ops.quarantine ({columns}, first_seen timestamptz, last_seen timestamptz)")
    con.register("__ledger_rejects", rows.select(list(QUARANTINE_SCHEMA)).unique(maintain_order=True).to_arrow())
    try:
        run(
            con,
            """
            create or replace temp table __ledger_quarantine_new as
            select r.*, coalesce(q.first_seen, now()) as first_seen, now() as last_seen
            from __ledger_rejects r
            left join ops.quarantine q
              on q.source_name = r.source_name and q.record_id = r.record_id
             and q.check_name = r.check_name and q.reason = r.reason
        """,
        )
        run(con, "delete from ops.quarantine where source_name = ?", [source_name])
        run(con, "insert into ops.quarantine select * from __ledger_quarantine_new")
        run(con, "drop table __ledger_quarantine_new")
    finally:
        con.unregister("__ledger_rejects")
    return rows.height


def publish(working_db: Path, published_db: Path) -> dict[str, int]:
    """Copy every table and view of the working database into a new file and swap it in atomically.

    Readers holding the old file open keep reading the old inode; nobody ever sees a half-written
    database, and a crash before `os.replace` leaves the previous copy untouched.
    """
    published_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_db.with_name(f"{TMP_PREFIX}{published_db.name}.{uuid.uuid4().hex}")
    counts: dict[str, int] = {}
    try:
        with connect(tmp, config={"storage_compatibility_version": PUBLISHED_STORAGE_VERSION}) as con:
            run(con, f"attach '{str(working_db).replace(chr(39), chr(39) * 2)}' as work (read_only)")
            relations = con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'work' and table_schema not in ('information_schema', 'pg_catalog') "
                f"and not ends_with(table_name, '{BUILDING_SUFFIX}') "  # a slice-built table a killed step left
                "order by 1, 2"
            ).fetchall()
            for schema, table in relations:
                run(con, f"create schema if not exists {_ident(schema)}")
                run(con, f"create table {_ident(schema)}.{_ident(table)} as select * from work.{_ident(schema)}.{_ident(table)}")
                counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
            run(con, "detach work")
            for schema, table in relations:
                if schema in PUBLISHED_MAIN_VIEWS:
                    run(con, f"create or replace view main.{_ident(table)} as select * from {schema}.{table}")
            run(con, "checkpoint")
        os.replace(tmp, published_db)
        # A write-ahead log beside the published name belongs to the file just replaced (a session that opened it
        # read-write and wrote); left there, DuckDB would try to replay it into the new copy and refuse to open it.
        Path(f"{published_db}.wal").unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return counts
