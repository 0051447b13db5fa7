"""A package whose ``poison`` module must never be imported by pastetrace's static reader."""
