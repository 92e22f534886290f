"""Dataset names -> EvalItems: the team's golden sets in data/eval, any .jsonl path, and the shared sets.

App layer (evaluation lab). `resolve` never raises for a missing third-party file: it returns None and the
caller skips that set with a message. Splits are by hash of the item id, stable across runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, ValidationError

from app import Settings, split_of
from app.lab.evaluation import shared as sh
from app.lab.evaluation.records import EvalItem, Kind

TEAM_SETS = (
    *("golden", "natural", "short", "vague", "unanswerable", "near_domain", "injection", "benign", "grounding"),
    *("jailbreak_zh", "vague2", "natural2", "injection2", "answer_injection", "grounding2", "grounding3", "grounding4"),
    "grounding5",
)
# The bilingual general questions `guarded-rag calibrate` uses as off-corpus probes (its tune split only):
# bundled with the app, not an eval set of data/eval, but labelled, so its report split is measured too.
BUNDLED_SETS = {"general": ("calibration", "general_questions.jsonl")}
SHARED_SETS = ("cmrc2018-trial", "cmrc2018-dev", "clamber", "clariq", "promptfoo", "giskard", "flames")
INJECTION_SETS = frozenset({"injection", "injection2", "promptfoo", "giskard", "flames"})


class DatasetError(ValueError):
    """A dataset name that is neither known nor a readable .jsonl file, or a malformed row."""


# Where the sets are when nobody says: the Settings defaults, resolved as the app resolves them (the working
# directory's folder when it has one, else the checkout's), so the lab and the detectors read the same files.
def default_eval_dir() -> Path:
    return Settings().labelled_data


def default_data_dir() -> Path:
    return default_eval_dir().parent


def default_shared() -> Path:
    return Settings().shared_data


class DatasetRow(BaseModel):
    """One line of a user's (or the team's) JSONL set, checked at the boundary: a wrong type is a DatasetError
    naming the line, not a crash, and `"answer_keywords": "11434"` is not read as the keywords 1, 1, 4, 3, 4."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | int | None = None
    question: str
    kind: str | None = None
    label: str | None = None
    type: str | None = None
    vague: bool | None = None
    injection: bool | None = None
    lang: str | None = None
    answer_keywords: tuple[str, ...] | None = None
    gold_answers: tuple[str, ...] | None = None
    expected_sources: tuple[str, ...] | None = None
    source: str | None = None
    answer: str | None = None
    anchor: str | None = None
    passage: str | None = None
    category: str | None = None


def _kind_of(row: DatasetRow) -> Kind | None:
    if row.kind in ("answerable", "vague", "clear", "unanswerable", "injection", "benign"):
        return cast(Kind, row.kind)
    if row.label in ("supported", "unsupported"):
        return cast(Kind, row.label)
    if row.vague is not None:
        return "vague" if row.vague else "clear"
    if row.injection is not None:
        return "injection" if row.injection else "benign"
    if row.type in ("answerable", "unanswerable"):
        return cast(Kind, row.type)
    return None


def load_jsonl(path: Path, *, dataset: str | None = None) -> list[EvalItem]:
    """A golden-set file in the data/eval format (see data/eval/README.md); DatasetError names the line at fault.
    A byte-order mark (Notepad's UTF-8) is read past; an id used twice is an error (records resume by id)."""
    items: list[EvalItem] = []
    lines: dict[str, int] = {}
    name = dataset or path.stem
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                item = _item(line, path, n, name)
                if item.id in lines:
                    raise DatasetError(
                        f"{path}:{n}: id {item.id!r} is also the id of line {lines[item.id]}; each id must be unique "
                        "in its file (records are kept and resumed by id)"
                    )
                lines[item.id] = n
                items.append(item)
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text; an eval set is JSON lines (see data/eval/README.md)") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    return items


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors(include_url=False))


def _item(line: str, path: Path, n: int, name: str) -> EvalItem:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{n}: not JSON ({exc})") from None
    try:  # "\ud800" decodes to half of a UTF-16 pair: no record holding it could be written (a crash mid-run)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DatasetError(
            f"{path}:{n}: {exc.object[exc.start : exc.end].encode('unicode_escape').decode()} is half of a UTF-16 "
            "surrogate pair, not a character; write the character itself (or its full pair)"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise DatasetError(
            f'{path}:{n}: each line is a JSON object with a "question" string and a label '
            "(type, vague, injection or kind); see data/eval/README.md"
        )
    try:
        row = DatasetRow.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(f"{path}:{n}: {_problem(exc)} (see data/eval/README.md)") from None
    kind = _kind_of(row)
    if kind is None:
        raise DatasetError(f"{path}:{n}: row {row.id!r} has no label (type, vague, injection or kind)")
    item_id = str(n) if row.id is None or row.id == "" else str(row.id)
    try:
        return EvalItem(
            dataset=name,
            id=item_id,
            question=row.question,
            kind=kind,
            lang=row.lang or "?",
            answer_keywords=row.answer_keywords or (),
            gold_answers=row.gold_answers or (),
            expected_sources=row.expected_sources or ((row.source,) if row.source else ()),
            answer=row.answer,
            anchor=row.anchor,
            passage=row.passage,
            category=row.category or "",
        )
    except ValidationError as exc:
        raise DatasetError(f"{path}:{n}: {_problem(exc)}") from None


def check_dataset_name(name: str) -> None:
    """DatasetError unless `name` is a known set or an existing .jsonl file (checked before any work starts)."""
    if name in TEAM_SETS or name in SHARED_SETS or name in BUNDLED_SETS:
        return
    path = Path(name)
    if path.suffix == ".jsonl" and path.is_file():
        return
    if path.suffix == ".jsonl":
        raise DatasetError(f"no such file: {name}")
    known = ", ".join(TEAM_SETS + tuple(BUNDLED_SETS) + SHARED_SETS)
    raise DatasetError(f"unknown dataset {name!r}: give a .jsonl path or one of {known}")


def _shared_loader(name: str) -> Callable[[Path], list[EvalItem] | None]:
    if name.startswith("cmrc2018-"):
        split = name.removeprefix("cmrc2018-")
        return lambda shared: sh.load_cmrc(shared, split)
    return {
        "clamber": sh.load_clamber,
        "clariq": sh.load_clariq,
        "promptfoo": sh.load_promptfoo,
        "giskard": sh.load_giskard,
        "flames": sh.load_flames,
    }[name]


def resolve(name: str, *, shared: Path | None = None, eval_dir: Path | None = None) -> list[EvalItem] | None:
    """Items of a dataset name or .jsonl path; None when a third-party set is absent (skip it)."""
    if name in TEAM_SETS:
        path = (eval_dir or default_eval_dir()) / f"{name}.jsonl"
        if not path.exists():
            raise DatasetError(f"team set {name!r} not found at {path}")
        return load_jsonl(path, dataset=name)
    if name in SHARED_SETS:
        return _shared_loader(name)(shared or default_shared())
    if name in BUNDLED_SETS:
        folder, file = BUNDLED_SETS[name]
        return load_jsonl(default_data_dir() / folder / file, dataset=name)
    check_dataset_name(name)
    return load_jsonl(Path(name))


def _source(name: str, eval_dir: Path | None) -> str:
    """What a dataset name reads: the file (resolved) for a path, a team or a bundled set; the name of a shared set."""
    if name in TEAM_SETS:
        return str(((eval_dir or default_eval_dir()) / f"{name}.jsonl").resolve())
    if name in BUNDLED_SETS:
        folder, file = BUNDLED_SETS[name]
        return str((default_data_dir() / folder / file).resolve())
    if name in SHARED_SETS:
        return name
    return str(Path(name).resolve())


def dataset_labels(names: Sequence[str], *, eval_dir: Path | None = None) -> dict[str, str]:
    """Each name's dataset label in one run, a name read twice (`eval golden golden`, or a set and its own file) kept
    once: a set's own name, a file's stem, or, when that is taken (`a/golden.jsonl b/golden.jsonl`, `vague
    mine/vague.jsonl`, `all.jsonl`: the report's group of every set), as many of its folders as tell it apart
    ("a/golden"). Records and report groups are keyed by it: two files of one stem were one dataset, their records
    merged and their ids colliding."""
    firsts: dict[str, str] = {}
    for name in names:
        firsts.setdefault(_source(name, eval_dir), name)
    fixed = {name for name in firsts.values() if name in TEAM_SETS or name in SHARED_SETS or name in BUNDLED_SETS}
    paths = {name: Path(source).with_suffix("").parts for source, name in firsts.items() if name not in fixed}

    def label(parts: tuple[str, ...]) -> str:
        for depth in range(1, len(parts) + 1):
            tail = parts[-depth:]
            others = [p[-depth:] for p in paths.values() if p != parts]
            if "/".join(tail) not in fixed | {"all"} and tail not in others:  # "all": the report's group of every set
                return "/".join(tail)
        return "/".join(parts)

    return {name: name if name in fixed else label(paths[name]) for name in firsts.values()}


def attack_texts(shared: Path | None = None) -> list[str]:
    """Every attack the injection detector learns from (the team's and the shared sets present, both splits):
    what a measurement on another collection checks for copied text. Flames is harm, not injection;
    injection2 is evaluation only."""
    sets = (resolve(name, shared=shared) for name in sorted(INJECTION_SETS - {"flames", "injection2"}))
    return [item.question for items in sets for item in items or () if item.kind == "injection"]


def select(items: list[EvalItem], *, split: str = "all", limit: int | None = None) -> list[EvalItem]:
    """The items of one hash split (tune/report/all), then the first `limit` of them."""
    chosen = [i for i in items if split == "all" or split_of(i.key) == split]
    return chosen[:limit] if limit is not None else chosen


def benign_companions(eval_dir: Path | None = None, *, split: str = "all") -> list[EvalItem]:
    """Benign questions for the injection guard's false-positive rate: the clear questions of vague.jsonl and
    every golden question, relabelled `benign` (screened at the input stage, no model call). `split` keeps one
    hash half, by each question's own key ("golden/<id>"), so a report-split run never measures tune items."""
    folder = eval_dir or default_eval_dir()
    out: list[EvalItem] = []
    for name in ("golden", "vague"):
        path = folder / f"{name}.jsonl"
        if path.exists():
            out += [
                i.model_copy(update={"dataset": f"benign:{name}", "kind": "benign"})
                for i in select(load_jsonl(path, dataset=name), split=split)
                if i.kind in ("answerable", "clear")
            ]
    return out
