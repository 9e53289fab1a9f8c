"""Streamlit's own English words on its widgets, in Chinese.

Streamlit has no Chinese locale: its file uploader says "Drag and drop file here", "Browse files", "Limit 30MB per
file" and refuses a big file with "File must be 20.0MB or smaller."; its multiselect offers "Select all". The words
are data (`WORDS`, whole-text patterns); a small script, added once to the page, replaces them in text nodes as
Streamlit draws them (a MutationObserver). It runs in the page itself: the component iframe that carries it is
same-origin, and the script is handed to the page so it keeps working after the iframe goes away.
"""
from __future__ import annotations

import json

import streamlit.components.v1 as components

# (pattern matched against a text node's whole trimmed text, replacement with $1… for the groups)
WORDS: tuple[tuple[str, str], ...] = (
    (r"^Drag and drop files? here$", "将文件拖放到此处"),
    # The size limit is in the page's own label (the app's limit; the widget lets a little more through so the
    # page can refuse it in Chinese): here only the accepted formats stay.
    (r"^(?:Limit )?\S+ per file$", "文件格式"),
    (r"^(?:Limit )?\S+ per file\s*•\s*(.+)$", "文件格式 • $1"),
    (r"^Error:?$", "错误："),
    (r"^Browse files$", "选择文件"),
    (r"^Upload$", "上传"),
    (r"^File must be (\S+) or smaller\.?$", "文件不能超过 $1，未上传"),
    (r"^(\S+) files are not allowed\.?$", "不支持 $1 类型的文件"),
    (r"^Select all$", "全选"),
    (r"^No results$", "没有匹配的选项"),
    (r"^Choose an option$", "请选择"),
    (r"^Choose options$", "请选择"),
    (r"^Press Enter to apply$", "按回车确认"),
    (r"^Press Enter to submit form$", "按回车提交"),
    (r"^Clear all$", "全部清除"),
)

_PAGE_SCRIPT = """(function (words) {
  if (window.__xzLocalised) { return; }
  window.__xzLocalised = true;
  var rules = words.map(function (w) { return [new RegExp(w[0]), w[1]]; });
  function fix(node) {
    var text = node.nodeValue && node.nodeValue.trim();
    if (!text) { return; }
    for (var i = 0; i < rules.length; i++) {
      if (rules[i][0].test(text)) { node.nodeValue = text.replace(rules[i][0], rules[i][1]); return; }
    }
  }
  function walk(root) {
    if (root.nodeType === 3) { fix(root); return; }
    var it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
    while ((node = it.nextNode())) { fix(node); }
  }
  walk(document.body);
  new MutationObserver(function (changes) {
    changes.forEach(function (c) {
      if (c.type === "characterData") { fix(c.target); }
      c.addedNodes && c.addedNodes.forEach(walk);
    });
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
})(%s);"""

_CARRIER = """<script>
(function () {
  var page = window.parent.document;
  if (window.parent.__xzLocalised) { return; }
  var script = page.createElement("script");
  script.textContent = %s;
  page.head.appendChild(script);
})();
</script>"""


def streamlit_words() -> None:
    """Add the translating script to the page (once per browser tab; later calls do nothing in the page)."""
    script = _PAGE_SCRIPT % json.dumps(WORDS, ensure_ascii=False)
    components.html(_CARRIER % json.dumps(script, ensure_ascii=False).replace("</", "<\\/"), height=0)
