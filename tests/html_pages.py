"""Reading the HTML pages a run writes, for the tests that check them."""
import re


def linked_images(page: str) -> list[str]:
    """The ``src`` of every ``<img>`` in an HTML page that is not embedded (not a ``data:`` URI)."""
    return [s for s in re.findall(r"<img\b[^>]*?\bsrc=[\"']([^\"']*)", page)
            if not s.startswith("data:")]
