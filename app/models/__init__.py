"""Models: which backend answers (backend), building ChatOllama for it (factory), the fallback rungs with
their circuit breakers (rungs) and the chaos transport for fault drills (chaos). App layer, below the
service; imports no other part of app/ except settings and embedded. This package imports nothing itself but
ollama, through app.hosts.import_ollama, so that an OLLAMA_HOST ollama cannot parse is reported by Settings
instead of failing the import.
"""

from app.hosts import import_ollama

import_ollama()
