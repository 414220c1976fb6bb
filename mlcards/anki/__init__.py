"""Anki packages (.apkg, .colpkg): our note type, the package writer and reader, and the
conversion of multiple-choice notes made in Anki into mlcards decks.

Nothing here touches mlcards' database: the services layer (``mlcards.services.anki``)
joins what is read here with the store. Everything read from a package is data from
outside: HTML becomes Markdown, deck text is checked by the strict deck loader, and nothing
from a deck becomes script in a package we write.
"""
