"""A news page's header, byline and credits, and its chrome: what each line of a page is, read generally.

A line is chrome (breadcrumb, menu, button, counter, licence, copyright), a byline (来源/作者/发表时间, "By …",
"Published: …"), a credit (翻译|…, 责编 | …, "Translated by …"), or text. The rules name general classes of
words (credit roles, chrome words, media nouns), never one page's words. Every pattern is linear: no nested
quantifiers over a whole line, so a 1 MB line costs one pass.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- chrome

_CHROME = [re.compile(p, re.IGNORECASE) for p in (
    r"^(当前位置|您的位置|你的位置|所在位置|current location|you are here)\s*[:：]?",  # breadcrumbs
    r"^(首页|主页|home)\s*[>»›/|]",
    r"^\S[^>\n]{0,40}\s>\s\S[^>\n]{0,40}(\s>\s|$)",  # a > b (> c)
    r"ICP备|ICP证|新出网证|信息网络传播视听节目许可证|公网安备|增值电信业务经营许可证|互联网新闻信息服务许可证",
    r"^(版权所有|版權所有|版权声明|版權聲明|copyright\b)|©|all rights reserved|未经(允许|许可|授权).{0,20}转载",
    r"^(分享到|分享|打印|关闭窗口|关闭|返回顶部|返回|扫一扫|【?纠错】?|收藏|点赞|评论|放大图片|放大圖片|字号|字體|"
    r"设置字型大小|設置字型大小|点击查看原文|點擊查看原文|阅读原文|查看原文|相关稿件|相关新闻|相关阅读|延伸阅读|"
    r"相關新聞|推荐阅读|热门推荐|上一篇|下一篇|share|print|e-?mail|related (stories|articles|news)|read more)\b"
    r"[\s>»×:：|]*$",
    r"^(暂无评论|暂无回复|发表评论|我要评论|写评论)",  # comment boxes
    r"^您已閱讀|^您已阅读|订阅以继续|訂閱以繼續|subscribe to (continue|read)",  # paywalls
    r"^\d[\d,.]*\s*(个评论|個評論|阅读|閱讀|字|次浏览|浏览|views?|episodes?|comments?|likes?)\s*$",  # counters
    r"^(\d+\.\s*)?\d+\s*(分钟前|小时前|小時前|天前|秒前|[mhd]\s*ago|min(ute)?s? ago|hours? ago)\s*$",  # relative times
    r"^[•·\-*]\s*(\d+\s*min|news|podcast)\s*$",  # podcast list tags
    r"^\[[^\]\n]{1,12}\](\s*\[[^\]\n]{0,12}\])+",  # [英文] [中文] [双语对照] language switch buttons
    r"^(英文如下|英语如下|译文如下|中文如下|以下为英文|以下为译文|english version|chinese version)\s*[:：]?\s*$",
    r"^(?=[^\s_]*_)(?=[^\s\d]*\d)[\w.-]{8,}$|^\S+\.(jpe?g|png|gif|webp)$",  # a photo's file name left in the text
    r"^(逢星期[一二三四五六日]|每逢?周[一二三四五六日])\s*$",  # a column's schedule
)]
# A menu: three or more short items separated by | or spaces ("首页 | 双语新闻 | 双语读物 | 双语名著 |").
_MENU = re.compile(r"^\s*[^|｜\n]{1,8}(\s*[|｜]\s*[^|｜\n]{1,8}){2,}\s*[|｜]?\s*$")
# A page title with the site name after an underscore or dash ("中国出口连续第四个月下降_OK阅读网").
SITE_SUFFIX = re.compile(r"^(?P<title>.{4,}?)\s*[_｜]\s*[^_｜\s]{2,20}(网|網|站|net|com|cn)$", re.IGNORECASE)


def is_chrome(line: str) -> bool:
    """Page furniture rather than article text."""
    line = line.strip()
    return bool(line) and len(line) <= 400 and (any(rx.search(line) for rx in _CHROME) or bool(_MENU.match(line))
                           or bool(SITE_SUFFIX.match(line)))


_COPYRIGHT = [re.compile(p, re.IGNORECASE) for p in (
    r"版[权權](?:归|歸|属于|屬於)\s*(?P<holder>[^,，。;；\s]{2,30}?)\s*所有",
    r"^版[权權]所有\s*[:：]?\s*[\[【(（]?(?P<holder>[^\]】)）\n]{2,40}?)[\]】)）]?\s*$",
    r"(?:©|copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?(?P<holder>[A-Z\u4e00-\u9fff][^.。,，\n]{1,40}?)"
    r"\s*(?:[.。,，]|all rights|$)",
)]


def copyright_holder(line: str) -> str | None:
    """Who a copyright footer names: "版權歸FT中文網所有" -> "FT中文網", "© 2025 Example News" -> "Example News"."""
    line = line.strip()[:300]
    for rx in _COPYRIGHT:
        if m := rx.search(line):
            return m.group("holder").strip()
    return None


def is_menu_run(lines: list[str]) -> bool:
    """Three or more consecutive tiny lines with no sentence in them: a menu or a font-size picker."""
    return len(lines) >= 3 and all(0 < len(ln.strip()) <= 7 and not re.search(r"[。.!?！？:：|｜]", ln)
                                   for ln in lines)


# ---------------------------------------------------------------- credits

# Credit roles, by class. A label may carry a prefix (总策划, 英文审校, 责任编辑, 融媒编辑).
ROLES = {
    "text": "文|文字|撰文|作者|采写|撰稿",
    "reporter": "记者|記者|通讯员|通訊員",
    "translation": "翻译|翻譯|译|譯|译者|譯者|编译|編譯",
    "proofreading": "审校|審校|校对|校對|校审|审稿|审订",
    "final review": "终审|終審|审核|審核|审定|复审",
    "editor": "编辑|編輯|责编|責編|主编|主編|编审|编导",
    "planning": "策划|策劃|统筹|統籌",
    "supervision": "监制|監製|出品|制片|製片|总监",
    "photo": "图|圖|摄影|攝影|图片|圖片|摄|供图|海报|设计",
    "video": "视频|視頻|摄像|攝像|剪辑|剪輯|拍摄|拍攝|配音",
}
_PREFIX = "总|總|英文|中文|英语|融媒|责任|責任|值班|执行|執行|文字|图片|视觉|新媒体|"
_ROLE_OF = {label: role for role, labels in ROLES.items() for label in labels.split("|")}
_ROLE_WORD = "(?:" + "|".join(sorted(_ROLE_OF, key=len, reverse=True)) + ")"
_LABEL = "(?:" + _PREFIX + ")" + _ROLE_WORD + _ROLE_WORD + "?"  # 视频剪辑, 文图: two roles in one label
_CREDIT_AT = re.compile(r"(?:^|(?<=\s))(" + _LABEL + r")\s*[|｜丨:：/]\s*")
# A photo caption that ends with its photographer: "罗定学宫红墙 黄冬泳 摄".
_CAPTION_CREDIT = re.compile(r"\s(?P<names>[\u4e00-\u9fff]{2,4}(?:[\s、][\u4e00-\u9fff]{2,4}){0,3})\s*/?\s*摄$")
_EN_CREDIT = re.compile(
    r"^(translated by|translation by|translator|translators|edited by|editor|editors|proofread by|reviewed by|"
    r"reporter|reporters|written by|text by|photos? by|photographer|video by|planned by)\s*[:：]?\s+(\S.{0,120})$",
    re.IGNORECASE)
_EN_ROLE = {"translat": "translation", "edit": "editor", "proof": "proofreading", "review": "proofreading",
            "report": "reporter", "writ": "text", "text": "text", "photo": "photo", "video": "video",
            "plan": "planning"}
_AFFILIATION = re.compile(r"^\S{2,12}(记者|記者|通讯员|通訊員|特约记者|实习生)$")


def split_names(value: str) -> list[str]:
    """"孙绮曼、王丹阳" / "羊城晚报记者 孙绮曼 王丹阳" / "Li Lei and Han Mei" -> the names."""
    value = re.sub(r"[(（][^)）\n]{0,10}[)）]", "", value).strip(" .。,，;；")
    if re.search(r"[\u4e00-\u9fff]", value):
        parts = re.split(r"[\s、,，;；/]+", value)
    else:
        parts = re.split(r"\s*(?:,|;|/|\band\b|&)\s*", value)
    return [p.strip() for p in parts if p.strip() and not _AFFILIATION.match(p.strip())]


def parse_credits(line: str) -> list[tuple[str, list[str]]] | None:
    """[(role, names)] when the whole line is credits (翻译|蔡燕娣 审校|罗洁, "Translated by …"), else None."""
    line = line.strip()
    if len(line) > 200:
        return None
    if m := _EN_CREDIT.match(line):
        key = m.group(1).lower()
        role = next(r for stem, r in _EN_ROLE.items() if stem in key)
        return [(role, split_names(m.group(2)))]
    found = list(_CREDIT_AT.finditer(line))
    if not found or found[0].start() != 0:
        return None
    out = []
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        value = line[m.end(): nxt.start() if nxt else len(line)]
        names = split_names(value)
        if not names or len(value) > 60 or any(len(n) > 24 or len(n.split()) > 4 for n in names):
            return None  # "英语视频丨A Journey to China's Rose Paradise" is a headline, not a credit
        out.append((role_of(m.group(1)), names))
    return out


def role_of(label: str) -> str:
    for size in range(len(label), 0, -1):
        if label[-size:] in _ROLE_OF:
            return _ROLE_OF[label[-size:]]
    return "editor"


def caption_photographers(line: str) -> list[str]:
    """The photographers a caption ends with ("航拍罗定学宫 谢应雄 摄" -> ["谢应雄"]), else []."""
    m = _CAPTION_CREDIT.search(line[-60:]) if len(line) <= 120 else None
    return split_names(m.group("names")) if m else []


def is_credit_line(line: str) -> bool:
    return parse_credits(line) is not None


# ---------------------------------------------------------------- dates

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}
_DATE_NUM = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_EN = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b"
                      r"|\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})\b",
                      re.IGNORECASE)
_TIME = re.compile(r"^\s*(?:at\s+)?(?:GMT\s*[+-]\s*\d{1,2}\s+)?(\d{1,2}):(\d{2})(?::\d{2})?", re.IGNORECASE)


def find_date(text: str) -> tuple[str, int, int] | None:
    """(ISO date or date-time, start, end) of the first date in the text: "2025-03-06T23:14", "2023-08-30"."""
    m = _DATE_NUM.search(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DATE_EN.search(text):
        if m.group(1):
            month, day, year = _MONTHS[m.group(1).lower()[:3]], int(m.group(2)), int(m.group(3))
        else:
            day, month, year = int(m.group(4)), _MONTHS[m.group(5).lower()[:3]], int(m.group(6))
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
        return None
    iso, end = f"{year:04d}-{month:02d}-{day:02d}", m.end()
    if t := _TIME.match(text[end:]):
        hour, minute = int(t.group(1)), int(t.group(2))
        if hour < 24 and minute < 60:
            iso, end = f"{iso}T{hour:02d}:{minute:02d}", end + t.end()
    return iso, m.start(), end


# ---------------------------------------------------------------- bylines

_ZH_FIELD = re.compile(r"(来源|來源|译文来源|譯文來源|作者|发表时间|發表時間|发布时间|發佈時間|发布日期|时间|時間|日期|"
                       r"外文标题|外文標題|英文标题|原标题|原標題|外文地址|原文地址|原文链接|原文鏈接|资料来源|資料來源)"
                       r"\s*[:：|｜]\s*")
_EN_FIELD = re.compile(r"^(source|sources|by|author|authors|published|updated|date|posted|news title|title|"
                       r"original title|keywords|original url)(\s*[:：]\s*|\s+)(?=\S)", re.IGNORECASE)
_KEY = {"来源": "outlet", "來源": "outlet", "译文来源": "outlet", "譯文來源": "outlet", "作者": "authors",
        "外文标题": "title_other", "外文標題": "title_other", "英文标题": "title_other", "原标题": "title_other",
        "原標題": "title_other", "外文地址": "original_url", "原文地址": "original_url", "原文链接": "original_url",
        "原文鏈接": "original_url", "资料来源": "image_source", "資料來源": "image_source",
        "source": "outlet", "sources": "outlet", "by": "authors", "author": "authors", "authors": "authors",
        "news title": "title_other", "title": "title_other", "original title": "title_other",
        "keywords": "keywords", "original url": "original_url"}
# Names of organisations rather than people ("Bloomberg News", "羊城晚报"): an outlet, not an author.
_MEDIA = re.compile(r"(news|daily|times|post|press|agency|journal|herald|tribune|reuters|afp|xinhua|network|"
                    r"radio|tv|media|网|網|报|報|社|台|刊|传媒|傳媒|中心|频道|頻道)\W*$", re.IGNORECASE)
_LEFTOVER_CHROME = re.compile(r"\d+\s*(个评论|個評論|阅读|閱讀|字)|字号\s*[:：]?|字體\s*[:：]?|原创|原創|"
                              r"\b\d+\s*(views?|comments?)\b", re.IGNORECASE)


def parse_byline(line: str) -> dict | None:
    """The fields of a byline or header line, or None when the line is not one.

    "来源:羊城晚报-云上岭南 作者:孙绮曼、王丹阳 发表时间:2025-03-06 23:14", "By Bloomberg News 2023年8月30日 at
    GMT+8 11:55", "2021-05-10 20:20 羊城晚报•羊城派", "Published: March 6, 2025"."""
    line = line.strip()
    if not line or len(line) > 240:
        return None
    fields = list(_ZH_FIELD.finditer(line))
    if fields and (fields[0].start() == 0 or line[: fields[0].start()].strip() in ("", "【", "[")):
        meta: dict = {}
        for m, nxt in zip(fields, [*fields[1:], None], strict=True):
            _put(meta, m.group(1), line[m.end(): nxt.start() if nxt else len(line)].strip())
        return meta or None
    if m := _EN_FIELD.match(line):
        key, value = m.group(1).lower(), line[m.end():].strip()
        if ":" not in m.group(2) and "：" not in m.group(2) and key not in ("by", "published", "updated", "posted"):
            return None  # "Title of the report…" is a sentence, "Title: …" a field
        if key in ("by", "author", "authors"):
            name = value[: d[1]] if (d := find_date(value)) else value
            sentence = re.search(r"\w{2}[.!?。]|,\s*[a-z]", name)
            if not re.match(r"[A-Z\u4e00-\u9fff]", name) or len(name.split()) > 8 or sentence:
                return None  # "By 2025, the city will…" is a sentence
        meta = {}
        _put(meta, key, value)
        return meta or None
    date = find_date(line)
    if date and (date[1] == 0 or not line[: date[1]].strip(" -|·•")):
        meta = {"date": date[0]}
        rest = _LEFTOVER_CHROME.sub(" ", line[date[2]:]).strip(" |·•-")
        if rest and len(rest) <= 30 and not re.search(r"[。.!?！？,，]", rest):
            meta["outlet"] = _clean_outlet(rest)
        return meta
    return None


_DATE_KEYS = {"发表时间", "發表時間", "发布时间", "發佈時間", "发布日期", "时间", "時間", "日期",
              "published", "updated",
              "date", "posted"}


def _put(meta: dict, key: str, value: str) -> None:
    value = value.strip().strip("“”\"'")
    if not value:
        return
    if key in _DATE_KEYS:
        if date := find_date(value):
            meta.setdefault("date", date[0])
        return
    name = _KEY.get(key)
    if name is None:
        return
    if name in ("outlet", "authors"):
        date = find_date(value)
        if date:  # "By Bloomberg News 2023年8月30日 at 11:55": a name, then the date
            meta.setdefault("date", date[0])
            value = value[: date[1]].strip(" ,|·•-")
        value = _LEFTOVER_CHROME.sub(" ", value).strip()
        if not value:
            return
        if name == "outlet":
            meta.setdefault("outlet", _clean_outlet(value.split("    ")[0].split(" http")[0]))
        elif _MEDIA.search(value) and " " in value.strip() or _MEDIA.search(value) and re.search(r"[\u4e00-\u9fff]",
                                                                                              value):
            meta.setdefault("outlet", _clean_outlet(value))
        else:
            meta.setdefault("authors", split_names(value))
    else:
        meta.setdefault(name, value)


def _clean_outlet(value: str) -> str:
    value = re.sub(r"\s+https?://\S+$|^https?://\S+$", "", value).strip()
    return value.replace("•", "·").strip(" |·-")


# Chinese wire datelines: 【广州,中新社4月14日电】记者程景伟报道 / （记者 张三 李四）
_DATELINE = re.compile(r"^[【\[(（]?[^】\]\n]{0,12}?[,，]?\s*(?P<agency>[\u4e00-\u9fff]{2,6}(社|网|報|报|台))"
                       r"[^】\]\n]{0,12}电[】\])）]?\s*[(（]?记者\s*"
                       r"(?P<names>[\u4e00-\u9fff]{2,4}?(?:[、\s][\u4e00-\u9fff]{2,4}?)*)(?=报道|[)）\s,，、])")


def dateline(paragraph: str) -> dict:
    """The agency and reporters a Chinese news paragraph opens with, if it opens with a dateline."""
    m = _DATELINE.match(paragraph[:120])
    if not m:
        return {}
    return {"outlet": m.group("agency"), "authors": split_names(m.group("names"))}
