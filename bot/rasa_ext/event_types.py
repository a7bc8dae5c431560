"""Rasa's look-up of an event class by its type name, with the answer remembered.

Rasa 3.6's `Event.resolve_by_type` walks every subclass of `Event` (recursively, with `inspect.isabstract` on
each) for every event it reads back: a stored conversation of 50 events costs 50 walks on every turn (3.5% of a
Rasa worker's CPU, py-spy, issue 13). `apply()` swaps in the same look-up (the first subclass with the name, in
Rasa's order; `topic` and `default` as Rasa treats them) with the walk done once, and again only when a name is
not found (a subclass defined later). Our components module applies it when Rasa loads the pipeline.
"""

from __future__ import annotations

from typing import Dict, Optional, Text, Type

import rasa.shared.utils.common
from rasa.shared.core.events import Event

_known: Dict[Text, Type[Event]] = {}


def _walk() -> None:
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        _known.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's `Event.resolve_by_type`: the event class named `type_name`."""
    found = _known.get(type_name)
    if found is None:
        _walk()
        found = _known.get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def apply() -> None:
    """Use the remembered look-up everywhere Rasa reads events (idempotent)."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
