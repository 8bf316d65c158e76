"""The FAQ bot: FAQ files, the matcher, and what it learns from agents."""
