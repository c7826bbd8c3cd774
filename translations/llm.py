"""The LLM behind machine drafts: any OpenAI-compatible server, through the `openai` package.

One call asks for a structured answer (strict json_schema, or json_object with the
schema in the prompt for servers without it) and validates it. Transient failures
(429 honouring Retry-After, 5xx, timeouts, connection errors) are retried by the
openai client with backoff up to DIGEST_LLM_RETRIES; everything else fails at once
with a message that says what to fix.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digest_site.process_clients import ProcessClients
from translations.checks import chinese_share

if TYPE_CHECKING:
    # Imported where a request is made: importing `openai` is more than half of django.setup(),
    # and every management command and worker would pay for it, drafting or not.
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MIN_CHINESE_SHARE = 0.3


class DraftReply(BaseModel):
    """Exactly the fields asked of the model; all required, none extra."""

    model_config = ConfigDict(extra="forbid")

    title_zh: str = Field(min_length=1, description="论文标题的中文译名")
    abstract_zh: str = Field(min_length=1, description="摘要的完整中文译文")
    background: str = Field(min_length=1, description="研究背景与既有方法问题（Markdown 列表）")
    method: str = Field(min_length=1, description="核心方法（Markdown 列表，含子要点）")
    results: str = Field(min_length=1, description="任务与效果（Markdown 列表，含论文中的具体数字）")


@functools.cache
def _reply_schema_json() -> str:
    schema = DraftReply.model_json_schema()
    schema["additionalProperties"] = False
    return json.dumps(schema, ensure_ascii=False)


def reply_schema() -> dict:
    """The JSON schema of the answer (made once per process: pydantic takes a few ms), a copy the caller may change."""
    return json.loads(_reply_schema_json())


def without_nul(text: str) -> str:
    """The server's text without NUL characters, which PostgreSQL refuses in text (a DataError)."""
    return text.replace("\x00", "")


class LLMError(Exception):
    """A failed attempt; the message is one line saying what went wrong and, when permanent, what to fix.
    It is stored as the draft's error, so what the server said in it is stored without NUL."""

    def __init__(self, message: str, *, permanent: bool = False, shown: str = "") -> None:
        super().__init__(without_nul(message))
        self.permanent = permanent
        self.shown = shown or str(self)  # for the admin: in the editor's language where we wrote the message


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    api_key: str
    model: str
    timeout: float
    retries: int
    response_format: str
    temperature: float

    @classmethod
    def from_settings(cls) -> LLMConfig:
        return cls(
            base_url=settings.OPENAI_BASE_URL or DEFAULT_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            model=settings.DIGEST_LLM_MODEL,
            timeout=settings.DIGEST_LLM_TIMEOUT,
            retries=settings.DIGEST_LLM_RETRIES,
            response_format=settings.DIGEST_LLM_RESPONSE_FORMAT,
            temperature=settings.DIGEST_LLM_TEMPERATURE,
        )

    @property
    def endpoint_host(self) -> str:
        return urlsplit(self.base_url).netloc

    def _missing(self) -> list[str]:
        missing = []  # as they are written; the .po translates each for problem_shown
        if not self.model:
            missing.append("DIGEST_LLM_MODEL")
        if not self.api_key and self.base_url == DEFAULT_BASE_URL:
            missing.append("OPENAI_API_KEY (or OPENAI_BASE_URL for a server without keys)")
        return missing

    @property
    def problem_shown(self) -> str:
        """`problem` in the editor's language, for the admin ("" when drafting can run)."""
        missing = self._missing()
        if not missing:
            return ""
        return _("No LLM is configured: set %(missing)s (any OpenAI-compatible server: OPENAI_BASE_URL, "
                 "OPENAI_API_KEY, DIGEST_LLM_MODEL), then draft the day again.") % {
                     "missing": _(" and ").join(_(setting) for setting in missing)}  # each setting a msgid of its own

    @property
    def problem(self) -> str:
        """Why drafting cannot run with this configuration, or ""."""
        missing = self._missing()
        if not missing:
            return ""
        return (
            "No LLM is configured: set " + " and ".join(missing) + " (any OpenAI-compatible server: "
            "OPENAI_BASE_URL, OPENAI_API_KEY, DIGEST_LLM_MODEL), then run "
            "`python manage.py translate_day --date YYYY-MM-DD`."
        )


@dataclass(frozen=True)
class LLMAnswer:
    reply: DraftReply
    input_tokens: int
    output_tokens: int
    latency_ms: int
    model: str


def _response_format(config: LLMConfig) -> dict:
    if config.response_format == "json_object":
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": "paper_draft", "strict": True, "schema": reply_schema()}}


def _status_error(exc: openai.APIStatusError, config: LLMConfig) -> LLMError:
    import openai

    where = f"{config.endpoint_host} (model {config.model})"
    detail = " ".join(str(getattr(exc, "message", "") or exc).split())[:300]
    if isinstance(exc, openai.AuthenticationError):
        return LLMError(f"{where} refused the API key (HTTP 401): check OPENAI_API_KEY. {detail}", permanent=True)
    if isinstance(exc, openai.PermissionDeniedError):
        return LLMError(f"{where} denied access (HTTP 403): check the key's permissions. {detail}", permanent=True)
    if isinstance(exc, openai.NotFoundError):
        return LLMError(
            f"{where} answered HTTP 404: check DIGEST_LLM_MODEL and OPENAI_BASE_URL (…/v1). {detail}", permanent=True
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMError(f"{where} kept answering HTTP 429 (rate limit) after {config.retries} retries. {detail}")
    if exc.status_code >= 500:
        return LLMError(f"{where} answered HTTP {exc.status_code} after {config.retries} retries. {detail}")
    hint = ""
    if isinstance(exc, openai.BadRequestError) and config.response_format == "json_schema":
        hint = " If the server does not support json_schema output, set DIGEST_LLM_RESPONSE_FORMAT=json_object."
    return LLMError(f"{where} rejected the request (HTTP {exc.status_code}): {detail}.{hint}", permanent=True)


def _new_client(config: LLMConfig) -> openai.OpenAI:
    import openai

    return openai.OpenAI(
        base_url=config.base_url,
        api_key=config.api_key or "not-needed",
        timeout=config.timeout,
        max_retries=config.retries,
    )


_clients: ProcessClients[openai.OpenAI] = ProcessClients()


def llm_client(config: LLMConfig) -> openai.OpenAI:
    """This process's client for `config`'s server, built on first use (in the worker, after any fork)
    and kept with its connections (digest_site/process_clients.py)."""
    key = (config.base_url, config.api_key, config.timeout, config.retries)
    return _clients.get(key, lambda: _new_client(config))


def request_draft(*, messages: list[dict], config: LLMConfig, client: openai.OpenAI | None = None) -> LLMAnswer:
    """Ask for one draft and return the validated reply, or raise LLMError."""
    if config.problem:
        raise LLMError(config.problem, permanent=True)
    import openai

    client = client or llm_client(config)
    started = time.monotonic()
    try:
        completion = client.chat.completions.create(
            model=config.model,
            messages=messages,
            response_format=_response_format(config),
            temperature=config.temperature,
        )
    except openai.APITimeoutError:
        raise LLMError(
            f"{config.endpoint_host} did not answer within {config.timeout:g} s ({config.retries} retries); "
            "raise DIGEST_LLM_TIMEOUT if the model is slow"
        ) from None
    except openai.APIConnectionError as exc:
        raise LLMError(f"cannot reach {config.base_url} ({exc.__cause__ or exc}); check OPENAI_BASE_URL") from None
    except openai.APIStatusError as exc:
        raise _status_error(exc, config) from None
    latency_ms = int((time.monotonic() - started) * 1000)
    if not completion.choices:
        raise LLMError("the answer has no choices")
    choice = completion.choices[0]
    usage = completion.usage
    tokens = (usage.prompt_tokens or 0, usage.completion_tokens or 0) if usage else (0, 0)
    refusal = getattr(choice.message, "refusal", None)
    if refusal:
        raise LLMError(f"the model refused: {' '.join(refusal.split())[:300]}")
    if choice.finish_reason == "length":
        raise LLMError(f"the answer was cut off at the length limit after {tokens[1]} output tokens")
    reply = parse_reply(choice.message.content or "")
    return LLMAnswer(
        reply=reply, input_tokens=tokens[0], output_tokens=tokens[1], latency_ms=latency_ms,
        model=without_nul(completion.model or "") or config.model,
    )


def parse_reply(content: str) -> DraftReply:
    """Validate the model's JSON: exactly the fields, none empty (NUL characters dropped), written in Chinese."""
    text = content.strip()
    if text.startswith("```"):  # some servers fence JSON even when asked not to
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMError(f"the answer is not valid JSON ({exc.msg} at line {exc.lineno}): {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise LLMError(f"the answer is JSON but not an object: {text[:80]!r}")
    try:
        reply = DraftReply.model_validate({key: without_nul(value).strip() if isinstance(value, str) else value
                                           for key, value in data.items()})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, error['loc'])) or 'answer'}: {error['msg']}" for error in exc.errors())
        raise LLMError(f"the answer does not have the required fields: {problems}") from None
    parts = {"abstract_zh": reply.abstract_zh, "reading": "\n".join([reply.background, reply.method, reply.results])}
    for name, text in parts.items():
        share = chinese_share(text)
        if share < MIN_CHINESE_SHARE:
            raise LLMError(f"the answer is not in Chinese: {name} is {share:.0%} Chinese")
    return reply
