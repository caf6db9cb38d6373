"""Leaflet and its plugins for the HTML maps: inlined from the npm packages the set-up installs, or CDN links.

The packages are named in ``web/package.json`` (exact versions, lock file beside it) and installed into
``web/node_modules`` by ``scripts/setup-web.sh``; ``REDLINE_WEB_MODULES`` points elsewhere. Nothing
third-party is committed. Images referenced by the stylesheets are inlined as data URIs.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
from functools import lru_cache
from pathlib import Path

from redline.errors import RedlineError

WEB = Path(__file__).resolve().parent / "web"
CDN = "https://unpkg.com"
# (package, file) in load order; CSS first, then scripts.
STYLES = [("leaflet", "dist/leaflet.css"), ("leaflet-measure", "dist/leaflet-measure.css"),
          ("leaflet-minimap", "dist/Control.MiniMap.min.css"), ("leaflet.fullscreen", "dist/Control.FullScreen.css")]
SCRIPTS = [("leaflet", "dist/leaflet.js"), ("leaflet-measure", "dist/leaflet-measure.{lang}.js"),
           ("leaflet-minimap", "dist/Control.MiniMap.min.js"), ("leaflet.fullscreen", "dist/Control.FullScreen.umd.js")]
DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon-32x32.png": "image/png"}
"""The files of the npm package swagger-ui-dist the service's /docs page loads, served by the service itself."""
OWN_SCRIPT = Path(__file__).resolve().parent / "map.js"
OWN_STYLE = Path(__file__).resolve().parent / "map.css"


def modules_dir() -> Path:
    return Path(os.environ.get("REDLINE_WEB_MODULES") or WEB / "node_modules")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    return json.loads((WEB / "package.json").read_text(encoding="utf-8"))["dependencies"]


def head_html(*, lang: str, cdn: bool) -> str:
    """<style>/<script> elements for Leaflet, the plugins and redline's own map script."""
    measure_lang = "cn" if lang == "zh" else "en"
    parts = []
    for package, file in STYLES:
        parts.append(f'<link rel="stylesheet" href="{_url(package, file)}">' if cdn
                     else f"<style>{_inline_css(package, file)}</style>")
    for package, file in SCRIPTS:
        file = file.format(lang=measure_lang)
        parts.append(f'<script src="{_url(package, file)}"></script>' if cdn
                     else f"<script>{_script_safe(_read(package, file))}</script>")
    parts.append(f"<style>{OWN_STYLE.read_text(encoding='utf-8')}</style>")
    parts.append(f"<script>{_script_safe(OWN_SCRIPT.read_text(encoding='utf-8'))}</script>")
    return "\n".join(parts)


def _url(package: str, file: str) -> str:
    return f"{CDN}/{package}@{versions()[package]}/{file}"


def _read(package: str, file: str) -> str:
    path = modules_dir() / package / file
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise RedlineError(f"map assets are not installed ({path} is missing): run scripts/setup-web.sh "
                           "(npm ci), or pass --cdn to load Leaflet from the network") from None


def _inline_css(package: str, file: str) -> str:
    folder = (modules_dir() / package / file).parent

    def data_uri(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("data:", "#", "http")):
            return match.group(0)
        image = folder / target
        kind = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
        return f"url(data:{kind};base64,{base64.b64encode(image.read_bytes()).decode()})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", data_uri, _read(package, file)).replace("</style", "<\\/style")


def _script_safe(code: str) -> str:
    """Script text that cannot close its <script> element early."""
    return code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def docs_asset(name: str) -> bytes:
    """One of ``DOCS_ASSETS`` from the installed swagger-ui-dist package."""
    if name not in DOCS_ASSETS:
        raise KeyError(name)
    path = modules_dir() / "swagger-ui-dist" / name
    if not path.is_file():
        raise RedlineError(f"{path} is missing: run scripts/setup-web.sh (npm) to install Swagger UI for /docs")
    return path.read_bytes()
