"""The little Markdown the course content uses: paragraphs, `- ` and `1. ` lists, **bold**, *italic*.
Everything is escaped first, so content can never inject markup."""

import re

from markupsafe import Markup, escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\*)(.+?)(?<!\*)\*(?![*\w])")
_ITEM = re.compile(r"^(?:[-*]|\d+[.)])\s+")


def _inline(text: str) -> str:
    return _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", str(escape(text))))


def render(source: str) -> Markup:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if all(_ITEM.match(line) for line in lines):
            tag = "ol" if lines[0][0].isdigit() else "ul"
            items = "".join(f"<li>{_inline(_ITEM.sub('', line))}</li>" for line in lines)
            html.append(f'<{tag} class="list list--{"number" if tag == "ol" else "bullet"}">{items}</{tag}>')
            continue
        intro = [line for line in lines if not _ITEM.match(line)]
        items = [line for line in lines if _ITEM.match(line)]
        if items and lines[: len(intro)] == intro:  # a lead-in sentence, then a list
            html.append(f"<p>{_inline(' '.join(intro))}</p>")
            html.append(
                '<ul class="list list--bullet">'
                + "".join(f"<li>{_inline(_ITEM.sub('', line))}</li>" for line in items)
                + "</ul>"
            )
        else:
            html.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("\n".join(html))  # noqa: S704 - every piece above was escaped
