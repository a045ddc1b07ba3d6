"""A checkbox whose state reads without colour.

Textual's `Checkbox` draws `▐X▌` whether it is on or off and tells the states apart by colour
only, which a monochrome terminal, a screenshot in print or a colour-blind user cannot see. This
one draws a tick when on and a blank when off; everything else is Textual's.
"""

from __future__ import annotations

from textual.widgets import Checkbox

ON, OFF = "✓", " "


class TickBox(Checkbox):
    """`Checkbox` with `▐✓▌` when on and `▐ ▌` when off."""

    @property  # Textual reads BUTTON_INNER each time it draws the button
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return ON if self.value else OFF
