"""The deploy wizard's layout: validated before it is returned; a stored layout that fails the
schema comes back null and the wizard falls back to single-page rendering (docs/CONTRACT.md §2.2).

Like zod's default object schemas, unknown keys are dropped rather than rejected.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import strawberry
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class _IntegrationSection(_Strict):
    type: Literal["integration"]
    providers: list[str] = Field(min_length=1)


class _InputsSection(_Strict):
    type: Literal["inputs"]
    keys: list[str] = Field(min_length=1)


class _NoticeSection(_Strict):
    type: Literal["notice"]
    body: str = Field(min_length=1)


_Section = Annotated[
    _IntegrationSection | _InputsSection | _NoticeSection, Field(discriminator="type")
]


class _SubStep(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    sections: list[_Section] = Field(min_length=1)


class _Layout(_Strict):
    version: int = Field(ge=1, le=1)  # strict: true is not 1
    sub_steps: list[_SubStep] = Field(alias="subSteps", min_length=1)


_LAYOUT = TypeAdapter(_Layout)


@strawberry.type(description="A wizard section asking the user to connect these providers.")
class IntegrationSection:
    type: str
    providers: list[str]


@strawberry.type(description="A wizard section asking for these wizard inputs, by key.")
class InputsSection:
    type: str
    keys: list[str]


@strawberry.type(description="A wizard section showing a note.")
class NoticeSection:
    type: str
    body: str


WizardSection = Annotated[
    IntegrationSection | InputsSection | NoticeSection,
    strawberry.union("WizardSection", description="One section of a wizard sub-step."),
]


@strawberry.type(description="One page of the deploy wizard.")
class WizardSubStep:
    id: str
    title: str
    sections: list[WizardSection]


@strawberry.type(description="The deploy wizard's layout (schema version 1).")
class WizardLayout:
    version: int
    sub_steps: list[WizardSubStep]


_SECTION_TYPES: dict[type[BaseModel], Any] = {
    _IntegrationSection: IntegrationSection,
    _InputsSection: InputsSection,
    _NoticeSection: NoticeSection,
}


def parse_wizard_layout(stored: object) -> WizardLayout | None:
    """The validated layout, or None when it is missing or fails the schema."""
    if stored is None:
        return None
    try:
        layout = _LAYOUT.validate_python(stored)
    except ValidationError:
        return None
    return WizardLayout(
        version=layout.version,
        sub_steps=[
            WizardSubStep(
                id=step.id,
                title=step.title,
                sections=[
                    _SECTION_TYPES[type(section)](**section.model_dump())
                    for section in step.sections
                ],
            )
            for step in layout.sub_steps
        ],
    )
