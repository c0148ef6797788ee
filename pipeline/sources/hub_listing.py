"""The Hugging Face Hub's model listing (`/api/models`) as a source: crawled page by page into a landing zone,
then parsed from there.

A crawl asks for the models the catalogue's filter selects, newest change first (`sort=lastModified`), with the
fields the cost model reads (`cardData`, `safetensors`, `baseModels`, `tags`, `lastModified`). Each page lands
as a Parquet file (`<hub>/<source>/q=<query>/crawl_date=<day>/<crawl>-p<page>.parquet`) before anything parses it,
and the crawl's state (the next page's URL) is written after each page, so a crash or a failed page costs at
most that page and the next run goes on from it. A finished crawl leaves a cursor, the newest `lastModified` it
saw: the next crawl stops at the first model older than that, so a daily refresh asks only for what changed.

The listing a run parses is every landed page of the query, the newest landing of each model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx
import polars as pl

from pipeline import fetch
from pipeline.sources.model_cards import parse_hub_item
from pipeline.sources.records import Batch

# What each listed model carries: the card data (front matter), the weights' exact parameter count, the base
# models with their relation, the Hub's tags and the change date the cursor follows. All are huggingface_hub's
# `ExpandModelProperty_T` names (a test holds them to it).
EXPAND = ("author", "baseModels", "cardData", "createdAt", "lastModified", "library_name", "pipeline_tag", "safetensors", "sha", "tags")
PAGE_SIZE = 1000  # the Hub's own page size for `/api/models`
CHUNK_MODELS = 5000  # models a parse worker takes at a time
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

    def listing(self) -> pl.DataFrame:
        """Every model landed for the query, its newest landing only (latest change, then latest crawl and page),
        in model-id order."""
        pages = self.pages()
        if not pages:
            return pl.DataFrame(schema=LANDED_COLUMNS)
        return (
            pl.scan_parquet(pages, schema=LANDED_COLUMNS)
            .filter(pl.col("model_id") != "")
            .sort(["model_id", "last_modified", "crawl_id", "page"], descending=[False, True, True, True], nulls_last=True)
            .unique("model_id", keep="first", maintain_order=True)
            .collect()
        )


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


def listing_chunks(listing: pl.DataFrame, size: int = CHUNK_MODELS) -> list[tuple[str, bytes]]:
    """The listing as Parquet chunks of `size` models, the inputs the source's parser workers take. The same
    listing gives the same bytes, so an unchanged listing is an unchanged source."""
    chunks = []
    for index, start in enumerate(range(0, listing.height, size)):
        buffer = io.BytesIO()
        listing.slice(start, size).select("model_id", "last_modified", "item").write_parquet(buffer, statistics=False)
        chunks.append((f"listing-{index + 1:05d}.parquet", buffer.getvalue()))
    return chunks


def read_listing_chunk(raw: bytes, name: str, batch: Batch) -> None:
    """One chunk of the listing: each model as `parse_hub_item` reads it."""
    try:
        frame = pl.read_parquet(io.BytesIO(raw), columns=["model_id", "item"])
    except Exception as exc:  # noqa: BLE001 -- polars raises several kinds for a damaged file
        return batch.reject(name, f"not a listing chunk: {type(exc).__name__}: {exc}"[:300], check="format")
    for model_id, item in frame.iter_rows():
        parse_hub_item(item.encode(), model_id, batch)
