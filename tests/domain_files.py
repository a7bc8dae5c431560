"""The assistant's domain as tests read it: every file of domain/ merged, as Rasa merges them.

PyYAML only (both test environments have it); Rasa's own loader is not needed to read responses and slots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_DIR = ROOT / "domain"


def load_domain(folder: Path = DOMAIN_DIR) -> Dict[str, Any]:
    """The merged domain: mappings (responses, slots, forms...) joined, lists (intents, actions...) concatenated."""
    merged: Dict[str, Any] = {}
    for path in sorted(folder.glob("*.yml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged
