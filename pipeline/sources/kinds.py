"""The one registry of source kinds: what each reads, with which adapter, the catalogue options it takes and
how often it is refreshed. The catalogue, ingestion, validation, the schedules, snapshots and docs/sources.md all
read it, so a new kind is one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.registry import lookup
from pipeline.sources import epoch, hub_listing, leaderboards, model_cards, paper_table
from pipeline.sources.records import Batch

REFRESH = ("daily", "weekly", "manual")  # the schedules (assets/automation.py) run `daily` and `weekly` sources


@dataclass(frozen=True)
class Option:
    """A catalogue key a kind accepts besides name, kind, path, url, refresh and description."""

    types: tuple[type, ...]
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    keys: dict[str, Option] = field(default_factory=dict)  # for a mapping: the keys it may hold

    def problem(self, value) -> str | None:
        if not isinstance(value, self.types) or isinstance(value, bool) and bool not in self.types:
            return f"must be {' or '.join(dict.fromkeys(_TYPE_WORDS[t] for t in self.types))}, not {type(value).__name__}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, not {value!r}"
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            return "must be a list of text"
        if isinstance(value, dict):
            unknown = [str(key) for key in value if key not in self.keys]
            if unknown:
                return f"has `{unknown[0]}`, which is not one of {', '.join(self.keys)}"
            return next((f"`{key}` {why}" for key, v in value.items() for why in [self.keys[key].problem(v)] if why), None)
        return None


_TYPE_WORDS = {str: "text", bool: "true or false", list: "a list", float: "a number", int: "a number", dict: "a mapping"}

# Keys any source may carry: provenance of a file that has no manifest row, and the shrink guard.
COMMON_OPTIONS = {
    "shrink_guard": Option((bool,), "`false` accepts a file that now gives far fewer records than its archived version"),
    "snapshot_date": Option((str,), "date the file was taken from upstream"),
    "licence": Option((str,), "the data's licence"),
    "citation": Option((str,), "how to credit the data"),
    "upstream_url": Option((str,), "where the file comes from"),
    "sha256": Option((str,), "the upstream file's hash"),
}

Reader = Callable[[bytes, str, Batch, dict], None]


@dataclass(frozen=True)
class Kind:
    name: str
    reads: str  # one line for the docs: what a source of this kind is
    read: Reader  # fills `batch` from one input's bytes (`name` is the file's name, `options` the catalogue's)
    options: dict[str, Option] = field(default_factory=dict)
    patterns: tuple[str, ...] = ("*",)  # files read from a folder `path`
    refresh: str = "daily"  # when the catalogue entry does not say
    tags: frozenset[str] = frozenset()  # Dagster kinds shown on the asset
    annotates: bool = False  # describes models other sources create; never creates one itself
    columns: dict[str, tuple[str, ...]] | None = None  # the columns its reader looks for (snapshots keep these)
    lists_hub: bool = False  # reads the Hub's model listing: needs no `path` or `url` (pipeline/sources/hub_listing.py)
    tables: Callable[[dict], tuple[str, ...]] = lambda options: ("models", "model_facts", "benchmark_results")

    def all_options(self) -> dict[str, Option]:
        return self.options | COMMON_OPTIONS

    def check_options(self, options: dict) -> list[str]:
        """What is wrong with a catalogue entry's options for this kind, as sentences (empty: nothing)."""
        accepted = self.all_options()
        problems = [
            f"option `{key}` is not one a {self.name} source takes (it takes: {', '.join(sorted(accepted))})"
            for key in options
            if key not in accepted
        ]
        problems += [
            f"option `{key}` {why}" for key, value in options.items() if key in accepted for why in [accepted[key].problem(value)] if why
        ]
        problems += [
            f"option `{key}` is required: {option.doc}" for key, option in self.options.items() if option.required and key not in options
        ]
        return problems


def _cards(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    batch.extend(model_cards.parse_one(name, raw, batch.source_name))


def _epoch_models(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    epoch.read_models(raw, batch, domains=options.get("domains", ["Language"]), tasks=options.get("tasks", epoch.LANGUAGE_MODEL_TASKS))


def _epoch_benchmark(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    epoch.read_benchmark(raw, batch, benchmark=str(options.get("benchmark") or Path(name).stem))


def _lm_eval(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    if name.endswith(".jsonl"):
        leaderboards.read_lm_eval_samples(
            raw, name, batch, model=options.get("model"), temperature=options.get("temperature"), top_p=options.get("top_p")
        )
    else:
        leaderboards.read_lm_eval_results(raw, name, batch, model=options.get("model"))


def _simple_evals(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    leaderboards.read_simple_evals(raw, name, batch, model=str(options["model"]), benchmark=str(options["benchmark"]))


PAPER_TABLES = {"table1": paper_table.read_table1, "table2": paper_table.read_table2}


def _paper_table(raw: bytes, name: str, batch: Batch, options: dict) -> None:
    table = options.get("table", "table1")
    rows = PAPER_TABLES[table](raw, batch.source_name)
    batch.tables[f"paper_{table}"] = rows["rows"]
    batch.rejects += rows["rejects"].to_dicts()


_MODEL = Option((str,), "the model the file's scores are of (for files that do not name it)")

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in [
        Kind(
            "hf_model_cards",
            "a folder of Hugging Face Hub model cards (`*.md`, Hub API `*.model.json`), or `repo_ids` fetched from the Hub",
            _cards,
            refresh="manual",
            patterns=("*.md", "*.model.json"),
            options={"repo_ids": Option((list,), "Hub repo ids (owner/name) whose cards are fetched")},
            tags=frozenset({"huggingface", "markdown"}),
        ),
        Kind(
            "hf_hub",
            "the Hugging Face Hub's model listing (`/api/models`), filtered; crawled incrementally, newest change first",
            lambda raw, name, batch, options: hub_listing.read_listing_chunk(raw, name, batch),
            options={
                "filter": Option(
                    (dict,),
                    "which models: `tags` (all of them), `author`, `search`, `base_model` (models derived from it), "
                    "`pipeline_tag`, `limit` (models per crawl)",
                    keys={
                        "tags": Option((list, str), "Hub tags every model listed carries"),
                        "author": Option((str,), "the user or organisation"),
                        "search": Option((str,), "text in the model's id"),
                        "base_model": Option((str,), "a model the listed ones are derived from"),
                        "pipeline_tag": Option((str,), "the task, e.g. text-generation"),
                        "limit": Option((int,), "models per crawl at most"),
                    },
                )
            },
            tags=frozenset({"huggingface", "parquet"}),
            lists_hub=True,
        ),
        Kind(
            "epoch_models",
            "Epoch AI's AI-models CSV or Parquet (notable or all)",
            _epoch_models,
            options={
                "domains": Option((list,), "Epoch `Domain` values read (default: Language)"),
                "tasks": Option((list,), "Epoch tasks that make a row a language model (default: language tasks)"),
            },
            tags=frozenset({"csv"}),
            columns=epoch.MODEL_COLUMNS,
        ),
        Kind(
            "epoch_benchmarks",
            "an Epoch AI Benchmarking Hub CSV or Parquet",
            _epoch_benchmark,
            options={"benchmark": Option((str,), "the benchmark's id (default: the file's name, or a `task` column)")},
            tags=frozenset({"csv"}),
            columns=epoch.BENCHMARK_COLUMNS,
        ),
        Kind(
            "epoch_model_versions",
            "the Benchmarking Hub's model-versions table",
            lambda raw, name, batch, options: epoch.read_model_versions(raw, batch),
            tags=frozenset({"csv"}),
            annotates=True,
            columns=epoch.VERSION_COLUMNS,
        ),
        Kind(
            "epoch_distilled",
            "Epoch AI's distilled-models list",
            lambda raw, name, batch, options: epoch.read_distilled(raw, batch),
            tags=frozenset({"csv"}),
            annotates=True,
            columns=epoch.DISTILLED_COLUMNS,
        ),
        Kind(
            "open_llm_leaderboard",
            "the Open LLM Leaderboard v2 contents, CSV or Parquet",
            lambda raw, name, batch, options: leaderboards.read_open_llm_leaderboard(raw, batch),
            tags=frozenset({"csv", "parquet"}),
            columns=leaderboards.OLL_COLUMNS,
        ),
        Kind(
            "lm_eval",
            "lm-evaluation-harness `results_*.json` and `samples_*.jsonl`, a file or a folder",
            _lm_eval,
            patterns=("results_*.json", "samples_*.jsonl"),
            tags=frozenset({"json"}),
            options={
                "model": _MODEL,
                "temperature": Option((float, int), "sampling temperature of the sample logs"),
                "top_p": Option((float, int), "nucleus sampling top-p of the sample logs"),
            },
        ),
        Kind(
            "simple_evals",
            "a simple-evals output JSON",
            _simple_evals,
            tags=frozenset({"json"}),
            options={
                "model": Option((str,), "the model the file is of", required=True),
                "benchmark": Option((str,), "the benchmark the file is of", required=True),
            },
        ),
        Kind(
            "paper_table",
            "a published results table (the paper's Table 1 or Table 2)",
            _paper_table,
            tags=frozenset({"csv"}),
            options={"table": Option((str,), "which table the file is", choices=tuple(PAPER_TABLES))},
            tables=lambda options: (f"paper_{options.get('table', 'table1')}",),
        ),
    ]
}


def kind_of(name: str) -> Kind:
    return lookup(KINDS, name, "source kind")


def docs_table() -> str:
    """The kinds as the Markdown table docs/sources.md shows (a test keeps the two the same)."""
    lines = ["| kind | reads | options | refreshed |", "|---|---|---|---|"]
    for kind in KINDS.values():
        options = "; ".join(f"`{key}`{' (required)' if o.required else ''}: {o.doc}" for key, o in kind.options.items())
        lines.append(f"| `{kind.name}` | {kind.reads} | {options or '—'} | {kind.refresh} |")
    return "\n".join(lines)
