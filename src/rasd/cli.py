"""The `rasd` command: serve, demo, replay, worker, probe-agent, eval and the rest.

Each command imports its machinery lazily so `rasd --help` stays instant.
"""

from __future__ import annotations

import typer

from rasd import commands
from rasd.catalog.command import services
from rasd.comments.command import comments_app
from rasd.eval.posts import eval_posts
from rasd.eval.scenarios import eval_scenarios
from rasd.eval.series_cli import detect_series, eval_nab
from rasd.notify.command import notify_app, tokens_app
from rasd.probe.command import probe_agent
from rasd.signals.posts_command import posts_import
from rasd.signals.text.command import mentions

app = typer.Typer(
    name="rasd",
    help="Rasd: a real-time detector of outages of online services.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Score detection and classification against labelled data.")
app.add_typer(eval_app, name="eval")
posts_app = typer.Typer(help="Public posts: import and inspect.")
app.add_typer(posts_app, name="posts")
posts_app.command("import")(posts_import)
app.command("probe-agent")(probe_agent)
app.command("detect-series")(detect_series)
eval_app.command("nab")(eval_nab)
app.command("serve")(commands.serve)
app.command("worker")(commands.worker)
app.command("demo")(commands.demo)
app.command("replay")(commands.replay)
app.command("scenarios")(commands.scenarios)
posts_app.command("follow")(commands.posts_follow)
app.command("services")(services)
app.command("mentions")(mentions)
eval_app.command("posts")(eval_posts)
eval_app.command("scenarios")(eval_scenarios)
app.add_typer(tokens_app, name="tokens")
app.add_typer(notify_app, name="notify")
app.add_typer(comments_app, name="comments")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
