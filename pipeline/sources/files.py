"""Reading a source's local path: one file, or every matching file under a folder."""

from __future__ import annotations

from pathlib import Path


def files_under(path: Path, patterns: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(name relative to `path`, bytes) for `path` itself or its matching files, in name order.

    Symbolic links are not followed, so a source folder cannot pull in files from elsewhere.
    """
    if path.is_file():
        return [(path.name, path.read_bytes())]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    found = {}
    for pattern in patterns:
        for item in path.rglob(pattern):
            if item.is_file() and not item.is_symlink():
                found[item.relative_to(path).as_posix()] = item
    return [(name, item.read_bytes()) for name, item in sorted(found.items())]
