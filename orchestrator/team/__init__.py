"""The agent-team dialect (seed 004) on the one core: a workspace is a project, a task is a card
on the project's team board, agents are a registry of names with an execution mode.

Hooks the other team modules may provide (looked up by name, so either side can land first):
`sprints.ensure_sprint_zero(session, team) -> dict`, `sprints.current_sprint_json(session, team)
-> dict | None`, `sprints.previous_retro_json(session, team, number)` (used by setup.py), and
`messages.search_messages(session, team, pattern) -> list[dict]` (used by activity.search).
`prompting.agent_parts(session, card)` is what compose_prompt adds for a team task; memories and
decisions belong there too."""
