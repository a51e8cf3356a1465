"""Prompt pairs: loading, chat templating and token alignment; ``default_pairs.jsonl`` is embedded."""
