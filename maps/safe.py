"""Text in folium maps, safe by construction.

folium writes a tooltip's text into a JavaScript template literal (`` `...${}...` ``), where HTML escaping is
not enough: a booking named ``Ani ${top.x=1}`` would run. :class:`SafeTooltip` writes the text as a JSON string
instead (Jinja's ``tojson`` also escapes ``<``, ``>``, ``&`` and ``'``, so nothing closes the script), and every
piece of HTML on a map is a :class:`markupsafe.Markup` whose text was escaped when it was built
(``Markup("<b>{}</b>").format(x)`` escapes ``x``). A plain ``str`` handed to these helpers is always escaped.
"""

from __future__ import annotations

from typing import Any

import folium
from folium.template import Template
from markupsafe import Markup, escape

__all__ = ["Markup", "SafeTooltip", "escape", "lines"]


def lines(first: object, *rest: object) -> Markup:
    """A tooltip body: the first line bold, then one line per non-empty value, each escaped."""
    body = Markup("<b>{}</b>").format(first)
    for value in rest:
        if value is not None and value != "":
            body += Markup("<br>{}").format(value)
    return body


class SafeTooltip(folium.Tooltip):
    """A folium tooltip whose content reaches Leaflet as a JSON string literal of escaped HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip(
                {{ this.html|tojson }},
                {{ this.options|tojavascript }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, content: str | Markup, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.html = str(Markup("<div>{}</div>").format(content))
