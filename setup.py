"""The wheel's build step: it carries the demo layers, the samples and the map assets, made at build time.

``pip install .`` (not editable) gets a ``redline`` that checks and maps with the shipped Tianjin layers from
anywhere: ``data/tianjin`` and ``data/samples`` are copied into ``redline/data/``, and the Leaflet packages
pinned in ``redline/report/web/package-lock.json`` are installed with ``npm ci`` (when ``setup-web.sh`` has not
already) and their ``dist`` folders (and Swagger UI's three files for /docs) copied beside
``package.json``. Nothing third-party is committed.
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "redline" / "report" / "web"
MAP_PACKAGES = ("leaflet", "leaflet-measure", "leaflet-minimap", "leaflet.fullscreen")
DOCS_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")  # the service's /docs (swagger-ui-dist)


class BuildWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads them from the source tree
            return
        package = Path(self.build_lib) / "redline"
        for folder in ("tianjin", "samples"):
            shutil.copytree(ROOT / "data" / folder, package / "data" / folder, dirs_exist_ok=True)
        if not all((WEB / "node_modules" / name).is_dir() for name in (*MAP_PACKAGES, "swagger-ui-dist")):
            subprocess.run(["npm", "ci", "--prefix", str(WEB), "--no-audit", "--no-fund", "--loglevel=error"], check=True)
        for name in MAP_PACKAGES:
            shutil.copytree(WEB / "node_modules" / name / "dist", package / "report" / "web" / "node_modules" / name / "dist",
                            dirs_exist_ok=True)
        docs = package / "report" / "web" / "node_modules" / "swagger-ui-dist"
        docs.mkdir(parents=True, exist_ok=True)
        for name in DOCS_FILES:
            shutil.copy2(WEB / "node_modules" / "swagger-ui-dist" / name, docs / name)


setup(cmdclass={"build_py": BuildWithData})
