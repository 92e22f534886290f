"""The context_injection guardrail on labelled document passages: passages addressed to the AI that it drops
(recall) and ordinary passages it drops by mistake (false flags), per set and language. No model call.

Bench script (a client of the app's public API); prints the Markdown table of docs/GUARDRAILS.md.

    .venv/bin/python bench/eval_passage_injection.py [--split report|tune] [--show-errors]

`--show-errors` lists the misses and false flags, and only for the tune split: rules are designed on tune
passages, and the report half and the held-out set are measured, never read item by item.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import PASSAGE_GROUPS, judge_passages, passage_cases, passage_rows

REPO = Path(__file__).resolve().parents[1]


def _rate(hits: int, n: int) -> str:
    return f"{hits / n:.1%} ({hits}/{n})" if n else "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("report", "tune"), default="report")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "eval-data")
    parser.add_argument("--show-errors", action="store_true", help="list misses and false flags (tune split only)")
    args = parser.parse_args(argv)
    if args.show_errors and args.split != "tune":
        parser.error("--show-errors lists tune-split items only: the report half is measured, not read")
    shared = args.shared if args.shared.is_dir() else None
    cases = passage_cases(REPO / "data" / "eval", shared, REPO / "data" / "docs", split=args.split)
    results = judge_passages(cases)
    print("| set | split | lang | n (addressed to the AI / ordinary) | dropped: recall | dropped by mistake |")
    print("|---|---|---|---|---|---|")
    for r in passage_rows(results):
        print(
            f"| {PASSAGE_GROUPS[r.group]} | {r.split} | {r.lang} | {r.injections + r.benign} ({r.injections} / {r.benign}) "
            f"| {_rate(r.caught, r.injections)} | {_rate(r.false_flags, r.benign)} |"
        )
    if args.show_errors:
        for res in results:
            if res.dropped != res.case.injection and res.case.group != "buried":
                kind = "FP " + ",".join(res.families) if res.dropped else "FN"
                print(f"[{kind}] {res.case.key}: {' '.join(res.case.text.split())[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
