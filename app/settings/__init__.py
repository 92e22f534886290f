"""Settings: the one validated, documented configuration model of the app, and where its values come from.

The environment (and an optional TOML file) is read here, at the edge, and nowhere else; everything below
receives plain values or built objects. Five parts, one job each:

- `model.py`: `Settings` (every knob, validated), `SettingsError`; its fields declared by job in `app_fields.py`
  (with `Backend`, `EmbedderKind`, `RetrievalKind`, `SEED_MAX`), `serve_fields.py` and `trace_fields.py`;
- `values.py`: what a value means, normalized or refused (`CHECKOUT`: where the bundled folders are looked up);
- `requests.py`: `REQUEST_FIELDS` (what one request may change) and the message for a change it may not make;
- `names.py`: the environment variables settings are read from (`GUARDED_RAG_<FIELD>`, or another program's name);
- `sources.py`: defaults, a TOML file, then the environment (`load_settings`, `with_config_file`), and the
  variables no setting reads (`unknown_variables`).
"""

from app.settings.app_fields import SEED_MAX, Backend, EmbedderKind, RetrievalKind
from app.settings.model import Settings, SettingsError
from app.settings.names import CONFIG_FILE_ENV, ENV_PREFIX
from app.settings.requests import REQUEST_FIELDS
from app.settings.sources import env_name, load_settings, read_config_file, unknown_variables, with_config_file
from app.settings.values import CHECKOUT

__all__ = [
    "CHECKOUT",
    "CONFIG_FILE_ENV",
    "ENV_PREFIX",
    "REQUEST_FIELDS",
    "SEED_MAX",
    "Backend",
    "EmbedderKind",
    "RetrievalKind",
    "Settings",
    "SettingsError",
    "env_name",
    "load_settings",
    "read_config_file",
    "unknown_variables",
    "with_config_file",
]
