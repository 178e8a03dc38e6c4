"""Only the build step pyproject.toml cannot declare: the wheel carries the files kept at the top of
the source tree (``macros/*.bas``: the VBA sources; ``workbooks/``: the template, add-in and .xlsm),
copied into ``xl_report/assets/`` of the build. :mod:`xl_report.core.assets` finds them there in an
installed package and at the top of a source checkout otherwise."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = {"macros": "*.bas", "workbooks": "*.xl*"}  # top-level folder -> files it ships


class build_py_with_assets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout itself
            return
        for folder, pattern in ASSETS.items():
            files = sorted((ROOT / folder).glob(pattern))
            if not files:
                raise SystemExit(f"setup.py: no {folder}/{pattern} to ship in the package")
            target = Path(self.build_lib) / "xl_report" / "assets" / folder
            self.mkpath(str(target))
            for f in files:
                self.copy_file(str(f), str(target / f.name))


setup(cmdclass={"build_py": build_py_with_assets})
