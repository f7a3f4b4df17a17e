/** The page's styles, inlined and allowed by their hash (html.ts). */
export const PAGE_CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;font:13px/1.4 system-ui,sans-serif;color:#222;background:#fff}
body{display:flex;flex-direction:column}
header{display:flex;gap:12px;align-items:center;padding:6px 10px;border-bottom:1px solid #ccc;background:#f7f7f7}
#title{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:45%}
nav button,#fit{border:1px solid #aaa;background:#fff;padding:3px 10px;cursor:pointer}
nav button[aria-pressed=true]{background:#1f5fbf;color:#fff;border-color:#1f5fbf}
#search{flex:1;min-width:12em;padding:4px 6px}
main{flex:1;display:grid;grid-template-columns:1fr 340px;grid-template-rows:auto 1fr;min-height:0}
#diff{grid-column:1;padding:6px 10px;border-bottom:1px solid #ddd;max-height:30vh;overflow:auto}
#graph,#timeline{grid-column:1;grid-row:2;min-height:0;position:relative}
#timeline{overflow:auto;padding:6px 10px}
aside{grid-column:2;grid-row:1/3;border-left:1px solid #ccc;overflow:auto;padding:6px 10px}
#results{margin:0;padding:0;list-style:none}
#results li{padding:2px 4px;cursor:pointer;border-bottom:1px solid #eee;overflow-wrap:anywhere}
#results li:hover{background:#eef5ff}
#details h3{margin:8px 0 4px;font-size:13px}
#details dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:2px 8px}
#details dt{color:#666}
#details dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
.hint{color:#777}
.counts{display:flex;flex-wrap:wrap;gap:4px 18px;margin-bottom:4px}
.counts b{font-variant-numeric:tabular-nums}
.added{color:#1c7c30}.removed{color:#c0282d}.changed{color:#a86400}
#diff ul{margin:4px 0;padding-left:18px}
#diff li{overflow-wrap:anywhere;white-space:pre-wrap}
.row{display:grid;grid-template-columns:260px 1fr;align-items:center;height:18px;cursor:pointer}
.row:hover{background:#eef5ff}
.row span{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.track{position:relative;height:10px;background:#f2f2f2}
.bar{position:absolute;top:0;height:10px;background:#1f5fbf}
.bar.pair{background:#6a3fb5}
.bar.device{background:#2e8b57}
.bar.gapped{outline:2px dotted #777;outline-offset:1px}
.bar.uncertain{background:repeating-linear-gradient(45deg,#2e8b57 0 4px,#bfe3cf 4px 8px)}
.omitted{margin:4px 0 8px;padding:4px 8px 4px 24px;background:#fff4dd;border:1px solid #e6b450;overflow-wrap:anywhere}
.gap{position:absolute;top:0;width:3px;height:10px;background:#999}
/* cytoscape's own rule for its container (html.ts) */
.__________cytoscape_container{position:relative}
#status{position:fixed;bottom:4px;left:8px;margin:0;color:#777}
`;
