"""Run under the *system* python (python3-uno): load workbooks in headless LibreOffice and print, as
JSON, what LibreOffice made of their VBA: modules, form-button -> macro bindings, and the result
of calling a tiny VBA function. One soffice for all files, private profile, killed by pid.

    /usr/bin/python3 tests/lo_vba_probe.py OUT.json FILE[::Module.Function] ...
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def probe(smgr, ctx, desktop, path, call):
    # 9 = ALWAYS_EXECUTE_NO_WARN (4 silently refuses to run anything)
    props = [prop("Hidden", True), prop("MacroExecutionMode", 9)]
    if path.lower().endswith(".xlam"):  # no type detection for add-ins
        props.append(prop("FilterName", "Calc MS Excel 2007 VBA XML"))
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, tuple(props))
    out = {"loaded": doc is not None, "libraries": {}, "bindings": [], "call": None}
    try:
        libs = doc.BasicLibraries
        for name in libs.ElementNames:
            libs.loadLibrary(name)
            lib = libs.getByName(name)
            out["libraries"][name] = {m: len(lib.getByName(m).splitlines()) for m in lib.ElementNames}
        for s in range(doc.Sheets.Count):
            sheet = doc.Sheets.getByIndex(s)
            dp = sheet.DrawPage
            labels = {}
            for i in range(dp.Count):
                shp = dp.getByIndex(i)
                if hasattr(shp, "Control") and shp.Control is not None:
                    labels[shp.Control.Name] = shp.Control.Label
            forms = dp.Forms
            for f in range(forms.Count):
                frm = forms.getByIndex(f)
                for c in range(frm.Count):
                    name = frm.getByIndex(c).Name
                    for ev in frm.getScriptEvents(c):
                        out["bindings"].append(
                            {"sheet": sheet.Name, "control": name, "label": labels.get(name), "script": ev.ScriptCode}
                        )
        if call:
            libs.loadLibrary("Standard")
            std = libs.getByName("Standard")
            project = next(n for n in libs.ElementNames if n != "Standard")
            code = f"Function Bridge() As String\n  Bridge = {project}.{call}()\nEnd Function\n"
            if std.hasByName("XlrBridge"):
                std.replaceByName("XlrBridge", code)
            else:
                std.insertByName("XlrBridge", code)
            msp = smgr.createInstanceWithContext(
                "com.sun.star.script.provider.MasterScriptProviderFactory", ctx
            ).createScriptProvider(doc)
            script = msp.getScript("vnd.sun.star.script:Standard.XlrBridge.Bridge?language=Basic&location=document")
            out["call"] = script.invoke((), (), ())[0]
    finally:
        doc.close(True)
    return out


def main(out_path, specs):
    pipe = "xlr_" + uuid.uuid4().hex[:8]
    profile = tempfile.mkdtemp(prefix="lo_profile_")
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {}
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        ctx = None
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.25)
        smgr = ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        for spec in specs:
            path, _, call = spec.partition("::")
            results[path] = probe(smgr, ctx, desktop, path, call or None)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
