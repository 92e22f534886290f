"""Words that carry a negation without a negation cue, and contrasts that reject an alternative without negating
their clause: what the cross-language polarity comparison (crosslingual.py) reads besides marking.py's cues.

Pure policy layer (stdlib). A translation often restates a negation with a word of negative sense ("参数无效" is
"invalid parameters", "内存不足" is "runs out of memory", "看不到" is "fails to show"): one side then holds a
negation cue and the other none, though both say the same. And "A rather than B" / "A 而不是 B" affirms A: its
cue negates only the alternative it rejects.
"""

from __future__ import annotations

import re

# English words of negative sense: negative-prefix adjectives (incomplete, unavailable, invalid…), words of
# shortage (insufficient, run out of, not enough) and of failure (fails, errors out, is rejected).
_PREFIXED = (
    r"in(?:complete|valid|sufficient|correct|accurate|compatible|active|accessible|consistent|secure)\w*"
    r"|un(?:able|available|supported|known|safe|reachable|readable|set|changed|used|signed|limited|authenticated"
    r"|authori[sz]ed|encrypted|loaded|recogni[sz]ed|successful|stable|reliable|responsive|specified|trusted)\w*"
    r"|im(?:possible|proper)\w*|ir(?:relevant|reversible)\w*|il(?:legal|legible)\w*|dis(?:abled?|allowed?|connected)\b"
    r"|non-?[a-z]+|(?!regardless|unless|nevertheless)[a-z]+less"
)
_SHORTAGE = (
    r"run(?:s|ning)?\s+out\s+of|ran\s+out\s+of|insufficient|not\s+enough|lack(?:s|ing)?|missing|short\s+of"
    r"|too\s+(?:little|few|small)|exhaust(?:s|ed)?|absent"
)
_FAILURE = r"fail(?:s|ed|ing|ure)?|errors?(?:\s+out)?|errored(?:\s+out)?|crash(?:es|ed)?|refus(?:es|ed)|reject(?:s|ed)|denied"
# Chinese words of shortage and failure: a negation cue is often in them (不足, 不够), and a word of failure
# restates an English negation ("no GPU is found" ~ "找不到 GPU" needs no lexicon; "does not start" ~ "启动失败" does).
_NEGATIVE_ZH = r"缺少|缺乏|缺失|不足|不够|失败|报错|出错|错误|拒绝|崩溃|失效|丢失|耗尽"
NEGATIVE_SENSE = re.compile(rf"\b(?:{_PREFIXED}|{_SHORTAGE}|{_FAILURE})\b|{_NEGATIVE_ZH}", re.IGNORECASE)

# A contrast whose cue negates only the alternative it rejects: "A rather than B", "A instead of B", "A 而不是 B",
# "A 而非 B" (to the end of the clause), and "不是 B 而是 A" (the rejected part up to 而是).
CONTRAST = re.compile(
    r"\b(?:rather\s+than|instead\s+of)\b[^,;:，；：。]*|(?:而不是|而非)[^,;:，；：。]*|(?:并)?不是[^,;:，；：。]*?而是",
    re.IGNORECASE,
)

# Chinese 不-compounds of negative sense (不稳定 unstable, 不可信 untrusted): words, read like English un-/in- words,
# not a negation of their clause, unless the other side names the word they negate ("is stable" for "不稳定": that
# side affirms what the compound denies). Each with the English word(s) it negates.
_BU_WORDS = {
    "不稳定": r"stable|stability",
    "不可信": r"trust\w*|reliable",
    "不可靠": r"reliab\w*|dependable",
    "不完整": r"complete\w*",
    "不准确": r"accura\w*|exact\w*",
    "不正确": r"correct\w*|right",
    "不安全": r"safe\w*|secure\w*",
    "不一致": r"consisten\w*",
    "不兼容": r"compatib\w*",
    "不确定": r"certain\w*|sure|determin\w*",
    "不可预测": r"predictab\w*",
    "不明确": r"clear\w*|explicit\w*",
    "不必要": r"necessar\w*|need\w*",
    "不合法": r"legal\w*|valid\w*",
}
_BU_COMPOUND = re.compile("|".join(_BU_WORDS))


def as_words(text: str, other: str) -> str:
    """`text` with its 不-compounds of negative sense blanked out (words, not negations) unless `other` names the
    word a compound negates, which keeps the compound's 不 a negation to compare."""

    def keep(m: re.Match[str]) -> str:
        named = re.search(rf"\b(?:{_BU_WORDS[m.group()]})\b", other, re.IGNORECASE)
        return m.group() if named else " " * len(m.group())

    return _BU_COMPOUND.sub(keep, text)


# A condition ("if none is found", "如果没有找到 GPU", "模型如果…", "没有 GPU 时") states no fact: its negation is no
# claim to compare with a clause that states one. It runs from its opener (a Chinese one may follow the subject) to a
# consequence (a comma, then/就/则).
_CONDITION = re.compile(
    r"^\s*(?:but\s+|and\s+)?(?:[^，,；;]{0,12}?(?:如果|假如|假若|倘若|除非|(?<!主)要是|若(?!干)|万一|一旦|只要)[^，,；;就则便]*"
    r"|(?:if|unless|when|whenever|once|in\s+case)\b[^,;]*?(?=,|;|\bthen\b|$))"
    r"|^[^，,；;]*?(?:(?<![同有及暂实随按准当])时|的话|的时候)\s*(?=[，,]|$)",
    re.IGNORECASE,
)


def condition(text: str) -> re.Match[str] | None:
    """The condition a clause opens with, if any."""
    return _CONDITION.search(text)


# A lead ending in a colon ("但并不完美：…", "Note: …") is a statement of its own before the one the clause aligns on;
# a colon inside code or quotes (`"done": true`) is not one.
_LEAD = re.compile(r"^[^:：`\"“”]{1,40}(?:：|:\s)\s*(?=\S)")


def without_lead(text: str) -> str:
    """The clause after a lead that ends in a colon (the clause itself when nothing follows the colon)."""
    return _LEAD.sub("", text, count=1)
