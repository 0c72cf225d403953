"""The bare route ``bench/http.py`` compares every page with: one Flask route, nothing else."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
