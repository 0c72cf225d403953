"""The data model. Migrations (``migrations/``) are the only way the schema is made.

Times are stored in UTC and come back timezone-aware on every database.
Acknowledgments, decisions and audit events are append-only: nothing in the
app updates or deletes them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import Base, db

if TYPE_CHECKING:
    # mypy cannot see through Flask-SQLAlchemy's generated db.Model; it is a
    # subclass of Base with the same metadata, so type-check against Base.
    Model = Base
else:
    Model = db.Model


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC that is always returned timezone-aware.

    SQLite has no time zones and hands back naive values; PostgreSQL keeps
    ``timestamptz``. Both come out of this type as aware UTC datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

int_pk = Annotated[int, mapped_column(primary_key=True)]
created_now = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    """Store a StrEnum by value as a checked string (portable, readable in SQL)."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"


class IntakeStatus(StrEnum):
    """CONTRACT section 4, in the order an intake moves through them."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    NEEDS_REVIEW = "needs_review"
    CLEARED = "cleared"
    CLEARED_WITH_PRECAUTIONS = "cleared_with_precautions"
    DEFERRED = "deferred"
    NOT_SUITABLE = "not_suitable"


DECISION_OUTCOMES: tuple[IntakeStatus, ...] = (
    IntakeStatus.CLEARED,
    IntakeStatus.CLEARED_WITH_PRECAUTIONS,
    IntakeStatus.DEFERRED,
    IntakeStatus.NOT_SUITABLE,
)

# The status groups, defined once. The patient may still change the answers:
EDITABLE: frozenset[IntakeStatus] = frozenset({IntakeStatus.NOT_STARTED, IntakeStatus.IN_PROGRESS})
# Signed and screened; answers, flags and rule set are frozen from here on:
SUBMITTED: frozenset[IntakeStatus] = frozenset(set(IntakeStatus) - EDITABLE)
# Waiting for a clinician's decision (a deferral is decided again later):
DECIDABLE: frozenset[IntakeStatus] = frozenset({IntakeStatus.NEEDS_REVIEW, IntakeStatus.DEFERRED})

# Every status change the database allows (a trigger on PostgreSQL refuses the
# rest); a decision's (previous_status, outcome) pair is one of these too.
TRANSITIONS: frozenset[tuple[IntakeStatus, IntakeStatus]] = frozenset(
    {
        (IntakeStatus.NOT_STARTED, IntakeStatus.IN_PROGRESS),
        (IntakeStatus.IN_PROGRESS, IntakeStatus.READY),
        (IntakeStatus.IN_PROGRESS, IntakeStatus.NEEDS_REVIEW),
        *((before, outcome) for before in DECIDABLE for outcome in DECISION_OUTCOMES),
    }
)


def booking_key(
    first_name: str, last_name: str, date_of_birth: dt.date, starts_at: dt.datetime
) -> str:
    """Return the key that makes two bookings the same: one person, one start time.

    Names are compared case-folded in Python (``casefold``), because SQLite's
    ``lower()`` folds ASCII only; the key is stored and uniquely indexed.
    """
    start = starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    return "\x1f".join(
        (
            first_name.strip().casefold(),
            last_name.strip().casefold(),
            date_of_birth.isoformat(),
            start,
        )
    )


def full_name(first_name: str, last_name: str) -> str:
    """Return a patient's name as staff pages show it."""
    return f"{first_name} {last_name}"


class User(UserMixin, Model):
    """A staff member. Patients have no accounts: they come in through a link."""

    __tablename__ = "users"

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out everywhere, password change, role change and
    # deactivation; a session cookie carrying an older value stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # The authenticator secret, encrypted (MultiFernet, INTAKE_TOTP_KEYS; intake.auth.totp).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    # The last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None]
    created_at: Mapped[created_now]
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Return the session's user id; it changes with ``session_version``.

        A cookie saved before a sign-out, password change or deactivation
        names an old version and so no longer loads anyone.
        """
        return f"{self.id}:{self.session_version}"


class RecoveryCode(Model):
    """A one-time code that stands in for the authenticator; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int_pk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[created_now]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class StaffSession(Model):
    """One signed-in browser: the cookie carries a random token, the row its SHA-256.

    A cookie works only while its row is open (``ended_at`` is NULL), so a
    session can be ended on the server. No address is kept, only a coarse
    description of the browser ("Firefox on Windows").
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int_pk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    device: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[created_now]
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Appointment(Model):
    __tablename__ = "appointments"
    __table_args__ = (
        sa.Index(
            "ix_appointments_first_name_key",
            "first_name_key",
            postgresql_ops={"first_name_key": "varchar_pattern_ops"},
        ),
        sa.Index(
            "ix_appointments_last_name_key",
            "last_name_key",
            postgresql_ops={"last_name_key": "varchar_pattern_ops"},
        ),
        # Live, or cancelled (a time, maybe who and why) with its booking key
        # dropped, so that the slot is free to book again.
        sa.CheckConstraint(
            "(cancelled_at IS NULL AND cancelled_by_id IS NULL AND cancel_reason IS NULL "
            "AND booking_key IS NOT NULL) OR (cancelled_at IS NOT NULL AND booking_key IS NULL)",
            name="cancellation",
        ),
        # The cancelled ones, for "not cancelled" without reading every
        # appointment (the review queue's counts; migration 0015).
        sa.Index(
            "ix_appointments_cancelled",
            "id",
            postgresql_where=sa.text("cancelled_at IS NOT NULL"),
            sqlite_where=sa.text("cancelled_at IS NOT NULL"),
        ),
    )

    id: Mapped[int_pk]
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(index=True)
    # booking_key(): a second booking of the same person at the same time fails
    # on this unique index, whichever process or command made it. NULL once
    # cancelled: a cancelled appointment holds no slot.
    booking_key: Mapped[str | None] = mapped_column(sa.String(240), unique=True)
    # Case-folded names, indexed for the front desk's search by name prefix
    # (pattern operators, so PostgreSQL's LIKE 'x%' can use them in any collation).
    first_name_key: Mapped[str] = mapped_column(sa.String(100))
    last_name_key: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    starts_at: Mapped[timestamp] = mapped_column(index=True)
    created_at: Mapped[created_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # A cancellation is final; the intake and its answers are kept. The
    # intake's status (CONTRACT section 4) does not change: the appointment
    # says it is cancelled. ``cancelled_by_id`` is NULL for the command line.
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # The language the patient's emails are written in ("en", "es").
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # Set once the patient used the "no more reminders" link of an email.
    reminders_stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    intake: Mapped[Intake] = relationship(back_populates="appointment", uselist=False)
    links: Mapped[list[IntakeLink]] = relationship(
        back_populates="appointment", order_by="IntakeLink.id"
    )

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class IntakeLink(Model):
    """A patient's way in. Only the SHA-256 of the token is stored, never the token."""

    __tablename__ = "intake_links"
    __table_args__ = (
        # At most one link that has not been revoked, per appointment. (Expiry
        # stays a check in code: an index cannot read the clock.)
        sa.Index(
            "uq_intake_links_open_per_appointment",
            "appointment_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )

    id: Mapped[int_pk]
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[created_now]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(default=0)
    # Why staff made a new link after the patient had started (asked then).
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    appointment: Mapped[Appointment] = relationship(back_populates="links")
    issued_by: Mapped[User | None] = relationship()


class Intake(Model):
    """One appointment's screening: answers as the patient goes, flags at submission."""

    __tablename__ = "intakes"
    __table_args__ = (
        # Submitted exactly when screened: the rule set version and the
        # submission time are written with the status, or not at all.
        sa.CheckConstraint(
            "(status IN ('not_started', 'in_progress')) = "
            "(submitted_at IS NULL AND ruleset_version IS NULL)",
            name="submitted_fields",
        ),
        # Intakes by status (the queue's lists), and counted by status with
        # their appointment from this index alone, never the rows that hold
        # the answers (migration 0015).
        sa.Index("ix_intakes_status_appointment_id", "status", "appointment_id"),
    )

    id: Mapped[int_pk]
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), unique=True)
    status: Mapped[IntakeStatus] = mapped_column(
        _enum(IntakeStatus, "intake_status"), default=IntakeStatus.NOT_STARTED
    )
    # Saved step by step while in progress; frozen once submitted.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # For each answered question, the link it was last answered through: a
    # link shows (and counts as answered) only what was answered through it,
    # so whoever holds a new link never sees what was saved before it.
    answer_links: Mapped[dict[str, int]] = mapped_column(
        JSONType, default=dict, server_default=sa.text("'{}'")
    )
    # The link the patient was using when they signed.
    submitted_link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("intake_links.id"))
    # Set once, at submission, and never rewritten by a later rule change.
    ruleset_version: Mapped[str | None] = mapped_column(sa.String(32))
    flags: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="intake")
    submitted_link: Mapped[IntakeLink | None] = relationship()
    acknowledgment: Mapped[Acknowledgment | None] = relationship(
        back_populates="intake", uselist=False
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="intake", order_by="Decision.id"
    )


class PatientSession(Model):
    """A browser's confirmed date of birth at one link, ended on the server.

    The cookie holds a random key; only its SHA-256 is stored. Finishing,
    a new link and the submission (for every other browser) end it here, so a
    copy of the cookie opens nothing afterwards.
    """

    __tablename__ = "patient_sessions"

    id: Mapped[int_pk]
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    intake_id: Mapped[int] = mapped_column(sa.ForeignKey("intakes.id"), index=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("intake_links.id"))
    created_at: Mapped[created_now]
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class HeldLink(Model):
    """A new intake link, sealed, held for the one page that shows it (post/redirect/get).

    The booking or reissue redirects; the page it redirects to opens the held
    link once, for the browser that made it (a random nonce in its session,
    only the hash here), within minutes. A reload finds it taken and offers a
    new link instead of showing the old one again.
    """

    __tablename__ = "held_links"

    id: Mapped[int_pk]
    nonce_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), index=True)
    sealed_token: Mapped[str] = mapped_column(sa.Text)
    booked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_now]
    shown_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Acknowledgment(Model):
    """The signed aftercare acknowledgment; at most one per intake, never edited."""

    __tablename__ = "acknowledgments"

    id: Mapped[int_pk]
    intake_id: Mapped[int] = mapped_column(sa.ForeignKey("intakes.id"), unique=True)
    items: Mapped[list[str]] = mapped_column(JSONType)
    text_hash: Mapped[str] = mapped_column(sa.String(71))
    signature_name: Mapped[str] = mapped_column(sa.String(200))
    signed_at: Mapped[timestamp]
    # The language the aftercare was shown and signed in; ``text_hash`` is the
    # hash of the text in this language (issue 15; earlier rows: English).
    locale: Mapped[str] = mapped_column(sa.String(16), server_default="en")

    intake: Mapped[Intake] = relationship(back_populates="acknowledgment")


class Decision(Model):
    """A clinician's decision. A later one supersedes an earlier one; none is edited."""

    __tablename__ = "decisions"
    __table_args__ = (
        # Only from a status waiting for a decision, only to an outcome.
        sa.CheckConstraint(
            "previous_status IN ('needs_review', 'deferred') AND outcome IN "
            "('cleared', 'cleared_with_precautions', 'deferred', 'not_suitable')",
            name="permitted_transition",
        ),
    )

    id: Mapped[int_pk]
    intake_id: Mapped[int] = mapped_column(sa.ForeignKey("intakes.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[IntakeStatus] = mapped_column(_enum(IntakeStatus, "decision_outcome"))
    previous_status: Mapped[IntakeStatus] = mapped_column(
        _enum(IntakeStatus, "decision_previous_status")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[created_now]

    intake: Mapped[Intake] = relationship(back_populates="decisions")
    clinician: Mapped[User] = relationship()


class AuditEvent(Model):
    """Who did what to which record, when. Never answers, names or tokens.

    Each event carries the hash of the one before it, so an edited or deleted
    row breaks the chain (``flask --app wsgi audit verify``).
    """

    __tablename__ = "audit_events"

    id: Mapped[int_pk]
    occurred_at: Mapped[created_now] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Unique: two events can never follow the same one, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # How ``hash`` was made (see intake.audit); rows from before keyed hashes
    # have the server default.
    hash_scheme: Mapped[str] = mapped_column(sa.String(16), server_default="sha256-v1")

    actor: Mapped[User | None] = relationship()


class HeldSecret(Model):
    """A secret made by a POST, sealed, held for the one page that shows it.

    A temporary password (new account, password reset), a set of recovery
    codes or a new API token crosses the post/redirect/get this way: the POST seals it here and
    puts a random nonce in the browser's session (only its hash is kept); the
    page it redirects to opens it once, for that browser and that viewer,
    within minutes, and wipes it. A reload finds it taken.
    """

    __tablename__ = "held_secrets"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('temporary_password', 'recovery_codes', 'api_token', 'webhook_secret')",
            name="kind_known",
        ),
    )

    id: Mapped[int_pk]
    nonce_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    viewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    sealed: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_now]
    shown_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SignInFailure(Model):
    """One failed sign-in for an account, kept so the limit holds without Redis.

    ``account`` is the SHA-256 of the normalised email (unknown emails are
    counted too, and no email is stored). The count over the last
    ``INTAKE_SIGN_IN_WINDOW_SECONDS`` is the same in every process, whatever
    the rate-limit storage is doing (``intake.auth.throttle``). Rows older than
    the window are deleted as new failures come in.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (sa.Index("ix_sign_in_failures_account_failed_at", "account", "failed_at"),)

    id: Mapped[int_pk]
    account: Mapped[str] = mapped_column(sa.String(64))
    # Indexed for the sweep of failures older than the window.
    failed_at: Mapped[created_now] = mapped_column(index=True)


# -- Webhooks (intake.webhooks) ------------------------------------------------


class WebhookEndpoint(Model):
    """An integrator's HTTPS address that intake events are POSTed to, signed.

    The signing secret is kept sealed (``intake.sealed``): the app needs it to
    sign, so it cannot be a hash; it is shown to the admin once.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int_pk]
    url: Mapped[str] = mapped_column(sa.String(2048))
    secret_sealed: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    GAVE_UP = "gave_up"


class WebhookDelivery(Model):
    """One event for one endpoint: the queue row ``flask webhooks deliver`` works through.

    ``body`` is the exact JSON sent (the signature covers these bytes). A run
    claims a row by setting ``lease_token`` and ``lease_until`` in a short
    transaction of its own; no other run takes it until the lease has passed,
    and the outcome is written only by the holder of the token.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        # The deliver command's claim: due pending rows, oldest first.
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int_pk]
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[str] = mapped_column(sa.String(40))
    event_type: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[timestamp]
    lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[created_now]
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship()


class MailKind(StrEnum):
    LINK = "link"  # the intake link, sent by the front desk or the command line
    REMINDER = "reminder"  # a reminder before the appointment (``reminders send``)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    """One email to a patient: written with the change that asks for it, sent after the commit.

    The row says what to send and how it went, never the message itself:
    the body is built at send time (``intake.mail.outbox``) from the
    appointment and the link's token, which is kept here only sealed. A
    reminder's row is also its claim: ``reminder`` names which reminder it
    is, and the unique ``(appointment_id, reminder)`` lets one run only send
    it (NULLs, the front desk's sends, never collide).
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.UniqueConstraint("appointment_id", "reminder", name="uq_mail_outbox_reminder"),
    )

    id: Mapped[int_pk]
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), index=True)
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind, "mail_kind"))
    reminder: Mapped[str | None] = mapped_column(sa.String(16))
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # A short reason such as "SMTPRecipientsRefused 550": never an address.
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    # Needed to send; emptied once sent. Never logged nor audited.
    to_address: Mapped[str] = mapped_column(sa.String(254), default="")
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("intake_links.id"))
    # The link's token sealed with the app's keys (intake.sealed); "" once
    # that link no longer works.
    sealed_token: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_now]
    updated_at: Mapped[created_now]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Model):
    """A credential an integrator's system sends as ``Authorization: Bearer itk_...``.

    Only the token's SHA-256 is kept (see :mod:`intake.api.tokens` for why a
    plain hash is right here), with a few characters of it (``prefix``) so
    that staff can tell tokens apart. ``scopes`` is space-separated, as in
    OAuth: ``read:intakes``, ``write:appointments``. A token works until
    ``expires_at`` or until an admin revokes it, whichever comes first.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint("scopes <> ''", name="scopes_given"),
        sa.CheckConstraint(
            "(revoked_at IS NULL AND revoked_by_id IS NULL) OR revoked_at IS NOT NULL",
            name="revocation",
        ),
    )

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scopes: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_now]
    expires_at: Mapped[timestamp]
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def status(self, now: dt.datetime) -> str:
        """``revoked``, ``expired`` or ``active``, at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
