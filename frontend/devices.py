"""A browser's User-Agent in words for "Where you are signed in": "Chrome on Android", "Safari on iPhone".

A small table of the browsers and systems patients and clinics use, checked in order (Edge and
Opera also say "Chrome", Chrome also says "Safari"). Anything else is "a browser", never the raw string.
"""

from __future__ import annotations

# (marker in the User-Agent, name), most specific first.
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)


def device_words(user_agent: str) -> str:
    """ "Chrome on Android"; the browser or the system alone when only one is known; else "A browser"."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "A browser")
