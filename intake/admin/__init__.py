"""Admin: staff accounts and the audit log."""
