"""The Hugging Face Hub's model listing (`/api/models`) as a source: crawled page by page into a landing zone,
then parsed from there.

A crawl asks for the models the catalogue's filter selects, newest change first (`sort=lastModified`), with the
fields the cost model reads (`cardData`, `safetensors`, `baseModels`, `tags`, `lastModified`). Each page lands
as a Parquet file (`<hub>/<source>/q=<query>/crawl_date=<day>/<crawl>-p<page>.parquet`) before anything parses it,
and the crawl's state (the next page's URL) is written after each page, so a crash or a failed page costs at
most that page and the next run goes on from it. A finished crawl leaves a cursor, the newest `lastModified` it
saw: the next crawl stops at the first model older than that, so a daily refresh asks only for what changed.

Each landed page is parsed once, by a worker process that writes the page's records beside it; the source's
records are those of each model's newest landing, picked by DuckDB from the key columns. So a refresh that lands
one page parses one page, and neither the crawl nor the parse holds the listing in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx
import polars as pl

from pipeline import fetch
from pipeline.sources.model_cards import parse_hub_item
from pipeline.sources.records import Batch
from pipeline.warehouse import query_frame

# What each listed model carries: the card data (front matter), the weights' exact parameter count, the base
# models with their relation, the Hub's tags and the change date the cursor follows. All are huggingface_hub's
# `ExpandModelProperty_T` names (a test holds them to it).
EXPAND = ("author", "baseModels", "cardData", "createdAt", "lastModified", "library_name", "pipeline_tag", "safetensors", "sha", "tags")
PAGE_SIZE = 1000  # the Hub's own page size for `/api/models`
CHUNK_MODELS = 5000  # models a parse worker takes at a time
DUCKDB_MEMORY = "512MB"  # DuckDB's share while it picks each model's records: the rest of a run needs the memory
PARSED_TABLES = ("models", "facts", "benchmarks", "rejects")  # a parsed page's files: Batch.frames()' names
FILTER_KEYS = ("tags", "author", "search", "base_model", "pipeline_tag", "limit")
LANDED_COLUMNS = {"model_id": pl.Utf8, "last_modified": pl.Utf8, "item": pl.Utf8, "crawl_id": pl.Utf8, "page": pl.Int64}


def hub_endpoint() -> str:
    """The Hub to ask: `HF_ENDPOINT` (a mirror, or a loopback server in tests), else huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_headers() -> dict[str, str]:
    """The authorization huggingface_hub would send (HF_TOKEN, else the saved login), and nothing else: its
    `build_hf_headers` also asks the Hub for a telemetry registry on first use, a request a pipeline should not
    make unasked. The token is never logged or stored."""
    from huggingface_hub import get_token

    token = get_token()
    return {"authorization": f"Bearer {token}"} if token else {}


@dataclass(frozen=True)
class HubQuery:
    """What a catalogue entry's `filter` asks of the listing."""

    tags: tuple[str, ...] = ()
    author: str | None = None
    search: str | None = None
    base_model: str | None = None
    pipeline_tag: str | None = None
    limit: int | None = None  # models per crawl at most

    @classmethod
    def from_options(cls, options: dict) -> HubQuery:
        wanted = options.get("filter") or {}
        tags = wanted.get("tags") or ()
        return cls(
            tags=(tags,) if isinstance(tags, str) else tuple(tags),
            author=wanted.get("author"),
            search=wanted.get("search"),
            base_model=wanted.get("base_model"),
            pipeline_tag=wanted.get("pipeline_tag"),
            limit=int(wanted["limit"]) if wanted.get("limit") is not None else None,
        )

    def params(self) -> list[tuple[str, str]]:
        """The query string, in huggingface_hub's `list_models` spelling (`filter` repeated per tag)."""
        params = [("filter", tag) for tag in self.tags]
        if self.base_model:
            params.append(("filter", f"base_model:{self.base_model}"))  # the tag the Hub gives every derived model
        params += [
            (key, value) for key, value in (("author", self.author), ("search", self.search), ("pipeline_tag", self.pipeline_tag)) if value
        ]
        params += [("sort", "lastModified"), ("direction", "-1"), ("limit", str(min(PAGE_SIZE, self.limit or PAGE_SIZE)))]
        return params + [("expand", name) for name in EXPAND]

    @property
    def key(self) -> str:
        """Names the query's landing folder: another filter is another listing, with a cursor of its own."""
        selection = [(k, v) for k, v in self.params() if k != "limit"]
        return hashlib.sha256(json.dumps(selection).encode()).hexdigest()[:12]


@dataclass
class CrawlReport:
    pages: int = 0  # pages landed by this run
    models: int = 0  # models landed by this run
    requests: list[str] = field(default_factory=list)  # the URLs asked for, in order
    resumed: bool = False  # went on from an interrupted crawl's next page
    finished: bool = False  # the crawl reached its end (no next page, the cursor, or the limit)
    error: str | None = None  # why it stopped early; its next page is asked for first next time
    fetches: list[fetch.FetchRecord] = field(default_factory=list)  # one per page asked for (ops.source_snapshots)


def _now() -> datetime:
    return datetime.now(UTC)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Landing:
    """One source's landing zone for one query: landed pages and the crawl state."""

    def __init__(self, root: Path, source_name: str, query: HubQuery):
        self.folder = root / source_name / f"q={query.key}"
        self.state_file = self.folder / "state.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {"cursor": None, "crawl": None, "finished": []}

    def save(self, state: dict) -> None:
        _write_atomically(self.state_file, json.dumps(state, indent=1).encode())

    def land(self, crawl: dict, page: int, items: list[dict]) -> None:
        rows = [
            {
                "model_id": str(item.get("id") or item.get("modelId") or ""),
                "last_modified": item.get("lastModified") if isinstance(item.get("lastModified"), str) else None,
                "item": json.dumps(item, ensure_ascii=False),
                "crawl_id": crawl["id"],
                "page": page,
            }
            for item in items
        ]
        buffer = io.BytesIO()
        pl.DataFrame(rows, schema=LANDED_COLUMNS).write_parquet(buffer)
        path = self.folder / f"crawl_date={crawl['id'][:10]}" / f"{crawl['id']}-p{page:05d}.parquet"
        _write_atomically(path, buffer.getvalue())

    def pages(self) -> list[Path]:
        return sorted(self.folder.glob("crawl_date=*/*.parquet"))

    def parsed_folder(self, page: Path) -> Path:
        return self.folder / "parsed" / page.stem

    def unparsed(self) -> list[Path]:
        """Landed pages not parsed yet: each page is parsed once, so a refresh parses only what it landed."""
        return [page for page in self.pages() if not (self.parsed_folder(page) / "done").exists()]

    def records(self) -> tuple[dict[str, pl.DataFrame], str, int]:
        """The source's records: for every model landed for the query, those parsed from its newest parsed landing
        (latest change, then latest crawl and page); with a version of that choice (the same landings, the same
        version) and the number of models. DuckDB reads only the key columns of the landed pages and the parsed
        records, under a memory limit (it spills to disk)."""
        import duckdb

        # only parsed pages: a model on a page that could not be parsed keeps its previous landing's records
        pages = [str(p) for p in self.pages() if (self.parsed_folder(p) / "done").exists()]
        if not pages:
            return {}, hashlib.sha256(b"").hexdigest(), 0
        con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY, "temp_directory": str(self.folder / ".spill")})
        try:
            con.execute(
                f"""create temp table current as select model_id, crawl_id || '-p' || lpad(page::varchar, 5, '0') as landing
                from read_parquet({pages!r}, hive_partitioning = false) where model_id <> ''
                qualify row_number() over (partition by model_id order by last_modified desc nulls last, crawl_id desc, page desc) = 1"""
            )
            models, xor, total = con.execute(
                "select count(*), bit_xor(hash(model_id, landing)), sum(hash(model_id, landing)::hugeint) from current"
            ).fetchall()[0]
            frames = {}
            for table in PARSED_TABLES:
                files = [str(p) for p in sorted((self.folder / "parsed").glob(f"*/{table}.parquet"))]
                if not files:
                    continue
                # a record of a model's newest landing, or a page's own reject (record_id: the page)
                frames[table] = query_frame(
                    con,
                    f"""select r.* exclude (landing) from read_parquet({files!r}, hive_partitioning = false) r
                    left join current c on r.record_id = c.model_id and r.landing = c.landing
                    where c.model_id is not null or (r.record_id = r.landing and r.landing in (select landing from current))
                    order by r.record_id""",
                )
        finally:
            con.close()
            shutil.rmtree(self.folder / ".spill", ignore_errors=True)
        return frames, hashlib.sha256(f"{models}:{xor}:{total}".encode()).hexdigest(), models


def _next_page(headers: httpx.Headers | None) -> str | None:
    """The `Link: <...>; rel="next"` URL, read the way httpx reads Link headers."""
    if headers is None:
        return None
    return httpx.Response(200, headers=headers).links.get("next", {}).get("url")


def _fetch_record(source_name: str, url: str, reply: fetch.Reply) -> fetch.FetchRecord:
    content, headers = reply.content, reply.headers or {}
    return fetch.FetchRecord(
        source_name,
        url,
        _now().isoformat(timespec="seconds"),
        "fetched" if content is not None else "failed",
        reply.http_status,
        len(content) if content is not None else None,
        hashlib.sha256(content).hexdigest() if content is not None else None,
        headers.get("etag"),
        headers.get("last-modified"),
        headers.get("content-type"),
        reply.error,
    )


def _same_origin(url: str, endpoint: str) -> bool:
    a, b = urlparse(url), urlparse(endpoint)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def crawl(
    source_name: str,
    query: HubQuery,
    root: Path,
    *,
    endpoint: str | None = None,
    headers: dict[str, str] | None = None,
    client: httpx.Client | None = None,
    max_pages: int | None = None,
    **rules,
) -> CrawlReport:
    """Land the listing's new pages for `query` (`fetch.get`'s rules, `rules` its keywords). Resumes an
    interrupted crawl from its next page; a new crawl stops at the previous one's cursor. `max_pages`: stop
    (resumably) after that many pages this run."""
    endpoint = (endpoint or hub_endpoint()).rstrip("/")
    headers = hub_headers() if headers is None else headers
    landing = Landing(root, source_name, query)
    state = landing.state()
    report = CrawlReport()
    crawl_state = state.get("crawl")
    if crawl_state and not _same_origin(crawl_state.get("next_url") or "", endpoint):
        crawl_state = None  # begun against another endpoint (HF_ENDPOINT changed): its pages are not this Hub's to go on
    if crawl_state:
        report.resumed = True
    else:
        crawl_state = {
            "id": _now().strftime("%Y-%m-%dT%H%M%S.%fZ"),
            "cursor": state.get("cursor"),
            "next_url": f"{endpoint}/api/models?{urlencode(query.params())}",
            "pages": 0,
            "models": 0,
            "newest": None,
        }
    url = crawl_state["next_url"]
    while url:
        if max_pages is not None and report.pages >= max_pages:
            break
        if not _same_origin(url, endpoint):  # a token goes to the Hub it was meant for, nowhere else
            report.error = f"the listing's next page is on another host ({urlparse(url).netloc}); the crawl stops there"
            break
        report.requests.append(url)
        reply = fetch.get(url, client=client, headers=headers, **rules)
        report.fetches.append(_fetch_record(source_name, url, reply))
        if reply.content is None:
            report.error = f"page {crawl_state['pages'] + 1}: {reply.error or f'HTTP {reply.http_status}'}"
            break
        try:
            items = json.loads(reply.content)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            report.error = f"page {crawl_state['pages'] + 1} is not JSON: {exc}"[:300]
            break
        if not isinstance(items, list):
            report.error = f"page {crawl_state['pages'] + 1} is not a list of models"
            break
        items = [item for item in items if isinstance(item, dict)]
        cursor, kept, reached_cursor = crawl_state["cursor"], [], False
        for item in items:
            changed = item.get("lastModified")
            if cursor and isinstance(changed, str) and changed < cursor:
                reached_cursor = True  # newest first: every model after this one is older still
                break
            kept.append(item)
        if query.limit is not None:
            room = query.limit - crawl_state["models"]
            reached_limit = len(kept) >= room
            kept = kept[: max(room, 0)]
        else:
            reached_limit = False
        page = crawl_state["pages"] + 1
        if kept:
            landing.land(crawl_state, page, kept)
        dates = [item["lastModified"] for item in kept if isinstance(item.get("lastModified"), str)]
        crawl_state.update(pages=page, models=crawl_state["models"] + len(kept), newest=max([*dates, crawl_state["newest"] or ""]) or None)
        report.pages += 1
        report.models += len(kept)
        url = None if reached_cursor or reached_limit else _next_page(reply.headers)
        crawl_state["next_url"] = url
        if url is None:
            report.finished = True
            newest = crawl_state["newest"]
            state["cursor"] = max(filter(None, [state.get("cursor"), newest]), default=None)
            finished = {k: crawl_state[k] for k in ("id", "pages", "models", "newest")} | {"finished_at": _now().isoformat()}
            state["finished"] = [*state.get("finished", [])[-9:], finished]
            state["crawl"] = None
        else:
            state["crawl"] = crawl_state
        landing.save(state)  # after the page's file: a crash between the two re-asks for one page, loses none
    if not report.finished and state.get("crawl") is None and crawl_state.get("next_url"):
        state["crawl"] = crawl_state  # stopped before its first page landed: the next run starts it again
        landing.save(state)
    return report


def parse_landed_page(page: str, folder: str, source_name: str) -> int:
    """Parse one landed page in a worker and write its record frames beside it (`folder/<table>.parquet`, each row
    with the page it came from), then a `done` marker: the records never cross back to the run. Returns the
    number of models parsed."""
    batch = Batch(source_name)
    name = Path(page).stem
    read_listing_chunk(Path(page).read_bytes(), name, batch)
    out = Path(folder)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table, frame in batch.frames().items():
        if table in PARSED_TABLES:
            frame.with_columns(landing=pl.lit(name)).write_parquet(tmp / f"{table}.parquet")
    (tmp / "done").touch()
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return len(batch.models)


def read_listing_chunk(raw: bytes, name: str, batch: Batch) -> None:
    """One chunk of the listing: each model as `parse_hub_item` reads it."""
    try:
        frame = pl.read_parquet(io.BytesIO(raw), columns=["model_id", "item"])
    except Exception as exc:  # noqa: BLE001 -- polars raises several kinds for a damaged file
        return batch.reject(name, f"not a listing chunk: {type(exc).__name__}: {exc}"[:300], check="format")
    for model_id, item in frame.iter_rows():
        parse_hub_item(item.encode(), model_id, batch)
