"""Build the Lithuanian spaCy pipeline that Rasa's SpacyNLP loads by path.

It is `spacy.blank("lt")` (Lithuanian tokenizer rules) plus a lookup lemmatizer whose table comes from
spacy-lookups-data with keys and lemmas folded (lower case, no diacritics), so that "mokejimo" and "mokėjimo"
both lead to "mokejimas". Nothing is downloaded: the table ships in the spacy-lookups-data package.

Run: python -m bot.rasa_ext.spacy_model build/spacy-lt
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy
import srsly
from spacy.lookups import Lookups
from spacy.util import registry

from bot.text import fold

LEMMA_TABLE = "lemma_lookup"


def folded_lemma_table() -> dict[str, str]:
    """spacy-lookups-data's Lithuanian lemma table with folded keys and values (the first form wins)."""
    # spaCy's Table keeps only hashes of its keys, so read the packaged JSON (path from the lookups registry).
    source = srsly.read_gzip_json(f"{registry.lookups.get('lt')[LEMMA_TABLE]}.gz")
    table: dict[str, str] = {}
    for form, lemma in source.items():
        table.setdefault(fold(form), fold(lemma))
    return table


def build(out_dir: Path) -> None:
    """Write the pipeline to `out_dir`."""
    nlp = spacy.blank("lt")
    lookups = Lookups()
    lookups.add_table(LEMMA_TABLE, folded_lemma_table())
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lemmatizer.initialize(lookups=lookups)
    nlp.meta["name"] = "lt_folded_lemmas"
    nlp.meta["description"] = "blank Lithuanian pipeline with a diacritic-folded lookup lemmatizer"
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy-lt"))
