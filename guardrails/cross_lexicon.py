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
