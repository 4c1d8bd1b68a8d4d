"""`rag ui`: the chat page, served by Gradio on http://127.0.0.1:7860 by default.

    rag ui --index kb [--host 127.0.0.1] [--port 7860] [--auth user:password] [--allow-edits]   # or: make run

Readers may add and remove articles only when the page has a login (--auth / RAG_UI_AUTH) or runs with
--allow-edits; the login refuses a client for a minute after 5 wrong passwords. Uploaded files sit in a
private (0700) temporary folder.

The chat is also an API (endpoints: /ask, /chat, /upload, /remove). `/ask` returns the whole answer as a dict
(Answer.to_dict()); `/chat` is the page's own streaming endpoint, with history in Gradio's messages format
(`predict` returns its last update: textbox, chat history, sources-panel HTML, conversation):

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")          # add auth=("user", "password") when a login is set
    answer = client.predict("How many standard racks does Shaoguan plan to build?", api_name="/ask")
    print(answer["text"], answer["citations"][0]["title"])
    follow_up = client.predict("When did it go public?", [["Tell me about Intellifusion.", "..."]],
                               lang="en", k=5, api_name="/ask")
    _, history, sources_html, _ = client.predict("韶关到深圳的单向时延是多少？", [], "auto", 5, False,
                                                 {"turns": []}, api_name="/chat")
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from rag import Assistant, ConfigError, Settings

if TYPE_CHECKING:
    import gradio as gr


def register(subparsers) -> None:
    """Add the `ui` subcommand to the `rag` command line (found through the rag.commands entry point)."""
    p = subparsers.add_parser("ui", help="serve the chat page (default http://127.0.0.1:7860)")
    p.add_argument("--index", metavar="DIR", default=None,
                   help="index directory (default RAG_INDEX_DIR or kb); empty: the bundled article")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--auth", metavar="USER:PASSWORD", default=None,
                   help="require a login (default RAG_UI_AUTH); readers who log in may add and remove articles")
    p.add_argument("--allow-edits", action="store_true",
                   help="let readers add and remove articles without a login (only on a trusted network)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rag.cli import load_or_build

    settings = Settings.from_env(index_dir=args.index, ui_auth=args.auth)
    auth = parse_auth(settings.ui_auth)
    assistant = load_or_build(settings)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build_demo(assistant, allow_edits=bool(auth) or args.allow_edits)
    demo.launch(server_name=args.host, server_port=args.port, auth=auth, **launch_options(assistant.settings))
    return 0


def build_demo(assistant: Assistant, allow_edits: bool = False) -> gr.Blocks:
    """The page around `assistant`, queue configured; launch it with `launch_options`. Readers may add and
    remove articles only with `allow_edits` (`rag ui` turns it on with a login or --allow-edits)."""
    # Imported here, not at the top: every `rag` command loads this module to register `ui`, and
    # importing gradio costs seconds.
    from ui.guard import private_upload_dir
    from ui.page import build_page

    private_upload_dir()
    return build_page(assistant, allow_edits=allow_edits)


def launch_options(settings: Settings) -> dict:
    """The `demo.launch` keywords the page needs: theme, CSS, the citation script, the upload cap, the page's
    own footer, and the login rate limit."""
    import gradio as gr
    from starlette.middleware import Middleware

    from ui.guard import LoginRateLimit
    from ui.static import CSS, HEAD

    # Gradio's own cap is a backstop above the page's limit, so that the page can explain a refusal itself.
    cap_mb = 2 * settings.max_file_mb
    return {"theme": gr.themes.Soft(), "css": CSS, "head": HEAD, "max_file_size": f"{cap_mb:g}mb",
            "footer_links": [], "app_kwargs": {"middleware": [Middleware(LoginRateLimit)]}}


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> ("user", "password"); empty -> None (no login)."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth / RAG_UI_AUTH must look like user:password (both parts non-empty)")
    return user, password
