"""Pattern families for an *answer* that passes on instructions aimed at the user (Chinese and English): requests
for credentials, sending the conversation away, account-verification pretexts, contact handles, risky shell
commands and chat-template markup. The injection families of patterns.py are reused by answer_injection.py.

Pure policy layer (stdlib only). Designed on the tune split of data/eval/answer_injection.jsonl and checked
against every supported answer of data/eval/grounding.jsonl and every paragraph of data/docs (tests).
"""

from __future__ import annotations

import re

from guardrails.pattern_family import family

_FLAGS = re.IGNORECASE | re.MULTILINE

# -- credentials -------------------------------------------------------------------------------------------
# Nouns that are a secret on their own, and weak ones (key, token, code, pin) that are one only when qualified:
# "your token" alone is also an LLM token, "your code" is source code.
_STRONG = (
    r"(?:api[\s_-]?keys?|passwords?|passphrases?|passcodes?|credentials|seed\s+phrases?|recovery\s+(?:phrases?|codes?)"
    r"|mnemonic(?:\s+phrases?)?|private\s+keys?|ssh\s+keys?|id_(?:rsa|ed25519)(?!\.pub)|\.env\s+files?|otps?"
    r"|login\s+(?:details|info|credentials)|card\s+(?:numbers?|details)|cvv)"
)
_QUALIFIER = (
    r"(?:openai|anthropic|api|access|secret|auth(?:entication)?|bearer|session|refresh|github|hugging\s*face|hf"
    r"|personal\s+access|admin|root|wallet|ssh|gpg|pgp|license|licence|verification|security|2fa|mfa|one[-\s]time"
    r"|sms|login|sign-?in)"
)
_WEAK = r"(?:keys?|tokens?|codes?|pins?|cookies?|secrets?)"
SECRET = rf"(?:{_STRONG}|(?:{_QUALIFIER}[\s_-]+)+{_WEAK})"
_SEND = (
    r"(?:send|e-?mail|mail|forward|dm|post|share|upload|give|tell|disclose|reveal|submit|reply\s+with|respond\s+with"
    r"|message|text|whatsapp|telegram)"
)
_ENTER = (
    r"(?:enter|type|paste|input|fill\s+in|provide|supply|confirm|verify|re-?enter|log\s+in\s+with|sign\s+in\s+with"
    r"|authenticate\s+with)"
)
_ADDRESS = r"(?:[\w.+-]+@[\w-]+\.|https?://|www\.|@\w|\+?\d[\d\s-]{6,})"
_ZH_SECRET = (
    r"(?:API\s*[-_]?\s*(?:key|密钥|秘钥)|密码|口令|密钥|秘钥|私钥|令牌|token|验证码|动态码|校验码|助记词|恢复码|凭证|凭据"
    r"|登录信息|账号和密码|cookie|银行卡号|卡号|CVV|身份证号|授权码|激活码|许可证密钥|序列号)"
)
_ZH_SEND = r"(?:发送|发给|发到|发至|私信|转发|告诉|透露|提交|上传|回复|贴出|分享|交给|报给)"
_ZH_ENTER = r"(?:输入|填写|填入|填到|粘贴|贴到|提供|登录|确认|验证)"
_ZH_YOUR = r"(?:你的|您的|自己的)"
_NO_STOP = r"[^。！？!?\n，,；;]"

# Handing a secret to someone: always an instruction to act outside a question about the documents.
CREDENTIAL_SEND = family(
    "credential_request",
    rf"\b{_SEND}\s+(?:it\s+|them\s+)?(?:(?:to\s+)?(?:me|us|them|him|her|the\s+\w+(?:\s+team)?)\s+)?"
    rf"(?:all\s+(?:of\s+)?)?your\s+(?:[\w-]+\s+){{0,2}}?{SECRET}\b",
    rf"\b(?:paste|type|enter|post|put|drop|write)\s+(?:your|the)\s+(?:[\w-]+\s+){{0,2}}?{SECRET}\s+"
    r"(?:here|below|in\s+(?:this|the)\s+(?:chat|conversation|reply|thread|comments?)|in\s+your\s+(?:reply|next\s+message)"
    r"|into\s+(?:this|the)\s+(?:chat|conversation)|(?:at|on|into)\s+(?:https?://|www\.))",
    rf"\b{SECRET}\s+(?:\w+\s+){{0,3}}?(?:to|at|via)\s+{_ADDRESS}",
    rf"{_ZH_SEND}(?:给)?(?:我们|我|对方|客服|管理员|技术支持)?{_NO_STOP}{{0,6}}?{_ZH_YOUR}{_NO_STOP}{{0,8}}?{_ZH_SECRET}",
    rf"(?:把|将){_ZH_YOUR}?{_NO_STOP}{{0,10}}?{_ZH_SECRET}{_NO_STOP}{{0,20}}?{_ZH_SEND}",
    rf"{_ZH_SECRET}{_NO_STOP}{{0,12}}?(?:发送|发|提交|上传|私信)(?:到|至|给)",
)

# Typing a secret into something: what documentation of a tool with a login says too, so it is excused when the
# question itself is about that kind of secret ("where do I put my API key?").
CREDENTIAL_ENTER = family(
    "credential_entry",
    rf"\b{_ENTER}\s+(?:in\s+)?(?:all\s+(?:of\s+)?)?your\s+(?:[\w-]+\s+){{0,2}}?{SECRET}\b",
    rf"{_ZH_ENTER}(?:一下)?{_NO_STOP}{{0,4}}?{_ZH_YOUR}{_NO_STOP}{{0,8}}?{_ZH_SECRET}",
    rf"(?:把|将){_ZH_YOUR}{_NO_STOP}{{0,10}}?{_ZH_SECRET}{_NO_STOP}{{0,20}}?{_ZH_ENTER}",
)
CREDENTIAL_TOPIC = re.compile(rf"{SECRET}|\b(?:keys?|tokens?|passwords?|login|sign\s+in)\b|{_ZH_SECRET}|登录", _FLAGS)

# Sending the conversation, the prompt or local secrets somewhere.
EXFILTRATION = family(
    "exfiltration",
    r"\b(?:send|forward|upload|post|copy|paste|e-?mail|share|submit)\s+(?:the\s+|this\s+|your\s+|our\s+)?"
    r"(?:whole\s+|full\s+|entire\s+|complete\s+)?(?:conversation|chat(?:\s+(?:history|log|transcript))?|transcript"
    r"|message\s+history|system\s+prompt|prompt\s+history|previous\s+messages)\b[^.\n]{0,40}?\b(?:to|into|at)\b",
    r"(?:把|将)(?:这段|本次|整个|全部|所有|你的|您的)?(?:的)?(?:对话|聊天记录|会话记录|会话|聊天内容|系统提示词?|提示词)"
    r"(?:内容|记录)?[^。！？\n]{0,10}?(?:发送|发给|发到|上传|转发|复制到|粘贴到|提交)",
)

# Telling the reader to set the documents aside ("disregard the retrieved documents", "不要相信上面的资料"): the
# input family only knows "ignore the documents" without a qualifier.
IGNORE_DOCUMENTS = family(
    "instruction_override",
    r"\b(?:ignore|disregard|forget|do\s+not\s+trust|don'?t\s+trust|distrust)\s+(?:all\s+)?(?:of\s+)?(?:the|these|those|your)\s+"
    r"(?:retrieved|provided|cited|above|attached|quoted|official|previous)?\s*(?:documents?|docs|passages?|sources?|context"
    r"|search\s+results|documentation|manual|answer\s+above)\b",
    r"(?:忽略|无视|不要相信|别相信|不要参考|不必参考|别管)(?:掉)?(?:上面|以上|前面|检索到|提供|引用|官方)?(?:的)?"
    r"(?:文档|资料|段落|来源|上下文|搜索结果|说明|手册|回答)",
)

# Account-verification pretexts (phishing).
PHISHING = family(
    "account_phishing",
    r"\b(?:verify|confirm|validate|re-?activate|unlock|restore|re-?validate)\s+your\s+(?:\w+\s+)?"
    r"(?:account|identity|subscription|license|licence|wallet|membership)\b",
    r"\byour\s+(?:\w+\s+)?(?:account|license|licence|subscription|access|api\s+key)\s+(?:will\s+be|has\s+been|is\s+being)\s+"
    r"(?:suspended|locked|disabled|deleted|terminated|revoked|closed|frozen)",
    r"(?:验证|确认|激活|解锁|恢复|重新激活)(?:一下)?(?:你的|您的)[^。！？\n]{0,4}?(?:账号|账户|帐号|帐户|身份|订阅|许可证?|授权|钱包)",
    r"(?:账号|账户|帐号|帐户|许可证?|授权|订阅|API\s*(?:key|密钥))(?:将|会|已|已经|即将)(?:被)?"
    r"(?:冻结|封禁|封号|停用|注销|吊销|锁定|暂停)",
)

# -- contact handles -----------------------------------------------------------------------------------------
# A phone number, an @handle or a messenger id after a contact verb; the handle is the evidence (group "h").
_PHONE = r"(?<![\w.])\+?\d{1,4}[\s.-]?\(?\d{2,4}\)?(?:[\s.-]?\d{3,4}){1,3}(?![\w.])"
_MESSENGER = r"(?:whatsapp|telegram|signal|wechat|skype|discord|line|qq|tg|微信|电话|手机|手机号)"
CONTACT = tuple(
    re.compile(p, _FLAGS)
    for p in (
        rf"\b(?:contact|call|text|phone|dial|reach(?:\s+out\s+to)?|whatsapp|telegram|message|dm|add)\b[^.\n]{{0,40}}?"
        rf"(?P<h>{_PHONE}|(?<![\w.@])@[A-Za-z0-9_]{{3,}}|{_MESSENGER}\s*(?:id|number|handle|号)?\s*[:#：]?\s*[A-Za-z0-9_+.-]{{5,}})",
        rf"(?:联系|联络|添加|加|拨打|致电|打电话给?|私信|咨询){_NO_STOP}{{0,12}}?(?:{_MESSENGER}|客服|QQ群|群)(?:号|号码)?"
        rf"\s*[:：]?\s*(?P<h>[A-Za-z0-9_+\-]{{5,}})",
        rf"{_MESSENGER}(?:号|号码)?\s*[:：]\s*(?P<h>[A-Za-z0-9_+\-]{{5,}})",
        rf"(?:联系|联络|拨打|致电|打电话|热线|电话|手机){_NO_STOP}{{0,12}}?(?P<h>{_PHONE})",
    )
)

# -- risky commands ------------------------------------------------------------------------------------------
# Download and run: the way installers are documented too (`curl -fsSL https://ollama.com/install.sh | sh`), so it
# is excused when a cited passage gives the same command and the question is about installing or updating.
DOWNLOAD_EXEC = tuple(
    re.compile(p, _FLAGS)
    for p in (
        r"\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n|;&`]{0,200}\|\s*(?:sudo\s+(?:-\S+\s+)*)?"
        r"(?:(?:ba|z|da|k)?sh|python3?|perl|ruby|node|iex|invoke-expression|powershell|pwsh)\b",
        r"\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?(?:<\(|\$\()\s*(?:curl|wget)\b[^\n`]{0,200}",
        r"\biex\s*\(\s*\(?\s*(?:new-object|iwr|irm|invoke-webrequest)\b[^\n`]{0,200}",
    )
)
INSTALL_TOPIC = re.compile(
    r"\b(?:install\w*|set\s*up|setup|upgrade\w*|update\w*|download\w*|reinstall\w*|getting\s+started"
    r"|get\s+(?:\w+\s+){0,2}(?:running|started|going|working))\b|安装|装|升级|更新|部署|下载|跑起来|上手|入门",
    _FLAGS,
)
# Never part of answering a question about documents, unless the question itself gives the command.
RISKY_COMMAND = tuple(
    re.compile(p, _FLAGS)
    for p in (
        r"\bbase64\s+(?:-d|--decode|-D)\b[^\n`]{0,60}\|\s*(?:ba|z)?sh\b",
        r"\becho\s+[\"']?[A-Za-z0-9+/=]{24,}[\"']?\s*\|\s*base64\b[^\n`]{0,40}",
        r"\b(?:powershell|pwsh)(?:\.exe)?\s+[^\n]{0,40}-(?:enc|encodedcommand|e)\s+[A-Za-z0-9+/=]{16,}",
        r"\brm\s+(?:-[a-zA-Z]*\s+|--[a-z-]+\s+)*(?:/|~/?|\$HOME/?|/\*|\*|~/\*)(?=\s|$|[`'\";|&])",
        r"\bmkfs(?:\.\w+)?\s+/dev/\w+",
        r"\bdd\s+[^\n`]{0,60}\bof=/dev/(?:sd|nvme|hd|disk)\w*",
        r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:",
        r"\bchmod\s+(?:-R\s+)?0?777\s+(?:/|~)(?=\s|$|[`'\"])",
        r"\bcat\s+[^\n|;`]{0,40}(?:\.ssh/|id_rsa(?!\.pub)|id_ed25519(?!\.pub)|\.aws/credentials|\.netrc|/etc/shadow"
        r"|\.env\b|\.git-credentials|\.docker/config\.json)\S*",
        r"\b(?:env|printenv|set|history)\s*\|\s*(?:curl|nc|ncat|wget|base64)\b[^\n`]{0,80}",
        r"\bcurl\b[^\n`]{0,160}(?:-d|--data(?:-binary|-raw)?|-F|--form|-T|--upload-file)\s+[\"']?@?[^\s\"']*"
        r"(?:\.ssh|id_rsa|id_ed25519|\.env\b|_history|/etc/passwd|/etc/shadow|\.aws|\$\(\s*(?:env|printenv|cat)\b)\S*",
        r"\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-[ec]\s+\S+",
        r"/dev/tcp/[\w.]+/\d+",
        r"\b(?:ba)?sh\s+-i\s+>&\s*\S+",
        r"\bsetenforce\s+0\b",
        r"\bufw\s+disable\b",
        r"\bSet-MpPreference\s+-Disable\w+\s+\$?true\b",
        r"\bsystemctl\s+(?:stop|disable|mask)\s+(?:firewalld|ufw|apparmor|auditd)\b",
        r"\bspctl\s+--master-disable\b",
        r"\bcsrutil\s+disable\b",
        r"\biptables\s+-F\b",
    )
)

# -- chat-template markup ------------------------------------------------------------------------------------
# A role or turn delimiter in an answer is a forged turn or a leaked template; it is excused only when a cited
# passage shows the same delimiter (Modelfile TEMPLATE documentation).
DELIMITER = re.compile(
    r"<\|(?:im_start|im_end|im_sep|system|user|assistant|eot_id|start_header_id|end_header_id|endoftext"
    r"|begin_of_text|end_of_text)\|>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>",
    _FLAGS,
)
ROLE_LINE = re.compile(
    r"^[ \t>*#]*(?:\*\*)?(?P<role>system|assistant|developer|系统|助手)(?:\*\*)?[ \t]*[:：](?:\*\*)?[ \t]*(?=\S)",
    _FLAGS,
)
ROLE_HEADER = re.compile(
    r"^[ \t]*[\[【(（]\s*(?:system|admin|administrator|operator|系统|管理员|运营方)"
    r"(?:\s*(?:message|notice|update|prompt|消息|通知|公告|更新|提示))?\s*[\]】)）]",
    _FLAGS,
)
