"""What can go wrong when answering the survey."""

from __future__ import annotations

from dispatch.errors import Conflict, InvalidInput


class InvalidSurvey(InvalidInput):
    default_code = "invalid_survey"

    def __init__(self, why_id: str, why_en: str) -> None:
        super().__init__(f"Survei tidak lengkap: {why_id}", f"Incomplete survey: {why_en}")


class SurveyNotOpen(Conflict):
    default_code = "survey_not_open"

    def __init__(self) -> None:
        super().__init__(
            "Survei dibuka setelah layanan selesai (izin diterima atau dokumen sampai di kantor).",
            "The survey opens once the service is complete (permit delivered or documents at the office).",
        )


class SurveyAlreadyAnswered(Conflict):
    default_code = "survey_already_answered"

    def __init__(self) -> None:
        super().__init__(
            "Survei untuk pesanan ini sudah diisi. Terima kasih.",
            "The survey for this booking has already been answered. Thank you.",
        )
