"""`guarded-rag serve`: answer Ollama and OpenAI clients over HTTP with the guarded chain (docs/SERVE.md).

CLI layer: validates the flags into ServeOptions, builds the profiles, runs app.serve's server.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any, TextIO

from app import ExposureError, GuardedRAG, ServeOptions, run_server, with_config_file
from app.cli.codes import EXIT_OK, EXIT_USAGE
from app.cli.terminal import say


def add_serve_command(sub: Any) -> None:
    srv = sub.add_parser("serve", help="answer Ollama and OpenAI clients over HTTP with the guarded chain (see docs/SERVE.md)")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    srv.add_argument("--port", type=int, default=ServeOptions().port, help="port (default: %(default)s)")
    srv.add_argument("--insecure", action="store_true", help="allow listening beyond loopback without GUARDED_RAG_API_TOKEN")
    srv.add_argument("--drain-timeout", type=float, default=30.0, help="seconds shutdown waits for answers in flight")
    defaults = ServeOptions()
    srv.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_timeout,
        help="seconds a client has to send a request's headers before the connection is closed (default: %(default)s)",
    )
    srv.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.body_timeout,
        help="seconds a client has to send a request's body before a 408 (default: %(default)s)",
    )
    srv.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME=FILE.toml",
        help='also serve guarded-rag:NAME with these settings changed (e.g. policy = "strict.toml"); repeatable',
    )


def cmd_serve(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from pydantic import ValidationError

    try:
        options = ServeOptions(
            host=args.host,
            port=args.port,
            insecure=args.insecure,
            drain_timeout=args.drain_timeout,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
        )
    except ValidationError as exc:  # one line naming the flag, not pydantic's dump (`--port 99999`)
        problems = "; ".join(
            f"--{str(p['loc'][0]).replace('_', '-')} {p['input']}: {p['msg']}" for p in exc.errors(include_url=False)
        )
        say(f"error: {problems}\n")
        return EXIT_USAGE
    # Every profile built is closed when the command ends, however: one that fails to build (a missing file, one
    # embedded configuration too many) or a server that cannot start left the ones before it open (their own trace
    # writers, stores). The server's shutdown closes them too; closing again is harmless. The default is main()'s.
    with contextlib.ExitStack() as built:
        try:
            profiles = {}
            for spec in args.profile:
                name, sep, path = spec.partition("=")
                if not sep or not name or not path:
                    raise ValueError(f"--profile {spec!r}: expected NAME=FILE.toml")
                if name in profiles:  # the later file silently replaced the earlier one
                    raise ValueError(f"--profile {name!r} is given twice: give each profile one NAME=FILE.toml")
                profiles[name] = svc.derive(**with_config_file(svc.settings, Path(path)).model_dump())
                built.callback(profiles[name].close)
            run_server(svc, options, profiles=profiles)
        except (ExposureError, ValueError) as exc:
            say(f"error: {exc}\n")
            return EXIT_USAGE
    return EXIT_OK
