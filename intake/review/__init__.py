"""Clinician review: the queue, an intake, decisions."""
