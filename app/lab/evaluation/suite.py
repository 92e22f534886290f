"""One `guarded-rag eval` run: resolve dataset names, run each through the right service (CMRC gets its own
collection), add the benign companions for injection sets, then write report.json, report.md and plots.

App layer (evaluation lab): the function behind the CLI; the UI and the gate can call it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from app import GuardedRAG, IngestProgress, env_name
from app.lab.evaluation.cmrc import prepare_cmrc
from app.lab.evaluation.dataset_file import DatasetError
from app.lab.evaluation.datasets import (
    INJECTION_SETS,
    benign_companions,
    dataset_labels,
    default_shared,
    resolve,
    select,
)
from app.lab.evaluation.plots import write_plots
from app.lab.evaluation.records import MODES, RETRIEVAL_KINDS, SCREENED_KINDS, Mode, RunMeta, RunRecord
from app.lab.evaluation.report import EvalReport, build_report, to_markdown
from app.lab.evaluation.runner import META, RECORDS, check_out, run_eval, run_meta


class EvalOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    report: EvalReport
    records: tuple[RunRecord, ...]
    files: tuple[Path, ...]


def evaluate(
    svc: GuardedRAG,
    names: Sequence[str],
    *,
    out: Path,
    shared: Path | None = None,
    eval_dir: Path | None = None,
    limit: int | None = None,
    split: str = "all",
    modes: Sequence[Mode] = MODES,
    fresh: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = lambda _: None,
    ingest_progress: Callable[[IngestProgress], None] | None = None,
    input_only: bool = False,
    retrieval_only: bool = False,
    against: str | None = None,
    as_unanswerable: bool = False,
) -> EvalOutcome:
    """`input_only` scores vague/clear items at the input stage (exact for clarify P/R/F1, no model calls);
    `retrieval_only` scores answerable/unanswerable items after the retrieval guardrails (relevance refusals
    and recall@k, no model calls). `against` runs every set against that collection (e.g. off-corpus
    questions against cmrc2018-dev) instead of each set's own; `as_unanswerable` relabels every item as
    unanswerable (questions about another corpus: CMRC trial questions against the dev passages)."""
    check_out(out)  # before any set is resolved or ingested: the report is written even when every set is skipped
    screen = SCREENED_KINDS | ({"vague", "clear"} if input_only else set())
    retrieval = RETRIEVAL_KINDS if retrieval_only else frozenset()
    shared = shared or default_shared()
    records: list[RunRecord] = []
    ran: list[str] = []
    skipped: list[str] = []
    notes: list[str] = []
    first = True
    fixed: GuardedRAG | None = None
    if against is not None:
        fixed = _collection_service(svc, against, shared, log, ingest_progress)
        if fixed is None:
            skipped.append(f"all sets (collection {against}: its passages are not under {shared})")
            names = ()
    for name, label in dataset_labels(names, eval_dir=eval_dir).items():
        items = resolve(name, shared=shared, eval_dir=eval_dir)
        if items is None:
            skipped.append(f"{name} (not found under {shared})")
            log(f"skipping {name}: its data is not under {shared}")
            continue
        # the split is drawn on the set's own key (its stem), whatever label this run gives it
        items = [i.model_copy(update={"dataset": label}) for i in select(items, split=split, limit=limit)]
        if not items:  # said, not a bare "nothing was evaluated"
            skipped.append(f"{name} (no questions{f' in the {split} split' if split != 'all' else ''})")
            log(f"skipping {name}: it has no questions{f' in the {split} split' if split != 'all' else ''}")
            ran.append(name)  # an injection set's benign companions are still measured on this split
            continue
        if as_unanswerable:
            items = [i.model_copy(update={"kind": "unanswerable", "dataset": f"{i.dataset}(off)"}) for i in items]
        target: GuardedRAG | None = fixed or svc
        if fixed is None and name.startswith("cmrc2018-"):
            target = _collection_service(svc, name, shared, log, ingest_progress)
        if target is None:  # the passages file went missing between resolve() and here
            skipped.append(f"{name} (passages not found under {shared})")
            continue
        records += run_eval(
            target,
            items,
            out=out,
            modes=modes,
            fresh=fresh and first,
            progress=progress,
            screen=frozenset(screen),
            retrieval=retrieval,
        )
        first = False
        ran.append(name)
    if any(n in INJECTION_SETS for n in ran):
        benign = benign_companions(eval_dir, split=split)
        records += run_eval(svc, benign, out=out, modes=("guarded",), fresh=fresh and first, progress=progress)
        first = False
        notes.append(
            f"false positives measured on {len(benign)} benign questions (clear questions of vague.jsonl and golden.jsonl), input stage only"
        )
    if any(n in INJECTION_SETS for n in ran):
        notes.append(
            "injection/adversarial items are scored at the input stage (flagged = an input guardrail refused); they are never sent to a model"
        )
    if retrieval_only or any(r.relevance is not None for r in records):
        params = (fixed or svc).policy.params("relevance")
        keys = ("min_hybrid", "min_hybrid_zh", "unknown_weight", "name_weight")
        notes.append(
            f"relevance thresholds ({(fixed or svc).settings.retrieval} retrieval): "
            + ", ".join(f"{k}={params[k]}" for k in keys if k in params)
        )
    if retrieval_only:
        notes.append(
            "--retrieval-only: answerable/unanswerable items stopped after the retrieval guardrails (svc.screen_retrieval); "
            "refused = relevance (or an input guardrail) would refuse; no model calls"
        )
    if against is not None:
        notes.append(f"every set ran against collection {against}")
    if as_unanswerable:
        notes.append("--as-unanswerable: every item relabelled unanswerable (questions about another corpus)")
    if input_only:
        notes.append(
            "--input-only: vague/clear items were scored at the input stage (clarify decided there); no model calls for them"
        )
    meta = run_meta(fixed or svc, modes)
    out.mkdir(parents=True, exist_ok=True)
    if fresh and first:  # no set ran (so none discarded the folder's records): --fresh still starts over
        (out / RECORDS).unlink(missing_ok=True)
        (out / META).unlink(missing_ok=True)
    if (out / META).exists():  # the collection and corpus each reported set was computed on, as the run kept them
        kept = RunMeta.model_validate_json((out / META).read_text(encoding="utf-8")).corpora
        corpora = {r.dataset: kept[r.dataset] for r in records if r.dataset in kept}
        collections = {c.split("@")[0] for c in corpora.values()}
        # `eval cmrc2018-dev` ran on its own collection: the report named the user's ("docs")
        one = {"collection": collections.pop()} if len(collections) == 1 else {}
        meta = meta.model_copy(update={"corpora": corpora, **one})
    else:  # every set skipped: still a run's folder, which the same command may resume
        (out / META).write_text(meta.model_dump_json(indent=2), encoding="utf-8")
    report = build_report(meta, records, skipped=skipped, notes=notes)
    files = [out / "report.json", out / "report.md"]
    files[0].write_text(report.model_dump_json(indent=2), encoding="utf-8")
    files[1].write_text(to_markdown(report), encoding="utf-8")
    files += write_plots(report, records, out)
    return EvalOutcome(report=report, records=tuple(records), files=tuple(files))


def _collection_service(
    svc: GuardedRAG,
    name: str,
    shared: Path,
    log: Callable[[str], None],
    ingest_progress: Callable[[IngestProgress], None] | None,
) -> GuardedRAG | None:
    """The service over collection `name`: CMRC 2018 splits are prepared (ingested once into their own
    collection); any other name is an existing collection of this home, used as it is."""
    if name.startswith("cmrc2018-"):
        log(f"{name}: ingesting passages into collection {name} (once; later runs skip unchanged files)")
        return prepare_cmrc(svc, name.removeprefix("cmrc2018-"), shared, progress=ingest_progress)
    try:
        target = svc.derive(collection=name)
    except ValidationError:
        raise DatasetError(f"{name!r} is not a collection name (3-512 of a-z A-Z 0-9 . _ -)") from None
    if target.is_index_empty():  # every question would be "refused": a report of 100% refusals that means nothing
        raise DatasetError(
            f"collection {name} is empty or does not exist under {svc.settings.home}: "
            f"ingest into it first ({env_name('collection')}={name} guarded-rag ingest PATH)"
        )
    return target
