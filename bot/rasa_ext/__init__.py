"""Our Rasa graph components (Lithuanian normalisation, language detection) and channels.

Only this subpackage may import Rasa; the rest of `bot` stays framework-free.
"""
