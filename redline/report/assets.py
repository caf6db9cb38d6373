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
STYLE_FILE = "redline-maps.css"
SCRIPT_FILE = "redline-maps.{lang}.js"
"""The files ``write_assets`` writes: every stylesheet in one, every script in one (per measuring-tool language)."""


def modules_dir() -> Path:
    return Path(os.environ.get("REDLINE_WEB_MODULES") or WEB / "node_modules")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    return json.loads((WEB / "package.json").read_text(encoding="utf-8"))["dependencies"]


def head_html(*, lang: str, cdn: bool, linked: str | None = None) -> str:
    """<style>/<script> elements for Leaflet, the plugins and redline's own map script: inlined, linked from the CDN
    (``cdn``), or linked from the folder ``linked`` (a relative URL ending in '/') that ``write_assets`` filled."""
    if linked is not None:
        return (f'<link rel="stylesheet" href="{linked}{STYLE_FILE}">\n'
                f'<script src="{linked}{SCRIPT_FILE.format(lang=_measure_lang(lang))}"></script>')
    if cdn:
        parts = [f'<link rel="stylesheet" href="{_url(package, file)}">' for package, file in STYLES]
        parts += [f'<script src="{_url(package, file.format(lang=_measure_lang(lang)))}"></script>' for package, file in SCRIPTS]
        return "\n".join(parts + [f"<style>{_own_style()}</style>", f"<script>{_script_safe(_own_script())}</script>"])
    return f"<style>{_styles()}</style>\n" + "\n".join(f"<script>{_script_safe(code)}</script>" for code in _scripts(lang))


def write_assets(folder: Path, *, lang: str) -> str:
    """The stylesheet and the scripts of ``head_html``, one file each, in ``folder`` (for many maps in one folder
    beside it); the relative URL to link them with."""
    from redline.io.files import write_atomic

    write_atomic(Path(folder) / STYLE_FILE, _styles())
    write_atomic(Path(folder) / SCRIPT_FILE.format(lang=_measure_lang(lang)), "\n;\n".join(_scripts(lang)))
    return f"{Path(folder).name}/"


def _styles() -> str:
    """Every stylesheet, images inlined, redline's last."""
    return "\n".join([_inline_css(package, file) for package, file in STYLES] + [_own_style()])


def _scripts(lang: str) -> list[str]:
    """Every script in load order, redline's last."""
    return [_read(package, file.format(lang=_measure_lang(lang))) for package, file in SCRIPTS] + [_own_script()]


def _measure_lang(lang: str) -> str:
    return "cn" if lang == "zh" else "en"


def _own_style() -> str:
    return OWN_STYLE.read_text(encoding="utf-8")


def _own_script() -> str:
    return OWN_SCRIPT.read_text(encoding="utf-8")


def _url(package: str, file: str) -> str:
    return f"{CDN}/{package}@{versions()[package]}/{file}"


def _read(package: str, file: str) -> str:
    path = modules_dir() / package / file
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise RedlineError(f"未安装地图资源 / map assets are not installed ({path} is missing): run scripts/setup-web.sh "
                           "(npm ci), or load Leaflet from the network (cdn=True; the CLI's --cdn)") from None


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
        raise RedlineError(f"{path}: 未安装 Swagger UI / is missing: run scripts/setup-web.sh (npm) to install Swagger UI "
                           "for /docs")
    return path.read_bytes()
