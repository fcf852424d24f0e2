"""Project scripts: the commands a project keeps at hand (tests, build, lint), who may change and
run them, and what their runs show.

Runs execute in the process that serves the API (workers/scripts.py streams them). A run's
process starts only once the request that created its row has committed, so the thread writing
its output always finds the row, and a request that fails starts nothing.

A run's row says `running` while its process lives. Runs alive in this process are known in
memory; a `running` row that none of them owns was left by a process that died (a crash, a
SIGKILL, a restart) and is marked `interrupted` whenever runs are read or a script is started.
This is exact because Switchyard serves the API from one worker process per installation;
several API processes on one database would need an owner column on the run instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, delete, event, func, select, update
from sqlalchemy.orm import Session, SessionTransaction, defer

from models import Project, Script, ScriptRun, new_id, publish, utcnow
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.errors import Conflict, NotFound
from orchestrator.ordering import apply_order
from orchestrator.runtime import Runtime
from workers.commands import agent_environment
from workers.scripts import RunSpec, script_processes

TAIL_CHARS = 4000  # of a run's output, shown by the status list


@dataclass(frozen=True)
class ScriptStatus:
    script: Script
    last_run: ScriptRun | None
    output_tail: str


# The scripts --------------------------------------------------------------------------------


def list_scripts(db: Session, actor: Actor, project_id: str) -> list[Script]:
    require_project(db, actor, project_id)
    return _project_scripts(db, project_id)


def create_script(db: Session, actor: Actor, project_id: str, name: str, command: str) -> Script:
    require_project(db, actor, project_id, "editor")
    position = db.scalar(select(func.count()).select_from(Script).where(Script.project_id == project_id))
    script = Script(project_id=project_id, name=name, command=command, position=position)
    db.add(script)
    db.flush()
    publish(db, "script.created", project_id, {"scriptId": script.id})
    return script


def update_script(db: Session, actor: Actor, project_id: str, script_id: str, changes: dict[str, str]) -> Script:
    """A new name or command; a run in progress keeps the command it started with."""
    script = _script(db, actor, project_id, script_id, "editor")
    script.name = changes.get("name", script.name)
    script.command = changes.get("command", script.command)
    publish(db, "script.updated", project_id, {"scriptId": script.id})
    return script


def delete_script(db: Session, actor: Actor, project_id: str, script_id: str) -> None:
    """Deleting a script stops its run, if any, and removes its runs."""
    script = _script(db, actor, project_id, script_id, "editor")
    script_processes().cancel(script.id)
    db.delete(script)
    publish(db, "script.deleted", project_id, {"scriptId": script_id})


def reorder_scripts(db: Session, actor: Actor, project_id: str, ids: list[str]) -> list[Script]:
    require_project(db, actor, project_id, "editor")
    ordered = apply_order(_project_scripts(db, project_id), ids, "script")
    publish(db, "script.updated", project_id, {"order": ids})
    return ordered  # type: ignore[return-value]


def _project_scripts(db: Session, project_id: str) -> list[Script]:
    return list(db.scalars(select(Script).where(Script.project_id == project_id)
                           .order_by(Script.position, Script.created_at)))


def _script(db: Session, actor: Actor, project_id: str, script_id: str, need: str = "viewer") -> Script:
    return require_in_project(db, actor, Script, "script", project_id, script_id, need)


# Runs ---------------------------------------------------------------------------------------


def run_script(db: Session, runtime: Runtime, actor: Actor, project_id: str, script_id: str) -> ScriptRun:
    """Start a run in the project's directory; 409 `script_running` while one is alive."""
    script = _script(db, actor, project_id, script_id, "editor")
    cwd = _project_directory(db.get(Project, project_id))  # type: ignore[arg-type]
    _reconcile(db, db.scalars(select(ScriptRun).where(ScriptRun.script_id == script.id,
                                                      ScriptRun.status == "running")))
    settings = runtime.settings.scripts
    spec = RunSpec(run_id=new_id("run"), script_id=script.id, project_id=project_id, command=script.command,
                   cwd=cwd, env=agent_environment(Path.home()), max_output=settings.max_output_bytes)
    processes = script_processes()
    live = processes.reserve(spec)
    if live is None:
        raise Conflict(f"script {script.name!r} is already running; cancel it first", code="script_running")
    _when_transaction_ends(db, on_commit=lambda: processes.start(live, runtime.sessions),
                           on_rollback=lambda: processes.release(live))
    _prune_runs(db, script.id, keep=settings.keep_runs - 1)
    run = ScriptRun(id=spec.run_id, script_id=script.id, status="running", output="", started_at=utcnow())
    db.add(run)
    db.flush()
    publish(db, "script.started", project_id, {"scriptId": script.id, "runId": run.id})
    return run


def cancel_script(db: Session, actor: Actor, project_id: str, script_id: str) -> ScriptRun:
    """Kill the script's run (its whole process group); 409 `not_running` when there is none."""
    script = _script(db, actor, project_id, script_id, "editor")
    live = script_processes().cancel(script.id)
    if live is None:
        raise Conflict(f"script {script.name!r} is not running", code="not_running")
    run = db.get(ScriptRun, live.spec.run_id)
    if run is None:  # the run's own request has not committed yet; it is killed as it starts
        return ScriptRun(id=live.spec.run_id, script_id=script.id, status="cancelled", output="",
                         started_at=utcnow(), ended_at=utcnow())
    _end_if_running(db, run, "cancelled")
    return run


def scripts_status(db: Session, actor: Actor, project_id: str) -> list[ScriptStatus]:
    """Every script of the project with its latest run and the end of that run's output."""
    scripts = list_scripts(db, actor, project_id)
    latest = _latest_runs(db, project_id)
    _reconcile(db, (run for run, _ in latest.values()))
    return [ScriptStatus(script, *latest.get(script.id, (None, ""))) for script in scripts]


def get_run(db: Session, actor: Actor, project_id: str, script_id: str, run_id: str) -> ScriptRun:
    """One run with its whole (capped) output."""
    script = _script(db, actor, project_id, script_id)
    run = db.get(ScriptRun, run_id)
    if run is None or run.script_id != script.id:
        raise NotFound.of("run", run_id)
    _reconcile(db, [run])
    return run


def _latest_runs(db: Session, project_id: str) -> dict[str, tuple[ScriptRun, str]]:
    rank = func.row_number().over(partition_by=ScriptRun.script_id,
                                  order_by=(ScriptRun.started_at.desc(), ScriptRun.id.desc()))
    ranked = (select(ScriptRun.id, rank.label("rank")).join(Script, Script.id == ScriptRun.script_id)
              .where(Script.project_id == project_id).subquery())
    length = func.length(ScriptRun.output)
    tail = case((length > TAIL_CHARS, func.substr(ScriptRun.output, length - (TAIL_CHARS - 1))),
                else_=ScriptRun.output)
    rows = db.execute(select(ScriptRun, tail).options(defer(ScriptRun.output))
                      .join(ranked, ranked.c.id == ScriptRun.id).where(ranked.c.rank == 1)).tuples()
    return {run.script_id: (run, text or "") for run, text in rows}


def _reconcile(db: Session, runs: Iterable[ScriptRun]) -> None:
    """`running` rows that no live run of this process owns: interrupted (see the module doc)."""
    candidates = [run for run in runs if run.status == "running"]
    if not candidates:
        return
    live = script_processes().live_run_ids()  # read after the rows, so a run cannot slip between
    for run in candidates:
        if run.id not in live:
            _end_if_running(db, run, "interrupted")


def _end_if_running(db: Session, run: ScriptRun, status: str) -> None:
    """Conditional, so a run its thread has just finished keeps the outcome the thread wrote."""
    result = db.execute(update(ScriptRun).where(ScriptRun.id == run.id, ScriptRun.status == "running")
                        .values(status=status, ended_at=utcnow())
                        .execution_options(synchronize_session=False))
    db.refresh(run, ["status", "exit_code", "ended_at"])
    if result.rowcount and status == "interrupted":  # type: ignore[attr-defined]
        script = db.get(Script, run.script_id)
        publish(db, "script.ended", script.project_id if script else None,
                {"scriptId": run.script_id, "runId": run.id, "status": status, "exitCode": None})


def _prune_runs(db: Session, script_id: str, keep: int) -> None:
    """Keep the latest `keep` ended runs of a script (its output can be a megabyte each)."""
    old = db.scalars(select(ScriptRun.id).where(ScriptRun.script_id == script_id, ScriptRun.status != "running")
                     .order_by(ScriptRun.started_at.desc(), ScriptRun.id.desc()).offset(keep)).all()
    if old:
        db.execute(delete(ScriptRun).where(ScriptRun.id.in_(old)).execution_options(synchronize_session=False))


def _project_directory(project: Project) -> Path:
    path = Path(project.path)
    if not path.is_dir():
        raise Conflict(f"project directory {project.path} does not exist; scripts run there",
                       code="project_path_missing")
    return path


def _when_transaction_ends(db: Session, on_commit: Callable[[], None], on_rollback: Callable[[], None]) -> None:
    """Call `on_commit` once the caller's current transaction commits, `on_rollback` if it ends
    any other way: the request commits only after the view returns (web/app.py)."""
    state = {"committed": False, "done": False}

    def committed(session: Session) -> None:
        if not session.in_nested_transaction():
            state["committed"] = True

    def ended(_session: Session, transaction: SessionTransaction) -> None:
        if state["done"] or transaction.parent is not None:
            return
        state["done"] = True
        (on_commit if state["committed"] else on_rollback)()

    event.listen(db, "after_commit", committed)
    event.listen(db, "after_transaction_end", ended)
