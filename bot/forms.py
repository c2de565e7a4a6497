"""Forms a platform can show as one dialog (Discord modals): their fields and catalog keys.

A form is filled in one go; its submission reaches the core as `FormSubmitted(form,
values)` and is handled by `router.forms[name]` with the same checks as the step-by-step
dialog. Shapes follow Discord's modal limits: at most 5 fields, 4,000 characters a field.
Nothing here knows a chat library.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FIELDS_PER_FORM",
    "FIELD_LIMIT",
    "FORMS",
    "MISSION",
    "PROFILE",
    "FieldStyle",
    "FormField",
    "FormSpec",
    "as_list",
]

FIELDS_PER_FORM = 5
FIELD_LIMIT = 4000


class FieldStyle(StrEnum):
    SHORT = "short"  # one line
    PARAGRAPH = "paragraph"  # several lines


@dataclass(frozen=True, slots=True)
class FormField:
    key: str  # the name of its value in `FormSubmitted.values`
    label_key: str  # catalog key of its label
    placeholder_key: str  # catalog key of its example
    style: FieldStyle = FieldStyle.SHORT
    required: bool = True
    max_length: int = 200

    def __post_init__(self) -> None:
        if not 1 <= self.max_length <= FIELD_LIMIT:
            raise ValueError(f"field {self.key}: max_length must be 1 to {FIELD_LIMIT}")


@dataclass(frozen=True, slots=True)
class FormSpec:
    name: str
    title_key: str
    fields: tuple[FormField, ...]
    private: bool = False  # about the person (their profile): only in the private chat

    def __post_init__(self) -> None:
        if not 1 <= len(self.fields) <= FIELDS_PER_FORM:
            raise ValueError(f"form {self.name}: 1 to {FIELDS_PER_FORM} fields")
        if len({f.key for f in self.fields}) != len(self.fields):
            raise ValueError(f"form {self.name}: two fields with one key")


# The lengths are those of the step-by-step dialogs (bot/features/mission_form.py and
# onboarding.py), which check them again on submission.
MISSION = FormSpec(
    "mission",
    "form.mission.title",
    (
        FormField("title", "form.mission.name", "form.mission.name_example", max_length=120),
        FormField("when", "form.mission.when", "form.mission.when_example", max_length=120),
        FormField("place", "form.mission.place", "form.mission.place_example", required=False),
        FormField("slots", "form.mission.slots", "form.mission.slots_example", max_length=3),
        FormField(
            "skills",
            "form.mission.skills",
            "form.mission.skills_example",
            FieldStyle.PARAGRAPH,
            required=False,
            max_length=300,
        ),
    ),
)

PROFILE = FormSpec(
    "profile",
    "form.profile.title",
    private=True,
    fields=(
        FormField(
            "skills",
            "form.profile.skills",
            "form.profile.skills_example",
            FieldStyle.PARAGRAPH,
            required=False,
            max_length=500,
        ),
        FormField(
            "availability",
            "form.profile.availability",
            "form.profile.availability_example",
            required=False,
        ),
        FormField(
            "place",
            "form.profile.place",
            "form.profile.place_example",
            required=False,
            max_length=100,
        ),
    ),
)

FORMS: dict[str, FormSpec] = {form.name: form for form in (MISSION, PROFILE)}


def as_list(text: str) -> str:
    """A list typed one item per line in a paragraph field, as the one-line form reads it
    ("cuisine\npermis B" -> "cuisine, permis B")."""
    return ", ".join(line.strip() for line in text.splitlines() if line.strip())
