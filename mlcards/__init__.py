"""mlcards: spaced-repetition multiple-choice flashcards for learning machine learning."""

__version__ = "0.1.0"

__all__ = ["__version__"]
