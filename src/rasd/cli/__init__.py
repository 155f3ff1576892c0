"""The `rasd` command: one module per command (or group of commands) in this package.

Each command imports its machinery lazily so `rasd --help` stays instant. Settings given as
options are made one way (`rasd.cli.options`), with the settings' own help.
"""

from __future__ import annotations

import typer

from rasd.cli.comments import comments_app
from rasd.cli.demo import demo
from rasd.cli.eval_posts import eval_posts
from rasd.cli.eval_scenarios import eval_scenarios
from rasd.cli.mentions import mentions
from rasd.cli.notify import notify_app
from rasd.cli.posts import posts_app
from rasd.cli.probe_agent import probe_agent
from rasd.cli.replay import replay, scenarios
from rasd.cli.series import detect_series, eval_nab
from rasd.cli.serve import serve, worker
from rasd.cli.services import services
from rasd.cli.tokens import tokens_app

app = typer.Typer(
    name="rasd",
    help="Rasd: a real-time detector of outages of online services.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Score detection and classification against labelled data.")
app.add_typer(eval_app, name="eval")
app.add_typer(posts_app, name="posts")
app.command("probe-agent")(probe_agent)
app.command("detect-series")(detect_series)
eval_app.command("nab")(eval_nab)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("demo")(demo)
app.command("replay")(replay)
app.command("scenarios")(scenarios)
app.command("services")(services)
app.command("mentions")(mentions)
eval_app.command("posts")(eval_posts)
eval_app.command("scenarios")(eval_scenarios)
app.add_typer(tokens_app, name="tokens")
app.add_typer(notify_app, name="notify")
app.add_typer(comments_app, name="comments")


def main() -> None:
    app()
