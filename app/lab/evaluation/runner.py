"""Runs EvalItems through the chosen modes, appending one RunRecord per (item, mode) to records.jsonl as it
goes; a rerun with the same --out skips what is already there (interrupt and resume).

App layer (evaluation lab); used by the CLI, the quality gate and the tests. One writer per --out folder.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError

from app import GuardedRAG
from app.lab.evaluation.datasets import default_data_dir
from app.lab.evaluation.modes import grounding_record, guarded_record, raw_record, retrieval_record, screen_record
from app.lab.evaluation.records import GROUNDING_KINDS, MODES, SCREENED_KINDS, EvalItem, Mode, RunMeta, RunRecord
from app.lab.outfolder import foreign_folder

RECORDS = "records.jsonl"
META = "meta.json"


class ResumeMismatch(ValueError):
    """--out holds records made with another backend, model or settings: mixing them would be meaningless."""


class OutFolderError(ValueError):
    """--out names a folder that holds something other than an evaluation run: nothing is written into it."""


def out_problem(out: Path) -> str | None:
    """Why a run must not write into `out`, or None: it is missing, empty, or an earlier run's folder (its
    meta.json reads as a RunMeta). A run writes report.md, report.json, meta.json, records.jsonl and plots, and
    replaced a user's own files of those names (`--out ~/notes`); resuming cut a foreign records.jsonl short."""
    return foreign_folder(out, marker=META, ours=_is_run_meta, what="an evaluation run")


def _is_run_meta(data: bytes) -> bool:
    try:
        RunMeta.model_validate_json(data)
    except ValidationError:
        return False
    return True


def check_out(out: Path) -> None:
    """OutFolderError unless `out` can take this run's files without replacing anything that is not a run's."""
    problem = out_problem(out)
    if problem:
        raise OutFolderError(f"{out} is left as it is: {problem}; name a new or empty folder (or an earlier run's)")


def load_records(path: Path) -> dict[tuple[str, str, str], RunRecord]:
    """Records already written. A line cut short by an interrupt is dropped (and cut off the file, so the
    next append starts on a fresh line)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        path.write_bytes(data)
    done: dict[tuple[str, str, str], RunRecord] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():  # a damaged line is redone, not a crash
        if not line.strip():
            continue
        try:
            record = RunRecord.model_validate_json(line)
        except ValidationError:
            continue  # a record from an older format: redo that item
        done[record.key] = record
    return done


def corpus_id(svc: GuardedRAG) -> str:
    """The collection a service retrieves from and what is in it: '<collection>@<12 hex digits>' over the embedder
    and each indexed file's hash, so a re-ingested corpus under the same name is another corpus."""
    stats = svc.index_stats()
    files = sorted(f"{d.source}\0{d.file_sha}" for d in svc.documents())
    digest = hashlib.sha256("\n".join([stats.embedder_id, *files]).encode("utf-8")).hexdigest()[:12]
    return f"{svc.settings.collection}@{digest}"


def run_meta(svc: GuardedRAG, modes: Sequence[Mode], datasets: Iterable[str] = ()) -> RunMeta:
    """What records of `datasets` made by `svc` depend on (the corpus only when some dataset is named)."""
    ref = svc.answering_model()
    names = tuple(dict.fromkeys(datasets))
    corpus = corpus_id(svc) if names else ""
    return RunMeta(
        backend=ref.kind,
        model=ref.model,
        modes=tuple(modes),
        collection=svc.settings.collection,
        top_k=svc.settings.top_k,
        retrieval=svc.settings.retrieval,
        policy=hashlib.sha256(svc.policy.model_dump_json().encode("utf-8")).hexdigest()[:12],
        corpora=dict.fromkeys(names, corpus),
    )


SETTINGS_KEYS = ("backend", "model", "top_k", "retrieval", "policy")


def _mismatch(old: RunMeta, meta: RunMeta) -> str | None:
    """Why records made under `old` cannot be resumed under `meta`, or None."""
    if any(getattr(old, k) != getattr(meta, k) for k in SETTINGS_KEYS):
        was = " ".join(f"{k}={getattr(old, k)}" for k in SETTINGS_KEYS)
        now = " ".join(f"{k}={getattr(meta, k)}" for k in SETTINGS_KEYS)
        return f"a run with {was}, not {now}"
    for name, corpus in meta.corpora.items():
        # A folder written before corpora were kept says only which collection it last used (no digest).
        earlier = old.corpora.get(name) if old.corpora else f"{old.collection}@"
        if earlier is None:
            continue
        (was, _, was_digest), (now, _, digest) = earlier.partition("@"), corpus.partition("@")
        if was != now:
            return f"{name} results computed on collection {was}, not {now}"
        if was_digest and was_digest != digest:
            return (
                f"{name} results computed on another corpus in collection {now} (re-ingested since: {was_digest}, now {digest})"
            )
    return None


def check_meta(out: Path, meta: RunMeta, *, fresh: bool) -> None:
    """ResumeMismatch unless the records in `out` were made with `meta`'s backend, model, settings, policy and,
    per dataset, corpus; then meta.json says what every dataset in the folder was computed on."""
    check_out(out)
    path = out / META
    corpora = meta.corpora
    if fresh:
        (out / RECORDS).unlink(missing_ok=True)
    elif path.exists():
        old = RunMeta.model_validate_json(path.read_text(encoding="utf-8"))
        problem = _mismatch(old, meta)
        if problem:
            raise ResumeMismatch(f"{out} holds {problem}: use --fresh or another --out")
        corpora = old.corpora | meta.corpora
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(meta.model_copy(update={"corpora": corpora}).model_dump_json(indent=2), encoding="utf-8")


def plan(
    items: Sequence[EvalItem], modes: Sequence[Mode], done: dict[tuple[str, str, str], RunRecord]
) -> list[tuple[EvalItem, Mode]]:
    """(item, mode) pairs still to run. Injection kinds have no raw column (raw has no input guardrail)."""
    return [
        (item, mode)
        for item in items
        for mode in MODES
        if mode in modes
        and (item.dataset, item.id, mode) not in done
        and not (mode == "raw" and item.kind in SCREENED_KINDS | GROUNDING_KINDS)
    ]


def run_eval(
    svc: GuardedRAG,
    items: Sequence[EvalItem],
    *,
    out: Path,
    modes: Sequence[Mode] = MODES,
    fresh: bool = False,
    progress: bool = True,
    on_record: Callable[[RunRecord], None] | None = None,
    screen: frozenset[str] = SCREENED_KINDS,
    retrieval: frozenset[str] = frozenset(),
    docs: Path | None = None,
) -> list[RunRecord]:
    """Run what is missing and return the records of `items` (old and new), in item order. Guarded items
    of a kind in `screen` stop after the input guardrails (e.g. the gate screens vague/clear too: their
    clarify decision is made there, and the model call after it would only cost time). Guarded items of a
    kind in `retrieval` stop after the retrieval guardrails (relevance measured without model calls). Grounding-set
    items (a given answer and its passage in `docs`, default data/docs) go to the output guardrails only."""
    check_meta(out, run_meta(svc, modes, (i.dataset for i in items)), fresh=fresh)
    path = out / RECORDS
    done = load_records(path)
    # "passed" is what a run stopped before the model says (--input-only, --retrieval-only), never svc.ask: an item
    # that now goes through the whole chain is redone, not resumed (both runs default to the same --out folder).
    for item in items:
        for mode in MODES:  # a record of an edited row (same id, another question or label) is stale: redo it
            stale = done.get((item.dataset, item.id, mode))
            if stale is not None and stale.item is not None and stale.item != item.fingerprint:
                del done[stale.key]
        key = (item.dataset, item.id, "guarded")
        if item.kind not in screen | retrieval | GROUNDING_KINDS and key in done and done[key].status == "passed":
            del done[key]
    todo = plan(items, modes, done)
    if any(mode == "raw" or item.kind not in screen | retrieval | GROUNDING_KINDS for item, mode in todo):
        svc.preload()  # the cold load belongs to the latency experiment, not to p95 here
    from tqdm import tqdm  # deferred: only a run draws a bar

    desc = items[0].dataset if items else "eval"
    with (
        path.open("a", encoding="utf-8") as fh,
        tqdm(total=len(todo), desc=desc, unit="q", file=sys.stderr, disable=not progress or not todo) as bar,
    ):
        for item, mode in todo:
            if mode == "raw":
                record = raw_record(svc, item)
            elif item.kind in screen:
                record = screen_record(svc, item)
            elif item.kind in retrieval:
                record = retrieval_record(svc, item)
            elif item.kind in GROUNDING_KINDS:
                record = grounding_record(svc, item, docs or default_data_dir() / "docs")
            else:
                record = guarded_record(svc, item)
            fh.write(record.model_dump_json() + "\n")
            fh.flush()  # an interrupt loses at most the question in flight
            done[record.key] = record
            if on_record is not None:
                on_record(record)
            bar.update(1)
    return [done[(i.dataset, i.id, m)] for i in items for m in MODES if (i.dataset, i.id, m) in done and m in modes]
