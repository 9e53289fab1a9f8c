"""Streamlit's own English words on its widgets, in Chinese.

Streamlit has no Chinese locale: its file uploader says "Drag and drop file here", "Browse files", "Limit 30MB per
file" and refuses a big file with "File must be 20.0MB or smaller."; its multiselect offers "Select all"; its select
boxes say "Choose an option" (a placeholder attribute); the dataframe toolbar's buttons are labelled "Search",
"Download as CSV", "Fullscreen" (their tooltips and aria-labels); a date input shows "yyyy-mm-dd". The words are data
(`WORDS`, whole-text patterns; `SCOPED` for words that are only Streamlit's inside one kind of widget, such as the date
input's "yyyy"/"mm"/"dd", which could be anyone's text elsewhere); a small script, added once to the page, replaces
them as Streamlit draws them (a MutationObserver) in text nodes and in the `placeholder`, `aria-label` and `title`
attributes. It runs in the page itself: the component iframe that carries it is same-origin, and the script is handed
to the page so it keeps working after the iframe goes away.

Left in English, because Streamlit draws them where a page script cannot reach or they are not Streamlit's words:
the map iframe's title (tests find the map by it), the charts' screen-reader descriptions written by Vega
("X-axis titled …"), and format names (CSV, XLSX …). The password field's eye button keeps its screen-reader label
"Show password": in Chinese it would contain the field's own label 密码, and finding the field by its label (as
people using a screen reader and the browser tests do) would then find two things. A translation must never
contain a label the page already uses for something else.
"""
from __future__ import annotations

import json

import streamlit.components.v1 as components

# (pattern matched against a text node's or attribute's whole trimmed text, replacement with $1… for the groups)
WORDS: tuple[tuple[str, str], ...] = (
    # the file uploader
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
    (r"^Drag and drop a file here$", "将文件拖放到此处"),
    (r"^file upload$", "上传文件"),
    (r"^Add files$", "添加文件"),
    (r"^Remove file$", "移除文件"),
    (r"^Remove (.+)$", "移除 $1"),
    (r"^Cancel upload of (.+)$", "取消上传 $1"),
    (r"^Upload failed$", "上传失败"),
    (r"^Click to retry upload$", "点击重试上传"),
    (r"^Only one file is allowed\.?$", "只能上传一个文件"),
    (r"^Too many files$", "文件太多"),
    (r"^File size is too small\.?$", "文件太小"),
    (r"^Delete$", "删除"),
    # select boxes and multiselects
    (r"^Select all$", "全选"),
    (r"^No results$", "没有匹配的选项"),
    (r"^No options to select\.?$", "没有可选的选项"),
    (r"^Choose an option$", "请选择"),
    (r"^Choose options$", "请选择"),
    (r"^Clear all$", "全部清除"),
    (r"^Clear value$", "清除"),
    (r"^Clear entry$", "清除"),
    (r"^Selected values$", "已选"),
    (r"^Increment$", "加一"),
    (r"^Decrement$", "减一"),
    (r"^Open$", "展开"),
    (r"^Close$", "关闭"),
    (r"^Dismiss$", "关闭"),
    (r"^(\d+) options? available\.?$", "共 $1 个选项"),
    (r"^No options available\.?$", "没有选项"),
    # the connection dialog: what was pressed while it shows never reached the server (forms keep their values, and
    # the staff forms a draft in this browser, see drafts.py)
    (r"^Connection error$", "连接中断"),
    (r"^Streamlit server is not responding\. Are you connected to the internet\?$",
     ("服务器暂时没有响应（网络断开或服务器重启）。断开期间点的「保存」没有送达服务器；表单里填的内容仍在，"
     "本机也存有草稿。连接恢复后请核对，再点一次保存。")),
    (r"^Connecting$", "正在连接…"),
    (r"^Running\.\.\.$", "正在处理…"),
    (r"^Stop$", "停止"),
    # text inputs and forms
    (r"^Press Enter to apply$", "按回车确认"),
    (r"^Press Enter to submit form$", "按回车提交"),
    # date inputs (the calendar itself follows the browser's language)
    (r"^Choose date$", "选择日期"),
    (r"^Choose date range$", "选择日期范围"),
    *((rf"^Selected Date: {name} (\d{{1,2}}), (\d{{4}})$", f"已选日期：$2年{n}月$1日") for n, name in enumerate(
        ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"), start=1)),
    (r"^Selected Date: (.+)$", "已选日期：$1"),
    (r"^Clear dates?$", "清除日期"),
    (r"^Use arrow keys to navigate dates\. Enter to select\. Escape to close\.$", "用方向键选日期，回车确认，Esc 关闭。"),
    (r"^Choose date, (.+)$", "选择日期，$1"),
    (r"^Previous month$", "上个月"),
    (r"^Next month$", "下个月"),
    (r"^year, (.+)$", "$1：年"),
    (r"^month, (.+)$", "$1：月"),
    (r"^day, (.+)$", "$1：日"),
    # the toolbar over dataframes and charts
    (r"^Show/hide columns$", "显示/隐藏列"),
    (r"^Download as CSV$", "下载为 CSV"),
    (r"^Download as PNG$", "下载为 PNG"),
    (r"^Download as SVG$", "下载为 SVG"),
    (r"^Search$", "搜索"),
    (r"^Search\.\.\.$", "搜索…"),
    (r"^Type to search$", "输入以搜索"),
    (r"^Previous Result$", "上一个结果"),
    (r"^Next Result$", "下一个结果"),
    (r"^Close Search$", "关闭搜索"),
    (r"^Sort ascending$", "升序排列"),
    (r"^Sort descending$", "降序排列"),
    (r"^Pin column$", "固定此列"),
    (r"^Unpin column$", "取消固定"),
    (r"^Hide column$", "隐藏此列"),
    (r"^Autosize$", "自动列宽"),
    (r"^Format$", "格式"),
    (r"^Copy column name$", "复制列名"),
    (r"^Clear selection$", "取消选择"),
    (r"^Dataframe column menu$", "列菜单"),
    (r"^Statistics$", "统计"),
    (r"^Top values frequency chart: (.+)$", "最常见的值：$1"),
    (r"^Distribution histogram$", "分布直方图"),
    (r"^Based on sample$", "基于抽样"),
    (r"^Fullscreen$", "全屏"),
    (r"^(?:Close|Exit) fullscreen$", "退出全屏"),
    (r"^Show data$", "显示数据"),
    (r"^Copy Vega-Lite spec$", "复制图表定义"),
    (r"^Vega visualization$", "图表"),
    (r"^Copy to clipboard$", "复制"),
    # the page around
    (r"^Skip to main content$", "跳到主要内容"),
    (r"^Sidebar$", "侧边栏"),
    (r"^Collapse sidebar$", "收起侧边栏"),
    (r"^Expand sidebar$", "展开侧边栏"),
    (r"^App pages$", "页面导航"),
    (r"^Link to heading$", "链接到此标题"),
    (r"^Help for (.+)$", "“$1”的说明"),
    (r"^Running\.\.\.$", "正在运行…"),
    (r"^Stop$", "停止"),
)
# (CSS selector of the widget, pattern, replacement): words replaced only inside that widget
_COLUMN_MENU = '[data-testid="stDataFrameColumnMenu"], [data-testid="stDataFrameStatisticsMenu"]'
SCOPED: tuple[tuple[str, str, str], ...] = (
    *((_COLUMN_MENU, rf"^{english}$", chinese) for english, chinese in (
        ("Values", "值"), ("Empty", "空值"), ("Distinct", "不同值"), ("Count", "计数"), ("Sum", "合计"),
        ("Average", "平均值"), ("Median", "中位数"), ("Minimum", "最小值"), ("Maximum", "最大值"), ("Range", "范围"),
        ("Standard deviation", "标准差"), ("Minimum length", "最短长度"), ("Maximum length", "最长长度"),
        ("Average length", "平均长度"), ("True", "是"), ("False", "否"), ("text", "文本"), ("number", "数字"),
        ("checkbox", "是/否"), ("date", "日期"), ("datetime", "日期时间"), ("link", "链接"), ("list", "列表"),
        ("selectbox", "选项"), ("progress", "进度"), ("image", "图片"), ("Format", "格式"), ("Automatic", "自动"),
        ("Plain", "常规"), ("Localized", "本地格式"), ("Percent", "百分比"), ("Scientific", "科学计数"),
        ("Compact", "紧凑"), ("Accounting", "会计"), ("Dollar", "美元"), ("Euro", "欧元"), ("Yen", "日元"),
        ("Distance", "相对时间"), ("Calendar", "日历"), ("Wrap", "自动换行"))),
    ('[data-testid="stDateInputField"]', r"^yyyy$", "年"),
    ('[data-testid="stDateInputField"]', r"^mm$", "月"),
    ('[data-testid="stDateInputField"]', r"^dd$", "日"),
)
ATTRIBUTES = ("placeholder", "aria-label", "title")

_PAGE_SCRIPT = """(function (words, scoped, attributes) {
  if (window.__xzLocalised) { return; }
  window.__xzLocalised = true;
  var rules = words.map(function (w) { return [new RegExp(w[0]), w[1]]; });
  var scopedRules = scoped.map(function (w) { return [w[0], new RegExp(w[1]), w[2]]; });
  function translate(text, element) {
    if (!text || !/[A-Za-z]/.test(text)) { return null; }
    for (var i = 0; i < rules.length; i++) {
      if (rules[i][0].test(text)) { return text.replace(rules[i][0], rules[i][1]); }
    }
    for (var j = 0; element && j < scopedRules.length; j++) {
      if (scopedRules[j][1].test(text) && element.closest(scopedRules[j][0])) {
        return text.replace(scopedRules[j][1], scopedRules[j][2]);
      }
    }
    return null;
  }
  function fix(node) {
    var text = node.nodeValue && node.nodeValue.trim();
    var done = translate(text, node.parentElement);
    if (done !== null) { node.nodeValue = done; }
  }
  function fixAttribute(element, name) {
    var value = element.getAttribute(name);
    var done = translate(value && value.trim(), element);
    if (done !== null) { element.setAttribute(name, done); }
  }
  var selector = attributes.map(function (a) { return "[" + a + "]"; }).join(",");
  function walk(root) {
    if (root.nodeType === 3) { fix(root); return; }
    if (root.nodeType !== 1) { return; }
    var it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
    while ((node = it.nextNode())) { fix(node); }
    if (root.matches(selector)) { attributes.forEach(function (a) { fixAttribute(root, a); }); }
    root.querySelectorAll(selector).forEach(function (el) {
      attributes.forEach(function (a) { fixAttribute(el, a); });
    });
  }
  walk(document.body);
  new MutationObserver(function (changes) {
    changes.forEach(function (c) {
      if (c.type === "characterData") { fix(c.target); }
      else if (c.type === "attributes") { fixAttribute(c.target, c.attributeName); }
      c.addedNodes && c.addedNodes.forEach(walk);
    });
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: attributes});
})(%s, %s, %s);"""

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
    script = _PAGE_SCRIPT % (json.dumps(WORDS, ensure_ascii=False), json.dumps(SCOPED, ensure_ascii=False),
                             json.dumps(ATTRIBUTES))
    components.html(_CARRIER % json.dumps(script, ensure_ascii=False).replace("</", "<\\/"), height=0)
