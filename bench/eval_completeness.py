"""Measure the completeness guardrail (vague-question detection) on CLAMBER, ClariQ and our own zh/en set.

Bench script, outside the product packages: reads third-party data from ../shared/eval-data at run time
(never copied into the repo) and data/eval/vague.jsonl, runs CompletenessGuardrail with the default
policy's parameters, and prints precision / recall / F1 with "needs clarification" as the positive class.

Split: every item goes to "tune" or "report" by the parity of sha256(id, or the question when there is no
id). Patterns may be tuned only while looking at the tune half (`--show-errors` prints tune errors only);
the report half is the held-out measurement quoted in docs/GUARDRAILS.md.

Also reported: own_clear, the clear-by-construction questions of data/eval/golden.jsonl, unanswerable.jsonl
and the benign half of injection.jsonl (no vague items: only the false-alarm rate is meaningful).

ClariQ labels `clarification_need` 1 (clear) .. 4 (very ambiguous): we count 3 and 4 as vague, 1 as clear,
and skip 2 (the annotators' middle ground: "might need clarification").

    .venv/bin/python bench/eval_completeness.py [--shared ../shared/eval-data] [--json] [--show-errors]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a plain script from a checkout that is not pip-installed
    sys.path.insert(0, str(REPO_ROOT))

from guardrails.base import GuardContext  # noqa: E402
from guardrails.completeness import CompletenessGuardrail  # noqa: E402
from guardrails.policy import build_guardrails, load_policy  # noqa: E402


@dataclass(frozen=True)
class Item:
    dataset: str
    key: str
    question: str
    vague: bool
    lang: str


@dataclass(frozen=True)
class Score:
    dataset: str
    split: str
    n: int
    positives: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    clear_false_alarm_rate: float


def split_of(key: str) -> str:
    return "tune" if int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "report"


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_clamber(shared: Path) -> list[Item] | None:
    path = shared / "clarification" / "clamber_clean.jsonl"
    if not path.exists():
        return None
    return [
        Item("clamber", row.get("id") or row["question"], row["question"], bool(row["require_clarification"]), "en")
        for row in _jsonl(path)
    ]


def load_clariq(shared: Path) -> list[Item] | None:
    path = shared / "clarification" / "clariq_requests.jsonl"
    if not path.exists():
        return None
    items = []
    for row in _jsonl(path):
        need = int(row["clarification_need"])
        if need == 2:  # middle of the scale: neither clearly clear nor clearly vague
            continue
        key = f"clariq-{row['topic_id']}" if row.get("topic_id") else row["initial_request"]
        items.append(Item("clariq", key, row["initial_request"], need >= 3, "en"))
    return items


def load_own(repo: Path) -> list[Item] | None:
    path = repo / "data" / "eval" / "vague.jsonl"
    if not path.exists():
        return None
    return [
        Item("vague_zh_en", row.get("id") or row["question"], row["question"], bool(row["vague"]), row.get("lang", "?"))
        for row in _jsonl(path)
    ]


def load_own_clear(repo: Path) -> list[Item] | None:
    """Questions from our other golden sets that are clear by construction: a false-alarm check only."""
    items: list[Item] = []
    for name in ("golden", "unanswerable", "injection"):
        path = repo / "data" / "eval" / f"{name}.jsonl"
        if path.exists():
            items += [
                Item("own_clear", row.get("id") or row["question"], row["question"], False, row.get("lang", "?"))
                for row in _jsonl(path)
                if not row.get("injection")  # attacks are refused by another guardrail first
            ]
    return items or None


def score(dataset: str, split: str, results: list[tuple[Item, bool]]) -> Score:
    tp = sum(1 for item, fired in results if item.vague and fired)
    fp = sum(1 for item, fired in results if not item.vague and fired)
    fn = sum(1 for item, fired in results if item.vague and not fired)
    tn = sum(1 for item, fired in results if not item.vague and not fired)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clear = fp + tn
    return Score(
        dataset, split, len(results), tp + fn, tp, fp, fn, tn,
        round(precision, 3), round(recall, 3), round(f1, 3), round(fp / clear, 3) if clear else 0.0,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared" / "eval-data")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of a table")
    parser.add_argument("--show-errors", action="store_true", help="print misclassified items of the TUNE split")
    parser.add_argument("--split", choices=("tune", "report", "all"), default="all")
    args = parser.parse_args(argv)

    policy = load_policy()
    guard = next(g for g in build_guardrails(policy)["input"] if isinstance(g, CompletenessGuardrail))

    datasets = {
        "clamber": load_clamber(args.shared),
        "clariq": load_clariq(args.shared),
        "vague_zh_en": load_own(REPO_ROOT),
        "own_clear": load_own_clear(REPO_ROOT),
    }
    scores: list[Score] = []
    for name, items in datasets.items():
        if items is None:
            print(f"skipping {name}: data not found", file=sys.stderr)
            continue
        by_split: dict[str, list[tuple[Item, bool]]] = {"tune": [], "report": []}
        for item in items:
            fired = guard.check(GuardContext(question=item.question)).fired
            by_split[split_of(item.key)].append((item, fired))
        for split in ("tune", "report"):
            if args.split in (split, "all"):
                scores.append(score(name, split, by_split[split]))
        if args.show_errors:
            for item, fired in by_split["tune"]:
                if fired != item.vague:
                    kind = "FP" if fired else "FN"
                    print(f"[tune {name} {kind}] {item.question[:160]!r}", file=sys.stderr)

    if args.json:
        print(json.dumps([asdict(s) for s in scores], ensure_ascii=False, indent=2))
        return 0
    header = f"{'dataset':<12} {'split':<7} {'n':>5} {'vague':>6} {'P':>6} {'R':>6} {'F1':>6} {'clear FP rate':>14}"
    print(header)
    print("-" * len(header))
    for s in scores:
        prf = f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}" if s.positives else f"{'-':>6} {'-':>6} {'-':>6}"
        print(f"{s.dataset:<12} {s.split:<7} {s.n:>5} {s.positives:>6} {prf} {s.clear_false_alarm_rate:>14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
