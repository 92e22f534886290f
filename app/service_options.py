"""What a request runs with: the Settings and policy its AskOptions make (validated; a setting one request may not
change is an error naming it), and the longest question its policy accepts."""

from __future__ import annotations

from app.contract import AskOptions
from app.service_state import ServiceState
from app.settings import Settings, SettingsError
from guardrails import GuardrailPolicy
from guardrails.input_size import InputSizeGuardrail


class RequestOptions(ServiceState):
    """A request's effective Settings and policy, from the service's own and the request's options."""

    def _request_settings(self, settings: Settings | None) -> Settings:
        """`settings` as a request may run with them: a change outside REQUEST_FIELDS (gguf, threads: what the
        embedded engine is built from) is a SettingsError naming it, as in `effective`, never silently ignored
        (the service's own model answered under its own name). Another model file is another service: derive()."""
        if settings is None or settings is self.settings:
            return self.settings
        changed = {
            name: getattr(settings, name)
            for name in type(settings).model_fields
            if getattr(settings, name) != getattr(self.settings, name)
        }
        try:
            self.settings.for_request(changed)
        except SettingsError as exc:
            raise SettingsError(f"{exc} (or use svc.derive(...) for a service built with them)") from None
        return settings

    def effective(self, options: AskOptions | None) -> tuple[Settings, GuardrailPolicy]:
        """The Settings and policy a request with these options runs with (validated; raises ValueError). A
        setting the request cannot change (not in REQUEST_FIELDS: the index, the traces' redaction, ...) is a
        SettingsError naming it, not ignored."""
        if options is None:
            return self.settings, self.policy
        settings = self.settings.for_request(options.settings) if options.settings else self.settings
        policy = self.policy.with_overrides(options.guardrails) if options.guardrails else self.policy
        return settings, policy

    def question_limit(self, options: AskOptions | None = None) -> int | None:
        """The longest question the input_size guardrail of this session's policy accepts (a chat box's limit: what
        is longer would be refused), or None when that check is off. Options that do not validate fall back to
        the service's own policy (`ask` reports them as an error)."""
        try:
            return _question_limit(self.effective(options)[1])
        except ValueError:  # PolicyError, SettingsError and pydantic's ValidationError all are
            return _question_limit(self.policy)


def _question_limit(policy: GuardrailPolicy) -> int | None:
    if not policy.is_enabled("input_size"):
        return None
    return InputSizeGuardrail(**policy.params("input_size")).max_chars
