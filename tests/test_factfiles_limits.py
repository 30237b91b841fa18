"""Hostile fact files: paths out of their directory, devices, FIFOs, alias bombs, tags, deep
nesting and oversized files are refused with one located line, quickly and in little memory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from factdb.errors import FactFileError
from factdb.factfiles.loader import load
from factdb.factfiles.reader import MAX_DEPTH, MAX_FACT_FILE_BYTES, read_yaml
from factdb.factfiles.validate import MAX_SOURCE_TEXT_BYTES, Catalog, validate
from tests.test_factfiles_loader import snapshot

HEADER = """\
factdb: 1
source:
  slug: test-source
  kind: article
  text: {text}
entities:
  - {{slug: norway, kind: country, name: Norway, quote: Norway}}
"""


def fact_file(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "facts.yaml"
    path.write_text(HEADER.format(text=text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    plan, problems = validate([path], Catalog())
    assert plan is None
    return [str(p) for p in problems]


def run_limited(code: str, *, seconds: int = 60, memory_mb: int = 1024) -> str:
    """Run ``code`` in a child Python with an address-space limit and a timeout; its stdout."""
    prelude = textwrap.dedent(
        f"""\
        import resource
        limit = {memory_mb} * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=seconds,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("text", ["/etc/passwd", "/proc/self/environ", "../outside.txt"])
def test_a_source_text_outside_the_fact_files_directory_is_refused(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / "outside.txt").write_text("Norway", encoding="utf-8")
    problems = problems_of(fact_file(tmp_path / "facts", text))
    assert len(problems) == 1, problems
    assert ":5:9: source.text: " in problems[0]
    assert "absolute path" in problems[0] or "outside the fact file's directory" in problems[0]


def test_a_symlink_leaving_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("Norway", encoding="utf-8")
    directory = tmp_path / "facts"
    directory.mkdir()
    (directory / "text.txt").symlink_to(tmp_path / "secret.txt")
    (directory / "zero.txt").symlink_to("/dev/zero")
    for name in ("text.txt", "zero.txt"):
        problems = problems_of(fact_file(directory, name))
        assert len(problems) == 1 and "outside the fact file's directory" in problems[0]


def test_a_symlink_inside_the_directory_is_followed(tmp_path: Path) -> None:
    directory = tmp_path / "facts"
    directory.mkdir()
    (directory / "real.txt").write_text("Norway", encoding="utf-8")
    (directory / "text.txt").symlink_to(directory / "real.txt")
    plan, problems = validate([fact_file(directory, "text.txt")], Catalog())
    assert problems == [] and plan is not None and plan.files[0].text == "Norway"


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    directory = tmp_path / "facts"
    directory.mkdir()
    os.mkfifo(directory / "text.txt")
    path = fact_file(directory, "text.txt")
    out = run_limited(
        f"""
        from pathlib import Path
        from factdb.factfiles.validate import Catalog, validate
        plan, problems = validate([Path({str(path)!r})], Catalog())
        print("\\n".join(map(str, problems)))
        """,
        seconds=30,
    )
    assert "source.text: text.txt: not a regular file" in out


def test_a_fact_file_that_is_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "facts.yaml"
    os.mkfifo(fifo)
    out = run_limited(
        f"""
        from pathlib import Path
        from factdb.factfiles.reader import read_file
        doc, problems = read_file(Path({str(fifo)!r}))
        print("\\n".join(map(str, problems)))
        """,
        seconds=30,
    )
    assert "not a regular file" in out


def test_a_source_text_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "facts"
    directory.mkdir()
    with (directory / "big.txt").open("wb") as handle:
        handle.truncate(MAX_SOURCE_TEXT_BYTES + 1)  # sparse: costs no disk
    problems = problems_of(fact_file(directory, "big.txt"))
    assert len(problems) == 1 and "larger than the limit of 10 MB" in problems[0]


def test_a_fact_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = fact_file(tmp_path, "a.txt")
    with path.open("ab") as handle:
        handle.truncate(MAX_FACT_FILE_BYTES + 1)
    problems = problems_of(path)
    assert len(problems) == 1 and "larger than the limit of 20 MB" in problems[0]


def test_a_refused_text_nothing_written(migrated: Engine, tmp_path: Path) -> None:
    path = fact_file(tmp_path / "facts", "/etc/passwd")
    before = snapshot(migrated)
    with pytest.raises(FactFileError) as caught:
        load(migrated, [path])
    assert caught.value.problems == [
        f"{path}:5:9: source.text: '/etc/passwd' is an absolute path; "
        "name a file beside the fact file"
    ]
    assert snapshot(migrated) == before


BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def test_an_alias_bomb_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    assert len(BILLION_LAUGHS) < 500
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    out = run_limited(
        f"""
        from pathlib import Path
        from factdb.factfiles.validate import Catalog, validate
        plan, problems = validate([Path({str(path)!r})], Catalog())
        print("\\n".join(map(str, problems)))
        """,
        seconds=60,
        memory_mb=1024,
    )
    assert out.strip() == (
        f"{path}:1:4: anchors (&a) are not allowed in fact files: write values out"
    )


def test_an_alias_is_refused_where_it_is_used() -> None:
    doc, problems = read_yaml("a: x\nb: *a\n", "f.yaml")
    assert doc is None and [str(p) for p in problems] == [
        "f.yaml:2:4: aliases (*a) are not allowed in fact files: write the value out"
    ]


@pytest.mark.parametrize(
    ("body", "tag"),
    [
        ("source: !!python/object:os.system {slug: x}\n", "!!python/object:os.system"),
        ("source: !!python/object {slug: x}\n", "!!python/object"),
        ("factdb: !!str 1\n", "!!str"),
        ("factdb: !custom 1\n", "!custom"),
    ],
)
def test_tags_are_refused_with_their_position(body: str, tag: str) -> None:
    doc, problems = read_yaml(body, "f.yaml")
    assert doc is None and len(problems) == 1
    assert str(problems[0]).startswith("f.yaml:1:")
    assert f"YAML tags ({tag}) are not allowed" in str(problems[0])


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused(style: str) -> None:
    depth = 5_000
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        keys = "".join(f"{'  ' * level}k{level}:\n" for level in range(depth))
        text = keys + "  " * depth + "x\n"
    doc, problems = read_yaml(text, "f.yaml")
    assert doc is None
    assert [p.message for p in problems] == [f"nested more than {MAX_DEPTH} levels deep"]


def test_nul_in_text_is_refused_on_its_line(tmp_path: Path) -> None:
    doc, problems = read_yaml('factdb: 1\nsource: {slug: "a\\0b"}\n', "f.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [
        "f.yaml:2:16: source.slug: NUL characters (\\0) are not allowed in text"
    ]
