"""Unit tests of the small pure pieces of the tools domain: numbers as JavaScript prints them
(legacy_rest/envelopes.py `js_number`), usage framing (`frame`, `label`) and the wizard layout
schema (`parse_wizard_layout`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from legacy_rest.envelopes import js_number
from resolvers.tools.framing import frame, label
from resolvers.tools.wizard import (
    InputsSection,
    IntegrationSection,
    NoticeSection,
    WizardLayout,
    parse_wizard_layout,
)
from tests.support.catalog import HERMES_LAYOUT

NOW = datetime(2025, 5, 31, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# js_number


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (0.0000036, "0.0000036"),
        (Decimal("0.0000036"), "0.0000036"),
        (3.6, "3.6"),
        (Decimal("3.60"), "3.6"),
        (18, "18"),
        (18.0, "18"),
        (Decimal("18.000000"), "18"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (1.2345e-6, "0.0000012345"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (1e20, "100000000000000000000"),
        (123456789.123, "123456789.123"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-3.6, "-3.6"),
        (-0.0000036, "-0.0000036"),
        (-18, "-18"),
        (-1e-7, "-1e-7"),
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (Decimal(0), "0"),
        ("3.6", "3.6"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_js_number_prints_like_javascript(value: Any, printed: str) -> None:
    assert orjson.dumps(js_number(value)) == printed.encode()
    # …and the output is valid JSON for the same number.
    assert json.loads(printed) == float(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_js_number_non_finite_is_null(value: float) -> None:
    assert orjson.dumps(js_number(value)) == b"null"


def test_js_number_inside_a_body() -> None:
    body = {"pricing": {"per_token": js_number(Decimal("0.0000036")), "per_million": js_number(18)}}
    assert orjson.dumps(body) == b'{"pricing":{"per_token":0.0000036,"per_million":18}}'


# --------------------------------------------------------------------------------------------
# label and frame


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (0, "< 1 day of usage"),
        (1, "≈ 1 day of usage"),
        (2, "≈ 2 days of usage"),
        (12, "≈ 12 days of usage"),
        (365, "≈ 365 days of usage"),
    ],
)
def test_label_words(days: int, text: str) -> None:
    assert label(days) == text


def amounts(result: Any) -> list[tuple[int, int, str, bool]]:
    return [(a.usd, a.days, a.label, a.cold_start) for a in result.amounts]


def test_frame_history_counts_both_utc_days() -> None:
    """$4 since 23:59:59 three days ago: four UTC days, $1/day."""
    first = datetime(2025, 5, 28, 23, 59, 59, tzinfo=UTC)
    result = frame(total_micros=4_000_000, first_event_at=first, fallback_micros=None, now=NOW)
    assert amounts(result) == [
        (5, 5, "≈ 5 days of usage", False),
        (25, 25, "≈ 25 days of usage", False),
        (100, 100, "≈ 100 days of usage", False),
    ]
    assert result.average_daily_spend_micros == 1_000_000
    assert result.cold_start is False


def test_frame_first_event_today_is_one_day() -> None:
    first = NOW.replace(hour=0, minute=0, second=1)
    result = frame(total_micros=5_000_000, first_event_at=first, fallback_micros=None, now=NOW)
    assert [a.days for a in result.amounts] == [1, 5, 20]
    assert result.amounts[0].label == "≈ 1 day of usage"


def test_frame_rounds_half_up() -> None:
    """$2/day: 2.5 → 3 and 12.5 → 13."""
    first = NOW - timedelta(days=1)
    result = frame(total_micros=4_000_000, first_event_at=first, fallback_micros=None, now=NOW)
    assert [a.days for a in result.amounts] == [3, 13, 50]


def test_frame_half_a_day_rounds_up_to_one() -> None:
    result = frame(total_micros=10_000_000, first_event_at=NOW, fallback_micros=None, now=NOW)
    assert amounts(result) == [
        (5, 1, "≈ 1 day of usage", False),
        (25, 3, "≈ 3 days of usage", False),
        (100, 10, "≈ 10 days of usage", False),
    ]


def test_frame_under_one_day() -> None:
    result = frame(total_micros=12_000_000, first_event_at=NOW, fallback_micros=None, now=NOW)
    assert amounts(result)[0] == (5, 0, "< 1 day of usage", False)
    assert [a.days for a in result.amounts] == [0, 2, 8]


def test_frame_average_rounds_half_up_to_micros() -> None:
    first = NOW - timedelta(days=2)  # three days
    third = frame(total_micros=1_000_000, first_event_at=first, fallback_micros=None, now=NOW)
    assert third.average_daily_spend_micros == 333_333
    assert [a.days for a in third.amounts] == [15, 75, 300]
    two_thirds = frame(total_micros=2_000_000, first_event_at=first, fallback_micros=None, now=NOW)
    assert two_thirds.average_daily_spend_micros == 666_667
    assert [a.days for a in two_thirds.amounts] == [8, 38, 150]


def test_frame_cold_start_uses_the_fallback() -> None:
    result = frame(total_micros=0, first_event_at=None, fallback_micros=400_000, now=NOW)
    assert amounts(result) == [
        (5, 13, "≈ 13 days of usage", True),
        (25, 63, "≈ 63 days of usage", True),
        (100, 250, "≈ 250 days of usage", True),
    ]
    assert result.cold_start is True
    assert result.average_daily_spend_micros == 400_000


def test_frame_cold_start_without_fallback_is_one_dollar_a_day() -> None:
    result = frame(total_micros=0, first_event_at=None, fallback_micros=None, now=NOW)
    assert [a.days for a in result.amounts] == [5, 25, 100]
    assert result.average_daily_spend_micros == 1_000_000
    assert result.cold_start is True


def test_frame_free_history_is_a_cold_start() -> None:
    first = NOW - timedelta(days=10)
    result = frame(total_micros=0, first_event_at=first, fallback_micros=2_000_000, now=NOW)
    assert result.cold_start is True
    assert [a.days for a in result.amounts] == [3, 13, 50]


def test_frame_presets_are_5_25_100() -> None:
    result = frame(total_micros=0, first_event_at=None, fallback_micros=None, now=NOW)
    assert [a.usd for a in result.amounts] == [5, 25, 100]


# --------------------------------------------------------------------------------------------
# parse_wizard_layout

VALID = HERMES_LAYOUT


def with_step(**changes: Any) -> dict[str, Any]:
    step = {**VALID["subSteps"][0], **changes}
    return {"version": 1, "subSteps": [step]}


def with_section(section: Any) -> dict[str, Any]:
    return with_step(sections=[section])


def test_parse_wizard_layout_valid() -> None:
    layout = parse_wizard_layout(VALID)
    assert isinstance(layout, WizardLayout)
    assert layout.version == 1
    assert [(s.id, s.title) for s in layout.sub_steps] == [
        ("connect", "Connect integrations"),
        ("configure", "Configure"),
    ]
    first, second = layout.sub_steps
    assert first.sections == [
        IntegrationSection(type="integration", providers=["openrouter", "telegram"])
    ]
    assert second.sections == [
        InputsSection(type="inputs", keys=["TIMEZONE"]),
        NoticeSection(type="notice", body="You can change these later."),
    ]


def test_parse_wizard_layout_drops_unknown_keys_everywhere() -> None:
    stored = {
        "version": 1,
        "theme": "dark",
        "subSteps": [
            {
                "id": "a",
                "title": "A",
                "icon": "star",
                "sections": [
                    {"type": "notice", "body": "Hi", "color": "red"},
                    {"type": "integration", "providers": ["slack"], "keys": ["IGNORED"]},
                ],
            }
        ],
    }
    layout = parse_wizard_layout(stored)
    assert layout is not None
    assert layout.sub_steps[0].sections == [
        NoticeSection(type="notice", body="Hi"),
        IntegrationSection(type="integration", providers=["slack"]),
    ]
    assert not hasattr(layout, "theme")
    assert not hasattr(layout.sub_steps[0], "icon")


def test_parse_wizard_layout_does_not_modify_the_stored_value() -> None:
    stored = json.loads(json.dumps(VALID))
    parse_wizard_layout(stored)
    assert stored == VALID


INVALID = {
    "none": None,
    "list": [VALID],
    "string": json.dumps(VALID),
    "number": 1,
    "empty-object": {},
    "version-2": {**VALID, "version": 2},
    "version-0": {**VALID, "version": 0},
    "version-string": {**VALID, "version": "1"},
    "version-true": {**VALID, "version": True},
    "version-missing": {"subSteps": VALID["subSteps"]},
    "substeps-missing": {"version": 1},
    "substeps-empty": {"version": 1, "subSteps": []},
    "substeps-object": {"version": 1, "subSteps": VALID["subSteps"][0]},
    "substeps-snake-case": {"version": 1, "sub_steps": VALID["subSteps"]},
    "step-not-object": {"version": 1, "subSteps": ["connect"]},
    "step-id-missing": {"version": 1, "subSteps": [{"title": "A", "sections": []}]},
    "step-id-number": with_step(id=1),
    "step-title-missing": {
        "version": 1,
        "subSteps": [{"id": "a", "sections": VALID["subSteps"][0]["sections"]}],
    },
    "step-title-null": with_step(title=None),
    "sections-missing": {"version": 1, "subSteps": [{"id": "a", "title": "A"}]},
    "sections-empty": with_step(sections=[]),
    "sections-string": with_step(sections="oops"),
    "section-unknown-type": with_section({"type": "video", "url": "https://x"}),
    "section-type-missing": with_section({"providers": ["openrouter"]}),
    "section-not-object": with_section("integration"),
    "providers-empty": with_section({"type": "integration", "providers": []}),
    "providers-string": with_section({"type": "integration", "providers": "openrouter"}),
    "providers-number": with_section({"type": "integration", "providers": [1]}),
    "providers-missing": with_section({"type": "integration"}),
    "keys-empty": with_section({"type": "inputs", "keys": []}),
    "keys-null": with_section({"type": "inputs", "keys": [None]}),
    "body-missing": with_section({"type": "notice"}),
    "body-number": with_section({"type": "notice", "body": 3}),
    "body-list": with_section({"type": "notice", "body": ["a"]}),
    "one-bad-step": {"version": 1, "subSteps": [*VALID["subSteps"], {"id": "x"}]},
}


@pytest.mark.parametrize("stored", INVALID.values(), ids=INVALID.keys())
def test_parse_wizard_layout_invalid_is_none(stored: Any) -> None:
    assert parse_wizard_layout(stored) is None


def test_parse_wizard_layout_demo_switchboard_is_none() -> None:
    assert (
        parse_wizard_layout({"version": 1, "subSteps": [{"id": "x", "sections": "oops"}]}) is None
    )
