"""Moving a worker's clients to a colleague (D22): one client, a selection, or all of them.

Coordinators act within their scope (a worker outside it is 404); the colleague must be an active
SKP worker of the same municipality. Clients are shown by system number only, never by nickname.
The deactivation page (:mod:`reporting.coordination.people`) offers the same move as its first step.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from reporting.auth.access import roles
from reporting.auth.scope import user_in_scope_or_404
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.skp.caseload import TransferRefused, colleagues, transfer_clients
from reporting.skp.models import Client

bp = Blueprint("transfers", __name__, url_prefix="/coordinator/users")

#: The "keep them" choice of the deactivation step.
KEEP = 0


class TransferForm(FlaskForm):
    clients = SelectMultipleField("Klienter", coerce=str, widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput(),
                                  validators=[InputRequired("Vælg mindst én klient.")])
    target = SelectField("Overfør til", coerce=int, validate_choice=False,
                         validators=[InputRequired("Vælg en kollega.")])


def clients_of(worker: User) -> list[Client]:
    return list(db.session.scalars(
        select(Client).where(Client.worker_id == worker.id).options(selectinload(Client.courses))
        .order_by(Client.system_number)
    ))


def target_choices(worker: User) -> list[tuple[int, str]]:
    return [(user.id, f"{user.name}{f' ({user.unit.name})' if user.unit else ''}") for user in colleagues(worker)]


def move(worker: User, clients: list[Client], target_id: int) -> list[str]:
    """Transfer ``clients`` of ``worker`` to the colleague ``target_id`` (flushed, not committed)."""
    target = next((user for user in colleagues(worker) if user.id == target_id), None)
    if target is None:
        raise TransferRefused("Klienterne kan kun overføres til en anden aktiv SKP-medarbejder i samme kommune.")
    return transfer_clients(clients, worker, target)


@bp.route("/<int:user_id>/clients", methods=["GET", "POST"])
@roles("coordinator")
def transfer(user_id: int):  # type: ignore[no-untyped-def]
    """Choose clients of a worker and the colleague who takes them over."""
    worker = user_in_scope_or_404(user_id)
    clients = clients_of(worker)
    form = TransferForm()
    form.clients.choices = [(c.system_number, c.system_number) for c in clients]
    form.target.choices = target_choices(worker)
    if request.method == "GET":
        form.clients.data = [c.system_number for c in clients]  # all of them, the common case
    elif form.validate_on_submit():
        chosen = [c for c in clients if c.system_number in set(form.clients.data)]
        try:
            moved = move(worker, chosen, form.target.data)
        except TransferRefused as refused:
            form.target.errors = [*form.target.errors, str(refused)]
        else:
            db.session.commit()
            target = db.session.get(User, form.target.data)
            flash(f"{len(moved)} {'klient er' if len(moved) == 1 else 'klienter er'} overført til {target.name}.",
                  "success")
            return redirect(url_for("coordinator.worker", user_id=worker.id))
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/transfer.html", worker=worker, clients=clients, form=form), status
