"""Dataset names -> EvalItems: the team's golden sets in data/eval, any .jsonl path (read by dataset_file.py), the
bundled sets and the shared sets; their labels in one run, and the hash splits.

App layer (evaluation lab). `resolve` never raises for a missing third-party file: it returns None and the
caller skips that set with a message. Splits are by hash of the item id, stable across runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app import Settings, split_of
from app.lab.evaluation import shared as sh
from app.lab.evaluation.dataset_file import DatasetError, load_jsonl
from app.lab.evaluation.records import EvalItem

TEAM_SETS = (
    *("golden", "natural", "short", "vague", "unanswerable", "near_domain", "injection", "benign", "grounding"),
    *("jailbreak_zh", "vague2", "natural2", "injection2", "answer_injection", "grounding2", "grounding3", "grounding4"),
    "grounding5",
    "grounding6",
)
# The bilingual general questions `guarded-rag calibrate` uses as off-corpus probes (its tune split only):
# bundled with the app, not an eval set of data/eval, but labelled, so its report split is measured too.
BUNDLED_SETS = {"general": ("calibration", "general_questions.jsonl")}
SHARED_SETS = ("cmrc2018-trial", "cmrc2018-dev", "clamber", "clariq", "promptfoo", "giskard", "flames")
INJECTION_SETS = frozenset({"injection", "injection2", "promptfoo", "giskard", "flames"})


# Where the sets are when nobody says: the Settings defaults, resolved as the app resolves them (the working
# directory's folder when it has one, else the checkout's), so the lab and the detectors read the same files.
def default_eval_dir() -> Path:
    return Settings().labelled_data


def default_data_dir() -> Path:
    return default_eval_dir().parent


def default_shared() -> Path:
    return Settings().shared_data


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
