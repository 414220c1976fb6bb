"""What each command does, one module per command group: ``cli/X.py`` calls
``services/X.py``, which wires the store, the formats and the rest together and never
prints."""
