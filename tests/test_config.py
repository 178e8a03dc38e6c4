"""xl-report.toml as clerks save it (xl_report.config)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core.config import load_config
from xl_report.core.errors import InputError
from xl_report.xlsx.template import write_template

TEXT = '[freeze]\npassword_env = "XL_REPORT_FREEZE_PASSWORD"\n\n[upward]\nto = ["县政务公开办 <gk@county.example>"]\n'


def test_a_byte_order_mark_from_notepad_is_fine(tmp_path):
    path = tmp_path / "xl-report.toml"
    path.write_bytes(("\ufeff" + TEXT).encode("utf-8"))
    assert load_config(path)["upward"]["to"] == ["县政务公开办 <gk@county.example>"]


def test_another_encoding_or_a_syntax_error_is_a_chinese_message(tmp_path):
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(TEXT.encode("gbk"))
    with pytest.raises(InputError, match="不是 UTF-8 编码") as e:
        load_config(gbk)
    assert "gbk.toml" in str(e.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("[upward\nto = 1\n", encoding="utf-8")
    book = write_template(tmp_path / "年报.xlsx")
    res = CliRunner().invoke(app, ["check", str(book), "--config", str(broken)])
    assert res.exit_code == 2 and "配置文件格式错误" in res.output and "Traceback" not in res.output


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, message",
    [
        ("freeze = 5\n", "应为一节 [freeze]"),
        ("smtp = 5\n", "应为一节 [smtp]"),
        ("[freeze]\npassword_env = 5\n", "password_env 应为环境变量的名字"),
        ('[server]\ntoken_env = ""\n', "token_env 应为环境变量的名字"),
    ],
)
def test_a_secret_section_or_env_name_of_the_wrong_type_is_a_chinese_message(tmp_path, text, message):
    """`freeze = 5` or `password_env = 5` made freeze and send end in a traceback."""
    path = tmp_path / "xl-report.toml"
    path.write_text(text, encoding="utf-8")
    book = write_template(tmp_path / "年报.xlsx")
    res = CliRunner().invoke(app, ["freeze", str(book), "--config", str(path)])
    assert res.exit_code == 2 and message in res.output and "xl-report.toml" in res.output
    assert "Traceback" not in res.output
