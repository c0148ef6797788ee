"""A loopback HTTP server that answers `/api/models` as the Hugging Face Hub does: JSON pages of model items in
the listing's shape (`cardData`, `safetensors`, `baseModels`, `tags`, `lastModified`), newest change first,
paginated by a `Link: <...>; rel="next"` header carrying an opaque cursor, filtered by `filter` (tags),
`author` and `search`. Faults can be set per page: an HTTP status (429 with Retry-After, 500) or a connection
dropped half-way through the body. Tests and `make bench` use it; nothing here is faked in the client.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def hub_item(i: int, changed: datetime | None = None) -> dict:
    """Model `i` as one item of the Hub's listing (the shape of `/api/models?expand=...`; see
    ../shared/realdata/model_cards/hf_api_json/ for a real one). Every tenth model is a distillation of a base."""
    distilled = i % 10 == 0
    repo_id = f"org{i % 97}/model-{i}"
    params = (1 + i % 70) * 1_000_000_000
    card = {"license": "apache-2.0", "library_name": "transformers", "tags": ["distillation"] if distilled else ["text-generation"]}
    if distilled:
        card["base_model"] = f"org{i % 7}/base-{i % 13}"
    if i % 50 == 0:  # a few cards say what training emitted (CodeCarbon's figure, in grams, as autotrain cards do)
        card["co2_eq_emissions"] = {"emissions": 1000.0 * (1 + i % 7), "source": "CodeCarbon", "training_type": "fine-tuning"}
    if i % 100 == 0:  # and fewer give their teacher and training data in Distill Ledger's block
        fact = {"quantity": "training_tokens", "value": 2e9, "unit": "tokens", "kind": "reported", "source": "model card"}
        card["ledger"] = {"teacher": "org10/model-10", "facts": [fact | {"url": f"https://huggingface.co/{repo_id}"}]}
    changed = changed or EPOCH - timedelta(minutes=i)
    return {
        "_id": f"{i:024x}",
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": f"{i:040x}",
        "lastModified": changed.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "createdAt": (EPOCH - timedelta(days=400, minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "private": False,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "tags": ["transformers", "safetensors", "text-generation", *(["distillation"] if distilled else []), "region:us"],
        "cardData": card,
        "safetensors": {"parameters": {"BF16": params}, "total": params},
        "baseModels": {"relation": "finetune", "models": [{"id": card["base_model"]}]} if distilled else None,
        "modelId": repo_id,
    }


@dataclass
class Fault:
    page: int  # 1-based page of the listing
    times: int  # how many requests for that page it spoils
    status: int | None = None  # an HTTP status to answer with instead
    retry_after: str | None = None
    drop: bool = False  # send half the body, then close the connection


class FakeHub:
    """`items`: the models (any order; served newest `lastModified` first, filtered). `total` + `generate`
    instead: models 0..total-1 made on demand, already newest first, unfiltered (for listings too large to hold)."""

    def __init__(
        self,
        items: list[dict] | None = None,
        page_size: int = 1000,
        total: int | None = None,
        generate: Callable[[int], dict] | None = None,
    ):
        self.items = items or []
        self.page_size = page_size
        self.total, self.generate = total, generate
        self.faults: list[Fault] = []
        self.requests: list[dict] = []  # path, query pairs and whether an authorization header came
        self.authorizations: list[str | None] = []
        self._server: ThreadingHTTPServer | None = None

    # -- the listing ------------------------------------------------------------------------------------------
    def _selected(self, query: list[tuple[str, str]]) -> list[dict]:
        tags = [v for k, v in query if k == "filter"]
        author = next((v for k, v in query if k == "author"), None)
        search = next((v for k, v in query if k == "search"), None)
        chosen = [
            item
            for item in self.items
            if all(t in item.get("tags", []) for t in tags)
            and (author is None or item.get("author") == author)
            and (search is None or search.lower() in item["id"].lower())
        ]
        return sorted(chosen, key=lambda item: (item.get("lastModified") or "", item["id"]), reverse=True)

    def page(self, query: list[tuple[str, str]]) -> tuple[list[dict], str | None, int]:
        """(items, next page's query string or None, page number)."""
        size = min(int(next((v for k, v in query if k == "limit"), self.page_size)), self.page_size)
        cursor = next((v for k, v in query if k == "cursor"), None)
        offset = json.loads(base64.urlsafe_b64decode(cursor))["offset"] if cursor else 0
        if self.generate is not None:
            items = [self.generate(i) for i in range(offset, min(offset + size, self.total))]
            more = offset + size < self.total
        else:
            selected = self._selected(query)
            items, more = selected[offset : offset + size], offset + size < len(selected)
        following = None
        if more:
            token = base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode()
            following = urlencode([(k, v) for k, v in query if k != "cursor"] + [("cursor", token)])
        return items, following, offset // size + 1

    def fail(self, page: int, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self.faults.append(Fault(page, times, status=status, retry_after=retry_after))

    def drop(self, page: int, times: int = 1) -> None:
        self.faults.append(Fault(page, times, drop=True))

    def _fault(self, page: int) -> Fault | None:
        for fault in self.faults:
            if fault.page == page and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    # -- the server -------------------------------------------------------------------------------------------
    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet: the test reads `hub.requests`
                pass

            def do_GET(self) -> None:  # noqa: N802 -- http.server's name
                url = urlparse(self.path)
                query = parse_qsl(url.query, keep_blank_values=True)
                hub.requests.append({"path": url.path, "query": query})
                hub.authorizations.append(self.headers.get("authorization"))
                if url.path != "/api/models":
                    return self._send(404, b'{"error":"not found"}')
                items, following, page = hub.page(query)
                fault = hub._fault(page)
                if fault is not None and fault.status is not None:
                    extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    return self._send(fault.status, b'{"error":"try again"}', extra)
                body = json.dumps(items).encode()
                extra = {"Link": f'<{hub.base_url}/api/models?{following}>; rel="next"'} if following else {}
                if fault is not None and fault.drop:
                    self.close_connection = True
                    return self._send(200, body, extra, cut=len(body) // 2)
                return self._send(200, body, extra)

            def _send(self, status: int, body: bytes, headers: dict | None = None, cut: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body if cut is None else body[:cut])
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeHub:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    """`python -m bench.hub_server TOTAL`: serve a generated listing of TOTAL models until killed; prints the URL."""
    import sys
    import time

    hub = FakeHub(total=int(sys.argv[1]), generate=hub_item)
    print(hub.start(), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
