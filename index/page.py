"""A web page's text -> its English and Chinese versions, titled, credited, with their paragraph pairs.

The stages, one function each:
  lines -> paragraphs   `unwrap`: a line break inside a sentence (hard wrap, `CO\\n2`, PDF line ends) joins
  paragraphs -> items   chrome dropped, bylines and credits read (index/meta.py), each paragraph's language
                        (index/langid.py), a paragraph that mixes languages cut into its language runs
  items -> header       the title in each language, from general page structure (index/header.py)
  items -> versions     English and Chinese paragraphs in order; a third language is set apart and counted;
                        headings become sections; interleaved pages record which paragraphs translate which
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index import meta as M
from index.header import BULLET, CJK, END, Item, clean_title, find_titles, header_furniture, is_heading, split_kicker
from index.langid import NAMES, identify, paragraph_languages

_SOFT_END = re.compile(r"[,，、(（“\"'‘-]$|\b(and|or|of|the|a|an|to|in|on|for|with|by|at|from|as|that|which|"
                       r"is|are|was|were|its|their|his|her)$", re.IGNORECASE)
_GLOSSARY = re.compile(r"^\d{0,3}\s*[A-Za-z][A-Za-z' -]{0,30}\s*(\[[^\]\n]{1,30}\]|/[^/\n]{1,30}/)?\s*"
                       r"((n|v|vt|vi|adj|adv|prep|conj|phr|pron|num)\.)?\s*[\u4e00-\u9fff]")
# A label in front of the article text of a machine-made page ("News Content:", "正文:").
_CONTENT_LABEL = re.compile(r"^(news content|content|body|text|正文|内容)\s*[:：]\s*", re.IGNORECASE)


@dataclass(slots=True)
class Page:
    """A parsed page: each version's paragraphs as (text, section), what was set apart, its metadata."""
    versions: dict[str, list[tuple[str, str]]]
    pairs: list[tuple[int, int]]  # (index into versions["en"], index into versions["zh"]) that translate
    set_apart: dict[str, int]  # language (or "vocabulary") -> paragraphs set apart
    metadata: dict


# ---------------------------------------------------------------- lines -> paragraphs


def unwrap(text: str) -> list[tuple[int, str]]:
    """(block number, paragraph) for each paragraph; blocks are separated by blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, block in enumerate(re.split(r"\n[ \t]*\n", text)):
        lines = [ln.strip() for ln in block.split("\n")]
        lines = [ln for ln in lines if ln and not (ln in seen and len(ln) > 3)]  # a title shown twice, a tagline
        seen.update(lines)
        lines = _drop_menu_runs(lines)
        widest = max((len(ln) for ln in lines), default=0)
        current = ""
        for line in lines:
            if M.is_chrome(line):  # never part of a paragraph: its own, for read_items to drop
                if current:
                    out.append((number, current))
                out.append((number, line))
                current = ""
                continue
            if current and _wraps(current.rsplit("\n", 1)[-1], line, widest):
                current += _joiner(current, line) + line
                continue
            if current:
                out.append((number, current))
            current = line
        if current:
            out.append((number, current))
    return [(b, re.sub(r"[ \t]+", " ", p).strip()) for b, p in out]


def _drop_menu_runs(lines: list[str]) -> list[str]:
    keep, i = [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and M.is_menu_run([lines[j]] * 3):
            j += 1
        if j - i >= 3:
            i = j
            continue
        keep.append(lines[i])
        i += 1
    return keep


def _wraps(line: str, following: str, widest: int) -> bool:
    """Whether the break after `line` wraps one sentence rather than ending a paragraph."""
    if END.search(line) or BULLET.match(following) or line.startswith("#") or following.startswith("#"):
        return False
    if M.is_credit_line(line) or M.is_credit_line(following) or M.parse_byline(following) or M.parse_byline(line):
        return False
    if _GLOSSARY.match(line) or _GLOSSARY.match(following):
        return False
    zh_line, zh_next = bool(CJK.search(line[-1:])), bool(CJK.search(following[:1]))
    if zh_line != zh_next or (zh_line and identify(line) != identify(following)):
        return False
    if zh_line:  # Chinese wraps at a fixed width, or mid-clause
        return len(line) >= 0.9 * widest or bool(_SOFT_END.search(line))
    if re.match(r"[a-z0-9(%$€£,;)]", following) or _SOFT_END.search(line):
        return True  # "... the output of CO" + "2 around the harbour": the sentence goes on
    if len(line) < 40 and len(following) < 40 and len(line) + len(following) < 110:
        return True  # a headline set over several short lines
    return len(line) >= max(40, 0.85 * widest)  # a full-width line of hard-wrapped prose


def _joiner(current: str, line: str) -> str:
    if CJK.search(current[-1:]) and CJK.search(line[:1]):
        return ""
    if re.search(r"[A-Z]$", current) and re.match(r"\d", line):
        return ""  # a subscript set on its own line: CO\n2 -> CO2
    return " "


# ---------------------------------------------------------------- paragraphs -> items


def read_items(paragraphs: list[tuple[int, str]]) -> tuple[list[Item], dict[str, int]]:
    items: list[Item] = []
    set_apart: dict[str, int] = {}
    for number, (block, para) in enumerate(paragraphs):
        para = _CONTENT_LABEL.sub("", para.replace("**", "")).strip()
        if M.is_chrome(para) or not para:
            if holder := M.copyright_holder(para):
                items.append(Item(para, "byline", block, number, fields={"copyright": holder}))
            continue
        if fields := M.parse_byline(para):
            items.append(Item(para, "byline", block, number, fields=fields))
            continue
        if credits := M.parse_credits(para):
            items.append(Item(para, "credit", block, number, identify(para) or "zh", {"credits": credits}))
            continue
        if len(para) <= 80 and _GLOSSARY.match(para) and re.search(r"[A-Za-z]", para):
            set_apart["vocabulary"] = set_apart.get("vocabulary", 0) + 1
            continue
        if m := re.match(r"(#{1,6})\s+(?=\S)", para):  # a Markdown heading: # title, ## section
            items.append(Item(para[m.end():], "text", block, number, identify(para[m.end():]),
                              {"md": len(m.group(1))}))
            continue
        for piece, lang in paragraph_languages(para):
            items.append(Item(piece, "text", block, number, lang))
        if photographers := M.caption_photographers(para):  # the caption stays text; its credit is read too
            items[-1].fields["credits"] = [("photo", photographers)]
    _fill_languages(items)
    return items, set_apart


def _fill_languages(items: list[Item]) -> None:
    """A piece too short to tell by itself: Chinese by its script, else the page's main Latin language."""
    latin = [i.lang for i in items if i.kind == "text" and i.lang and i.lang != "zh"]
    main = max(set(latin), key=latin.count) if latin else "en"
    for item in items:
        if item.kind == "text" and item.lang is None:
            item.lang = "zh" if CJK.search(item.text) else main


# ---------------------------------------------------------------- items -> page


def read_page(text: str) -> Page:
    """The page's English and Chinese versions, what was set apart, and its header metadata."""
    items, set_apart = read_items(unwrap(text))
    titles, keep_from = find_titles(items)
    metadata: dict = {}
    for lang, i in titles.items():
        if lang in ("en", "zh"):
            metadata[f"title_{lang}"] = clean_title(items[i].text)
        else:
            set_apart[lang] = set_apart.get(lang, 0) + 1
    for it in items:
        if it.kind == "byline":
            _merge(metadata, it.fields)
    title_items = set(titles.values())
    title_items |= header_furniture(items, titles, keep_from, metadata)
    versions: dict[str, list[str]] = {"en": [], "zh": []}
    headings: dict[str, set[int]] = {"en": set(), "zh": set()}
    position: dict[int, tuple[str, int]] = {}  # item index -> (language, paragraph index in its version)
    credits: list[tuple[str, list[str]]] = []
    for i, it in enumerate(items):
        if it.kind == "byline":
            continue
        credits.extend(it.fields.get("credits", ()))
        if i < keep_from or i in title_items:
            continue
        if it.lang not in versions:
            set_apart[it.lang] = set_apart.get(it.lang, 0) + 1
            continue
        paras = versions[it.lang]
        if it.kind == "credit" and paras and M.is_credit_line(paras[-1].split("\n")[-1]) \
                and items[i - 1].kind == "credit":
            paras[-1] += "\n" + it.text  # consecutive credit lines are one credit block
            continue
        if it.kind == "text" and it.lang == "zh" and len(paras) < 3 and not metadata.get("authors"):
            _merge(metadata, M.dateline(it.text))
        text = it.text
        if it.kind == "text" and (kicker := split_kicker(text, it.lang)):  # "City Life | At 5 a.m. …"
            headings[it.lang].add(len(paras))
            paras.append(kicker[0])
            text = kicker[1]
        elif it.kind == "text" and (it.fields.get("md") or is_heading(text, it.lang)):
            headings[it.lang].add(len(paras))
        position[i] = (it.lang, len(paras))
        paras.append(text)
    _merge_credits(metadata, credits)
    other = metadata.pop("title_other", None)
    if other and (lang := identify(other) or ("zh" if CJK.search(other) else "en")) in ("en", "zh"):
        metadata.setdefault(f"title_{lang}", other)
    pairs = interleaved_pairs(items, position)
    out, renumber = {}, {}
    for lang in versions:
        out[lang], renumber[lang] = sectioned(versions[lang], headings[lang])
    pairs = [(renumber["en"][a], renumber["zh"][b]) for a, b in pairs
             if a in renumber["en"] and b in renumber["zh"]]
    return Page(out, pairs, set_apart, metadata)


def sectioned(paras: list[str], headings: set[int]) -> tuple[list[tuple[str, str]], dict[int, int]]:
    """Headings become the section of the paragraphs under them (a heading with nothing longer under it stays
    a paragraph); returns the paragraphs and old index -> new index."""
    out: list[tuple[str, str]] = []
    renumber: dict[int, int] = {}
    section = ""
    for i, text in enumerate(paras):
        following = paras[i + 1] if i + 1 < len(paras) else ""
        if i in headings and i + 1 not in headings and len(following) > len(text):
            section = text
            continue
        renumber[i] = len(out)
        out.append((text, section))
    return out, renumber


def _merge(metadata: dict, fields: dict) -> None:
    for key, value in fields.items():
        if key == "authors":
            metadata.setdefault("authors", [])
            metadata["authors"] += [a for a in value if a not in metadata["authors"]]
        else:
            metadata.setdefault(key, value)


def _merge_credits(metadata: dict, credits: list[tuple[str, list[str]]]) -> None:
    if not credits:
        return
    table: dict[str, list[str]] = {}
    for role, names in credits:
        table.setdefault(role, [])
        table[role] += [n for n in names if n not in table[role]]
    metadata["credits"] = table
    for role, key in (("text", "authors"), ("reporter", "authors"), ("translation", "translators"),
                      ("editor", "editors")):
        for name in table.get(role, []):
            metadata.setdefault(key, [])
            if name not in metadata[key]:
                metadata[key].append(name)


def interleaved_pairs(items: list[Item], position: dict[int, tuple[str, int]]) -> list[tuple[int, int]]:
    """(English paragraph, Chinese paragraph) neighbours of a page that alternates languages paragraph by
    paragraph (or line or sentence): the pairs its layout offers the aligner (index/align.py prefers them,
    the embeddings still decide). A page with one English block and one Chinese block offers none."""
    seq = [position[i] for i in sorted(position) if items[i].kind == "text"]
    runs = sum(1 for a, b in zip(seq, seq[1:], strict=False) if a[0] != b[0]) + (1 if seq else 0)
    if runs < 4 or len(seq) >= 1.5 * runs:  # interleaved: the languages alternate, runs are mostly one long
        return []
    pairs = set()
    for (la, pa), (lb, pb) in zip(seq, seq[1:], strict=False):
        if la != lb:
            pairs.add((pa, pb) if la == "en" else (pb, pa))
    return sorted(pairs)


def describe_set_apart(set_apart: dict[str, int]) -> str:
    """"3 paragraphs in Portuguese, 4 vocabulary lines"."""
    parts = []
    for lang, n in sorted(set_apart.items()):
        what = "vocabulary line" if lang == "vocabulary" else "paragraph"
        parts.append(f"{n} {what}{'s' if n != 1 else ''}" + ("" if lang == "vocabulary" else
                                                              f" in {NAMES.get(lang, lang)}"))
    return ", ".join(parts)
