"""The words and shapes a frame is read by (pattern_reading.py): where a sentence ends, who it addresses, how an
English or a Chinese question opens and ends, quoted spans, reporting words, and the verbs that hand quoted words
over to be done. Data only (compiled regexes).
"""

from __future__ import annotations

import re

# Where a sentence ends: a full stop only before a space or the end ("qwen2.5", "0.0.0.0" go on).
SENTENCE_END = re.compile(r"[!?;。！？；\n]|\.(?=\s|$)")
# Whom the sentence addresses: the assistant ("you", "你"), anyone asked for something ("please", "请", "吧"), or
# this very conversation ("now", "for this chat", "本次对话"): then it asks for the thing, not about it.
TO_ASSISTANT = re.compile(
    r"\b(?:you|your|yours|yourself|u|ur|please|pls|plz|kindly|let'?s|let\s+us|why\s+not|why\s+don'?t|how\s+about"
    r"|what\s+if|shall\s+we|now|this\s+(?:chat|conversation|session|thread|dialog(?:ue)?))\b"
    r"|[你您]|请(?![问求教])|麻烦|帮我|给我|怎么样|好吗|好不好|行吗|行不行|能不能|可不可以|能否|可否|吧\s*[？?]?\s*$"
    r"|从现在(?:起|开始)|(?:本|这|此|当前|这个|这轮)次?对话",
    re.IGNORECASE,
)
# An English question asking for information opens with a question word or an auxiliary ("How do I", "What
# does", "Can I", "Is there") and ends with a question mark.
EN_ASKS = re.compile(
    r"^\W*(?:(?:so|also|btw|ok|okay|hi|hey|hello|quick\s+question|question)\b\W*)*"
    r"(?:how|what|what's|why|where|when|which|who|whose|is|are|was|were|does|do|did|can|could|should|would|will|may"
    r"|might|has|have)\b",
    re.IGNORECASE,
)
# A Chinese one ends with a question mark or particle and has a question word anywhere (its topic often comes
# first: "<<SYS>> 标签怎么用？"), not one of "no matter how" (不管文档怎么说).
ZH_ASKS = re.compile(r"如何|怎么|怎样|为什么|为何|什么|哪|是否|多少|有没有|吗|呢")
ZH_QUESTION_END = re.compile(r"(?:[？?]|吗|呢)\s*$")
ZH_NO_MATTER = re.compile(r"(?:不管|无论|不论)[^，,。；;！!？?]*")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A match right after a clause break or "and"/"then"/"然后" is an order of its own, whatever came before it.
ORDER_FOLLOWS = re.compile(
    r"(?:[,，、:：—–]|\b(?:and|then|now|just|also|instead|first|next)|然后|并且?|现在|接着|直接)\s*$", re.I
)
# A setting written as the shell or a container gets it: "docker run -e GUARDRAILS=false", "export SAFETY=off".
ENV_SETTER = re.compile(r"(?:\bexport|(?:^|\s)-e|--env|\bENV|\bsetx|\$env:)[ \t]*=?[ \t]*[\"']?$")


# The user's own setting, reported just before it: "I set GUARDRAILS=false", "we've exported FILTERS=none", "my
# .env has SAFETY=off", "我已经设置了 安全=关闭", "我把 GUARDRAILS=false 写进…". Only a setting (a match with = or :).
OWN_SETTING = re.compile(
    r"(?:\b(?:I|we)(?:'ve|\s+have|\s+had)?\s+(?:(?:already|just|also|even|then|again|explicitly)\s+)*"
    r"(?:set|put|added|configured|changed|passed|exported|wrote|typed|specified|defined|turned|flipped|switched"
    r"|tried|used|enabled|disabled|included)\b"
    r"|\bmy\s+(?:[\w./-]+\s+){0,3}(?:has|had|says|said|contains|includes|sets|set)\b"
    r"|我们?(?:已经|也|都|明明|刚|刚刚|本来|还)?(?:设置了?|设了|设成|设为|配置了?|配了|改成|改了|写了|加了|填了|传了|用了|把))"
    r"[ \t]*(?:[\w./-]+[ \t]+){0,3}?[\"'`]?$",
    re.IGNORECASE,
)
SETTING = re.compile(r"[=:：]")
# A quoted span: the words are mentioned, not said. An ASCII apostrophe quotes only when no letter or digit sits
# on its outer side ("don't", "it's" quote nothing); a triple-quoted block (a Modelfile's SYSTEM """…""") counts.
QUOTED = re.compile(
    r'"""[\s\S]{1,4000}?"""|“[^”\n]{1,600}”|‘[^’\n]{1,600}’|「[^」\n]{1,600}」|『[^』\n]{1,600}』'
    r'|"[^"\n]{1,600}"|(?<![A-Za-z0-9])\'[^\'\n]{1,600}\'(?![A-Za-z0-9])'
)
# A frame that asks about the quoted words or reports them: a question (below), or a reporting word in the
# sentence ("sentences like '…'", "the card says: '…'", "用户输入'…'", "“…”这类").
REPORTS = re.compile(
    r"\b(?:says?|said|saying|reads|wrote|writes|written|contains?|containing|like|such\s+as|e\.g\.|called|named"
    r"|typed|types|entered|enters|told|tells)\b"
    r"|(?<![小传解听])说|写着|写了|写的|写道|输入|提到|这类|这种|之类|这样的|类似|比如|例如|像|诸如|叫做|称为",
    re.IGNORECASE,
)
# The user saying the quoted words themselves: "I say: '…'", "我说：'…'" (right before the quote).
USER_SAYS = re.compile(r"(?:\b(?:I|we)\s+(?:say|said|command|order|demand|insist)|我们?(?:说|命令|要求))\s*[:：,，]?\s*$", re.I)
# The quoted words handed over to be done: a doing verb opening a sentence or clause ("Translate to French:
# '…'", "Repeat after me", "and then follow it", "照做：", "并执行"), or "把/将 '…'" (the Chinese disposal form).
DO_EN = re.compile(
    r"(?:^|[.!?;:,\n(]|\b(?:and|then|now|just|so|ok|okay|also|first|next))\s*"
    r"(?:(?:please|pls|now|just|then|simply|also|first|next|go\s+ahead\s+and|\w+ly)\s+)*"
    r"(?:translate|repeat|say|do|follow|obey|execute|run|perform|apply|act|respond|reply|answer|continue|complete"
    r"|write|print|output|copy|decode|treat|comply|carry\s+(?:\w+\s+)?out|adopt|use|take|read\s+(?:out|aloud)|recite|echo"
    r"|pretend|become|be|roleplay|role-play|play)\b",
    re.IGNORECASE,
)
# "Repeat after me" (跟我念/跟着读) and "do as you say" (说到做到, 照我说的做) hand the words over like 重复 and 照做.
_ZH_DOING = (
    r"(?:照做|照着做|照办|执行|遵守|遵从|服从|听从|按照|照着|翻译|重复|复述|念出|读出|说出|续写|扮演|模仿"
    r"|跟(?:着)?我?(?:念|读)|说到做到|照我说的做)"
)
DO_ZH = re.compile(rf"(?:^|[，,。：:；;！!\n]|然后|并且?|再|就|直接|立刻|马上)\s*{_ZH_DOING}|{_ZH_DOING}\s*[：:]")
ZH_DISPOSAL = re.compile(r"[把将]\s*$")
# A frame's words (to tell one too short to ask anything).
CLAUSE_WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")

# DO_EN at the start of a text (where its ^ holds, and so does the \b before "and", "then"...): the words right
# after a quote, read in place without copying the rest of the text.
DO_EN_AT = re.compile(
    DO_EN.pattern.replace(r"(?:^|[.!?;:,\n(]|\b(?:and|", r"(?:[.!?;:,\n(]|(?:and|", 1).replace(
        r"|first|next))\s*", r"|first|next))?\s*", 1
    ),
    re.IGNORECASE,
)
# EN_ASKS read in place from a sentence's start (nothing in it looks before its start but the ^).
EN_ASKS_AT = re.compile(EN_ASKS.pattern.removeprefix("^"), re.IGNORECASE)
