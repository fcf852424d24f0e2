"""Model engines: the API tool loops (anthropic, openai) and the CLI agents (claude, codex)."""
