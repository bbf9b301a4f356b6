"""Cutting long sources into chunks: code between top-level statements, prose between paragraphs, each under the
cap unless one piece alone is longer; nothing lost."""

from tasks.sample import chunking

CODE = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(30))


def test_code_is_cut_between_top_level_statements_and_nothing_is_lost():
    blocks = chunking.code_blocks(CODE, chunking.parse(CODE), 200)
    assert len(blocks) > 1 and all(len(b) <= 200 for b in blocks)
    assert "".join(b.replace("\n", "") for b in blocks) == CODE.replace("\n", "")
    assert all(b.lstrip().startswith("def ") for b in blocks)
    assert chunking.parse("def broken(:\n") is None


def test_prose_is_cut_between_paragraphs():
    text = "\n\n".join(f"paragraph {i} " + "word " * 30 for i in range(10))
    parts = chunking.paragraphs(text, 400)
    assert len(parts) > 1 and all(len(p) <= 400 for p in parts)
    assert [w for p in parts for w in p.split()] == text.split()


def test_an_api_page_gathers_public_docstrings_and_a_module_with_too_little_has_none():
    doc = "Does f. " * 40
    tree = chunking.parse(f'"""The module."""\n\ndef f():\n    """{doc}"""\n\ndef _g():\n    """Hidden."""\n')
    page = chunking.api_doc("m", tree)
    assert page.startswith("Help on module m:\n\nThe module.") and "def m.f" in page and "Hidden" not in page
    assert chunking.api_doc("m", chunking.parse('"""Short."""\n')) is None
