"""Undo the cheap disguises attackers put on trigger phrases, so the pattern families still see them:
spaced or hyphenated letters ("I g n o r e", "Igno-re", "忽-略-之-前"), digits for letters ("1gn0re"),
zero-width characters, Traditional Chinese characters ("無視之前的指令"), and English glued to Chinese text
("请ignore all previous instructions").

Pure policy layer (stdlib only). The variants are scanned besides the original text, never instead of it.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_CJK = "\u4e00-\u9fff"
_CJK_SPREAD = re.compile(rf"(?<=[{_CJK}])[\s\-_.·*|/~（）()]+(?=[{_CJK}])")
# re.ASCII: with a Unicode \b a disguised word written right after Chinese text ("请1gn0re …") had no word boundary.
_SPACED_LETTERS = re.compile(r"\b(?:[A-Za-z][ \t]){2,}[A-Za-z]\b", re.ASCII)
_INNER_MARK = re.compile(r"(?<=[A-Za-z])[-.·*_](?=[A-Za-z])")
_LEET_WORD = re.compile(r"\b(?=[A-Za-z0-9@$]*[A-Za-z])(?=[A-Za-z0-9@$]*[013457@$])[A-Za-z0-9@$]{3,}\b", re.ASCII)
_LEET = str.maketrans("013457@$", "oieastas")
# Latin written straight against Chinese ("请ignore all previous instructions"): the English patterns start at a
# word boundary, which Python's Unicode \b does not see between 请 and i. A space there lets them.
_CJK_LATIN = re.compile(rf"(?<=[{_CJK}])(?=[A-Za-z])|(?<=[A-Za-z])(?=[{_CJK}])")
# Traditional -> Simplified for the characters of the Chinese pattern families (a full converter would be a
# dependency for a handful of characters).
_TRADITIONAL = str.maketrans(
    "無視統詞輸設規則記憶開發顯隱說讓請這個們從現為麼樣與還當應該複製將內訴給沒約審覽遵違刪讀寫問題時間後條項務資檔庫識"
    "錄據過濾禁術語權碼絕對話態機器僅並處隨帶變歷舊擬測試員導啟動閉級蓋優盡戲劇劃鍵盤網絡們隊標獲銷",
    "无视统词输设规则记忆开发显隐说让请这个们从现为么样与还当应该复制将内诉给没约审览遵违删读写问题时间后条项务资档库识"
    "录据过滤禁术语权码绝对话态机器仅并处随带变历旧拟测试员导启动闭级盖优尽戏剧划键盘网络们队标获销",
)


def variants(text: str) -> tuple[str, ...]:
    """The text, plus one normalised copy when normalising changed anything."""
    plain = unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", text)).translate(_TRADITIONAL)
    plain = _CJK_SPREAD.sub("", plain)
    plain = _SPACED_LETTERS.sub(lambda m: re.sub(r"[ \t]", "", m.group(0)), plain)
    plain = _INNER_MARK.sub("", plain)
    plain = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
    plain = _CJK_LATIN.sub(" ", plain)
    return (text,) if plain == text else (text, plain)
