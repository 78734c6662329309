"""The coordinator's "Udtræk" pages: choose filters, build the evaluators' workbook, download it.

The file is built in a background thread (:func:`reporting.evaluation.source.run_export`) into
``<instance>/exports/<job id>.xlsx`` (or ``.zip`` with the SPSS, Stata and CSV files); the job's
state lives beside it in ``<job id>.json`` so any worker process can answer the status page. The
status page is polled by a small static script (no inline script; strict CSP) and also works
without JavaScript through its "Opdater" link.
Only the coordinator who started a job can see or download it; the file is deleted after the
download, and every job file older than :data:`MAX_AGE_SECONDS` is deleted when the app starts,
when a job starts or the page is opened, and by the ``cleanup`` command (cron). The folder is
0700 and every file in it 0600: the workbook holds pseudonymised Art. 9 data. At most
``EXPORT_MAX_JOBS`` jobs run at once, and one per coordinator; beyond that the coordinator is
asked to try again shortly (429).
A job id is 24 random URL-safe characters; an unknown or foreign id redirects to the form.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, Regexp

from reporting.auth.access import roles
from reporting.auth.scope import current_scope, scope_label, scoped_municipalities
from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.models import Municipality
from reporting.evaluation.keys import KeyInEnvironment, current_key, end_evaluation
from reporting.evaluation.source import (
    DATE_MODES,
    EXPORT_MODES,
    FILE_FORMATS,
    PSEUDONYM_MODES,
    ExportRequest,
    count_reports,
    parse_month,
    run_export,
)

bp = Blueprint("exports", __name__, url_prefix="/coordinator/export")

MAX_AGE_SECONDS = 3600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The page offers the workbook and the zip with every statistics format (the CLI also one format each).
PAGE_FORMATS = ("xlsx", "zip")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{24}")
_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH_MESSAGE = "Skriv måneden som ÅÅÅÅ-MM."
BUSY = ("Der bliver allerede lavet et udtræk (højst ét ad gangen for dig, og kun få i alt). "
        "Prøv igen om lidt.")


class ExportForm(FlaskForm):
    municipality = SelectField("Kommune", default="", validate_choice=False)  # checked against the scope in start()
    first = StringField("Fra og med måned", validators=[Optional(), Regexp(_MONTH, message=_MONTH_MESSAGE)])
    last = StringField("Til og med måned", validators=[Optional(), Regexp(_MONTH, message=_MONTH_MESSAGE)])
    pseudonyms = RadioField("Pseudonymer", choices=[SelectChoice(k, v) for k, v in PSEUDONYM_MODES.items()],
                            default="keyed")
    date_mode = RadioField("Datoer", choices=[SelectChoice(k, v) for k, v in DATE_MODES.items()],
                           default="year_month")
    free_text = BooleanField("Medtag fritekst (scannes; tekster med mulige identifikatorer udelades)")
    mode = RadioField("Udtrækstype", choices=[SelectChoice(k, v) for k, v in EXPORT_MODES.items()],
                      default="anonymised")
    file_format = RadioField("Filformat", choices=[SelectChoice(k, FILE_FORMATS[k]) for k in PAGE_FORMATS],
                             default="xlsx")
    legal_basis = StringField("Hjemmel (fx databehandleraftale eller tilladelse)", validators=[Optional()])
    recipient = StringField("Navngiven modtager", validators=[Optional()])


class EndEvaluationForm(FlaskForm):
    confirm = BooleanField("Jeg forstår, at alle pseudonymer skifter, og at tidligere udtræk ikke kan kobles til nye")


def _form(**kwargs: Any) -> ExportForm:
    form = ExportForm(**kwargs)
    municipalities = db.session.execute(scoped_municipalities().with_only_columns(Municipality.id, Municipality.name)
                                        .order_by(Municipality.name)).all()
    first = [("", "Hele landet")] if current_scope() is None else []
    form.municipality.choices = [SelectChoice(v, label) for v, label in first] + [
        SelectChoice(str(m.id), m.name) for m in municipalities]
    return form


# -- job files ---------------------------------------------------------------------------------


def export_dir(instance_path: str) -> Path:
    """``<instance>/exports``, created 0700 (and made so if it existed with wider rights)."""
    path = Path(instance_path) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _dir() -> Path:
    return export_dir(current_app.instance_path)


def _private_file(path: Path) -> None:
    """Create (or truncate) ``path`` readable by the service's user only."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)


def _paths(directory: Path, job_id: str, extension: str = "xlsx") -> tuple[Path, Path]:
    """The job's file (``.xlsx`` or ``.zip``) and its state file."""
    return directory / f"{job_id}.{'xlsx' if extension == 'xlsx' else 'zip'}", directory / f"{job_id}.json"


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    _private_file(tmp)
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, path)


def _read_meta(job_id: str) -> dict[str, Any] | None:
    """The job's state if it exists and belongs to the current user; None otherwise."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    _, meta_path = _paths(_dir(), job_id)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != current_user.id:
        return None
    return meta


def cleanup(directory: Path, max_age: float = MAX_AGE_SECONDS) -> int:
    """Delete job files older than ``max_age`` seconds; returns how many files were deleted."""
    limit, deleted = time.time() - max_age, 0
    for path in directory.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                deleted += 1
        except OSError:
            continue
    return deleted


def _run_job(app: Any, job_id: str, request: ExportRequest, scope: int | None, user_id: int,
             total: int) -> None:
    """Thread body: build the file, keep the job's state current, never leave a partial file."""
    with app.app_context():
        xlsx, meta_path = _paths(_dir(), job_id, request.file_format)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        last_write = [0.0]

        def progress(sheet: str, rows: int) -> None:
            if time.monotonic() - last_write[0] < 0.5:
                return
            last_write[0] = time.monotonic()
            meta.update(sheet=sheet, rows=rows)
            _write_meta(meta_path, meta)

        try:
            _private_file(xlsx)
            result = run_export(xlsx, request, scope=scope, user_id=user_id, progress=progress)
            xlsx.chmod(0o600)
        except Exception:  # noqa: BLE001 - reported to the coordinator, logged in full
            app.logger.exception("export %s failed", job_id)
            db.session.rollback()
            xlsx.unlink(missing_ok=True)
            meta.update(status="failed")
        else:
            meta.update(status="done", rows=result.row_counts.get("Indberetninger", 0), sha256=result.sha256,
                        row_counts=result.row_counts, size=result.bytes_written, disclosure=result.disclosure)
        finally:
            db.session.remove()
        _write_meta(meta_path, meta)


def running_jobs(directory: Path, max_age: float = MAX_AGE_SECONDS) -> list[dict[str, Any]]:
    """The jobs still building (a job older than ``max_age`` counts as dead: its thread died with
    its process)."""
    limit, found = time.time() - max_age, []
    for path in directory.glob("*.json"):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("status") == "running" and meta.get("started", 0) > limit:
            found.append(meta)
    return found


def _busy(user_id: int) -> bool:
    running = running_jobs(_dir())
    limit = int(current_app.config.get("EXPORT_MAX_JOBS", 2))
    return len(running) >= limit or any(meta.get("user_id") == user_id for meta in running)


def start_job(request: ExportRequest, scope: int | None, user_id: int) -> str:
    """Start building an export in a background thread; returns the job id."""
    job_id = secrets.token_urlsafe(18)
    directory = _dir()
    total = count_reports(scope, request)
    _write_meta(_paths(directory, job_id)[1], {"id": job_id, "user_id": user_id, "status": "running",
                                              "total": total, "rows": 0, "sheet": "", "started": time.time(),
                                              "format": request.file_format})
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_run_job, args=(app, job_id, request, scope, user_id, total),
                              name=f"export-{job_id[:6]}", daemon=True)
    thread.start()
    return job_id


def _view(meta: dict[str, Any]) -> dict[str, Any]:
    total, rows = meta.get("total") or 0, meta.get("rows") or 0
    percent = 100 if meta["status"] in ("done", "downloaded") else min(99, int(rows * 100 / total)) if total else 0
    if meta["status"] == "done":
        text = f"Udtrækket er klar ({meta.get('size', 0) // 1024 + 1} kB)."
        disclosure = meta.get("disclosure")
        if disclosure and not disclosure["reached"]:
            text += (f" Udvalget har kun {disclosure['courses']} forløb, færre end 5: rækkedata om klienter er "
                     "udeladt. Vælg flere måneder eller kommuner.")
        elif disclosure:
            text += (f" Anonymiseret: k = {disclosure['k']}; {disclosure['suppressed_values']} værdier undertrykt i "
                     f"{disclosure['suppressed_courses']} af {disclosure['courses']} forløb.")
    elif meta["status"] == "downloaded":
        text = "Udtrækket er hentet og slettet fra serveren. Lav et nyt, hvis du skal bruge det igen."
    elif meta["status"] == "failed":
        text = "Udtrækket kunne ikke laves. Prøv igen, eller kontakt en administrator."
    else:
        where = f" – {meta['sheet']}" if meta.get("sheet") else ""
        text = f"Udtrækket laves: {rows} af {total} indberetninger{where}."
    return {"status": meta["status"], "percent": percent, "text": text}


# -- views -------------------------------------------------------------------------------------


def _page(form: ExportForm, status: int = 200, end_form: EndEvaluationForm | None = None):  # type: ignore[no-untyped-def]
    key = current_key()
    return render_template("evaluation/export.html", form=form, scope=scope_label(), key=key,
                           national=current_scope() is None,
                           end_form=end_form or EndEvaluationForm(formdata=None)), status


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    cleanup(_dir())
    return _page(_form(formdata=None))


@bp.route("/evaluation/end", methods=["POST"])
@roles("coordinator")
def end():  # type: ignore[no-untyped-def]
    """A national coordinator ends the evaluation: its pseudonym key is destroyed (D24)."""
    if current_scope() is not None:
        abort(403)
    end_form = EndEvaluationForm()
    if not end_form.validate_on_submit() or not end_form.confirm.data:
        end_form.confirm.errors = ["Sæt kryds for at bekræfte."]
        return _page(_form(formdata=None), 400, end_form)
    try:
        fingerprint = end_evaluation()
    except KeyInEnvironment:
        flash("Nøglen står i miljøvariablen EXPORT_PSEUDONYM_KEY. Driften skal udskifte den for at afslutte "
              "evalueringen.", "error")
        return redirect(url_for("exports.index"))
    audit.record("evaluation_ended", "export", fingerprint or "", user_id=current_user.id)
    db.session.commit()
    flash("Evalueringen er afsluttet, og dens nøgle er slettet. Næste udtræk får nye pseudonymer.", "success")
    return redirect(url_for("exports.index"))


@bp.route("/start", methods=["POST"])
@roles("coordinator")
def start():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 400)
    if form.mode.data == "pseudonymised":
        missing = False
        for field in (form.legal_basis, form.recipient):
            if not (field.data or "").strip():
                field.errors = ["Skriv hjemmel og modtager for pseudonymiserede mikrodata."]
                missing = True
        if missing:
            return _page(form, 400)
    scope = current_scope()
    raw = form.municipality.data or ""
    municipality_id = int(raw) if raw.isdigit() else None
    if raw and municipality_id is None:
        municipality_id = -1  # not a municipality id: refused below
    if municipality_id is not None and db.session.scalar(
            scoped_municipalities().with_only_columns(Municipality.id).where(Municipality.id == municipality_id)
    ) is None:
        form.municipality.errors = ["Vælg en kommune fra listen."]
        return _page(form, 400)
    try:
        request = ExportRequest(municipality_id, parse_month(form.first.data), parse_month(form.last.data),
                                form.pseudonyms.data, form.date_mode.data, bool(form.free_text.data),
                                form.mode.data or "anonymised", (form.legal_basis.data or "").strip(),
                                (form.recipient.data or "").strip(),
                                form.file_format.data if form.file_format.data in PAGE_FORMATS else "xlsx")
    except ValueError:
        form.last.errors = ["Til-måneden skal ligge efter fra-måneden."]
        return _page(form, 400)
    cleanup(_dir())
    if _busy(current_user.id):  # the form again, with the reason as an error alert (and what was chosen)
        flash(BUSY, "error")
        return _page(form, 429)
    job_id = start_job(request, scope, current_user.id)
    return redirect(url_for("exports.job", job_id=job_id))


@bp.route("/job/<job_id>")
@roles("coordinator")
def job(job_id: str):  # type: ignore[no-untyped-def]
    meta = _read_meta(job_id)
    if meta is None:
        flash("Udtrækket findes ikke længere. Lav et nyt.", "info")
        return redirect(url_for("exports.index"))
    return render_template("evaluation/export_job.html", job_id=job_id, meta=meta, view=_view(meta))


@bp.route("/job/<job_id>/status")
@roles("coordinator")
def progress(job_id: str):  # type: ignore[no-untyped-def]
    meta = _read_meta(job_id)
    if meta is None:
        return redirect(url_for("exports.index"))
    return jsonify(_view(meta))


@bp.route("/job/<job_id>/download")
@roles("coordinator")
def download(job_id: str):  # type: ignore[no-untyped-def]
    meta = _read_meta(job_id)
    if meta is None or meta.get("status") != "done":
        flash("Udtrækket findes ikke længere. Lav et nyt.", "info")
        return redirect(url_for("exports.index"))
    extension = "xlsx" if meta.get("format", "xlsx") == "xlsx" else "zip"
    xlsx, meta_path = _paths(_dir(), job_id, extension)
    if not xlsx.exists():
        return redirect(url_for("exports.index"))
    name = time.strftime(f"skp-udtraek-%Y-%m-%d.{extension}", time.gmtime(meta.get("started", time.time())))
    meta["status"] = "downloaded"  # one download: a second request is refused even before the file is gone
    _write_meta(meta_path, meta)
    size = xlsx.stat().st_size

    def stream() -> Iterator[bytes]:
        """The file in chunks; it is deleted once sent (or when the client goes away)."""
        try:
            with xlsx.open("rb") as handle:
                while chunk := handle.read(1 << 16):
                    yield chunk
        finally:
            xlsx.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)

    response = Response(stream(), mimetype=XLSX if extension == "xlsx" else "application/zip", direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["bp", "cleanup", "start_job"]
