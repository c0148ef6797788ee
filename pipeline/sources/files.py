"""Reading a source's local path: one file, or every matching file under a folder."""

from __future__ import annotations

from pathlib import Path


def _read(item: Path, max_bytes: int | None) -> bytes:
    """At most `max_bytes` + 1 bytes: a file over the cap is known to be over it without being read whole
    (a sparse file's stated size is no guide to what reading it costs)."""
    if max_bytes is None:
        return item.read_bytes()
    with item.open("rb") as handle:
        return handle.read(max_bytes + 1)


def files_under(
    path: Path,
    patterns: tuple[str, ...],
    *,
    max_bytes: int | None = None,
    problems: list[str] | None = None,
    failed: list[str] | None = None,
) -> list[tuple[str, bytes]]:
    """(name relative to `path`, bytes) for `path` itself or its matching files, in name order.

    Symbolic links are not followed, so a source folder cannot pull in files from elsewhere. With `problems`,
    a file that cannot be read (a disk error, its permissions) is named there (and its name added to `failed`)
    and the others are still read; without it, the error is raised.
    """
    if path.is_file():
        items = {path.name: path}
    elif path.is_dir():
        items = {}
        for pattern in patterns:
            for item in path.rglob(pattern):
                if item.is_file() and not item.is_symlink():
                    items[item.relative_to(path).as_posix()] = item
    else:
        raise FileNotFoundError(f"{path} does not exist")
    found = []
    for name, item in sorted(items.items()):
        try:
            found.append((name, _read(item, max_bytes)))
        except OSError as exc:
            if problems is None:
                raise
            problems.append(f"{name}: could not be read ({exc.strerror or exc})")
            if failed is not None:
                failed.append(name)
    return found
