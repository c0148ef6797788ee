"""Live sources over HTTP: timeouts, retries with backoff, conditional requests, and a snapshot store.

Every fetch is recorded (fetched_at, HTTP status, bytes, sha256, ETag, Last-Modified); content is
kept by hash so a failing source can fall back to its last good snapshot.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import httpx

MAX_FETCH_BYTES = 200 * 1024 * 1024
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
# One source's whole fetch, retries and waits included: a server trickling a byte a second holds the
# writer pool for no longer than this.
FETCH_DEADLINE_S = 300.0
MAX_RETRY_AFTER_S = 60.0  # a longer Retry-After is not waited for: the source falls back and says so
# Query parameters that carry a secret: a URL holding one is refused, since URLs are logged and stored.
SECRET_PARAMETERS = ("token", "access_token", "api_key", "apikey", "key", "secret", "password", "sig", "signature")


class FetchError(RuntimeError):
    pass


@dataclass
class FetchRecord:
    source_name: str
    url: str
    fetched_at: str
    status: str  # fetched | not_modified | fallback | failed
    http_status: int | None
    bytes: int | None
    sha256: str | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    error: str | None


def allow_loopback_http() -> bool:
    return os.environ.get("LEDGER_ALLOW_LOOPBACK_HTTP") == "1"


def check_url(url: str, allow_loopback: bool = False) -> None:
    """Only https, except plain http to a loopback address when explicitly allowed (tests); never a URL that
    carries credentials (they belong in the environment, e.g. HF_TOKEN: a URL is logged and stored)."""
    try:
        parsed = urlparse(url)
        hostname = parsed.hostname
    except ValueError as exc:
        raise FetchError(f"refusing URL {url!r}: {exc}") from exc
    if parsed.username or parsed.password:
        raise FetchError("refusing a URL with a user name or password in it: give credentials through the environment")
    secret = [k for k, _ in parse_qsl(parsed.query, keep_blank_values=True) if k.lower() in SECRET_PARAMETERS]
    if secret:
        raise FetchError(f"refusing a URL whose query carries {secret[0]!r}: give credentials through the environment")
    if parsed.scheme == "https" and hostname:
        return
    if parsed.scheme == "http" and allow_loopback and parsed.hostname:
        host = parsed.hostname
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise FetchError(f"refusing {parsed.scheme or 'schemeless'} URL {url!r}: only https is allowed")


class SnapshotStore:
    """Content-addressed snapshots per (source, url), with the last good one's metadata."""

    def __init__(self, root: Path):
        self.root = root

    def _dir(self, source_name: str, url: str) -> Path:
        return self.root / source_name / hashlib.sha256(url.encode()).hexdigest()[:16]

    def _read(self, source_name: str, url: str, pointer: str) -> tuple[dict, bytes] | None:
        folder = self._dir(source_name, url)
        try:
            meta = json.loads((folder / pointer).read_text())
            return meta, (folder / f"{meta['sha256']}.bin").read_bytes()
        except (OSError, ValueError, KeyError):
            return None

    def latest(self, source_name: str, url: str) -> tuple[dict, bytes] | None:
        """The last snapshot fetched."""
        return self._read(source_name, url, "latest.json")

    def last_good(self, source_name: str, url: str) -> tuple[dict, bytes] | None:
        """The last snapshot whose content parsed: what a failing source falls back to."""
        return self._read(source_name, url, "good.json")

    def mark_good(self, source_name: str, url: str, sha256: str) -> None:
        folder = self._dir(source_name, url)
        latest = self.latest(source_name, url)
        meta = dict(latest[0]) if latest and latest[0].get("sha256") == sha256 else {"sha256": sha256, "url": url}
        tmp = folder / "good.json.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / "good.json")

    def save(self, source_name: str, url: str, content: bytes, meta: dict) -> None:
        folder = self._dir(source_name, url)
        folder.mkdir(parents=True, exist_ok=True)
        blob = folder / f"{meta['sha256']}.bin"
        if not blob.exists():
            tmp = blob.with_suffix(".tmp")
            tmp.write_bytes(content)
            os.replace(tmp, blob)
        tmp = folder / "latest.json.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / "latest.json")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429 or 503 asks to wait (a number or an HTTP date), None when it does not say."""
    value = (response.headers.get("retry-after") or "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _read_body(response: httpx.Response, max_bytes: int, deadline: float) -> tuple[bytes | None, str | None, bool]:
    """(the decoded body, why there is none, whether trying again could help), read while it streams: stops at
    `max_bytes` + 1 decoded bytes (a gzip bomb or an endless stream never fills memory) and at the deadline; a
    body shorter than its Content-Length (counted on the bytes received, which are the compressed ones when the
    body is encoded) is truncated, which a retry may mend."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None, f"body is over the {max_bytes}-byte cap", False
        if time.monotonic() > deadline:
            return None, "the source's fetch deadline passed while the body was still arriving", False
        chunks.append(chunk)
    expected = response.headers.get("content-length")
    if expected is not None and expected.isdigit() and int(expected) != response.num_bytes_downloaded:
        return None, f"truncated body: {response.num_bytes_downloaded} of {expected} bytes", True
    return b"".join(chunks), None, False


@dataclass
class Reply:
    """What one bounded, retried GET came to: the body (None when there is none), or why not."""

    http_status: int | None
    headers: httpx.Headers | None
    content: bytes | None
    error: str | None

    @property
    def not_modified(self) -> bool:
        return self.http_status == 304 and self.error is None


def get(
    url: str,
    *,
    client: httpx.Client | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15.0,
    retries: int = 3,
    backoff: float = 0.5,
    allow_loopback: bool | None = None,
    max_bytes: int = MAX_FETCH_BYTES,
    deadline_s: float = FETCH_DEADLINE_S,
) -> Reply:
    """GET `url` under the rules every live source keeps: https (or an allowed loopback), every redirect held to
    the same rules, 408/425/429/5xx and broken transfers retried with exponential backoff and Retry-After
    honoured up to MAX_RETRY_AFTER_S, the body capped while it streams, the whole of it ended by `deadline_s`.
    Never raises for network or server faults: the reply says what happened."""
    allow = allow_loopback_http() if allow_loopback is None else allow_loopback
    check_url(url, allow)
    deadline = time.monotonic() + deadline_s

    def every_hop_allowed(request: httpx.Request) -> None:
        check_url(str(request.url), allow)

    every_hop_allowed.ledger_hop_check = True
    own_client = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    # before each request, redirects included (a caller's client keeps its own hooks, with this one's replaced)
    client.event_hooks["request"] = [
        *(h for h in client.event_hooks.get("request", []) if not getattr(h, "ledger_hop_check", False)),
        every_hop_allowed,
    ]
    error, http_status, reply_headers = None, None, None
    try:
        for attempt in range(retries + 1):
            wait = backoff * (2**attempt)
            try:
                with client.stream("GET", url, headers=headers or {}, timeout=timeout) as response:
                    http_status, reply_headers = response.status_code, response.headers
                    if response.status_code == 304:
                        return Reply(304, response.headers, None, None)
                    if response.status_code in RETRY_STATUSES:
                        error = f"HTTP {response.status_code}"
                        asked = _retry_after(response)
                        if asked is not None:
                            if asked > MAX_RETRY_AFTER_S:
                                error += f" (Retry-After {asked:.0f} s, longer than the {MAX_RETRY_AFTER_S:.0f} s waited for)"
                                break
                            wait = max(wait, asked)
                    elif response.status_code >= 400:
                        error = f"HTTP {response.status_code}"
                        break
                    elif "text/html" in response.headers.get("content-type", "") and not url.endswith((".html", ".htm")):
                        error = "server returned an HTML page, not data"
                        break
                    else:
                        content, error, retryable = _read_body(response, max_bytes, deadline)
                        if content is not None:
                            return Reply(response.status_code, response.headers, content, None)
                        if not retryable:
                            break
            except FetchError as exc:  # a redirect to a URL the rules refuse
                error = f"redirect refused: {exc}"
                break
            except httpx.HTTPError as exc:  # timeouts, refused connections, broken or truncated transfers
                error = f"{type(exc).__name__}: {exc}"[:300]
            if attempt == retries:
                break
            if time.monotonic() + wait > deadline:
                error = f"{error}; the source's {deadline_s:.0f} s fetch deadline leaves no time to retry"
                break
            time.sleep(wait)
    finally:
        if own_client:
            client.close()
    return Reply(http_status, reply_headers, None, error)


def fetch(
    url: str, source_name: str, store: SnapshotStore, *, client: httpx.Client | None = None, headers: dict[str, str] | None = None, **rules
) -> tuple[FetchRecord, bytes | None]:
    """Fetch `url` conditionally (`get`'s rules, `rules` its keywords); on failure return the last good
    snapshot (status `fallback`) if any. Never raises for network or server faults: the record says what
    happened."""
    previous = store.latest(source_name, url)
    request_headers = dict(headers or {})
    if previous:
        if previous[0].get("etag"):
            request_headers["If-None-Match"] = previous[0]["etag"]
        if previous[0].get("last_modified"):
            request_headers["If-Modified-Since"] = previous[0]["last_modified"]
    reply = get(url, client=client, headers=request_headers, **rules)
    if reply.not_modified and previous:
        meta = previous[0]
        return FetchRecord(
            source_name,
            url,
            _now(),
            "not_modified",
            304,
            len(previous[1]),
            meta["sha256"],
            meta.get("etag"),
            meta.get("last_modified"),
            meta.get("content_type"),
            None,
        ), previous[1]
    if reply.content is not None:
        content = reply.content
        digest = hashlib.sha256(content).hexdigest()
        meta = {
            "sha256": digest,
            "etag": reply.headers.get("etag"),
            "last_modified": reply.headers.get("last-modified"),
            "content_type": reply.headers.get("content-type"),
            "url": url,
            "fetched_at": _now(),
        }
        store.save(source_name, url, content, meta)
        return FetchRecord(
            source_name,
            url,
            meta["fetched_at"],
            "fetched",
            reply.http_status,
            len(content),
            digest,
            meta["etag"],
            meta["last_modified"],
            meta["content_type"],
            None,
        ), content
    error = reply.error or "HTTP 304 with no snapshot to reuse"
    good = store.last_good(source_name, url) or previous
    if good:
        meta = good[0]
        return FetchRecord(
            source_name,
            url,
            _now(),
            "fallback",
            reply.http_status,
            len(good[1]),
            meta["sha256"],
            meta.get("etag"),
            meta.get("last_modified"),
            meta.get("content_type"),
            error,
        ), good[1]
    return FetchRecord(source_name, url, _now(), "failed", reply.http_status, None, None, None, None, None, error), None


def record_dict(record: FetchRecord) -> dict:
    return asdict(record)
