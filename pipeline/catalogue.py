"""The sources catalogue (`sources.yaml`, or the file `LEDGER_SOURCES` names): what to read and from where."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.paths import PROJECT_ROOT
from pipeline.registry import UnknownName
from pipeline.sources.kinds import KINDS, REFRESH, kind_of
from pipeline.sources.safe_yaml import UnsafeYaml, check_yaml

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CatalogueError(ValueError):
    """The catalogue itself is unusable: the run cannot know what to read."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    path: Path | None = None
    url: str | None = None
    refresh: str | None = None  # daily, weekly or manual; None: the kind's default (pipeline/sources/kinds.py)
    description: str = ""
    options: dict = field(default_factory=dict)  # kind-specific keys (table, benchmark, model, repo_ids, ...)

    def __post_init__(self) -> None:
        if self.refresh is None:  # an unknown kind fails here, by name, not later as a source that reads nothing
            object.__setattr__(self, "refresh", kind_of(self.kind).refresh)

    @property
    def spec(self):
        """The kind's entry in the registry: adapter, options, tables it writes."""
        return kind_of(self.kind)

    @property
    def is_live(self) -> bool:
        return bool(self.url or self.options.get("repo_ids") or self.spec.lists_hub)

    @property
    def provenance(self) -> dict[str, str | None]:
        """Snapshot date, licence, citation and upstream of what the source reads: from the snapshot manifest
        beside an embedded snapshot (data/snapshots/manifest.csv), else from the catalogue entry's own keys."""
        from pipeline.snapshot import read_manifest  # the manifest's one reader (it imports the source readers)

        listed = {}
        if self.path is not None:
            listed = next((r for r in read_manifest(self.path.parent / "manifest.csv") if r.get("file") == self.path.name), {})
        return {
            key: (str(self.options.get(key) or "") or listed.get(key) or None)
            for key in ("snapshot_date", "licence", "citation", "upstream_url", "sha256")
        }


# Places no data source lives in, whose files must never be copied into the archive or quoted in the quarantine
# of a published database: the kernel's and devices' files, system configuration, and the hidden folders of the
# home directory (keys, tokens, caches such as ~/.cache/huggingface/token).
SYSTEM_LOCATIONS = ("/proc", "/sys", "/dev", "/etc", "/boot", "/run", "/var/run")


def _check_path(where: str, path: Path, catalogue_folder: Path) -> None:
    """Refuse a source path in SYSTEM_LOCATIONS, unless it is inside this project or the catalogue's own folder
    (wherever a checkout happens to live)."""
    resolved = path.resolve()
    if any(resolved.is_relative_to(trusted.resolve()) for trusted in (PROJECT_ROOT, catalogue_folder)):
        return
    for location in SYSTEM_LOCATIONS:
        if resolved.is_relative_to(location):
            raise CatalogueError(f"{where}: `path` {str(path)!r} is under {location}, a system location, not a data source")
    home = Path.home().resolve()
    if resolved != home and resolved.is_relative_to(home) and resolved.relative_to(home).parts[0].startswith("."):
        raise CatalogueError(
            f"{where}: `path` {str(path)!r} is in the hidden folder "
            f"~/{resolved.relative_to(home).parts[0]} (keys and tokens live there), not a data source"
        )


def _check_locations(where: str, local, url, repo_ids) -> None:
    """`path` a string; `url` one the fetcher will request (https, no credentials); `repo_ids` a list of Hub ids."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    from pipeline.fetch import FetchError, allow_loopback_http, check_url

    if local is not None and not isinstance(local, str):
        raise CatalogueError(f"{where}: `path` must be a string, not {type(local).__name__}")
    if url is not None:
        if not isinstance(url, str):
            raise CatalogueError(f"{where}: `url` must be a string, not {type(url).__name__}")
        try:
            check_url(url, allow_loopback_http())
        except FetchError as exc:
            raise CatalogueError(f"{where}: `url`: {exc}") from exc
    if repo_ids is not None:
        if not isinstance(repo_ids, list) or not all(isinstance(r, str) for r in repo_ids):
            raise CatalogueError(f"{where}: `repo_ids` must be a list of Hub repo ids (owner/name)")
        for repo_id in repo_ids:
            try:
                validate_repo_id(repo_id)
            except HFValidationError as exc:
                raise CatalogueError(f"{where}: `repo_ids` entry {repo_id!r} is not a Hub repo id: {str(exc).splitlines()[0]}") from exc


def catalogue_path() -> Path:
    value = os.environ.get("LEDGER_SOURCES")
    return Path(value).resolve() if value else PROJECT_ROOT / "sources.yaml"


def load_catalogue(path: Path | None = None) -> list[Source]:
    """Read and check the catalogue; relative paths are resolved against the catalogue's folder."""
    path = path or catalogue_path()
    try:
        text = path.read_text(encoding="utf-8")
        check_yaml(text)
        doc = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, UnsafeYaml) as exc:
        raise CatalogueError(f"cannot read the sources catalogue {path}: {exc}") from exc
    entries = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: expected a top-level `sources:` list")
    if not entries:
        raise CatalogueError(f"{path}: the `sources:` list is empty: there is nothing to read")
    sources, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"{path}: source #{index + 1}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where} is not a mapping")
        name, kind = str(entry.get("name", "")), entry.get("kind")
        if not _NAME.match(name):
            raise CatalogueError(f"{where}: name {name!r} must be lower-case letters, digits and _")
        if name in seen:
            raise CatalogueError(f"{where}: duplicate name {name!r}")
        try:
            spec = kind_of(kind)
        except UnknownName:
            raise CatalogueError(f"{where} ({name}): kind {kind!r} is not one of {', '.join(KINDS)}") from None
        refresh = entry.get("refresh", spec.refresh)
        if refresh not in REFRESH:
            raise CatalogueError(f"{where} ({name}): refresh {refresh!r} is not one of {', '.join(REFRESH)}")
        local = entry.get("path")
        options = {k: v for k, v in entry.items() if k not in {"name", "kind", "path", "url", "refresh", "description"}}
        if not local and not entry.get("url") and not options.get("repo_ids") and not spec.lists_hub:
            raise CatalogueError(f"{where} ({name}): needs a `path`, a `url` or `repo_ids`")
        _check_locations(f"{where} ({name})", local, entry.get("url"), options.get("repo_ids"))
        problems = spec.check_options(options)
        if problems:
            raise CatalogueError(f"{where} ({name}): " + "; ".join(problems))
        location = path.parent / Path(local).expanduser() if local else None  # relative to the catalogue; `~` is home
        if location is not None:
            _check_path(f"{where} ({name})", location, path.parent)
        seen.add(name)
        sources.append(
            Source(
                name=name,
                kind=kind,
                path=location.resolve() if location is not None else None,
                url=entry.get("url"),
                refresh=refresh,
                description=str(entry.get("description", "")),
                options=options,
            )
        )
    return sources
