"""Read one catalogue source, from its local path or its live URL, into record frames.

Live sources are fetched with pipeline.fetch (conditional, retried, snapshotted); a failing fetch
falls back to the last good snapshot and then to the local path, and says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import contain
from pipeline.catalogue import Source
from pipeline.fetch import FetchRecord, SnapshotStore, fetch
from pipeline.quarantine import source_problems
from pipeline.sources import hub_listing, model_cards
from pipeline.sources.files import files_under
from pipeline.sources.records import Batch, unreadable

MAX_SOURCE_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class SourceResult:
    source: Source
    frames: dict[str, pl.DataFrame]
    fetches: list[FetchRecord] = field(default_factory=list)
    inputs: list[tuple[str, str, int]] = field(default_factory=list)  # (name, sha256, bytes) of every input read
    problems: list[str] = field(default_factory=list)  # source-level trouble: failed fetches, fallbacks, missing files
    skipped: int = 0
    stale_since: str | None = None  # the archive date read instead, when the source itself could not be read
    contents: list[tuple[str, bytes]] = field(default_factory=list, repr=False)  # what was read, for the snapshot archive
    records: dict[str, int] = field(default_factory=dict)  # records each input gave, kept in the archive's manifest

    @property
    def unread(self) -> bool:
        """Nothing was read, not even an archived snapshot: the source's earlier rows should stay."""
        return not self.inputs

    @property
    def data_version(self) -> str:
        digest = hashlib.sha256()
        for name, sha, _ in sorted(self.inputs):
            digest.update(f"{name}\0{sha}\n".encode())
        return digest.hexdigest()


def hub_card_url(repo_id: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(repo_id, "README.md", endpoint=hub_listing.hub_endpoint())


@dataclass
class Input:
    name: str
    raw: bytes
    fetch: FetchRecord | None = None  # set when the bytes came over HTTP (fetched, not modified or a fallback)


def hub_root(store: SnapshotStore) -> Path:
    """Where the Hub listing lands: beside the snapshot store, in the state folder."""
    return store.root.parent / "hub"


def read_hub_listing(source: Source, store: SnapshotStore, client=None) -> SourceResult:
    """The Hub listing source: crawl what changed (pipeline/sources/hub_listing.py), parse the pages it landed on
    the worker processes, then take each model's records from its newest landing. A crawl that stops early (a
    failed page) leaves what it landed, which is read, and goes on from there next run; nothing landed at all is an
    unread source, whose previous rows stay."""
    query = hub_listing.HubQuery.from_options(source.options)
    landing = hub_listing.Landing(hub_root(store), source.name, query)
    report = hub_listing.crawl(source.name, query, hub_root(store), client=client)
    problems = []
    if report.error:
        problems.append(
            f"the Hub listing's crawl stopped after {report.pages} pages this run: {report.error}; the next run goes on from there"
        )
    pages = landing.unparsed()
    parsed, unguarded = contain.map_guarded(
        hub_listing.parse_landed_page,
        [(str(page), str(landing.parsed_folder(page)), source.name) for page in pages],
        workers=model_cards.available_cores(),
    )
    died = [(page, part) for page, part in zip(pages, parsed, strict=True) if isinstance(part, contain.Died)]
    problems += [f"{page.name}: could not be parsed ({part.reason}); it is parsed again next run" for page, part in died]
    if unguarded:
        problems.append(unguarded)
    records, version, models = landing.records()
    empty = Batch(source.name).frames()
    frames = {name: records[name].cast(empty[name].schema) if name in records else empty[name] for name in empty}
    frames["rejects"] = pl.concat([frames["rejects"], source_problems(source.name, problems)])
    inputs = [("listing", version, models)] if models else []
    return SourceResult(source, frames, report.fetches, inputs, problems)


def collect_inputs(
    source: Source, store: SnapshotStore, client=None, failed: list[str] | None = None
) -> tuple[list[Input], list[FetchRecord], list[str]]:
    """The bytes to parse: fetched (with fallback) for live sources, else read from `path` (the names of files
    there that could not be read are added to `failed`)."""
    inputs: list[Input] = []
    fetches: list[FetchRecord] = []
    problems: list[str] = []
    urls: list[tuple[str, str, dict]] = []
    if source.url:
        urls.append((source.url.rsplit("/", 1)[-1] or source.name, source.url, {}))
    for repo_id in source.options.get("repo_ids") or []:
        urls.append((f"{str(repo_id).replace('/', '__')}.md", hub_card_url(str(repo_id)), hub_listing.hub_headers()))
    for name, url, headers in urls:
        record, content = fetch(url, source.name, store, client=client, headers=headers)
        fetches.append(record)
        if record.status == "fallback":
            problems.append(f"{url}: {record.error}; using the last good snapshot from its previous fetch")
        if content is None:
            problems.append(f"{url}: {record.error}; no snapshot to fall back to")
            continue
        inputs.append(Input(name, content, record))
    fetched_names = {i.name for i in inputs}
    if source.path is not None and (not urls or len(fetched_names) < len(urls)):
        try:
            inputs += [
                Input(n, b)
                for n, b in files_under(
                    source.path, source.spec.patterns, max_bytes=MAX_SOURCE_FILE_BYTES, problems=problems, failed=failed
                )
                if n not in fetched_names
            ]
        except (FileNotFoundError, OSError) as exc:
            problems.append(f"local path: {exc}")
    problems += [f"{i.name}: over the {MAX_SOURCE_FILE_BYTES}-byte cap, not read" for i in inputs if len(i.raw) > MAX_SOURCE_FILE_BYTES]
    return [i for i in inputs if len(i.raw) <= MAX_SOURCE_FILE_BYTES], fetches, problems


FORMAT_CHECKS = {"format", "columns", "json", "lm_eval_results", "simple_evals", "hub_api", "binary", "utf8", "size_cap", "unreadable"}


def _parse(source: Source, name: str, raw: bytes) -> Batch:
    """Parse one input with the source kind's adapter (pipeline/sources/kinds.py)."""
    batch = Batch(source.name)
    source.spec.read(raw, name, batch, source.options)
    return batch


def parse_each(source: Source, files: list[tuple[str, bytes]]) -> list[Batch]:
    """Every file of one source with its kind's parser, one (records, paper rows) pair per file in order, in
    worker processes (pipeline/contain.py): a file whose parse crashes, runs out of time or memory, or raises
    becomes one quarantine row saying so, and the other files go on. Cards are parsed in chunks, on every core
    when there are many; other kinds file by file."""
    if source.kind == "hf_model_cards":  # many small files: parsed in chunks, on every core
        return model_cards.parse_card_inputs(files, source.name)
    parsed, unguarded = contain.map_guarded(_parse, [(source, name, raw) for name, raw in files])
    parts = [
        part if not isinstance(part, contain.Died) else unreadable(source.name, name, part.reason)
        for (name, _), part in zip(files, parsed, strict=True)
    ]
    if unguarded and parts:
        parts[0].reject("*", unguarded, check="source")
    return parts


def parse_inputs(source: Source, files: list[tuple[str, bytes]]) -> Batch:
    """Every file of one source into one Batch (no fetching, no fallback). A paper table's own rows are not
    records; its rejects are."""
    batch = Batch(source.name)
    for part in parse_each(source, files):
        batch.extend(part)
    return batch


def _unreadable(batch: Batch) -> bool:
    """The whole input failed to parse (wrong format), as opposed to a few bad records in it."""
    return not batch.record_count() and any(r["check_name"] in FORMAT_CHECKS for r in batch.rejects)


def last_archived(source: Source, archive: Path) -> tuple[str, list[Input]] | None:
    """The newest dated snapshot of this source in the archive, as inputs, or None."""
    from pipeline import history

    for snapshot_date in reversed(history.snapshot_dates(archive, [source.name])):
        files = history.snapshot_files(archive, source, snapshot_date)
        if files:
            return snapshot_date, [Input(n, b) for n, b in files]
    return None


# A file that now gives no records where its archived version gave some, or under this share of them where
# that was at least SHRINK_MIN_RECORDS, is read at that version instead: valid but (nearly) empty content (a
# header-only reply, renamed columns) is far likelier a fault upstream than the data shrinking. `shrink_guard:
# false` on a source in the catalogue accepts such a change.
SHRINK_SHARE = 0.5
SHRINK_MIN_RECORDS = 20


def shrunk(before: int, now: int) -> bool:
    return 0 == now < before or (before >= SHRINK_MIN_RECORDS and now < before * SHRINK_SHARE)


def read_source(source: Source, store: SnapshotStore, client=None, archive: Path | None = None) -> SourceResult:
    """Read, parse and check one source. When nothing at all could be read (a vanished path, a failed fetch
    with no snapshot), its newest snapshot in `archive` is read instead and the result says so. So is each file
    that could not be read or now gives far fewer records than its archived version (SHRINK_SHARE)."""
    from pipeline import history  # history parses with this module's readers, so it is imported here, not above

    if source.spec.lists_hub:
        return read_hub_listing(source, store, client)
    failed: list[str] = []
    inputs, fetches, problems = collect_inputs(source, store, client, failed)
    stale_since = None
    if not inputs:
        fallback = last_archived(source, archive) if archive is not None else None
        if fallback:
            stale_since, inputs = fallback
            problems.append(
                f"nothing could be read from this source; using its archived snapshot of {stale_since} "
                f"({len(inputs)} files) until it can be read again"
            )
        else:
            problems.append(
                "nothing could be read from this source and it has no archived snapshot; the rows of its previous load are kept"
            )
    guard = history.newest_snapshot(archive, source.name) if archive is not None and stale_since is None else None
    for name in failed:
        old = guard.read(name) if guard is not None else None
        if old is None:
            problems.append(f"{name}: no archived version of it either, so its records are not in this load")
            continue
        inputs.append(Input(name, old))
        problems.append(f"{name}: its archived version of {guard.date} is used until it can be read again")
        stale_since = guard.date
    batch = Batch(source.name)
    used: list[tuple[str, bytes]] = []
    records: dict[str, int] = {}
    parsed = parse_each(source, [(i.name, i.raw) for i in inputs])
    for item, part in zip(inputs, parsed, strict=True):
        name, raw, record = item.name, item.raw, item.fetch
        fetched = record is not None and record.status in ("fetched", "not_modified")
        if fetched and _unreadable(part):
            good = store.last_good(source.name, record.url)
            if good and good[0]["sha256"] != record.sha256:
                problems.append(f"{record.url}: fetched content is unreadable ({part.rejects[0]['reason']}); using the last good snapshot")
                raw = good[1]
                [part] = parse_each(source, [(name, raw)])
        elif guard is not None and source.options.get("shrink_guard", True) is not False:
            before, now = guard.records.get(name, 0), part.record_count()
            old = guard.read(name) if shrunk(before, now) else None
            if old is not None and old != raw:
                problems.append(
                    f"{name}: {now} records where its archived version of {guard.date} gave {before} "
                    "(a header-only reply, renamed columns?); that version is kept until the file reads "
                    "whole again (`shrink_guard: false` accepts the change)"
                )
                raw, stale_since = old, guard.date
                [part] = parse_each(source, [(name, raw)])
            elif fetched and record.sha256:
                store.mark_good(source.name, record.url, record.sha256)
        elif fetched and record.sha256:
            store.mark_good(source.name, record.url, record.sha256)
        batch.extend(part)
        used.append((name, raw))
        records[name] = part.record_count()
    frames = batch.frames()
    frames["rejects"] = pl.concat([frames["rejects"], source_problems(source.name, problems)])
    inputs = [(n, hashlib.sha256(b).hexdigest(), len(b)) for n, b in used]
    return SourceResult(source, frames, fetches, inputs, problems, batch.skipped, stale_since, contents=used, records=records)


def read_source_safely(source: Source, store: SnapshotStore, archive: Path | None = None, client=None) -> SourceResult:
    """`read_source`, or when reading fails for a reason outside the data (a disk error, a full disk, a fault
    in this program) the source's newest archived snapshot, marked stale, or failing that an unread result,
    so that the previous load's rows stay: one source's fault never stops the others."""
    try:
        return read_source(source, store, client, archive)
    except Exception as exc:  # noqa: BLE001 -- anything: the step reports it and falls back
        problem = f"the source could not be read ({type(exc).__name__}: {exc})"[:400]
    try:
        fallback = last_archived(source, archive) if archive is not None else None
        if fallback:
            snapshot_date, inputs = fallback
            batch = Batch(source.name)
            for part in parse_each(source, [(i.name, i.raw) for i in inputs]):
                batch.extend(part)
            problems = [f"{problem}; using its archived snapshot of {snapshot_date} until it can be read again"]
            frames = batch.frames()
            frames["rejects"] = pl.concat([frames["rejects"], source_problems(source.name, problems)])
            return SourceResult(
                source,
                frames,
                [],
                [(i.name, hashlib.sha256(i.raw).hexdigest(), len(i.raw)) for i in inputs],
                problems,
                batch.skipped,
                snapshot_date,
            )
    except Exception as exc:  # noqa: BLE001
        problem += f"; its archived snapshot could not be read either ({type(exc).__name__}: {exc})"[:300]
    problems = [f"{problem}; the rows of its previous load are kept"]
    frames = Batch(source.name).frames()
    frames["rejects"] = source_problems(source.name, problems)
    return SourceResult(source, frames, [], [], problems)
