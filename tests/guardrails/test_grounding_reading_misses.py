"""Reading bugs behind grounding misses: a value copied from the passage's code read as something it is not.

A path changed inside the answer's fenced code, and a Go duration (`30m`) given in another unit.
"""

from __future__ import annotations

import pytest

from guardrails.claims import unsupported_names
from guardrails.units import changed_units

_EN_UNINSTALL = "To remove Ollama:\n\n```bash\nsudo rm /etc/systemd/system/ollama.service\nsudo rm -r /usr/share/ollama\n```"
_ZH_UNINSTALL = "卸载 Ollama：\n\n```bash\nsudo rm /etc/systemd/system/ollama.service\nsudo rm -r /usr/share/ollama\n```"


@pytest.mark.parametrize(
    ("answer", "support", "missing"),
    [
        (
            "Run:\n\n```bash\nsudo rm /lib/systemd/system/ollama.service\n```",
            _EN_UNINSTALL,
            ["/lib/systemd/system/ollama.service"],
        ),
        ("Run:\n\n```bash\nsudo rm /etc/systemd/system/ollama.service\nsudo rm -r /usr/share/ollama\n```", _EN_UNINSTALL, []),
        ("执行：\n\n```bash\nsudo rm -r /usr/lib/ollama\n```", _ZH_UNINSTALL, ["/usr/lib/ollama"]),
        ("执行：\n\n```bash\nsudo rm -r /usr/share/ollama\n```", _ZH_UNINSTALL, []),
        # a code block's own names are no paths: a URL's path after its host and relative paths are not read
        ("```python\nclient = Client()\nurl = 'http://localhost:11434/api/chat'\nopen('./a/b')\n```", _EN_UNINSTALL, []),
    ],
)
def test_paths_in_fenced_code_are_names(answer: str, support: str, missing: list[str]) -> None:
    assert unsupported_names(answer, support) == missing


_EN_KEEPALIVE = "- `--keepalive 30m` controls how long the model stays loaded afterwards."
_ZH_KEEPALIVE = "- `--keepalive 30m` 控制回答后模型保持加载多久。"


@pytest.mark.parametrize(
    ("answer", "support", "changed"),
    [
        ("加上 `--keepalive 30m`，模型在回答结束后会继续保持加载 30 秒。", _EN_KEEPALIVE, [("30 s", "30 min")]),
        ("With `--keepalive 30m` the model stays loaded for 30 seconds.", _ZH_KEEPALIVE, [("30 s", "30 min")]),
        ("加上 `--keepalive 30m`，模型会继续保持加载 30 分钟。", _EN_KEEPALIVE, []),
        ("With `--keepalive 30m` the model stays loaded for 30 minutes.", _ZH_KEEPALIVE, []),
        # hours and minutes together: the 30 of 1h30m is no duration of its own
        ("It stays loaded for 30 seconds.", "Set `keep_alive` to `1h30m`.", []),
    ],
)
def test_go_durations_in_minutes_are_read(answer: str, support: str, changed: list[tuple[str, str]]) -> None:
    assert [c.terms for c in changed_units(answer, support)] == changed
