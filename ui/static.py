"""The page's CSS and the one script it needs: clicking a [n] marker reveals its source in the panel."""

from __future__ import annotations

CSS = """
#sources { max-height: 640px; overflow-y: auto; }
#sources .turn { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0 0 .6em;
                 padding: .3em .6em; }
#sources .turn.abstained { border-color: #d9a300; }
#sources summary { cursor: pointer; font-weight: 600; }
#sources ol.srcs { padding-left: 0; list-style: none; margin: .4em 0; }
#sources li.src { margin: .5em 0; padding: .4em; border-radius: 6px; transition: background .3s; }
#sources li.src.active { background: var(--color-accent-soft); outline: 2px solid var(--color-accent); }
#sources .src-head { font-size: .92em; margin-bottom: .3em; }
#sources .src-head .n { font-weight: 700; color: var(--color-accent); }
#sources .pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6em; }
#sources .col { font-size: .9em; background: var(--background-fill-secondary); border-radius: 4px;
                padding: .4em; }
#sources .col.cited { border-left: 3px solid var(--color-accent); }
#sources .col-lang { font-size: .8em; font-weight: 700; opacity: .7; }
#sources .passage { white-space: pre-wrap; overflow-wrap: anywhere; }
#sources mark { background: #ffe58a; color: inherit; padding: 0 1px; }
#sources .none { opacity: .6; }
#chat blockquote { border-left: 4px solid #d9a300; background: rgba(217, 163, 0, .08); margin: 0;
                   padding: .3em .7em; }
#chat a[href^="#src-"] { text-decoration: none; font-weight: 700; }
#kb table { width: 100%; font-size: .9em; }
#kb td.num { text-align: right; }
#upload-status ul { list-style: none; padding: 0; margin: 0; }
#upload-status li.ok::before { content: "✓ "; color: #1a7f37; font-weight: 700; }
#upload-status li.refused { color: #b42318; }
#upload-status li.refused::before { content: "✗ "; font-weight: 700; }
"""

# Delegated, capture-phase click handler: it survives every re-render of the chat and the panel, and stops the
# browser from following the marker's link (Gradio may open chat links in a new tab).
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) { return; }
  event.preventDefault();
  event.stopPropagation();
  var target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) { return; }
  var turn = target.closest("details");
  if (turn) { turn.open = true; }
  document.querySelectorAll("#sources li.src.active").forEach(function (el) {
    el.classList.remove("active");
  });
  target.classList.add("active");
  target.scrollIntoView({behavior: "smooth", block: "nearest"});
}, true);
</script>
"""

# Runs in the browser on page load: the interface language follows the browser's until the reader toggles it.
BROWSER_LANG_JS = "() => ((navigator.language || 'en').toLowerCase().startsWith('zh') ? '中文' : 'English')"
