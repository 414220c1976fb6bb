"""What each command does, one module per ``cli`` module (``cli/X.py`` calls
``services/X.py``): plain functions over the store that return values and never print.
"""
