"""Resources: where inputs and outputs live, and the working DuckDB database."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipeline.catalogue import catalogue_path
from pipeline.paths import default_data_dir, default_out_dir, default_state_dir


class LedgerPaths(dg.ConfigurableResource):
    """Folders of the embedded inputs (`data/`), the published outputs (`out/`) and the working state."""

    data_dir: str
    out_dir: str
    state_dir: str
    sources_file: str

    def catalogue(self):
        from pipeline.catalogue import load_catalogue

        return load_catalogue(Path(self.sources_file))

    @property
    def data(self) -> Path:
        return Path(self.data_dir)

    @property
    def out(self) -> Path:
        return Path(self.out_dir)

    @property
    def working_db(self) -> Path:
        return Path(self.state_dir) / "warehouse.duckdb"

    @property
    def published_db(self) -> Path:
        return self.out / "warehouse.duckdb"

    @property
    def release(self) -> Path:
        """Where the output assets build out/'s tables, charts and report; the publish step copies them into
        out/ together with the warehouse, so a run that fails before it leaves out/ as it was."""
        return Path(self.state_dir) / "release"

    @property
    def archive_dir(self) -> Path:
        """Dated snapshots of every source: <archive>/<source>/<YYYY-MM-DD>/ (pipeline/history.py)."""
        return Path(os.environ.get("LEDGER_ARCHIVE_DIR") or Path(self.state_dir) / "archive")

    @property
    def landing_dir(self) -> Path:
        return Path(self.state_dir) / "landing"

    @property
    def cache_dir(self) -> Path:
        """Derived files worth keeping between runs (the chart pages' Vega bundle)."""
        return Path(self.state_dir) / "cache"

    @property
    def snapshots_dir(self) -> Path:
        return Path(self.state_dir) / "snapshots"


LOCK_WAIT_S = (0.5, 1.0, 2.0, 4.0)  # waits between attempts on a database another process holds


class WarehouseDB(DuckDBResource):
    """The working database. Its connection is closed when the step raises, too: `DuckDBResource` closes it only
    after a clean exit, and in one process (`make run` executes in process) a failed step's open connection
    would hold the file for the publish step and every step after it. A file another process holds is tried
    for a few seconds and then reported with DuckDB's reason (which names the holder's PID), rather than
    retried for minutes in silence."""

    @contextmanager
    def get_connection(self):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)  # the state folder, on first use
        for wait in (*LOCK_WAIT_S, None):
            try:
                conn = duckdb.connect(self.database, read_only=False, config=dict(self.connection_config))
                break
            except duckdb.IOException as exc:
                if wait is None or "lock" not in str(exc).lower():
                    raise RuntimeError(
                        f"the working database {self.database} cannot be opened for writing: {exc}. "
                        "Another process holds it: stop that process (or wait for it) and run again."
                    ) from exc
                time.sleep(wait)
        try:
            yield conn
        finally:
            conn.close()


def build_resources(
    data_dir: Path | None = None, out_dir: Path | None = None, state_dir: Path | None = None, sources_file: Path | None = None
) -> dict[str, dg.ConfigurableResource]:
    paths = LedgerPaths(
        data_dir=str(data_dir or default_data_dir()),
        out_dir=str(out_dir or default_out_dir()),
        state_dir=str(state_dir or default_state_dir()),
        sources_file=str(sources_file or catalogue_path()),
    )
    # DuckDB caches up to 80% of RAM by default; a limit makes it write finished blocks out and spill big
    # sorts and joins to disk instead (LEDGER_DUCKDB_MEMORY_LIMIT, e.g. "1GB"; unset: DuckDB's default).
    memory_limit = os.environ.get("LEDGER_DUCKDB_MEMORY_LIMIT")
    return {
        "ledger": paths,
        "warehouse_db": WarehouseDB(
            database=str(paths.working_db), connection_config={"memory_limit": memory_limit} if memory_limit else {}
        ),
    }
