"""The page's CSS and its one script: citation popovers, revealing a source, the phone's sources drawer,
copying, the theme toggle.

The script builds everything it shows from the panel's data attributes with `textContent`, never `innerHTML`,
so document text stays text here too.
"""

from __future__ import annotations

CSS = """
#title h2 { word-break: keep-all; overflow-wrap: normal; hyphens: none; margin-bottom: .2em; }
#title p { margin-top: 0; }
#header { align-items: flex-start; }
#header-tools { flex-grow: 0; min-width: 240px; }
#theme { max-width: 240px; }
.sources-scroll { max-height: min(640px, 72vh); overflow-y: auto; overscroll-behavior: contain;
                  padding-right: .2em; }
#sources .turn { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0 0 .6em;
                 padding: .3em .6em; }
#sources .turn.abstained { border-color: #b58100; }
#sources summary { cursor: pointer; font-weight: 600; }
#sources ol.srcs { padding-left: 0; list-style: none; margin: .4em 0; }
#sources li.src { margin: .5em 0; padding: .4em; border-radius: 6px; transition: background .3s; }
#sources li.src.active { background: var(--color-accent-soft); outline: 2px solid var(--color-accent); }
#sources .src-head { font-size: .92em; margin-bottom: .3em; }
#sources .src-head .n { font-weight: 700; color: var(--color-accent); }
#sources .pair { display: grid; grid-template-columns: 1fr; gap: .5em; }
#sources .col { font-size: 1em; background: var(--background-fill-secondary); border-radius: 4px;
                padding: .4em .5em; }
#sources .col.cited { border-left: 3px solid var(--color-accent); }
#sources .col-lang { font-size: .8em; font-weight: 700; opacity: .75; }
#sources .passage { white-space: pre-wrap; overflow-wrap: anywhere; }
#sources .opening { font-size: .85em; opacity: .85; margin-bottom: .2em; }
#sources .copy-answer, .rag-pop button { font-size: .85em; border: 1px solid var(--border-color-primary);
                border-radius: 4px; padding: .1em .6em; background: var(--background-fill-primary);
                color: var(--body-text-color); cursor: pointer; }
/* Highlights carry their own text colour, so they read the same in the light and the dark theme. */
mark.rag, #sources mark, .rag-pop mark, .rag-full mark { background: #ffe066; color: #1a1a1a; padding: 0 1px; }
#sources .col.other mark, .rag-full .col.other mark, .rag-pop .translation mark {
    background: #bfe0ff; color: #0b1b2b; }
#sources .none { opacity: .7; }
#chat blockquote { border-left: 4px solid #b58100; background: rgba(217, 163, 0, .10); margin: 0;
                   padding: .3em .7em; }
#chat .rag-error, #chat .rag-stopped { display: inline-block; font-weight: 700; border-radius: 4px;
                   padding: 0 .5em; margin-right: .3em; }
#chat .rag-error { background: #b42318; color: #ffffff; }
#chat .rag-stopped { background: #475467; color: #ffffff; }
#chat a[href^="#src-"] { text-decoration: none; font-weight: 700; }
#kb .kb-scroll { overflow-x: auto; }
#kb table { width: 100%; font-size: .9em; }
#kb td.num { text-align: right; }
#kb code { word-break: break-all; }
#upload-status ul, #remove-status ul { list-style: none; padding: 0; margin: 0; }
#upload-status li.ok::before, #remove-status li.ok::before { content: "✓ "; color: #1a7f37; font-weight: 700; }
#upload-status li.refused, #remove-status li.refused { color: #b42318; }
.dark #upload-status li.refused, .dark #remove-status li.refused { color: #ff8a80; }
#upload-status li.refused::before, #remove-status li.refused::before { content: "✗ "; font-weight: 700; }
#remove, #remove-yes, #replace-yes { background: #b42318 !important; color: #ffffff !important;
                   border-color: #8f1c13 !important; }
body:not(.rag-streaming) #stop { display: none !important; }
#footer { font-size: .85em; opacity: .8; text-align: center; }
#drawer-open, #drawer-close { display: none !important; }  /* the sources drawer is the phone's */
#sources-head { align-items: center; flex-wrap: nowrap; }
#chat-delete { background: #b42318 !important; color: #ffffff !important; border-color: #8f1c13 !important; }
.rag-pop { position: fixed; z-index: 1000; max-width: min(440px, 92vw); padding: .7em .8em;
           background: var(--background-fill-primary); color: var(--body-text-color);
           border: 1px solid var(--border-color-primary); border-radius: 8px;
           box-shadow: 0 6px 24px rgba(0, 0, 0, .25); font-size: .92em; line-height: 1.45; }
.rag-pop .pop-head { font-weight: 700; margin-bottom: .3em; }
.rag-pop .pop-card { opacity: .8; font-size: .9em; margin-bottom: .4em; }
.rag-pop .translation { margin-top: .4em; }
.rag-pop .pop-actions { display: flex; gap: .5em; flex-wrap: wrap; margin-top: .6em; align-items: center; }
.rag-full { position: fixed; inset: 0; z-index: 1001; background: rgba(0, 0, 0, .55); display: flex;
            align-items: center; justify-content: center; }
.rag-full-inner { background: var(--background-fill-primary); color: var(--body-text-color);
                  border-radius: 10px; width: min(1100px, 96vw); max-height: 90vh; overflow-y: auto; padding: 1em; }
.rag-full .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.rag-full .passage { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1em; }
.rag-full .col-lang { font-weight: 700; opacity: .75; }
@media (max-width: 700px) {
  #header { flex-direction: column; }
  #header-tools { width: 100%; min-width: 0; }
  #ask-row { position: fixed; left: 0; right: 0; bottom: 0; z-index: 900; margin: 0; padding: .3em .6em;
             background: var(--body-background-fill); box-shadow: 0 -2px 10px rgba(0, 0, 0, .15); }
  #footer { margin-bottom: 150px; }  /* room for the pinned question box */
  #drawer-open, #drawer-close { display: inline-flex !important; }
  #kb thead { display: none; }  /* one document per card: nothing is cut off at the right */
  #kb tr { display: block; border-bottom: 1px solid var(--border-color-primary); padding: .3em 0; }
  #kb td { display: inline-block; border: none; padding: .1em .4em .1em 0; }
  #kb td:first-child { display: block; font-weight: 600; }
  .rag-full .pair { grid-template-columns: 1fr; }
}
"""

# The phone's sources drawer: a <style> of its own in HEAD, because Gradio scopes the rules of `CSS` inside its
# container (`body.rag-drawer x` would become `.gradio-container .contain body.rag-drawer x`, which never matches).
# The drawer lies over the page, opened by "Sources" or a citation, and ends above the pinned question box (the
# script keeps --rag-ask-h at that box's height), so the page never scrolls to the sources.
DRAWER_CSS = """
<style>
@media (max-width: 700px) {
  #sources-col { position: fixed; left: 0; right: 0; top: 10vh; bottom: var(--rag-ask-h, 120px); z-index: 880;
                 margin: 0; padding: .4em .7em; min-width: 0 !important; background: var(--body-background-fill);
                 flex-wrap: nowrap !important; overflow: hidden;  /* a tall panel scrolls inside, never wraps aside */
                 border-radius: 12px 12px 0 0; box-shadow: 0 -4px 24px rgba(0, 0, 0, .3);
                 transform: translateY(calc(100% + var(--rag-ask-h, 120px) + 20px)); visibility: hidden;
                 transition: transform .18s ease-out, visibility 0s linear .18s; }
  body.rag-drawer #sources-col { transform: none; visibility: visible; transition: transform .18s ease-out; }
  /* "Sources" is a tab on the question box's top edge, so the box keeps its whole width. */
  #drawer-open { position: absolute; right: .6em; top: -2.4em; width: auto !important; min-width: 0 !important;
                 padding: .2em .9em; border-radius: 8px 8px 0 0; box-shadow: 0 -2px 8px rgba(0, 0, 0, .15); }
  body.rag-drawer #drawer-open { visibility: hidden; }
  #sources-col .sources-scroll { max-height: calc(90vh - var(--rag-ask-h, 120px) - 5em); }
}
</style>
"""

HEAD = DRAWER_CSS + """
<script>
(function () {
  var pop = null, hideTimer = null;
  function phone() { return window.matchMedia("(max-width: 700px), (hover: none)").matches; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  function withMark(parent, text) { var m = el("mark", "rag", text); parent.appendChild(m); return parent; }
  function hide() { if (pop) { pop.remove(); pop = null; } }
  function narrow() { return window.matchMedia("(max-width: 700px)").matches; }
  function openDrawer() {
    var ask = document.getElementById("ask-row");
    if (ask) { document.body.style.setProperty("--rag-ask-h", ask.offsetHeight + "px"); }
    document.body.classList.add("rag-drawer");
  }
  function closeDrawer() { document.body.classList.remove("rag-drawer"); }
  function reveal(target, scrollPage) {
    var turn = target.closest("details");
    if (turn) { turn.open = true; }
    document.querySelectorAll("#sources li.src.active").forEach(function (x) { x.classList.remove("active"); });
    target.classList.add("active");
    var box = target.closest(".sources-scroll");
    if (box) {  // scroll the panel itself: the page stays where the reader is
      box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    }
    if (scrollPage) { (box || target).scrollIntoView({block: "start"}); }
  }
  function openFull(target) {
    var d = target.dataset, overlay = el("div", "rag-full"), inner = el("div", "rag-full-inner");
    overlay.setAttribute("role", "dialog");
    var head = el("div", "pop-head", d.title + (d.outlet ? " · " + d.outlet : "") + (d.date ? " · " + d.date : ""));
    var close = el("button", "rag-close", d.close);
    close.type = "button";
    close.addEventListener("click", function () { overlay.remove(); });
    inner.appendChild(close); inner.appendChild(head);
    var pair = target.querySelector(".pair") || target.querySelector(".passage");
    if (pair) { inner.appendChild(pair.cloneNode(true)); }
    overlay.appendChild(inner);
    overlay.addEventListener("click", function (e) { if (e.target === overlay) { overlay.remove(); } });
    document.body.appendChild(overlay);
  }
  function show(link, target) {
    hide();
    var d = target.dataset;
    pop = el("div", "rag-pop");
    pop.setAttribute("role", "dialog");
    pop.appendChild(el("div", "pop-head", d.title));
    var card = [d.outlet, d.date].filter(Boolean).join(" · ");
    if (card) { pop.appendChild(el("div", "pop-card", card)); }
    pop.appendChild(withMark(el("div", "quote"), d.quote));
    if (d.translation) { pop.appendChild(withMark(el("div", "translation"), d.translation)); }
    var actions = el("div", "pop-actions");
    var showBtn = el("button", "pop-show", d.show), fullBtn = el("button", "pop-full", d.full);
    showBtn.type = fullBtn.type = "button";
    showBtn.addEventListener("click", function () {
      hide();
      if (narrow()) { openDrawer(); reveal(target, false); } else { reveal(target, phone()); }
    });
    fullBtn.addEventListener("click", function () { hide(); openFull(target); });
    actions.appendChild(showBtn); actions.appendChild(fullBtn);
    if (/^https?:\\/\\//.test(d.url || "")) {
      var a = el("a", "pop-original", d.original);
      a.href = d.url; a.target = "_blank"; a.rel = "noopener noreferrer nofollow";
      actions.appendChild(a);
    }
    pop.appendChild(actions);
    pop.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    pop.addEventListener("mouseleave", function () { hideTimer = setTimeout(hide, 300); });
    document.body.appendChild(pop);
    var r = link.getBoundingClientRect(), w = pop.offsetWidth, h = pop.offsetHeight;
    var left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
    var top = r.bottom + 6 + h > window.innerHeight ? Math.max(8, r.top - h - 6) : r.bottom + 6;
    pop.style.left = left + "px"; pop.style.top = top + "px";
  }
  function markerOf(event) {
    return event.target.closest && event.target.closest('a[href^="#src-"]');
  }
  function sourceOf(link) { return document.getElementById(link.getAttribute("href").slice(1)); }
  // Capture phase: survives every re-render, and stops the browser (or Gradio) from following the link.
  document.addEventListener("click", function (event) {
    var copy = event.target.closest && event.target.closest("button.copy-answer");
    if (copy) {
      var done = function () { copy.textContent = copy.dataset.done; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(copy.dataset.copy).then(done);
      } else {
        var area = el("textarea"); area.value = copy.dataset.copy; document.body.appendChild(area);
        area.select(); document.execCommand("copy"); area.remove(); done();
      }
      return;
    }
    if (event.target.closest && event.target.closest("#drawer-open")) { openDrawer(); return; }
    if (event.target.closest && event.target.closest("#drawer-close")) { closeDrawer(); return; }
    if (event.target.closest && event.target.closest("#theme")) {
      var dark = !document.body.classList.contains("dark");
      document.body.classList.toggle("dark", dark);
      localStorage.setItem("rag-theme", dark ? "dark" : "light");
      return;
    }
    var link = markerOf(event);
    if (!link) {
      if (pop && !pop.contains(event.target)) { hide(); }
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var target = sourceOf(link);
    if (!target) { return; }
    // A phone opens the drawer at the source (the page stays put); another touch screen previews in a popover.
    if (narrow()) { hide(); openDrawer(); reveal(target, false); }
    else if (phone()) { show(link, target); }
    else { hide(); reveal(target, false); }
  }, true);
  document.addEventListener("mouseover", function (event) {
    var link = markerOf(event);
    if (!link || phone()) { return; }
    var target = sourceOf(link);
    if (!target) { return; }
    clearTimeout(hideTimer);
    if (!pop || pop.dataset.for !== link.getAttribute("href")) {
      show(link, target); pop.dataset.for = link.getAttribute("href");
    }
  });
  document.addEventListener("mouseout", function (event) {
    if (markerOf(event)) { hideTimer = setTimeout(hide, 300); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    hide();
    closeDrawer();
    document.querySelectorAll(".rag-full").forEach(function (x) { x.remove(); });
  });
  // A new upload starts with a clean result list, even when Gradio refuses the file before it reaches us.
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#upload")) {
      var status = document.querySelector("#upload-status .upload-result");
      if (status) { status.textContent = ""; }
    }
  }, true);
  // The reader's choice wins over the browser's colour scheme, also when Gradio sets the theme after loading.
  function applyTheme() {
    var stored = localStorage.getItem("rag-theme");
    if (stored && document.body.classList.contains("dark") !== (stored === "dark")) {
      document.body.classList.toggle("dark", stored === "dark");
    }
  }
  function watchTheme() {
    applyTheme();
    new MutationObserver(applyTheme).observe(document.body, {attributes: true, attributeFilter: ["class"]});
  }
  // Gradio may add this script after the document has loaded.
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watchTheme); }
  else { watchTheme(); }
})();
</script>
"""

# Runs in the browser on page load: the interface language is the one the reader chose last, else the browser's.
BROWSER_LANG_JS = """(choice, conversation, past) => {
  var stored = localStorage.getItem("rag-ui-lang");
  var lang = stored || ((navigator.language || "en").toLowerCase().startsWith("zh") ? "中文" : "English");
  return [lang, conversation, past];
}"""
REMEMBER_LANG_JS = """(choice, conversation, past) => {
  localStorage.setItem("rag-ui-lang", choice);
  return [choice, conversation, past];
}"""
STREAMING_ON_JS = "(...inputs) => { document.body.classList.add('rag-streaming'); return inputs; }"
STREAMING_OFF_JS = "() => { document.body.classList.remove('rag-streaming'); }"
