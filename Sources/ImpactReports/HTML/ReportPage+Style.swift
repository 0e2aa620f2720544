extension ReportPage {
  /// The page's one script: it shows the language button and switches `<html>` between
  /// French and English (also on opening `report.html#en`). Its hash is in the page's
  /// Content-Security-Policy, so it must stay byte for byte what the page carries.
  static let script = """
    (function(){var d=document.documentElement,b=document.getElementById("lang");\
    function set(e){d.classList.toggle("lang-en",e);d.lang=e?"en":"fr";}\
    b.hidden=false;if(location.hash==="#en")set(true);\
    b.addEventListener("click",function(){set(!d.classList.contains("lang-en"));});})();
    """

  /// The style sheet. Text colours reach 4.5:1 against their background; numbers use
  /// tabular figures so that columns line up; elements of class `en` show only when
  /// `<html>` has the class `lang-en`, and those of class `fr` only when it has not.
  static let style = """
    :root{--ink:#17212e;--muted:#536073;--line:#dce1e8;--soft:#f3f5f8;--page:#eef1f5;--head:#13213c;\
    --ok:#1c6b34;--ok-bg:#e4f3e8;--bad:#b02a1f;--bad-bg:#fbe9e7;--info:#45546a;--c:#1d5fa6;\
    --accepted:#2b7a38;--rejected:#b02a1f;--superseded:#7b8698}
    *{box-sizing:border-box}
    html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
    body{margin:0;background:var(--page);color:var(--ink);\
    font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
    .en{display:none}html.lang-en .en{display:revert}html.lang-en .fr{display:none}
    .wrap{max-width:1200px;margin:0 auto;padding:0 24px}
    code{font-family:ui-monospace,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;\
    font-size:.88em}
    a{color:#1d4f8f}a:hover{text-decoration-thickness:2px}
    header.top{background:var(--head);color:#fff;padding:22px 0 0}
    header.top a{color:#fff}
    .top-row{display:flex;justify-content:space-between;align-items:center;gap:16px}
    .kicker{margin:0;color:#b9c6dd;font-size:13px;letter-spacing:.06em;text-transform:uppercase}
    h1{margin:6px 0 14px;font-size:30px;line-height:1.2;font-weight:700;letter-spacing:-.01em}
    .lang{font:inherit;font-size:14px;font-weight:600;color:var(--head);background:#fff;border:0;\
    border-radius:999px;padding:6px 16px;cursor:pointer}
    .lang:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid #f2b807;outline-offset:2px}
    dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px 28px;margin:0 0 18px}
    dl.meta div{min-width:0}
    dl.meta dt{color:#b9c6dd;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
    dl.meta dd{margin:2px 0 0;font-size:14px;overflow-wrap:anywhere}
    nav.toc{display:flex;flex-wrap:wrap;gap:2px 4px;border-top:1px solid #2b3b5c;padding:8px 0}
    nav.toc a{color:#dfe6f2;text-decoration:none;font-size:14px;padding:4px 10px;border-radius:6px}
    nav.toc a:hover{background:#24365a;color:#fff}
    main{padding:8px 24px 40px}
    section{margin:34px 0}
    h2{font-size:23px;line-height:1.25;margin:0 0 6px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
    h2 .mark{width:6px;height:24px;border-radius:3px;background:var(--c)}
    h2 code.id{font-size:13px;font-weight:400}
    h3{font-size:17px;margin:26px 0 10px}
    h4{font-size:16px;margin:0 0 6px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
    .lead{margin:0 0 14px;color:var(--muted)}
    .muted,code.id{color:var(--muted)}
    .note{color:var(--muted);font-size:14px}
    .panel,figure,article.reason{background:#fff;border:1px solid var(--line);border-radius:10px}
    .panel{padding:4px 0;margin:0 0 14px}
    .scroll{overflow-x:auto}
    .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px;margin:14px 0}
    .card{background:#fff;border:1px solid var(--line);border-top:4px solid var(--ink);border-radius:10px;\
    padding:12px 16px}
    .card.accepted{border-top-color:var(--accepted)}.card.rejected{border-top-color:var(--rejected)}
    .card.superseded{border-top-color:var(--superseded)}
    .card .k{font-size:13px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}
    .card .v{font-size:32px;font-weight:700;line-height:1.2;font-variant-numeric:tabular-nums}
    .card .s{font-size:14px;color:var(--muted)}
    .outcome-panel{padding:14px 16px}
    svg.outcome{display:block;width:100%;height:28px;border-radius:6px;overflow:hidden}
    svg.outcome .accepted,.swatch.accepted{fill:var(--accepted);background:var(--accepted)}
    svg.outcome .rejected,.swatch.rejected{fill:var(--rejected);background:var(--rejected)}
    svg.outcome .superseded,.swatch.superseded{fill:var(--superseded);background:var(--superseded)}
    .legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 22px;margin:10px 0 0;padding:0;font-size:14px}
    .swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
    .check{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;margin:12px 0 16px}
    .badge{display:inline-block;font-weight:700;font-size:13px;padding:2px 10px;border-radius:999px}
    .check.ok .badge{background:var(--ok-bg);color:var(--ok)}
    .check.bad .badge{background:var(--bad-bg);color:var(--bad)}
    .bad-text{color:var(--bad);font-weight:600}
    table{border-collapse:collapse;width:100%;font-size:14px}
    caption{text-align:left;font-weight:600;padding:8px 14px 4px}
    th,td{padding:8px 14px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
    thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:650;\
    background:var(--soft);white-space:nowrap;vertical-align:bottom}
    tbody th{font-weight:600}
    tbody tr:last-child>*{border-bottom:0}
    tbody tr:hover{background:#f7f9fc}
    .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    tr.empty{color:var(--muted)}tr.empty th{font-weight:400}
    tr.bad-row{background:var(--bad-bg)}tr.bad-row:hover{background:#f8dfdb}
    td.path{overflow-wrap:break-word;min-width:240px}td.source{min-width:120px}table.partners tbody th{white-space:nowrap}
    td.problem{color:var(--bad);min-width:160px}
    ul.notes{margin:4px 0 0;padding-left:18px;color:var(--muted);font-size:13px}
    a.dot{text-decoration:none;color:var(--ink);display:inline-flex;align-items:center;gap:8px}
    a.dot::before{content:"";flex:none;width:10px;height:10px;border-radius:50%;background:var(--c)}
    a.dot:hover{text-decoration:underline}
    details.indicator{background:#fff;border:1px solid var(--line);border-left:4px solid var(--c);\
    border-radius:10px;margin:0 0 12px}
    details.indicator>summary{cursor:pointer;padding:10px 16px;font-weight:600}
    details.indicator[open]>summary{border-bottom:1px solid var(--line)}
    details.indicator>summary .muted{font-weight:400}
    .charts{columns:2 470px;column-gap:14px;padding:14px 14px 0}
    .charts figure{break-inside:avoid;margin:0 0 14px}
    figure{margin:0;padding:12px 14px;min-width:0}
    .charts figure{border-color:#e6e9ee;display:block}
    figcaption{font-size:14px;font-weight:600;margin:0 0 8px}
    figcaption .muted{font-weight:400}
    svg.chart{display:block;width:100%;height:auto}
    svg.chart text{font-size:12px;fill:var(--ink)}
    svg.chart text.value{fill:var(--muted);font-variant-numeric:tabular-nums}
    svg.chart .axis{stroke:#aeb6c2;stroke-width:1}
    svg.chart g:hover rect{opacity:.82}
    .split{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;align-items:start}
    .split .panel{margin:0}
    article.reason{padding:14px 16px;margin:0 0 12px;border-left:4px solid var(--bad)}
    article.reason.info{border-left-color:var(--superseded)}
    article.reason .count{font-variant-numeric:tabular-nums;background:var(--bad-bg);color:var(--bad);\
    border-radius:999px;padding:0 10px;font-size:14px}
    article.reason.info .count{background:var(--soft);color:var(--info)}
    .hint{margin:0 0 8px;padding:8px 12px;background:var(--soft);border-radius:6px}
    table.examples{font-size:13px}
    table.examples caption{padding:4px 0;color:var(--muted);font-weight:600;font-size:13px}
    table.examples th,table.examples td{padding:6px 10px 6px 0}
    table.examples td{overflow-wrap:break-word}
    footer{border-top:1px solid var(--line);background:#fff;color:var(--muted);font-size:13.5px;padding:14px 0}
    footer p{margin:4px 0}
    @media (max-width:760px){.wrap,main{padding-left:14px;padding-right:14px}h1{font-size:24px}\
    .split{grid-template-columns:1fr}.charts{padding:10px 10px 0}th,td{padding:7px 10px}}
    @media print{body{background:#fff}header.top{background:#fff;color:var(--ink)}\
    header.top a,nav.toc a{color:var(--ink)}.kicker,dl.meta dt{color:var(--muted)}.lang,nav.toc{display:none}\
    details.indicator,figure,.panel{break-inside:avoid}}
    """
}
