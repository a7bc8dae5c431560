"""The Jinja2 environment of every HTML page the core renders (the support page and the agent console):
templates from a folder, autoescaping on for every template, also for templates given as strings."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape


def template_environment(folder: Path, strict: bool = False) -> Environment:
    """Templates under `folder`, autoescaped; with `strict`, an undefined name is an error, not empty."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined if strict else Undefined,
        keep_trailing_newline=True,
    )
