"""What to tell a user whose text file the decoder (app.documents.decoding) does not read: which encoding it
probably is, and how to convert it. Pure functions on bytes: the loader turns the answer into a LoadProblem."""

from __future__ import annotations

from app.documents.cjk_legacy import japanese_or_korean, looks_chinese, shift_jis_japanese, short_euc
from app.documents.utf16_sniff import WIDE_BOMS, bomless_utf16


def encoding_hint(data: bytes) -> str:
    """What a file that is neither UTF-8 nor GB18030 Chinese probably is, and how to convert it. Said, not decoded:
    a wrong guess would index mojibake silently. Only what can be told reliably is named: UTF-8 spoiled by a few
    bytes, Big5 that reads as Chinese, a Western single-byte text (every non-ASCII byte alone between ASCII ones),
    and Japanese or Korean as `japanese_or_korean` judges them; charset-normalizer alone named Windows-1250
    Finnish for a Latin-1 French note."""
    convert = "re-save it as UTF-8"
    wide = _broken_wide(data)
    if wide is not None:
        return f"{wide}; {convert}."
    bad = _invalid_utf8_offsets(data)
    valid = sum(ord(c) > 127 for c in data.decode("utf-8", "ignore"))  # non-ASCII characters that are good UTF-8
    if len(bad) == 1 or (valid > len(bad) and len(bad) <= max(3, valid // 20)):  # most non-ASCII is good UTF-8
        return (
            f"the file is UTF-8 except {len(bad)} invalid byte(s), the first at byte {bad[0]} "
            f"(0x{data[bad[0]]:02X}); fix or remove them, or {convert}."
        )
    if _single_high_bytes(data):
        return (
            "the file looks like a Western single-byte encoding (Windows-1252 or Latin-1); "
            f"{convert} (e.g. iconv -f WINDOWS-1252 -t UTF-8)."
        )
    try:
        legacy = data.decode("gb18030")
    except UnicodeDecodeError:
        legacy = ""
    # before Big5: EUC-JP Japanese decodes as Big5 into hanzi that read as Chinese
    if shift_jis_japanese(data, legacy):
        return f"the file looks like Japanese in Shift-JIS; {convert} (e.g. iconv -f SHIFT_JIS -t UTF-8)."
    euc = short_euc(data, legacy) if legacy and looks_chinese(legacy) else None
    if euc is not None:
        language, codec = {"euc_jp": ("Japanese", "EUC-JP"), "euc_kr": ("Korean", "EUC-KR")}[euc]
        return (
            f"the file looks like {language} in {codec}: too short to tell from Chinese GB18030 by its bytes, and its "
            f"characters make {language} words rather than Chinese ones; {convert} (e.g. iconv -f {codec} -t UTF-8)."
        )
    if legacy and japanese_or_korean(data, legacy):
        return f"the file looks like a Japanese or Korean legacy encoding (Shift-JIS, EUC-JP, EUC-KR…); {convert}."
    try:
        big5 = data.decode("big5")
    except UnicodeDecodeError:
        big5 = ""
    if big5 and looks_chinese(big5):
        return f"the file looks like Big5 (Traditional Chinese); {convert} (e.g. iconv -f BIG5 -t UTF-8)."
    return f"the file is neither UTF-8 nor Chinese GB18030 and its encoding could not be told; {convert}."


def _broken_wide(data: bytes) -> str | None:
    """What is wrong with a file `decode` took for UTF-16/32 (a byte-order mark, or UTF-16's NUL pattern without
    one) and could not decode, or None for any other file: such a file was said to be "neither UTF-8 nor
    GB18030", which sent its owner looking at the wrong encodings."""
    for bom, codec in WIDE_BOMS:
        if data.startswith(bom):
            said = f"the file begins with a {codec.upper()} byte-order mark but is not valid {codec.upper()}"
            return said + _decode_error(data, codec)
    bomless = bomless_utf16(data)
    if bomless is None:
        return None
    return "the file looks like UTF-16 without a byte-order mark but is not valid UTF-16" + _decode_error(data, bomless)


def _decode_error(data: bytes, codec: str) -> str:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return f" ({exc.reason} at byte {exc.start})"
    return ""


def _invalid_utf8_offsets(data: bytes, limit: int = 1000) -> list[int]:
    """Byte offsets where `data` stops being valid UTF-8 (at most `limit` of them)."""
    found: list[int] = []
    start = 0
    while start < len(data) and len(found) < limit:
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            found.append(start + exc.start)
            start += exc.end
    return found


def _single_high_bytes(data: bytes) -> bool:
    """Every byte of 0x80 and up stands alone between ASCII bytes (Western single-byte text: é, ü, ñ), and there are
    some: double-byte Asian encodings and UTF-8 come in runs."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    return bool(high) and all(not (i + 1 < len(data) and data[i + 1] >= 0x80) for i in high)
