"""Email to patients: the intake link and reminders, through an outbox sent after the commit."""
