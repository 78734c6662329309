"""The audit log in Danish: one label per action code, object type and detail key.

This is the one place that maps the codes callers pass to :func:`reporting.core.audit.record` to the
words coordinators read ("report_viewed" -> "Så rapport"). The codes themselves stay in the
database and in the Excel export (machine-readable); ``tests/audit/test_audit_labels.py`` fails when
an action code recorded anywhere in ``reporting/`` has no label here.
"""

from __future__ import annotations

import json
from typing import Any

from reporting.core.schedule import Period, format_period_da

ACTION_LABELS: dict[str, str] = {
    # logging in and accounts
    "login": "Loggede ind",
    "logout": "Loggede ud",
    "password_changed": "Skiftede adgangskode",
    "password_reset_requested": "Bad om ny adgangskode",
    "password_reset": "Nulstillede adgangskode",
    "second_factor_enrolled": "Tilmeldte totrinsbekræftelse",
    "second_factor_reset": "Nulstillede totrinsbekræftelse",
    "invitation_sent": "Sendte invitation",
    "invitation_accepted": "Tog imod invitation",
    "user_invited": "Inviterede bruger",
    "user_updated": "Ændrede bruger",
    "user_deactivated": "Deaktiverede bruger",
    "user_reactivated": "Genaktiverede bruger",
    # clients and reports
    "client_created": "Oprettede klient",
    "client_viewed": "Så klient",
    "client_renamed": "Omdøbte klient",
    "client_deleted": "Slettede klient",
    "client_transferred": "Flyttede klient",
    "report_viewed": "Så rapport",
    "report_saved": "Gemte kladde til rapport",
    "report_submitted": "Indsendte rapport",
    "report_corrected": "Rettede indsendt rapport",
    "report_discarded": "Slettede kladde til rapport",
    "report_correction_discarded": "Slettede rettelser til rapport",
    "report_reopened": "Genåbnede rapport",
    # follow-up
    "compliance_worker_viewed": "Så medarbejders indberetninger",
    "reminder_sent_now": "Sendte påmindelse til medarbejder",
    "mail_retried": "Sendte e-mail igen",
    # organisation and settings
    "municipality_created": "Oprettede kommune",
    "municipality_renamed": "Omdøbte kommune",
    "municipality_login_changed": "Ændrede kommunens login",
    "unit_created": "Oprettede enhed",
    "unit_updated": "Ændrede enhed",
    "settings_changed": "Ændrede indstillinger",
    # the caseworker survey
    "survey_wave_opened": "Åbnede måling",
    "survey_wave_closed": "Lukkede måling",
    "survey_wave_end_date_changed": "Ændrede sidste svardag",
    "survey_wave_reopened": "Genåbnede måling",
    "survey_reminder_sent": "Sendte påmindelse om måling",
    "survey_results_viewed": "Så resultater af måling",
    "survey_response_saved": "Gemte kladde til spørgeskema",
    "survey_response_submitted": "Indsendte spørgeskema",
    # data and the log itself
    "data_exported": "Hentede anonymiseret udtræk",
    "pseudonymised_data_exported": "Hentede pseudonymiseret udtræk",
    "evaluation_ended": "Afsluttede evalueringen",
    "audit_exported": "Hentede loggen som Excel",
    "audit_purged": "Slettede gamle loghændelser",
}

OBJECT_TYPE_LABELS: dict[str, str] = {
    "client": "Klient",
    "report": "Rapport",
    "user": "Bruger",
    "municipality": "Kommune",
    "unit": "Enhed",
    "setting": "Indstillinger",
    "survey_wave": "Måling",
    "survey_response": "Besvarelse",
    "export": "Udtræk",
    "audit_log": "Loggen",
    "outbox_mail": "E-mail",
}

#: Detail keys shown with a Danish name; keys naming people or objects are resolved by the view.
DETAIL_LABELS: dict[str, str] = {
    "recipients": "Modtagere",
    "rows": "Rækker",
    "months": "Måneder",
    "unit": "Enhed",
    "units": "Enheder",
    "kind": "Type",
    "end_date": "Sidste svardag",
    "sha256": "SHA-256",
    "filters": "Filtre",
    "deleted": "Slettet",
    "before": "Før",
    "retention_months": "Opbevaringstid (måneder)",
    "from_user": "Fra",
    "to_user": "Til",
    "nickname_suffixed": "Kaldenavn ændret",
    "attempts": "Forsøg",
    "mode": "Type",
}
#: Details already shown elsewhere in the row.
HIDDEN_DETAILS = {"wave_id"}


def action_label(code: str) -> str:
    """The Danish verb phrase of an action code; an unknown code is shown as it is."""
    return ACTION_LABELS.get(code, code)


def object_type_label(code: str) -> str:
    return OBJECT_TYPE_LABELS.get(code, code)


def report_label(object_id: str) -> str:
    """``K-00007/2026-12`` -> ``K-00007, december 2026``; anything else unchanged."""
    number, _, month = object_id.partition("/")
    try:
        return f"{number}, {format_period_da(Period.parse(month))}"
    except ValueError:
        return object_id


def detail_value(value: Any) -> str:
    """A detail value as short text: yes/no, lists joined, a SHA-256 cut to 12 characters."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list):
        return ", ".join(detail_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{DETAIL_LABELS.get(k, k)}: {detail_value(v)}" for k, v in sorted(value.items()))
    text = str(value) if not isinstance(value, str) else value
    return text[:12] + "…" if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text


def details_json(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
