"""How English writes a Chinese name: the rendering an English document card puts beside a name the page gives in
Chinese ("Translator | 李玉凡 (Li Yufan)", "Published by 纽约时报 (New York Times)"), and the reverse for an
outlet the Chinese card names in English ("来源：Bloomberg News（彭博社）").

Two kinds of name, two sources:
- an organisation or a publication: its CC-CEDICT entry, when that entry is a proper noun (capitalised pinyin)
  whose first sense is written as a name (capitalised): 纽约时报 -> "New York Times", 中新社 -> "China News
  Service"; 文摘 ("digest") is a common noun and gets none;
- a person: surname and given name in pinyin, the way English news writes Chinese people ("Cheng Jingwei"). The
  surname's reading comes from CC-CEDICT's "surname ..." entries (曾 is Zeng as a surname, ceng otherwise; 欧阳,
  a two-character surname, is Ouyang), the given name's from pypinyin (each character's most common reading).
  A value that does not open with a known surname, is not two to four Chinese characters, or is itself a
  common word of the dictionary, is not taken for a person's name and gets no rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.dictionary import cedict_table, entries, romanise

_SURNAME = re.compile(r"^(?:two-character )?surname ([A-Z][a-z]+)")
_HAN = re.compile(r"^[\u3400-\u9fff]{2,4}$")


@dataclass(frozen=True, slots=True)
class Names:
    proper: dict[str, str] = field(repr=False)  # Chinese word -> its English name ("纽约时报" -> "New York Times")
    surnames: dict[str, str] = field(repr=False)  # surname -> its romanisation ("曾" -> "Zeng", "欧阳" -> "Ouyang")
    words: frozenset[str] = field(repr=False)  # common words (文摘) and named things (中新社): not a person
    chinese_of: dict[str, str] = field(repr=False)  # English name -> its Chinese word ("Bloomberg News" -> "彭博社")

    def organisation(self, value: str) -> str | None:
        """The English name of an organisation, publication or person written in Chinese, or None."""
        return self.proper.get(value.strip())

    def chinese(self, value: str) -> str | None:
        """The Chinese name of an organisation or publication written in English ("Bloomberg News" -> 彭博社)."""
        name = value.strip()
        return self.chinese_of.get(name) or self.chinese_of.get(name.removeprefix("The "))

    def person(self, value: str) -> str | None:
        """'李玉凡' -> 'Li Yufan'; None when `value` is not a Chinese personal name."""
        name = value.strip()
        if not _HAN.match(name) or name in self.words:
            return None
        surname = name[:2] if len(name) >= 3 and name[:2] in self.surnames else name[:1]
        if surname not in self.surnames or len(name) == len(surname):
            return None
        from pypinyin import Style, lazy_pinyin

        given = "".join(lazy_pinyin(name[len(surname):], style=Style.NORMAL, v_to_u=True))
        return f"{self.surnames[surname]} {given.capitalize()}"


def parse_names(lines) -> Names:
    """Proper names and surname readings from CC-CEDICT lines."""
    proper: dict[str, str] = {}
    surnames: dict[str, str] = {}
    words: set[str] = set()
    chinese_of: dict[str, str] = {}
    for trad, simp, pinyin, senses in entries(lines):
        if not pinyin[:1].isupper():  # lower-case pinyin: a common word, not a proper noun
            words.update((simp, trad))
            continue
        senses = senses.split("/")
        for sense in senses:
            if surname := _SURNAME.match(sense):
                for word in {simp, trad}:
                    surnames.setdefault(word, surname.group(1))
        english = re.split(r"[,;]", re.sub(r"\s*\([^)]*\)", "", senses[0]))[0].strip()
        if len(simp) < 2 or _SURNAME.match(senses[0]):
            continue
        if _title_case(english):
            for word in {simp, trad}:
                proper.setdefault(word, english)
            if len(simp) > len(chinese_of.get(english, "")):  # the full name over its abbreviation (路透社, 路透)
                chinese_of[english] = simp
        if re.sub(r"[^a-z]", "", english.lower()) != romanise(pinyin):  # a place, a firm, "John Doe": not a person
            words.update((simp, trad))
    return Names(proper, surnames, frozenset(w for w in words if len(w) >= 2), chinese_of)


_SMALL = {"of", "the", "and", "for", "in", "on", "at", "de", "du", "la", "a", "an", "to", "'s"}


def _title_case(english: str) -> bool:
    """Written as a name: every word capitalised but the small ones ("People's Daily", "Bank of China"), no
    Chinese, no cross-reference, at most six words."""
    words = english.split()
    return (0 < len(words) <= 6 and not re.search(r"[\u3400-\u9fff\[\]|]", english) and words[0][:1].isupper()
            and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL for w in words))


def names() -> Names:
    """The CC-CEDICT name tables, read once per process (about a second)."""
    return cedict_table(parse_names)
