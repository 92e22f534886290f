"""Where a clause ends: the one place that says how each grounding check cuts a sentence (or a passage line) into
the clauses it compares, a base boundary and the named extensions a check needs beyond it.

Pure policy layer (stdlib). The checks read sentences and clauses of sentences.py, already cut after sentence ends
(。！？!?), semicolons and line breaks outside code spans: those marks stand only at a piece's end (where a cut
changes nothing) or inside a code span (where nothing is cut), so no boundary here lists them but the one for
passage lines.

- CLAUSE_END, the base: where a clause ends inside a sentence (comparisons.py, relations.py, precedence.py,
  modals.py, opposites.py).
- NEGATION_SCOPE_END: where a negation's scope stops (marking.py): the base, a table's cell bar, 的话, "because".
- RELATION_HALVES: what parts the two halves of a relation in a passage line (paired_senses.py): the base,
  semicolons, any English comma, and the conjunctions and / or / but / while / whereas, 而 / 但 / 则 / 和 / 或.
"""

from __future__ import annotations

import re

# Clause punctuation inside a sentence: Chinese comma, enumeration comma, colons, parentheses.
_MARKS = "，、:：()（）"
# An English comma ends a clause only before a space (not in 2,048); a hyphen only spaced (not in multi-turn).
_SPACED = r",(?=\s)|\s-\s|—"

# Where a clause ends inside a sentence: clause punctuation, a comma before a space, a spaced or long dash.
CLAUSE_END = re.compile(rf"[{_MARKS}]|{_SPACED}")

# A negation's scope ends at a clause boundary; numbers are compared clause by clause ("7B 模型需要 8 GB，
# 13B 模型需要 16 GB" states two values). Beyond the base:
# - a table's cell bar: "| `SYSTEM` | no | system message… |" gives the cell "no" (the column Required) as a value,
#   not a negation of the cells after it;
# - 的话, which closes a Chinese condition as a comma closes an English "if" clause: in "不匹配的话输出会异常" 不
#   negates 匹配, not the consequence after it;
# - "because": a "because" clause gives the reason for what its sentence says, negated or not: in "never write one
#   because FROM inherits the template" the inheriting is stated, not negated (unless the negation is over the
#   reason itself: "not because …").
NEGATION_SCOPE_END = re.compile(rf"[{_MARKS}|]|{_SPACED}|的话|(?<!not)(?<!n't)\s+(?i:because)\b")

# What parts the two halves of a relation ("too large loses context and too small ..."). Beyond the base:
# - semicolons: the units are passage lines and sentences cut at 。！？!? only ("块太大，混入无关内容；块太小，丢失上下文");
# - an English comma with no space after it too ("块太大,丢失上下文": a Chinese line's ASCII comma); a relation
#   never runs across one. Kept from before the merge: the base's comma-before-a-space would let "2,048" join
#   halves, a change no measured line needs;
# - a conjunction, which joins two clauses each saying something of its own sense.
RELATION_HALVES = re.compile(rf"[{_MARKS}；;,]|{_SPACED}|(?i:\b(?:and|or|but|while|whereas)\b)|而|但|则|和|或")
