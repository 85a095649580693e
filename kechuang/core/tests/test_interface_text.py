"""Chinese interface text uses full-width punctuation: no ASCII , : ; ! ? ( ) next to Chinese characters.

Scanned: the literals of ``{% translate %}`` and the bodies of ``{% blocktranslate %}`` in every template
under ``kechuang/``, and the string literals given to ``gettext``/``gettext_lazy``/``_``/``ngettext``/
``pgettext`` in every ``.py`` file under ``kechuang/`` (tests and migrations excepted). A string is
checked only when it contains Chinese; a punctuation mark offends when the nearest non-blank character
on either side is Chinese (a CJK ideograph or CJK/full-width punctuation). Placeholders (``%(name)s``,
``%s``, ``{name}``, ``{{ var }}``, template tags), HTML tags, entities and URLs are masked first, so their
own brackets and colons never count, while a mark between Chinese and a placeholder does
(``揭榜:{{ n }}``), and so does a mark written in a template right after a Chinese ``{% translate %}``
(``{% translate "金额" %}:``). English inside a Chinese string keeps its ASCII punctuation when neither side is
Chinese (``数据来自 CSL (Li et al., 2022)``).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the kechuang package

ASCII_MARKS = ",:;!?()"
FULL_WIDTH = dict(zip(ASCII_MARKS, "，：；！？（）", strict=True))
CJK = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uffe0-\uffe6]"
)
MASKED = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}"  # template variables and tags
    r"|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]"  # printf placeholders
    r"|\{\w*(?:![rsa])?(?::[^{}]*)?\}"  # str.format placeholders
    r"|<[^<>]*>|&#?\w+;"  # HTML tags and entities
    r"|https?://\S+",  # URLs
    re.S,
)
NEUTRAL = "\x00"  # what a masked character becomes: neither Chinese nor blank

GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
)
TRAILING_MARK = re.compile(TRANSLATE.pattern + r"[^%]*%\}[ \t]*[,:;!?，：；！？]")
"""A Chinese ``{% translate %}`` written with a mark right after it (``{% translate "金额" %}:``, or ``：``,
which English would show as it is): the mark belongs inside the translated string (``"金额："``, English
``"Amount: "``)."""
BLOCK = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?%\}(.*?)\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)


def masked(text: str) -> str:
    """``text`` with placeholders, tags and URLs replaced by as many neutral characters (same length)."""
    return MASKED.sub(lambda m: NEUTRAL * len(m.group(0)), text)


def _neighbour(text: str, index: int, step: int) -> str:
    index += step
    while 0 <= index < len(text) and text[index].isspace():
        index += step
    return text[index] if 0 <= index < len(text) else ""


def offending(text: str) -> list[int]:
    """Indices of the ASCII marks in ``text`` that stand next to Chinese (``[]`` for a non-Chinese text)."""
    if not CJK.search(text):
        return []
    plain = masked(text)
    return [
        i
        for i, char in enumerate(plain)
        if char in ASCII_MARKS
        and (CJK.match(_neighbour(plain, i, -1)) or CJK.match(_neighbour(plain, i, +1)))
    ]


def template_strings(path: Path):
    """``(offset, text)`` of every translatable text in a template, ``offset`` where ``text`` starts."""
    source = path.read_text(encoding="utf-8")
    for match in TRANSLATE.finditer(source):
        group = 1 if match.group(1) is not None else 2
        yield match.start(group), match.group(group)
    for match in BLOCK.finditer(source):
        yield match.start(1), match.group(1)


def python_strings(path: Path):
    """``(line, text)`` of every string literal passed to a gettext function in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in GETTEXT_NAMES:
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.lineno, arg.value


def interface_files():
    for path in sorted(ROOT.rglob("*")):
        parts = set(path.relative_to(ROOT).parts)
        if "tests" in parts or "migrations" in parts or not path.is_file():
            continue
        template = path.suffix in {".html", ".txt"} and "templates" in parts
        if template or path.suffix == ".py":
            yield path


def violations() -> list[str]:
    found = []
    for path in interface_files():
        name = path.relative_to(ROOT.parent)
        if path.suffix == ".py":
            for line, text in python_strings(path):
                if offending(text):
                    found.append(f"{name}:{line}: {text!r}")
        else:
            source = path.read_text(encoding="utf-8")
            for offset, text in template_strings(path):
                if offending(text):
                    line = source.count("\n", 0, offset) + 1
                    found.append(f"{name}:{line}: {' '.join(text.split())!r}")
            for match in TRAILING_MARK.finditer(source):
                if CJK.search(match.group(0)):
                    line = source.count("\n", 0, match.start()) + 1
                    found.append(f"{name}:{line}: mark after the string: {match.group(0)!r}")
    return found


def test_the_check_knows_what_counts():
    assert offending("任务分工:{{ share }}") == [4]
    assert offending("揭榜 (可选)") == [3, 6]
    assert offending("%(lead)s 邀请 %(org)s,预算 %(b)s") == [19]
    assert offending("数据来自 CSL (Li et al., 2022)") == []
    assert offending("CSL (Li et al., 2022)") == []
    assert offending("详见 https://example.cn/a?b=1,2") == []
    assert offending('<a href="/x?a=1">链接</a>。') == []
    assert offending("进度：%(n)s（共 %(t)s）") == []
    assert offending("{n}起") == []
    assert TRAILING_MARK.search('<p>{% translate "金额" %}:{{ a }}</p>')
    assert TRAILING_MARK.search("{% trans '金额' context 'x' %} ;")
    assert TRAILING_MARK.search('{% translate "金额" %}：{{ a }}')
    assert not TRAILING_MARK.search('{% translate "金额：" %}{{ a }}')


def test_chinese_interface_text_has_full_width_punctuation():
    found = violations()
    assert not found, (
        f"{len(found)} interface strings put ASCII punctuation next to Chinese "
        "(use ，：；！？（）):\n" + "\n".join(found)
    )
