"""The grade report as files: JSON for machines, HTML for people (JUnit XML is pytest's own)."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from .grading import Grader

TAIL = 60  # lines of each log shown per failure


def _tail(path: Path, lines: int = TAIL) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(missing)"
    return "\n".join(text.splitlines()[-lines:])


def write_json(grader: Grader, path: Path, extra: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(grader.as_json(), **extra), indent=2) + "\n")


def _failure(r) -> str:
    parts = [f"<h3 id='{html.escape(r.nodeid)}'>{html.escape(r.nodeid)}: {r.outcome}</h3>",
             f"<p>{html.escape(r.message)}</p>"]
    if r.reproduce:
        parts.append(f"<p>Reproduce: <code>{html.escape(r.reproduce)}</code></p>")
    if r.bundle:
        b = Path(r.bundle)
        parts.append(f"<p>Bundle: <code>{html.escape(str(b))}</code></p>")
        png = b / "screen.png"
        if png.is_file():
            data = base64.b64encode(png.read_bytes()).decode()
            parts.append(f"<img alt='last screen' src='data:image/png;base64,{data}'>")
        for name, title in (("screen.txt", "Last screen"), ("console.log", "Guest console"),
                            ("hypervisor.log", "Hypervisor log"), ("registers.txt", "Registers"),
                            ("command.txt", "Emulator command")):
            if (b / name).is_file():
                parts.append(f"<details{' open' if name == 'screen.txt' else ''}>"
                             f"<summary>{title}</summary><pre>"
                             f"{html.escape(_tail(b / name))}</pre></details>")
    return "\n".join(parts)


def write_html(grader: Grader, path: Path, extra: dict) -> None:
    rows = []
    for r in grader.results.values():
        link = (f"<a href='#{html.escape(r.nodeid)}'>{r.outcome}</a>"
                if r.outcome in ("failed", "hung", "timeout", "infra-error") else r.outcome)
        rows.append(f"<tr class='{r.outcome}'><td>{r.milestone}</td>"
                    f"<td>{html.escape(r.nodeid)}</td><td>{html.escape(r.platform)}</td>"
                    f"<td>{html.escape(r.backend)}</td><td>{link}</td>"
                    f"<td>{r.earned:.2f}/{r.points:.2f}</td>"
                    f"<td>{html.escape(r.message)}</td></tr>")
    failures = [_failure(r) for r in grader.results.values()
                if r.outcome in ("failed", "hung", "timeout", "infra-error")]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Grade report</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px}} .passed{{background:#dfd}}
.failed,.hung,.timeout,.infra-error{{background:#fdd}} .not-gradable,.skipped{{background:#eee}}
pre{{background:#f6f6f6;padding:6px}}</style></head><body>
<h1>Grade report</h1><p>{html.escape(json.dumps(extra))}</p>
<pre>{html.escape(chr(10).join(grader.table() + grader.time_lines()))}</pre>
<table><tr><th>milestone</th><th>scenario</th><th>platform</th><th>backend</th>
<th>outcome</th><th>points</th><th>message</th></tr>{''.join(rows)}</table>
<h2>Failures</h2>{''.join(failures) or '<p>none</p>'}</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
