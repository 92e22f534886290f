"""The bilingual lexicon of opposite senses the contradiction checks read: "all" and "part", "增加" and "减少",
"before" and "after", "at least" and "at most", "memory" and "disk".

Pure policy layer (stdlib). A closed list of opposites, like the negation cues of marking.py, not vocabulary of one
corpus. Read by opposites.py (a restated sentence with one word turned into its opposite), paired_senses.py (what is
said of two opposites swapped), comparisons.py (the scales a comparison runs along) and crosslingual.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Opposite:
    """Two opposite senses, each as a pattern of its English and Chinese forms."""

    name: str
    one: re.Pattern[str]
    other: re.Pattern[str]
    ordering: bool = False  # the words put one thing before the other: swapped sides restate, not contradict
    relational: bool = False  # "A before B" is "B after A": read by relation_order.py before comparing


def _senses(name: str, one: str, other: str, *, ordering: bool = False, relational: bool = False) -> Opposite:
    return Opposite(name, re.compile(one, re.IGNORECASE), re.compile(other, re.IGNORECASE), ordering, relational)


# English forms are whole words (with their inflections); Chinese forms are words, held apart from the words
# that contain them (一部分 is not 全部分, 以上 after a number is "or more", not "the above").
# Each sense lists its near-synonyms, not one verb: "stays on disk" / "留在磁盘上" keep, "wipes" / "清空" delete,
# "launches" starts, "shuts down" stops. A synonym is listed only when the tune halves, the faithful answer sets and
# every data/docs sentence against its own section showed no faithful answer blocked with it ("remaining tokens",
# 仍在运行 and 保存 are not "keep" senses and are left out).
_AFTER = "[\\d０-９一二两三四五六七八九十百千万个位倍天次岁BbK]"
_NUM = rf"(?:(?<={_AFTER})|(?<={_AFTER}\s))及?"
# Speed said as time taken: "takes longer" / "更耗时" is slower, "takes less time" / "更省时" faster. Read as the faster/slower
# sense, a converse on the time scale ("Q8 takes longer to load than Q4" for "Q4 loads faster than Q8") restates.
_TIME = r"(?:time|while)"
_MORE_TIME = (
    rf"\btak(?:e|es|ing|en)\s+(?:much\s+|far\s+|a\s+lot\s+|a\s+bit\s+|even\s+)?(?:longer|more\s+{_TIME})\b"
    rf"|\b(?:longer|more)\s+{_TIME}\s+to\b|更耗时|更费时|更久|较久|耗时更长|耗时较长|用时更长|时间更长|花(?:的)?时间更多"
)
_LESS_TIME = (
    rf"\btak(?:e|es|ing|en)\s+(?:much\s+|far\s+|a\s+lot\s+|a\s+bit\s+|even\s+)?(?:less\s+{_TIME}|shorter)\b"
    rf"|\b(?:less|shorter)\s+{_TIME}\s+to\b|更省时|耗时更短|耗时较短|用时更短|时间更短|花(?:的)?时间更少"
)
OPPOSITES: tuple[Opposite, ...] = (
    _senses(
        "all/part",
        r"\b(?:all|entire|entirely|whole)\b|全部|所有|整个|全都",
        r"\b(?:part|portion|fraction|subset)\s+of\b|(?<![全大第这那该此每一])部分|(?<![第这那该此每])一部分",
    ),
    _senses("always/sometimes", r"\balways\b|总是|始终|每次都", r"\b(?:sometimes|occasionally)\b|有时|偶尔"),
    _senses(
        "at least/at most",
        r"\bat\s+least\b|\bminimum\b|\bno\s+(?:less|fewer)\s+than\b|至少|最少|最低|不少于|不低于",
        r"\bat\s+most\b|\bmaximum\b|\bno\s+more\s+than\b|至多|最多|最高|不超过|不多于|不高于",
    ),
    _senses("above/below", rf"\babove\b|{_NUM}以上", rf"\bbelow\b|{_NUM}以下"),
    _senses(
        "increase/decrease",
        r"\b(?:increas|rais|rising|grow)\w*|\brises?\b|增加|增大|提高|升高|上升|加大|变多|增多|增长|提升|变大",
        r"\b(?:decreas|reduc|lower(?:s|ed|ing)\b|shrink)\w*|减少|减小|降低|下降|缩小|变少|减低|缩减|削减|变小",
    ),
    _senses(
        "more/less",
        r"\b(?:more|higher|larger|bigger|greater|longer)\b|更多|更高|更大|更长|较多|较高|较大|越多|越高|越大|越长|多于|高于|大于"
        r"|(?<=[得些])(?:多|高|大|长)(?=一些|一点|些)|[太过](?:多|高|大|长)|\btoo\s+(?:many|much|high|large|big|long)\b",
        r"\b(?:less|fewer|lower|smaller|shorter)\b|更少|更低|更小|更短|较少|较低|较小|越少|越低|越小|越短|少于|低于|小于"
        r"|(?<=[得些])(?:少|低|小|短)(?=一些|一点|些)|[太过](?:少|低|小|短)|\btoo\s+(?:few|little|low|small|short)\b",
        ordering=True,
    ),
    _senses(
        "faster/slower",
        r"\b(?:faster|quicker|speed(?:s|ing)?\s+up|sped\s+up)\b|更快|较快|加快|变快|快于|提速|" + _LESS_TIME,
        r"\b(?:slower|slow(?:s|ed|ing)?\s+down)\b|更慢|较慢|减慢|变慢|慢于|拖慢|" + _MORE_TIME,
        ordering=True,
    ),
    _senses(
        "better/worse",
        r"\b(?:better|improv(?:e|es|ed|ing))\b|更好|较好|优于",
        r"\b(?:worse|worsen(?:s|ed|ing)?|degrad(?:e|es|ed|ing))\b|更差|较差|劣于",
        ordering=True,
    ),
    _senses(
        "before/after",
        r"\b(?:before|beforehand|prior\s+to)\b|之前|以前|事先|提前|预先",
        r"\b(?:after|afterwards?|thereafter)\b|之后|以后|事后|随后",
        ordering=True,
        relational=True,
    ),
    _senses("first/last", r"\bfirst\b|首次|第一次", r"\blast\b|最后一次"),
    _senses(
        "delete/keep",
        r"\b(?:delet|remov|eras|wip|purg)(?:e|es|ed|ing)\b|删除|删掉|删去|移除|清除|清空|抹掉|抹去",
        r"\b(?:keeps?|kept|keeping|retain\w*|preserv\w*|stay(?:s|ed|ing)?|remain(?:s|ed)?|persist(?:s|ed)?)\b"
        r"|保留|留着|留在|留存",
    ),
    _senses("load/unload", r"\bload(?:s|ed|ing)?\b|加载|载入", r"\b(?:unload(?:s|ed|ing)?|evict(?:s|ed|ing)?)\b|卸载"),
    _senses(
        "enable/disable",
        r"\b(?:enabl(?:e|es|ed|ing)|activat(?:e|es|ed|ing)|(?:turn|switch)(?:s|es|ed|ing)?\s+on)\b|启用|开启|打开|激活",
        r"\b(?:disabl(?:e|es|ed|ing)|deactivat(?:e|es|ed|ing)|(?:turn|switch)(?:s|es|ed|ing)?\s+off)\b|禁用|停用|关闭|关掉",
    ),
    _senses("cold/warm", r"\bcold\b|冷(?=启动|加载|缓存)", r"\b(?:warm|hot)\b|(?<!预)热(?=启动|加载|缓存)"),
    _senses(
        "allow/forbid",
        r"\b(?:allow|permit)(?:s|ted|ed|ting|ing)?\b|允许",
        r"\b(?:forbid\w*|prohibit\w*|den(?:y|ies|ied)|block(?:s|ed|ing)?)\b|禁止|阻止|拦截",
    ),
    _senses(
        "start/stop",
        r"\b(?:start(?:s|ed|ing)?|launch(?:es|ed|ing)?)\b|启动|开始",
        r"\b(?:stop(?:s|ped|ping)?|shut(?:s|ting)?\s+down)\b|停止|结束",
    ),
    _senses("success/failure", r"\bsucce(?:ed|eds|ss|ssful|ssfully)\b|成功", r"\bfail(?:s|ed|ing|ure|ures)?\b|失败|出错|报错"),
    _senses("automatic/manual", r"\bautomatic(?:ally)?\b|自动", r"\b(?:manual(?:ly)?|by\s+hand)\b|手动|手工"),
    _senses("required/optional", r"\b(?:required|mandatory)\b|必须|必需|必填", r"\boptional\b|可选|选填"),
    _senses("same/different", r"\b(?:same|identical)\b|相同|同一|(?<!不)一样", r"\b(?:different|differs?)\b|不同|不一样"),
    _senses("static/dynamic", r"\bstatic\b|静态", r"\bdynamic\b|动态"),
    _senses("sync/async", r"\bsynchronous(?:ly)?\b|同步", r"\basynchronous(?:ly)?\b|异步"),
    _senses("read/write", r"\bread(?:s|ing)?\b|读取", r"\bwrit(?:e|es|ing|ten)\b|写入"),
    _senses("public/private", r"\bpublic\b|公开|公有", r"\bprivate\b|私有|私密"),
    _senses("open/closed source", r"\bopen[- ]source\b|开源", r"\b(?:closed[- ]source|proprietary)\b|闭源"),
    _senses("local/remote", r"\blocal(?:ly)?\b|本地|本机", r"\b(?:remote(?:ly)?|cloud)\b|远程|云端"),
    _senses("online/offline", r"\bonline\b|联网|在线", r"\boffline\b|离线|断网"),
    _senses("foreground/background", r"\bforeground\b|前台", r"\bbackground\b|后台"),
    _senses("input/output", r"\binputs?\b|输入", r"\boutputs?\b|输出"),
    _senses("memory/disk", r"\b(?:memory|RAM|VRAM)\b|内存|显存", r"\b(?:disk|SSD)\b|磁盘|硬盘"),
    _senses("CPU/GPU", r"\bCPUs?\b|处理器", r"\bGPUs?\b|显卡"),
)


def senses_in(pair: Opposite, text: str) -> list[tuple[bool, re.Match[str]]]:
    """Each form of the pair in `text`, in order: (True for the first sense, the match)."""
    found = [(True, m) for m in pair.one.finditer(text)] + [(False, m) for m in pair.other.finditer(text)]
    return sorted(found, key=lambda f: f[1].start())
