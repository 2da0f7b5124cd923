"""The `runsource` command line: ask, chat, serve, ingest, sections, eval, audit, purge, forget."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import RunsourceError

if TYPE_CHECKING:
    from assistant.services import Services
    from assistant.settings import Settings
    from assistant.types import Reply

_LEVEL_STYLE = {
    "none": "green",
    "evaluation": "yellow",
    "urgent": "bold red",
    "emergency": "bold white on red",
}


def _settings() -> Settings:
    from assistant.settings import Settings

    return Settings()


def _services() -> Services:
    from assistant.services import build_services

    return build_services(_settings())


def _print_reply(reply: Reply) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    level = reply.triage.level
    console.print(f"[{_LEVEL_STYLE[level]}] triage: {level} [/] intent: {reply.intent}")
    for flag in reply.triage.flags:
        console.print(f"  [red]flag[/] {flag.id}: {flag.label}")
    if not reply.answer:
        console.print(Markdown(reply.reply))
    else:  # rendered from the parts: the escalation first at a raised level, the safety line last
        raised = reply.triage.level != "none" and reply.safety_net
        console.print(Markdown(f"{reply.safety_net}\n\n{reply.answer}" if raised else reply.answer))
        for card in reply.exercises:
            console.print(f"  [bold]{card.name}[/]: {card.dose} [dim]{card.url}[/]")
        if not raised and reply.safety_net:
            console.print(Markdown(reply.safety_net), style="dim")
        for n, c in enumerate(reply.citations, 1):
            console.print(f"  [dim]{n}. {c.title} {c.url}[/]")
    if reply.follow_ups:
        console.print("[dim]You could also ask:[/] " + " | ".join(reply.follow_ups))


def cmd_ask(args: argparse.Namespace) -> int:
    services = _services()
    reply = services.chat.turn(args.session, " ".join(args.question), "cli", args.token)
    if args.json:
        print(reply.model_dump_json(indent=2, exclude={"retrieved_ids"}))
        return 0
    _print_reply(reply)
    if reply.session_token:
        print(
            f"\n(to go on: runsource ask --session {reply.session_id} --token {reply.session_token} ...;"
            f" to erase it: runsource forget {reply.session_id})"
        )
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    services = _services()
    session: str | None = args.session
    token: str | None = args.token
    print("RUNsource assistant. Ask about low back pain and running. Ctrl-D or 'quit' to leave.")
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.lower() in {"quit", "exit"}:
            return 0
        if not line:
            continue
        try:
            reply = services.chat.turn(session, line, "cli", token)
        except RunsourceError as exc:
            print(f"! {exc.message}")
            continue
        session, token = reply.session_id, reply.session_token or token
        _print_reply(reply)


def cmd_ingest(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from assistant.embeddings import load_embeddings
    from assistant.index import KnowledgeIndex

    settings = _settings()
    index = KnowledgeIndex(settings, load_embeddings(settings.embeddings, settings.data_dir))
    with Progress(transient=True) as bar:
        task = bar.add_task("embedding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = index.ingest([Path(p) for p in args.paths] or None, rebuild=args.rebuild, progress=progress)
    print(report)
    return 0


def cmd_sections(args: argparse.Namespace) -> int:
    """Every knowledge section's stable id, title and heading (for labelling eval cases)."""
    from assistant.content import check_links, load_docs, load_question_templates, split_doc

    settings = _settings()
    docs = load_docs([settings.knowledge_dir])
    check_links(docs)
    templates = load_question_templates(settings.knowledge_dir)
    rows = [c for d in docs for c in split_doc(d, templates)]
    if args.json:
        print(
            json.dumps(
                [
                    {"id": c.id, "title": c.meta.title, "heading": c.heading, "questions": list(c.questions)}
                    for c in rows
                ],
                indent=2,
            )
        )
        return 0
    for c in rows:
        print(f"{c.id}\t{c.meta.title}\t{c.heading}")
        if args.questions:
            for q in c.questions:
                print(f"\t\t{q}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "server:app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=5,
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from assistant.services import make_sessions

    records = make_sessions(_settings()).audit(args.session)
    for r in records:
        flags = ", ".join(f"{f['id']} ({f['evidence']!r})" for f in r.flags) or "-"
        print(f"{r.turn_id}  level={r.level}  rules={r.rules_version}  knowledge={r.knowledge_version}")
        print(f"  message: {r.message}")
        print(f"  flags:   {flags}")
        if r.guard:
            print(f"  guard:   {'; '.join(r.guard)}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from assistant.services import make_sessions

    settings = _settings()
    days = args.days or settings.session_retention_days
    store = make_sessions(settings)
    removed = store.purge(days)
    print(f"removed {removed} session(s) idle for more than {days} days")
    redacted = store.redact_older(time.time() - settings.full_text_hours * 3600)
    print(f"redacted {redacted} message(s) older than {settings.full_text_hours:g} hours")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from assistant.services import make_sessions

    if not make_sessions(_settings()).erase(args.session):
        print(f"error: no session with id {args.session!r} (already erased or expired?)", file=sys.stderr)
        return 2
    print(f"erased {args.session}: its turns and feedback are deleted; its audit entries keep only the")
    print("triage level, flag ids and rule versions")
    return 0


def cmd_discord_register(args: argparse.Namespace) -> int:
    from assistant.doors.discord import register_commands

    print(json.dumps(register_commands(_settings(), guild_id=args.guild), indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="runsource",
        description="RUNsource assistant: low back pain education for runners, with triage.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="ask one question and print the reply")
    ask.add_argument("question", nargs="+", help="the question, e.g. 'is it just tight hamstrings?'")
    ask.add_argument("--json", action="store_true", help="print the reply contract object as JSON")
    ask.add_argument("--session", help="continue this session id (needs --token)")
    ask.add_argument("--token", help="the session's token, printed when the session was started")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="an interactive conversation in the terminal")
    chat.add_argument("--session", help="continue this session id (needs --token)")
    chat.add_argument("--token", help="the session's token, printed when the session was started")
    chat.set_defaults(func=cmd_chat)

    ingest = sub.add_parser("ingest", help="index the knowledge (incremental; unchanged chunks are kept)")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: the knowledge folder)")
    ingest.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    ingest.set_defaults(func=cmd_ingest)

    sections = sub.add_parser(
        "sections", help="list every knowledge section: id ({doc_id}#{heading-slug}), title, heading"
    )
    sections.add_argument("--questions", action="store_true", help="also print the questions each answers")
    sections.add_argument("--json", action="store_true", help="as a JSON list")
    sections.set_defaults(func=cmd_sections)

    serve = sub.add_parser("serve", help="serve the HTTP API and the widget")
    serve.add_argument("--host", help="default: RUNSOURCE_HOST (127.0.0.1)")
    serve.add_argument("--port", type=int, help="default: RUNSOURCE_PORT (8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--limit-concurrency",
        type=int,
        default=200,
        help="connections and requests at once per worker before new ones get 503 (default 200)",
    )
    serve.set_defaults(func=cmd_serve)

    audit = sub.add_parser("audit", help="show the triage audit trail of a session")
    audit.add_argument("session", help="the session id (s_...)")
    audit.set_defaults(func=cmd_audit)

    purge = sub.add_parser(
        "purge",
        help="delete sessions older than the retention period and redact messages past the "
        "full-text window (run daily; the server also redacts every few minutes)",
    )
    purge.add_argument("--days", type=int, help="default: RUNSOURCE_SESSION_RETENTION_DAYS (90)")
    purge.set_defaults(func=cmd_purge)

    forget = sub.add_parser(
        "forget", help="erase a conversation and its feedback (the audit keeps level, flag ids, versions)"
    )
    forget.add_argument("session", help="the session id (s_... or d_...)")
    forget.set_defaults(func=cmd_forget)

    discord = sub.add_parser("discord", help="the Discord app (see docs/discord.md)")
    dsub = discord.add_subparsers(dest="discord_command", required=True)
    register = dsub.add_parser("register", help="register the /ask command with Discord")
    register.add_argument("--guild", help="register in this server only (shows at once), not globally")
    register.set_defaults(func=cmd_discord_register)

    sub.add_parser("eval", help="run the evaluation harness; `runsource eval --help` for its options")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:  # the harness parses its own options (see evals/README.md)
        from evals.cli import main as eval_main

        return eval_main(argv[1:])
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RunsourceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
