"""Parse untrusted bytes in worker processes, so that a parser that crashes or runs away costs one file.

The readers lean on native code (libyaml, polars' CSV, JSON and Parquet readers). An input that makes one
of them overflow the C stack, fault or allocate without end would take the whole run down with it if it
were parsed in the run's own process. Here each call runs in a long-lived worker process that has an
address-space limit and is given a time limit per chunk of work. A worker that dies (a signal, the memory
limit, the time limit) is replaced; the chunk it was on is tried again one input at a time, and the input
that kills a worker on its own is returned as `Died` with the reason, for its caller to quarantine.

Workers are started once per process (multiprocessing's spawn: forking a process whose polars thread
pool is running can deadlock the child) and reused by every later call. Where a worker cannot be started
at all (a daemonic process, a platform without spawn), calls run in this process and say so.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
import zlib
from dataclasses import dataclass
from multiprocessing.connection import wait

SECONDS_PER_CHUNK = 60.0  # the largest real input (the full Open LLM table) parses in about a second
SECONDS_PER_MB = 2.0  # and more for a larger input: a 200 MB file (the size cap) gets 460 s
# Every reader, imported by a worker before its memory limit is set: one worker serves every source kind.
PRELOAD = ("pipeline.ingest",)
MEMORY_BYTES = 4 << 30  # address space a worker may take beyond what it holds once its readers are imported
MEMORY_PER_INPUT_BYTE = 24  # and more for a larger input: parsed rows as Python objects take many times their bytes
START_SECONDS = 60.0  # a worker imports polars and the readers before it says it is ready


@dataclass(frozen=True)
class Limits:
    seconds: float = SECONDS_PER_CHUNK
    memory_bytes: int = MEMORY_BYTES
    seconds_per_mb: float = SECONDS_PER_MB

    def deadline(self, calls: list[tuple]) -> float:
        """Seconds a chunk may take: the base, and more for the bytes it parses (its calls' `bytes` arguments)."""
        return self.seconds + self.seconds_per_mb * _size(calls) / 1e6

    def memory(self, calls: list[tuple]) -> int:
        return max(self.memory_bytes, MEMORY_PER_INPUT_BYTE * _size(calls))


def _size(calls: list[tuple]) -> int:
    return sum(len(a) for args in calls for a in args if isinstance(a, (bytes, bytearray)))


@dataclass(frozen=True)
class Died:
    """An input whose parse killed its worker, or that the worker gave up on; `reason` says how."""

    reason: str


class Unavailable(RuntimeError):
    """No worker process could be started here."""


def _address_space() -> int:
    """This process's address space now (0 where the platform does not say)."""
    try:
        with open("/proc/self/status") as status:
            return next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
    except OSError:
        return 0


def _limit_memory(baseline: int, memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time limit still applies
        return
    if baseline:
        resource.setrlimit(resource.RLIMIT_AS, (baseline + memory_bytes, resource.RLIM_INFINITY))


def _orphan_watch(parent: int) -> None:
    """End this worker when the process that started it is gone (killed, say): a worker busy with a runaway
    input would otherwise never read the end of its pipe."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _serve(conn, parent: int) -> None:
    """The worker's loop: take (function, [args, ...], memory limit), answer with one ("ok", value) or ("error",
    text) per args, compressed; an empty message ends it."""
    _orphan_watch(parent)
    import importlib

    for module in PRELOAD:  # imported before the limit is set, so the limit is on what parsing adds
        importlib.import_module(module)
    baseline = _address_space()
    conn.send_bytes(b"ready")
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return
        if message == b"":
            return
        func, calls, memory_bytes = pickle.loads(message)  # from our own parent process, never outside data
        _limit_memory(max(baseline, _address_space()), memory_bytes)  # on what this chunk adds
        results = []
        for args in calls:
            try:
                results.append(("ok", func(*args)))
            except MemoryError:
                results.append(("error", f"over the {memory_bytes >> 20} MiB memory limit for one parse"))
            except Exception as exc:  # noqa: BLE001 -- reported to the parent, which quarantines the input
                results.append(("error", f"{type(exc).__name__}: {exc}"[:300]))
        try:
            conn.send_bytes(zlib.compress(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL), 1))
        except MemoryError:
            conn.send_bytes(zlib.compress(pickle.dumps([("error", "its parsed records were over the memory limit")] * len(calls)), 1))


class _Worker:
    def __init__(self, limits: Limits):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.limits = limits
        self.process = context.Process(target=_serve, args=(child, os.getpid()), daemon=True, name="distill-ledger-parser")
        try:
            self.process.start()
        except (AssertionError, OSError, RuntimeError) as exc:  # e.g. "daemonic processes are not allowed to have children"
            raise Unavailable(f"no parser process could be started: {exc}") from exc
        finally:
            child.close()
        if not self.conn.poll(START_SECONDS) or self._recv() != b"ready":
            self.stop()
            raise Unavailable("the parser process did not start")
        self.deadline, self.allowed = 0.0, 0.0

    def _recv(self) -> bytes | None:
        try:
            return self.conn.recv_bytes()
        except (EOFError, OSError):
            return None

    def send(self, func, calls: list[tuple]) -> None:
        self.allowed = self.limits.deadline(calls)
        self.deadline = time.monotonic() + self.allowed
        self.conn.send_bytes(pickle.dumps((func, calls, self.limits.memory(calls)), protocol=pickle.HIGHEST_PROTOCOL))

    def take(self) -> list[tuple[str, object]] | None:
        """The finished chunk's results, or None when the worker died on it."""
        packed = self._recv()
        return pickle.loads(zlib.decompress(packed)) if packed else None

    def alive(self) -> bool:
        return self.process.is_alive()

    def death(self, timed_out: bool) -> str:
        if timed_out:
            return f"its parse ran over the {self.allowed:.3g} s limit and was stopped"
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGKILL": " (likely out of memory)", "SIGABRT": " (possibly over its memory limit)"}.get(name, "")
            return f"the parser process died of {name}{hint} while reading it"
        return f"the parser process ended (exit code {code}) while reading it"

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


_pool: dict[Limits, list[_Worker]] = {}
_lock = threading.Lock()


def _started(limits: Limits, count: int) -> list[_Worker]:
    """Up to `count` live workers with these limits, starting what is missing."""
    workers = _pool.setdefault(limits, [])
    for worker in [w for w in workers if not w.alive()]:
        worker.stop()
        workers.remove(worker)
    while len(workers) < count:
        workers.append(_Worker(limits))
    return workers[:count]


def _retire(limits: Limits, worker: _Worker) -> None:
    worker.stop()
    if worker in _pool.get(limits, []):
        _pool[limits].remove(worker)


@atexit.register
def shutdown() -> None:
    """Stop every worker (also used by tests to check that a fresh start works)."""
    with _lock:
        for workers in _pool.values():
            for worker in workers:
                with contextlib.suppress(OSError):  # a worker that already died
                    worker.conn.send_bytes(b"")
                worker.stop()
        _pool.clear()


def map_contained(func, calls: list[tuple], *, workers: int = 1, chunk: int = 1, limits: Limits = Limits()) -> list:
    """`func(*args)` for each args in `calls`, in order, each result a value or `Died`, on up to `workers`
    processes, `chunk` calls at a time. `func` must be importable by name (a module-level function).
    An exception in `func` is returned as `Died` too: the caller treats both as an input it could not read.
    Raises Unavailable when no worker can be started."""
    if not calls:
        return []
    results: list = [None] * len(calls)
    pending = [list(range(i, min(i + chunk, len(calls)))) for i in range(0, len(calls), chunk)]
    pending.reverse()  # taken from the end: the first chunk first
    wanted = max(1, min(workers, len(pending)))
    with _lock:
        idle = _started(limits, wanted)
        busy: dict[_Worker, list[int]] = {}  # worker -> the call indexes it is parsing
        while pending or busy:
            while pending and len(busy) < wanted:
                worker = idle.pop() if idle else _started(limits, len(_pool.get(limits, [])) + 1)[-1]
                members = pending.pop()
                try:
                    worker.send(func, [calls[m] for m in members])
                except OSError:  # it died between chunks: the chunk goes back, the worker is replaced
                    pending.append(members)
                    _retire(limits, worker)
                    continue
                busy[worker] = members
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
            for worker, members in list(busy.items()):
                finished = worker.conn in ready or worker.process.sentinel in ready
                timed_out = not finished and time.monotonic() >= worker.deadline
                if not (finished or timed_out):
                    continue
                del busy[worker]
                values = worker.take() if finished else None
                if values is not None:
                    for member, (status, value) in zip(members, values, strict=True):
                        results[member] = value if status == "ok" else Died(f"could not be read: {value}")
                    idle.append(worker)
                    continue
                reason = worker.death(timed_out)
                _retire(limits, worker)
                if len(members) == 1:
                    results[members[0]] = Died(reason)
                else:  # which input it was is not known: each is tried again on its own
                    pending += [[m] for m in reversed(members)]
    return results


def _here(func, args: tuple):
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 -- the same as a worker reports it
        return Died(f"could not be read: {type(exc).__name__}: {exc}"[:300])


def map_guarded(func, calls: list[tuple], **options) -> tuple[list, str | None]:
    """`map_contained`, or where no worker can be started the same calls in this process, with a note saying
    that this parse had no crash guard (for the caller to report)."""
    try:
        return map_contained(func, calls, **options), None
    except Unavailable as exc:
        return [_here(func, args) for args in calls], f"parsed in the run's own process, without a crash guard: {exc}"
