"""Running one agent session: engines, the tools an agent may call, git worktrees and diffs."""
