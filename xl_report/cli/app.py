"""The typer application and the error convention shared by every command.

Exit codes: 0 success, 1 the check found errors (or a unit failed), 2 unusable input.
A user mistake prints one Chinese line naming the file on stderr — never a traceback.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

import typer
from typer import _click as click  # typer vendors its own click (private, hence the pin)

from xl_report.core.errors import EXIT_INPUT, XlReportError, printable
from xl_report.core.version import __version__

if TYPE_CHECKING:
    from rich.console import Console


def _localise_help_chrome(rich_utils) -> None:
    """typer and click print their own help chrome in English; the clerk reads Chinese."""
    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.ERRORS_PANEL_TITLE = "错误"
    rich_utils.ABORTED_TEXT = "已中止。"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看用法。"


def _localise_help_option() -> None:
    command_cls = getattr(getattr(click, "core", None), "Command", None)
    if command_cls is None or not hasattr(command_cls, "get_help_option"):
        return  # a typer without the vendored click: keep its English help text
    get_original = command_cls.get_help_option

    def get_help_option(self, ctx):
        option = get_original(self, ctx)
        if option is not None:
            option.help = "显示本帮助并退出"
        return option

    command_cls.get_help_option = get_help_option


_USAGE_ZH = (  # click's usage errors (typer's vendored click has no Chinese catalogue)
    (re.compile(r"^Missing argument '(.+)'\.$"), r"缺少参数 \1。"),
    (re.compile(r"^Missing option '(.+)'\.$"), r"缺少选项 \1。"),
    (
        re.compile(r"^No such option: (\S+)(?:\s*\(Possible options: (.+)\)|\s*Did you mean (\S+)\?)?$"),
        lambda m: (
            f"没有这个选项：{m.group(1)}"
            + (f"（是否想用 {m.group(2) or m.group(3)}？）" if (m.group(2) or m.group(3)) else "")
        ),
    ),
    (
        re.compile(r"^No such command '(.+)'\.(?: Did you mean '(.+)'\?)?$"),
        lambda m: f"没有这个命令：{m.group(1)}" + (f"（是否想用 {m.group(2)}？）" if m.group(2) else ""),
    ),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"), r"多余的参数：\1"),
    (
        re.compile(r"^Invalid value for (.+?): (.+)$", re.S),
        lambda m: f"{m.group(1)} 的值无效：{translate_usage(m.group(2))}",
    ),
    # click's closed ranges (typer's min= / max=): "x>=1", "x<=5", "1990<=x<=2100"
    (re.compile(r"^.+ is not in the range x>=(\S+)\.$"), r"应不小于 \1"),
    (re.compile(r"^.+ is not in the range x<=(\S+)\.$"), r"应不大于 \1"),
    (re.compile(r"^.+ is not in the range (\S+?)<=x<=(\S+)\.$"), r"应在 \1 到 \2 之间"),
    # click names the path "File", "Directory", "Path" (typer: "dir"): any of them
    (re.compile(r"^(?:file|directory|dir|path) '(.+)' does not exist\.$", re.I), r"“\1”不存在。"),
    (re.compile(r"^(?:file|path) '(.+)' is a directory\.$", re.I), r"“\1”是一个文件夹，这里需要文件。"),
    (re.compile(r"^(?:directory|dir|path) '(.+)' is a file\.$", re.I), r"“\1”是一个文件，这里需要文件夹。"),
    (re.compile(r"^(?:file|directory|dir|path) '(.+)' is not readable\.$", re.I), r"没有权限读取“\1”。"),
    (re.compile(r"^(?:file|directory|dir|path) '(.+)' is not writable\.$", re.I), r"没有权限写入“\1”。"),
    (re.compile(r"^'(.*)' is not a valid int(?:eger)?\.$"), r"“\1”不是整数。"),
    (re.compile(r"^'(.*)' is not a valid float\.$"), r"“\1”不是数字。"),
)


def translate_usage(message: str) -> str:
    """Chinese for the usage errors a clerk is likely to meet; anything else stays as click wrote it."""
    for pattern, repl in _USAGE_ZH:
        m = pattern.match(message.strip())
        if m:
            return repl(m) if callable(repl) else m.expand(repl)
    return message


def _localise_usage_errors(rich_utils) -> None:
    original = rich_utils.rich_format_error

    def rich_format_error(error) -> None:
        text = translate_usage(error.format_message())
        error.format_message = lambda: text
        original(error)

    rich_utils.rich_format_error = rich_format_error


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """Call ``then(module)`` once module ``name`` has been imported (at once if it is already): to change
    another module without importing it before it is needed."""
    if name in sys.modules:
        then(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, then))


class _AfterImport:
    """An import hook for :func:`after_import`: finds the module's spec and wraps its loader."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenLoader(spec.loader, self.then)  # type: ignore[assignment]  # duck-typed
        return spec


class _ThenLoader:
    """A module's own loader, calling ``then(module)`` once the module has run."""

    def __init__(self, loader, then: Callable[[ModuleType], None]) -> None:
        self.loader, self.then = loader, then

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        self.then(module)


def _localise_typer_help(rich_utils: ModuleType) -> None:
    _localise_help_chrome(rich_utils)
    _localise_usage_errors(rich_utils)


_localise_help_option()
# typer imports its rich_utils (rich's markdown, syntax and traceback: ~50 ms) only to draw help or a usage
# error: the Chinese goes into it then, so a command that just runs (a county's batch) does not load it
after_import("typer.rich_utils", _localise_typer_help)

app = typer.Typer(
    name="xl-report",
    help="政府信息公开工作年度报告工具：从台账填报表二、表三、表四，校验勾稽关系，定稿，上报。\n\n"
    "格式依据：国办公开办函〔2021〕30号。每个命令加 --help 查看用法。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


class _Console:
    """stdout's or stderr's rich console, built on first use: rich (~30 ms) is not loaded by a command that
    prints nothing before its work (a county's batch forks its workers first). It never writes a control
    character from a file name, cell or message raw to the terminal (ESC sequences, BEL, bidi overrides):
    they are shown escaped."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich Console itself (for rich's own widgets, e.g. a progress bar)."""
        if self._console is None:
            from rich.console import Console  # lazy: see the class docstring

            self._console = Console(stderr=self.stderr, soft_wrap=True)
        return self._console

    def print(self, *objects, **kwargs) -> None:
        self.console.print(*(printable(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.console, name)  # is_terminal, width, file, ...


out = _Console()
err = _Console(stderr=True)


def escape(text: str) -> str:
    """Text shown as it is in a rich message (a ``[`` in a file name is not markup)."""
    from rich.markup import escape as rich_escape  # lazy: rich loads with the first message (see _Console)

    return rich_escape(text)


@contextmanager
def imports_without_gc():
    """For a command's own imports: they create long-lived objects only (modules, classes), and the
    collector looking for garbage among them meanwhile was 10-20% of their time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def guarded(fn: Callable) -> Callable:
    """Turn XlReportError into a Chinese message + exit code, Ctrl-C into a short note."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except XlReportError as e:
            err.print(f"[bold red]错误：[/]{escape(str(e))}")
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("已中断，未完成的文件没有写出。")
            raise typer.Exit(130) from None

    return wrapper


def version_callback(value: bool) -> None:
    if value:
        out.print(f"xl-report {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="显示版本号", callback=version_callback, is_eager=True),
) -> None:
    """政府信息公开工作年度报告工具。"""


def main() -> None:
    try:
        app()
    except SystemExit:
        # the process ends here: its exit need not walk every object of the loaded modules looking for
        # cycles (~40 ms after a batch); every file was written and closed by then
        gc.freeze()
        raise
    except Exception:  # a bug, not a user mistake: keep the traceback for the bug report
        print("xl-report 内部错误，请把下面的信息发给维护人员：", file=sys.stderr)
        raise


__all__ = ["app", "main", "guarded", "out", "err", "escape", "EXIT_INPUT"]
