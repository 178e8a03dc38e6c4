"""Huge inputs are refused while they are read, with bounded memory (issue 15: a 31 MB text of number
lines reached 1.6 GB before the token limit refused it)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import docx
import pytest

from .conftest import ROOT

SIZE = 30 * 1024 * 1024
PEAK_MB = 200

_CHILD = """
import json, resource, sys
from xl_report.core.errors import InputError
from xl_report.published.importer import import_report
try:
    import_report(sys.argv[1])
    refused = None
except InputError as e:
    refused = str(e)
# Linux carries the forking parent's high-water mark into ru_maxrss across exec (a big pytest process
# makes a small child look big); VmHWM is this process image's own peak. Elsewhere: getrusage.
try:
    peak = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "peak_kb": peak}))
"""


def _lines(line: str) -> bytes:
    return (line * (SIZE // len(line.encode()))).encode()


def _docx_with_media() -> bytes:
    """A one-paragraph .docx carrying 30 MB of incompressible media (a scanned page, say)."""
    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("二、主动公开政府信息情况")
    d.save(buf)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("word/media/image1.png", os.urandom(SIZE))
    return buf.getvalue()


INPUTS = {
    "numbers.txt": lambda: _lines("12345 678\n"),
    "pipes.md": lambda: _lines("| 行政许可 | 1 | 2 |\n"),
    "one-line.txt": lambda: _lines("行政许可 12345678901234567890 "),
    "page.html": lambda: b"<html><body>" + _lines("<p>1 2</p>\n") + b"</body></html>",
    "scan.docx": _docx_with_media,
}


@pytest.mark.parametrize("name", INPUTS)
def test_30_mb_input_refused_with_bounded_memory(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(INPUTS[name]())
    assert path.stat().st_size >= SIZE * 0.95
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    result = json.loads(out.stdout)
    assert result["refused"] and name in result["refused"]
    assert ("文件内容过多" if name != "scan.docx" else "未能读出任何表格数据") in result["refused"]
    assert result["peak_kb"] / 1024 <= PEAK_MB, result
