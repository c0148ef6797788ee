"""Live sources against a real HTTP server on loopback serving real-format files, faults included."""

from __future__ import annotations

import time

import httpx
import pytest
from werkzeug import Response

from pipeline.catalogue import Source
from pipeline.fetch import FetchError, SnapshotStore, check_url, fetch
from pipeline.ingest import read_source
from tests.conftest import DATA_DIR, realdata

pytestmark = pytest.mark.timeout(60)
TABLE1 = (DATA_DIR / "paper" / "table1.csv").read_bytes()


def fast_fetch(url, store, **kwargs):
    return fetch(url, "src", store, allow_loopback=True, backoff=0, timeout=kwargs.pop("timeout", 2.0), **kwargs)


def test_only_https_unless_loopback_is_allowed():
    check_url("https://example.org/x.csv")
    with pytest.raises(FetchError):
        check_url("http://example.org/x.csv", allow_loopback=True)
    with pytest.raises(FetchError):
        check_url("http://127.0.0.1:8000/x.csv")
    with pytest.raises(FetchError):
        check_url("file:///etc/passwd", allow_loopback=True)
    check_url("http://127.0.0.1:8000/x.csv", allow_loopback=True)


def test_fetch_then_conditional_304_uses_the_snapshot(httpserver, tmp_path):
    store = SnapshotStore(tmp_path)
    httpserver.expect_ordered_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv", headers={"ETag": '"v1"'})
    httpserver.expect_ordered_request("/t1.csv", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    first, body = fast_fetch(httpserver.url_for("/t1.csv"), store)
    second, cached = fast_fetch(httpserver.url_for("/t1.csv"), store)
    assert (first.status, second.status) == ("fetched", "not_modified")
    assert body == cached == TABLE1 and first.sha256 == second.sha256 and first.bytes == len(TABLE1)
    httpserver.check_assertions()


def test_server_errors_are_retried(httpserver, tmp_path):
    httpserver.expect_ordered_request("/t1.csv").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/t1.csv").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv")
    record, body = fast_fetch(httpserver.url_for("/t1.csv"), SnapshotStore(tmp_path), retries=3)
    assert record.status == "fetched" and body == TABLE1


@pytest.mark.parametrize("fault", ["500", "html", "404"])
def test_a_failing_source_falls_back_to_its_last_good_snapshot(httpserver, tmp_path, fault):
    store = SnapshotStore(tmp_path)
    httpserver.expect_ordered_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv")
    assert fast_fetch(httpserver.url_for("/t1.csv"), store)[0].status == "fetched"

    handler = httpserver.expect_request("/t1.csv")
    if fault == "500":
        handler.respond_with_data("boom", status=500)
    elif fault == "html":
        handler.respond_with_data("<html>login</html>", content_type="text/html")
    else:
        handler.respond_with_data("gone", status=404)
    record, body = fast_fetch(httpserver.url_for("/t1.csv"), store, retries=1, timeout=0.5)
    assert record.status == "fallback" and body == TABLE1 and record.error


def test_a_timeout_falls_back_too(tmp_path):
    # Its own server, so the slow handler cannot hold up another test's requests.
    from pytest_httpserver import HTTPServer

    def slow(_request):
        time.sleep(1.0)
        return Response(TABLE1, content_type="text/csv")

    store = SnapshotStore(tmp_path)
    with HTTPServer() as server:
        server.expect_ordered_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv")
        server.expect_request("/t1.csv").respond_with_handler(slow)
        assert fast_fetch(server.url_for("/t1.csv"), store)[0].status == "fetched"
        started = time.monotonic()
        record, body = fast_fetch(server.url_for("/t1.csv"), store, retries=1, timeout=0.3)
        assert record.status == "fallback" and body == TABLE1 and "Timeout" in record.error
        assert time.monotonic() - started < 5  # bounded: two attempts of 0.3 s, no hang
        time.sleep(1.2)  # let the slow handler finish before the server stops


def test_a_truncated_body_falls_back(tmp_path):
    """A raw socket server that promises the whole file and hangs up a hundred bytes in."""
    import socket
    import threading

    store = SnapshotStore(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    served = []

    def serve():
        for attempt in range(3):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                body = TABLE1 if attempt == 0 else TABLE1[:100]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n"
                    + f"Content-Length: {len(TABLE1)}\r\n\r\n".encode()
                    + body
                )
            served.append(attempt)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/t1.csv"
    assert fast_fetch(url, store)[0].status == "fetched"
    record, body = fast_fetch(url, store, retries=1)
    thread.join(timeout=5)
    listener.close()
    assert record.status == "fallback" and body == TABLE1 and record.error


def test_failure_without_a_snapshot_says_so(httpserver, tmp_path):
    httpserver.expect_request("/missing.csv").respond_with_data("no", status=500)
    record, body = fast_fetch(httpserver.url_for("/missing.csv"), SnapshotStore(tmp_path), retries=1)
    assert record.status == "failed" and body is None and "500" in record.error


def test_refused_connection_is_a_failure_not_a_crash(tmp_path):
    record, body = fetch("http://127.0.0.1:9/x.csv", "src", SnapshotStore(tmp_path), allow_loopback=True, retries=1, backoff=0, timeout=0.5)
    assert record.status == "failed" and body is None


def test_live_epoch_benchmark_source_served_from_loopback(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_ALLOW_LOOPBACK_HTTP", "1")
    raw = realdata("leaderboards", "epoch__gpqa_diamond.sample.csv").read_bytes()
    httpserver.expect_request("/gpqa_diamond.csv").respond_with_data(
        raw, content_type="text/csv", headers={"Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}
    )
    source = Source(
        name="epoch_gpqa", kind="epoch_benchmarks", url=httpserver.url_for("/gpqa_diamond.csv"), options={"benchmark": "gpqa_diamond"}
    )
    result = read_source(source, SnapshotStore(tmp_path))
    assert result.frames["benchmarks"].height == 30 and not result.problems
    assert result.fetches[0].last_modified == "Mon, 02 Nov 2026 10:00:00 GMT"


def test_hub_cards_honour_hf_endpoint_and_hf_token(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_ALLOW_LOOPBACK_HTTP", "1")
    monkeypatch.setenv("HF_ENDPOINT", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("HF_TOKEN", "hf_test_secret_token")
    card = realdata("model_cards", "unsloth__Qwen3-8B-GGUF.md").read_bytes()
    httpserver.expect_request(
        "/unsloth/Qwen3-8B-GGUF/resolve/main/README.md", headers={"Authorization": "Bearer hf_test_secret_token"}
    ).respond_with_data(card, content_type="text/plain")
    source = Source(name="hub", kind="hf_model_cards", options={"repo_ids": ["unsloth/Qwen3-8B-GGUF"]})
    result = read_source(source, SnapshotStore(tmp_path))
    models = result.frames["models"].to_dicts()
    assert [m["model_name"] for m in models] == ["unsloth/Qwen3-8B-GGUF"] and models[0]["base_model"] == "Qwen/Qwen3-8B"
    assert "hf_test_secret_token" not in repr(result.fetches) and "hf_test_secret_token" not in repr(result.problems)

    # The card turns to binary garbage: the last good snapshot is read instead, and the source says so.
    httpserver.clear()
    httpserver.expect_request("/unsloth/Qwen3-8B-GGUF/resolve/main/README.md").respond_with_data(
        b"\x00\x01garbage", content_type="text/plain"
    )
    again = read_source(source, SnapshotStore(tmp_path))
    assert [m["model_name"] for m in again.frames["models"].to_dicts()] == ["unsloth/Qwen3-8B-GGUF"]
    assert any("last good snapshot" in p for p in again.problems)


def test_bounded_request_loop_against_loopback(httpserver, tmp_path):
    # A small, bounded burst: every fetch answers, none hangs.
    httpserver.expect_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv", headers={"ETag": '"v1"'})
    store = SnapshotStore(tmp_path)
    statuses = {fast_fetch(httpserver.url_for("/t1.csv"), store)[0].status for _ in range(20)}
    assert statuses <= {"fetched", "not_modified"}
    with httpx.Client() as client:
        assert client.get(httpserver.url_for("/t1.csv")).status_code == 200


def test_a_gzip_encoded_body_is_accepted_and_checked_on_the_bytes_received(httpserver, tmp_path):
    import gzip

    httpserver.expect_request("/t1.csv").respond_with_data(
        gzip.compress(TABLE1), content_type="text/csv", headers={"Content-Encoding": "gzip"}
    )
    record, body = fast_fetch(httpserver.url_for("/t1.csv"), SnapshotStore(tmp_path))
    assert record.status == "fetched" and body == TABLE1


def test_a_gzip_bomb_and_an_endless_stream_stop_at_the_cap_while_streaming(httpserver, tmp_path):
    import gzip

    bomb = gzip.compress(b"0" * (64 * 1024 * 1024))  # 64 MB from about 64 kB
    httpserver.expect_request("/bomb.csv").respond_with_data(bomb, content_type="text/csv", headers={"Content-Encoding": "gzip"})

    def endless(_request):
        return Response((b"x" * 65536 for _ in iter(int, 1)), content_type="text/csv")

    httpserver.expect_request("/endless.csv").respond_with_handler(endless)
    for path in ("/bomb.csv", "/endless.csv"):  # an endless stream that is not cut off ends only at the test's timeout
        record, body = fast_fetch(httpserver.url_for(path), SnapshotStore(tmp_path), max_bytes=4 * 1024 * 1024)
        assert record.status == "failed" and body is None and "over the 4194304-byte cap" in record.error


def test_a_trickling_server_is_cut_off_at_the_sources_deadline(httpserver, tmp_path):
    def trickle(_request):
        def body():
            for _ in range(100):
                time.sleep(0.2)
                yield b"a"

        return Response(body(), content_type="text/csv")

    httpserver.expect_request("/slow.csv").respond_with_handler(trickle)
    started = time.monotonic()
    record, _ = fast_fetch(httpserver.url_for("/slow.csv"), SnapshotStore(tmp_path), deadline_s=1.5)
    assert record.status == "failed" and "deadline" in record.error
    assert time.monotonic() - started < 15  # not a speed target: the whole trickle takes 20 s, the deadline is 1.5 s


def test_retry_after_is_honoured_and_a_long_one_is_not_waited_for(httpserver, tmp_path):
    httpserver.expect_ordered_request("/t1.csv").respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv")
    started = time.monotonic()
    record, body = fast_fetch(httpserver.url_for("/t1.csv"), SnapshotStore(tmp_path), retries=2)
    assert record.status == "fetched" and body == TABLE1 and time.monotonic() - started >= 1.0

    httpserver.expect_request("/later.csv").respond_with_data("come back tomorrow", status=503, headers={"Retry-After": "86400"})
    started = time.monotonic()
    record, _ = fast_fetch(httpserver.url_for("/later.csv"), SnapshotStore(tmp_path), retries=3)
    # not a speed target: honouring this Retry-After would wait a day
    assert record.status == "failed" and "Retry-After 86400 s" in record.error and time.monotonic() - started < 30


def test_a_redirect_obeys_the_rules_of_the_first_url(httpserver, tmp_path):
    httpserver.expect_request("/moved.csv").respond_with_data("", status=302, headers={"Location": "http://example.org/t1.csv"})
    record, body = fast_fetch(httpserver.url_for("/moved.csv"), SnapshotStore(tmp_path))
    assert record.status == "failed" and body is None and "redirect refused" in record.error
    httpserver.expect_request("/here.csv").respond_with_data("", status=302, headers={"Location": httpserver.url_for("/t1.csv")})
    httpserver.expect_request("/t1.csv").respond_with_data(TABLE1, content_type="text/csv")
    assert fast_fetch(httpserver.url_for("/here.csv"), SnapshotStore(tmp_path))[1] == TABLE1  # loopback to loopback: fine


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hf_secret@example.org/x.csv",
        "https://example.org/x.csv?access_token=hf_secret",
        "https://example.org/x.csv?a=1&API_KEY=hf_secret",
    ],
)
def test_a_url_carrying_credentials_is_refused_without_repeating_them(url):
    with pytest.raises(FetchError) as refused:
        check_url(url)
    assert "hf_secret" not in str(refused.value) and "environment" in str(refused.value)
