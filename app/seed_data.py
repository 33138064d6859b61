"""Static demo catalog: integrations, meters, tools with releases, category fallbacks."""

from __future__ import annotations

from typing import Any

from app.models import BYOK_STATIC, MANAGED_POOL

_LOGOS = "https://vendo.run/logos"


def _integration(
    provider: str, name: str, category: str, description: str, docs: str, **extra: Any
) -> dict[str, Any]:
    return {
        "provider": provider,
        "name": name,
        "category": category,
        "description": description,
        "docs_url": docs,
        "logo_url": f"{_LOGOS}/{provider}.svg",
        **extra,
    }


INTEGRATIONS: list[dict[str, Any]] = [
    _integration(
        "openrouter", "OpenRouter", "llm", "Unified gateway for LLM providers.",
        "https://openrouter.ai/docs",
        supported_profiles=[MANAGED_POOL, BYOK_STATIC],
        env_bootstrap={"vars": ["OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"], "restart": "gateway"},
    ),
    _integration(
        "anthropic", "Anthropic", "llm", "Claude models, direct.",
        "https://docs.anthropic.com", type="anthropic",
    ),
    _integration(
        "openai", "OpenAI", "llm", "GPT and embedding models.",
        "https://platform.openai.com/docs", type="openai",
    ),
    _integration(
        "elevenlabs", "ElevenLabs", "voice", "Text to speech and voice cloning.",
        "https://elevenlabs.io/docs",
        env_bootstrap={"vars": ["ELEVENLABS_API_KEY"], "restart": "gateway"},
    ),
    _integration(
        "assemblyai", "AssemblyAI", "speech", "Speech to text and audio intelligence.",
        "https://www.assemblyai.com/docs",
        env_bootstrap={"vars": ["ASSEMBLYAI_API_KEY"], "restart": "gateway"},
    ),
    _integration(
        "deepgram", "Deepgram", "speech", "Real-time speech recognition.",
        "https://developers.deepgram.com",
    ),
    _integration(
        "telegram", "Telegram", "messaging", "Bots and channels on Telegram.",
        "https://core.telegram.org/bots/api", icon_name="telegram",
        supported_profiles=[BYOK_STATIC], default_profile=BYOK_STATIC,
    ),
    _integration(
        "twilio", "Twilio", "messaging", "SMS and voice calls.", "https://www.twilio.com/docs",
    ),
    _integration(
        "slack", "Slack", "messaging", "Post to channels and read threads.",
        "https://api.slack.com", icon_name="slack",
    ),
    _integration(
        "sendgrid", "SendGrid", "email", "Transactional email.",
        "https://docs.sendgrid.com", type="sendgrid",
    ),
    _integration(
        "resend", "Resend", "email", "Email for developers.", "https://resend.com/docs",
    ),
    _integration(
        "pinecone", "Pinecone", "vector_db", "Managed vector database.",
        "https://docs.pinecone.io", type="pineconedb",
    ),
    _integration(
        "qdrant", "Qdrant", "vector_db", "Open-source vector search engine.",
        "https://qdrant.tech/documentation",
    ),
    _integration(
        "replicate", "Replicate", "llm", "Run open models in the cloud (being retired).",
        "https://replicate.com/docs", enabled=False,
    ),
]  # fmt: skip

# (provider, key, label, unit, rate in micros per unit, public)
METERS: list[tuple[str, str, str, str, int, bool]] = [
    ("openrouter", "input_tokens", "Input tokens", "1M tokens", 3_600_000, True),
    ("openrouter", "output_tokens", "Output tokens", "1M tokens", 18_000_000, True),
    ("elevenlabs", "characters", "Characters synthesized", "1K characters", 360_000, True),
    ("assemblyai", "audio_minutes", "Audio transcribed", "minute", 4_500, True),
    ("sendgrid", "emails", "Emails sent", "1K emails", 1_200_000, True),
    ("telegram", "messages", "Bot messages", "1K messages", 100_000, False),
    ("deepgram", "audio_minutes", "Audio transcribed", "minute", 5_160, False),
]

# category → fallback average daily spend (micros); "*" covers the others.
CATEGORY_FALLBACKS: dict[str, int] = {
    "agent": 1_500_000,
    "voice": 800_000,
    "messaging": 250_000,
    "*": 1_000_000,
}

_CONNECT_LAYOUT = {
    "version": 1,
    "subSteps": [
        {
            "id": "connect",
            "title": "Connect integrations",
            "sections": [{"type": "integration", "providers": ["openrouter", "telegram"]}],
        },
        {
            "id": "configure",
            "title": "Configure",
            "sections": [
                {"type": "inputs", "keys": ["TIMEZONE"]},
                {"type": "notice", "body": "You can change these later."},
            ],
        },
    ],
}
_TIMEZONE_INPUT = {"key": "TIMEZONE", "label": "Timezone", "type": "string", "required": False}


def _release(
    version: str, *, required: list[str], optional: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "version": version,
        "active": True,
        "deploy_ready": True,
        "requires": {"required": required, "optional": optional},
        "auth_mode": "supabase",
        **extra,
    }


# slug → (tool row, active release or None)
TOOLS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "hermes": (
        {"name": "Hermes", "category": "agent", "surface_all_connections": True,
         "description": "A personal agent on Telegram that can use every connection you have.",
         "marketing": {"featured": True}},
        _release("1.4.2", required=["openrouter", "telegram"], optional=[],
                 wizard_inputs=[_TIMEZONE_INPUT], wizard_layout=_CONNECT_LAYOUT,
                 source_repo="https://github.com/runvendo/hermes-vendo",
                 icon_url=f"{_LOGOS}/hermes.svg"),
    ),
    "scribe": (
        {"name": "Scribe", "category": "voice",
         "description": "Turns voice notes into tidy summaries."},
        _release("0.9.0", required=["assemblyai"], optional=["openrouter", "elevenlabs"],
                 source_repo="https://github.com/runvendo/scribe", icon_url=f"{_LOGOS}/scribe.svg"),
    ),
    "herald": (
        {"name": "Herald", "category": "messaging",
         "description": "Broadcasts announcements to Telegram and Slack."},
        _release("2.0.1", required=["telegram"], optional=["slack", "twilio"],
                 wizard_inputs=[_TIMEZONE_INPUT],
                 source_repo="https://github.com/runvendo/herald"),
    ),
    "postmaster": (
        {"name": "Postmaster", "category": "email",
         "description": "Sends digests by email."},
        _release("1.0.0", required=["sendgrid"], optional=["resend"],
                 source_repo="https://github.com/runvendo/postmaster"),
    ),
    "ops-console": (
        {"name": "Ops Console", "category": "agent", "description": "Internal operations agent.",
         "marketing": {"internal": True}},
        _release("0.3.0", required=["openrouter"], optional=[]),
    ),
    "vendo-test-smoke": (
        {"name": "Smoke test", "category": "agent", "description": "Deploy pipeline smoke test."},
        _release("0.0.1", required=[], optional=[]),
    ),
    "archivist": (
        {"name": "Archivist", "category": "agent", "enabled": False,
         "description": "Retired: indexed documents into a vector store."},
        _release("3.1.0", required=["openai", "pinecone"], optional=[]),
    ),
    "sketchpad": (
        {"name": "Sketchpad", "category": "agent",
         "description": "Coming soon: collaborative whiteboard agent."},
        None,
    ),
    "switchboard": (
        {"name": "Switchboard", "category": "voice",
         "description": "Answers phone calls with a voice agent."},
        _release("0.5.0", required=["twilio", "elevenlabs"], optional=["deepgram"],
                 wizard_layout={"version": 1, "subSteps": [{"id": "x", "sections": "oops"}]}),
    ),
}  # fmt: skip
