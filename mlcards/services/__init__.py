"""What each command does, as plain functions over the store: one module per command group,
called by the module of the same name in ``mlcards.cli``. Nothing here prints."""
