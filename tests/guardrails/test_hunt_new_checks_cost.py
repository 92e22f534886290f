"""Today's grounding and completeness checks on hostile text: decided in seconds, not minutes, and never crashing.

Hang guards, not speed claims (the bound is generous, for a loaded machine). Each case ran for minutes before:
a sequence match of two long repetitive clauses (substitutions.py; cubic in the clause length), every stated modal
of a clause reading on to its end (modals.py), the passage read again for each acronym of the answer
(polarity._expansion via claims._spelled_in), and every colon after every pointer of a question read to the end
(completeness_gaps._material_after), and every pronoun or determiner of a long question read back to its start and on
to its end for a name (completeness_gaps._antecedent and has_anchor; 8 s for 8,000 pronouns, once an operator
raises the input size's `max_chars`, which has no upper bound). Each case runs in a child process, killed at the bound, so a regression fails
the test instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from guardrails.acronyms import _expansion
from guardrails.completeness_scan import Scan
from guardrails.completeness_units import Unit
from guardrails.substitutions import swapped_terms
from tests.guardrails.cited import grounding_verdict

BOUND_S = 30.0

# Measured before the fixes (2-core machine): 'subst' > 100 s, 'modals' ~ 130 s, 'acronyms' 90 s, 'pointers' > 100 s,
# 'pronouns_zh' ~ 50 s, 'pronouns_en' ~ 60 s, 'determiners' ~ 40 s (each of the last three quadratic in the units).
_COMPLETENESS = "from guardrails.base import GuardContext\nfrom guardrails.completeness import CompletenessGuardrail\n"
CASES = {
    "subst": "from guardrails.substitutions import swapped_terms\nswapped_terms('甲' * 3000, '甲乙' * 1500)",
    "modals": "from guardrails.modals import flipped_modals\nflipped_modals('能会' * 1000, '能会' * 8000, min_alignment=0.4)",
    "acronyms": (
        "from guardrails.claims import unsupported_names\n"
        "acronyms = ' '.join(''.join(chr(65 + (i // 26**k) % 26) for k in range(4)) for i in range(3000))\n"
        "unsupported_names(acronyms, 'Alpha Beta Gamma Delta ' * 5000)"
    ),
    "pointers": (
        "from guardrails.base import GuardContext\nfrom guardrails.completeness import CompletenessGuardrail\n"
        "CompletenessGuardrail().check(GuardContext(question='它' * 2000 + ':' * 2000))"
    ),
    "pronouns_zh": _COMPLETENESS + "CompletenessGuardrail().check(GuardContext(question='它' * 20000))",
    "pronouns_en": _COMPLETENESS + "CompletenessGuardrail().check(GuardContext(question='it, ' * 15000))",
    "determiners": _COMPLETENESS + "CompletenessGuardrail().check(GuardContext(question='this plan ' * 15000))",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_text_is_decided_within_the_bound(case: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-c", CASES[case]], capture_output=True, text=True, timeout=BOUND_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: not decided within {BOUND_S:.0f} s")
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_code_span_of_spaces_is_no_unit() -> None:
    """ "separated by ` `" named a unit of no characters, and reading its first character raised IndexError: the
    grounding check errored (and, failing closed, re-asked) on an answer that quotes a space."""
    passage = "The fields are separated by tabs in the output of the tool here."
    answer = "The fields are separated by ` ` in the output of the tool here."
    assert swapped_terms(answer, passage) == []
    verdict = grounding_verdict(answer, passage)
    assert verdict.details["contradictions"] == []


def test_a_clause_too_long_to_compare_is_not_compared() -> None:
    """The limit the sequence match now has: the same swap (系统托盘 for 菜单栏) is caught in a clause of ordinary
    length, and left alone in a clause of more than MAX_CLAUSE_UNITS units (a restated clause is far shorter)."""
    tail = "它会把图标显示出来方便用户随时打开主窗口查看正在运行的模型列表以及各自占用的内存大小还可以一键退出服务进程"
    short = "Windows 上安装后它会待在系统托盘里，macOS 版本安装完成之后它待在菜单栏里。"
    assert swapped_terms("macOS 版本安装完成之后它待在系统托盘里。", short)
    long = short.replace("菜单栏里。", f"菜单栏里{tail}。")
    assert swapped_terms(f"macOS 版本安装完成之后它待在系统托盘里{tail}。", long) == []


def _naive_expansion(acronym: str, support: str) -> str | None:
    """The expansion read window by window (the implementation before the per-passage index), as the oracle."""
    import re

    from guardrails.acronyms import _WORD_RUN
    from guardrails.text import content_terms

    if re.search(rf"(?<![\w-]){acronym}(?![\w-])", support):
        return None
    for run in _WORD_RUN.finditer(support):
        words = re.split(r"[ -]", run.group())
        for i in range(len(words) - len(acronym) + 1):
            window = words[i : i + len(acronym)]
            if "".join(w[0] for w in window).upper() == acronym and all(content_terms(w) for w in window):
                return " ".join(window)
    return None


@pytest.mark.parametrize(
    ("acronym", "support"),
    [
        ("OS", "Leave room for the operating system."),
        ("OS", "The OS and the operating system."),  # written as such: no expansion
        ("TT", "to to to the tool tip"),  # stopwords are no content words: the first run of content words
        ("KV", "keep values. Key-value cache, key value"),
        ("OWU", "Open WebUI, Open Web UI and open web ui"),
        ("GPU", "graphics unit. Graphics Processing\nUnit"),  # no window across a line
        ("A1B", "Alpha Beta"),
    ],
)
def test_expansion_reads_the_passage_as_before(acronym: str, support: str) -> None:
    assert _expansion(acronym, support) == _naive_expansion(acronym, support)


def test_material_after_a_pointer_reads_as_before() -> None:
    """A colon or newline counts as supplied material only with words after it, whatever breaks follow."""
    colon, newline, bracket = Unit("break", ":", 0), Unit("break", "\n", 1), Unit("break", "(", 2)
    ref, word = Unit("ref", "它", 3), Unit("anchor", "x", 4)
    assert not Scan([ref, colon, newline, bracket]).material_after(0)
    assert not Scan([newline, bracket, colon]).material_after(-1)
    assert Scan([ref, colon, bracket, word]).material_after(0)
    assert not Scan([ref, word, colon]).material_after(0)
    assert Scan([ref, Unit("anchor", "`x`", 5)]).material_after(0)
    assert not Scan([colon, word, ref]).material_after(2)  # material before the pointer is not after it
