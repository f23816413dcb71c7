"""The satisfaction survey's answer and the office's index (IKM) report."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dispatch.survey.elements import ELEMENTS, Index


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(default=None, max_length=200, description="the tracking link's secret, or:")
    phone_last4: str | None = Field(default=None, max_length=8, description="last 4 digits of the booking's phone")
    answers: dict[str, StrictInt] = Field(
        description="each of the nine elements (requirements, procedure, time, cost, product, competence, conduct, "
        "complaints, facilities) rated 1–4",
        max_length=20,
    )
    comment: str | None = Field(default=None, max_length=4000, description="optional, at most 1,000 characters")


class SurveyOut(BaseModel):
    tracking_code: str
    replayed: bool = Field(description="true when this very answer was already stored (a retry)")


class ElementOut(BaseModel):
    key: str
    label: str
    mean: float = Field(description="NRR: the element's average answer, 1–4")


class IndexOut(BaseModel):
    responses: int
    ikm: float = Field(description="1–4 (four decimals)")
    value: float = Field(description="nilai interval konversi: 25–100 (two decimals)")
    grade: str = Field(description="A, B, C or D (Permenpan RB 14/2017)")
    label: str
    elements: list[ElementOut]

    @classmethod
    def of(cls, index: Index, lang: str) -> IndexOut:
        en = lang == "en"
        return cls(
            responses=index.responses,
            ikm=float(index.ikm),
            value=float(index.value),
            grade=index.grade,
            label=index.label_en if en else index.label_id,
            elements=[
                ElementOut(key=key, label=label_en if en else label_id, mean=float(mean))
                for (key, label_id, label_en), mean in zip(ELEMENTS, index.element_means, strict=True)
            ],
        )


class IkmGroupOut(BaseModel):
    key: str = Field(description="office id, courier id (empty: no courier recorded) or YYYY-MM")
    label: str
    index: IndexOut


class IkmOut(BaseModel):
    office_id: int | None
    start: date
    end: date
    group: str
    overall: IndexOut | None = Field(description="null when nobody answered in the period")
    groups: list[IkmGroupOut]
