"""Participation in a survey wave per unit, and reminder mails to those who have not submitted.

Each invited caseworker belongs to one unit of the wave: the unit their response was started in,
else their current unit. Invited are the active caseworkers of the wave's units plus anyone who
has a response. Coordinators see counts; the names of those who have not submitted are shown
only for units with at least :data:`NAMES_THRESHOLD` invited, so that in a small unit nobody can
tell who answered. Answers are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.links import external_url
from reporting.core.mailer import send_mail
from reporting.core.models import Unit, User, UserRole
from reporting.core.schedule import format_date_da
from reporting.surveys.models import SURVEY_NAME, SurveyResponse, SurveyWave
from reporting.surveys.waves import WaveError

#: Units with fewer invited caseworkers than this never show who has not answered.
NAMES_THRESHOLD = 5
#: A second reminder for the same wave is refused within this pause (a double click sends one).
REMINDER_PAUSE = timedelta(hours=1)


@dataclass
class UnitParticipation:
    """One unit's counts. ``pending_names`` is None when the unit is too small to show names."""

    unit: Unit
    invited: int = 0
    drafts: int = 0
    submitted: int = 0
    pending: list[User] = field(default_factory=list)

    @property
    def not_started(self) -> int:
        return self.invited - self.drafts - self.submitted

    @property
    def shows_names(self) -> bool:
        return self.invited >= NAMES_THRESHOLD

    @property
    def pending_names(self) -> list[str] | None:
        return sorted(user.name for user in self.pending) if self.shows_names else None


@dataclass
class Participation:
    rows: list[UnitParticipation]

    @property
    def invited(self) -> int:
        return sum(row.invited for row in self.rows)

    @property
    def drafts(self) -> int:
        return sum(row.drafts for row in self.rows)

    @property
    def submitted(self) -> int:
        return sum(row.submitted for row in self.rows)

    @property
    def not_started(self) -> int:
        return sum(row.not_started for row in self.rows)


def _members(wave: SurveyWave) -> list[User]:
    is_caseworker = User.role_rows.any(UserRole.role == "caseworker")
    return list(db.session.scalars(
        select(User).where(User.unit_id.in_(wave.unit_ids), User.active, is_caseworker).order_by(User.id)
    ))


def _responses(wave: SurveyWave) -> list[SurveyResponse]:
    return list(db.session.scalars(select(SurveyResponse).where(SurveyResponse.wave_id == wave.id)))


def participation(wave: SurveyWave) -> Participation:
    """Invited, draft and submitted counts per unit of ``wave`` (units in display order)."""
    rows = {unit.id: UnitParticipation(unit) for unit in wave.units}
    responses = {response.user_id: response for response in _responses(wave)}
    people: dict[int, tuple[User, int | None]] = {user.id: (user, user.unit_id) for user in _members(wave)}
    for response in responses.values():
        people[response.user_id] = (response.user, response.unit_id)
    for user_id, (user, unit_id) in people.items():
        row = rows.get(unit_id) if unit_id is not None else None
        if row is None:
            continue  # a response kept from a unit that was removed from the wave (not possible today)
        row.invited += 1
        response = responses.get(user_id)
        if response is not None and response.status == "submitted":
            row.submitted += 1
            continue
        if response is not None:
            row.drafts += 1
        row.pending.append(user)
    return Participation(list(rows.values()))


def reminder_recipients(wave: SurveyWave) -> list[User]:
    """Active caseworkers invited to ``wave`` who have not submitted."""
    return [user for row in participation(wave).rows for user in row.pending
            if user.active and user.has_role("caseworker")]


def reminder_body(user: User, wave: SurveyWave, link: str) -> str:
    """The reminder: the wave and its end date, never anything about answers or other people."""
    return "\n".join([
        f"Kære {user.name}", "",
        f"Du er inviteret til at besvare »{SURVEY_NAME}« ({wave.title}).",
        "Vi har endnu ikke modtaget dine svar.", "",
        f"Spørgeskemaet er åbent til og med {format_date_da(wave.end_date)}.",
        f"Besvar det her: {link}", "",
        "Dine svar vises aldrig med dit navn for andre end dig selv.",
    ]) + "\n"


def send_reminders(wave: SurveyWave) -> int:
    """Mail every invited caseworker who has not submitted; returns how many were mailed."""
    moment = now()
    if not wave.is_open(moment):
        raise WaveError("Målingen er lukket, så der kan ikke sendes påmindelser.")
    if wave.reminded_at is not None and moment - wave.reminded_at < REMINDER_PAUSE:
        raise WaveError("Der er sendt en påmindelse for mindre end en time siden. Vent lidt, før du sender igen.")
    recipients = reminder_recipients(wave)
    if not recipients:
        raise WaveError("Alle inviterede har indsendt deres svar, så der er ingen at sende en påmindelse til.")
    link = external_url("surveys.answer", wave_id=wave.id)
    for user in recipients:
        send_mail(user.email, f"Påmindelse: {SURVEY_NAME}",
                  reminder_body(user, wave, link))
    wave.reminded_at = moment
    audit.record("survey_reminder_sent", "survey_wave", wave.id, municipality_id=wave.municipality_id,
                 recipients=len(recipients))
    return len(recipients)
