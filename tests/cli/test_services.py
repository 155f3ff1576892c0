from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from rasd.cli.services import services

_app = typer.Typer()
_app.command()(services)
_runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = _runner.invoke(_app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_lists_services_in_english_and_arabic() -> None:
    code, out, _ = _run()
    assert code == 0
    assert "Facebook" in out and "Meta" in out and "Social media" in out and "worldwide" in out
    assert "SA" in out  # stc's country
    assert "owner" in out and "countries" in out
    code, out, _ = _run("--lang", "ar")
    assert code == 0
    assert "فيسبوك" in out and "ميتا" in out and "حول العالم" in out
    # headings and the count from the Arabic catalog, not English left in place
    assert "المالك" in out and "الدول" in out and "owner" not in out


def test_the_count_in_the_title_takes_each_language_s_plural() -> None:
    from rasd.catalog.catalog import Catalog
    from rasd.catalog.loader import load_catalog
    from rasd.cli.services import services_table

    catalog = load_catalog()
    assert services_table(catalog, "en").title == f"{len(catalog)} services"
    one = Catalog([next(iter(catalog))], owners=catalog.owners.values())
    assert services_table(one, "ar").title == "خدمة واحدة"


def test_user_catalog_files_apply_in_order(tmp_path: Path) -> None:
    first = tmp_path / "one.toml"
    first.write_text('[[service]]\nid = "facebook"\ndisabled = true\n', encoding="utf-8")
    code, out, _ = _run("--catalog", str(first))
    assert code == 0 and "Instagram" in out and "Facebook " not in out


def test_bad_catalog_file_exits_with_its_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[service]]\nid = "facebook"\ncolour = "blue"\n', encoding="utf-8")
    code, out, err = _run("--catalog", str(bad))
    assert code == 2
    assert "bad.toml:3: unknown key 'colour'" in err.replace("\n", "")


def test_unknown_language_is_refused() -> None:
    code, _, _ = _run("--lang", "xx")
    assert code != 0


def test_registered_in_the_rasd_command() -> None:
    from rasd.cli import app

    names = {command.name for command in app.registered_commands}
    assert "services" in names
