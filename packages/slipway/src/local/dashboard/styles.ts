// The dashboard's stylesheet, served as a file (the page's Content-Security-Policy allows no inline styles).
// Colours keep a contrast of at least 4.5:1 against their background; every state also has a word, never colour alone.
export const DASHBOARD_CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --ok: #1a7f37; --fail: #c21f2a; --warn: #875b00; --info: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.top, main { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
.top { padding-top: 20px; }
main { padding-bottom: 48px; }
h1 { font-size: 26px; margin: 0; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 18px 0 6px; }
.meta, .muted { color: var(--muted); }
.meta { margin: 4px 0 0; }
a { color: var(--info); }
code { font: 14px ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.idle { padding: 14px 16px; background: var(--panel); border-radius: 8px; margin: 0; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 14px; font-weight: 600; color: #fff; background: var(--info); }
.phase-paused, .phase-interrupted { background: var(--warn); }
.phase-finished { background: var(--ok); }
.deploy-title { font-size: 17px; margin: 0 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 0; padding: 12px 16px; background: var(--panel); border-radius: 8px; }
.facts dt { color: var(--muted); font-size: 13px; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict, .result { font-weight: 600; }
.verdict-pass, .result-promoted { color: var(--ok); }
.verdict-fail, .result-rolled-back { color: var(--fail); }
.verdict-inconclusive, .result-rollback { color: var(--warn); }
.decision { margin: 12px 0; padding: 12px 16px; border: 2px solid var(--warn); border-radius: 8px; }
.decision p { margin: 0 0 8px; }
.decision .buttons { margin: 0; display: flex; flex-wrap: wrap; gap: 8px; }
button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 6px; border: 2px solid transparent; color: #fff; cursor: pointer; }
button.promote { background: var(--ok); }
button.abort { background: var(--fail); }
button:disabled { background: var(--muted); cursor: progress; }
button:focus-visible, a:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
.action-status:empty { display: none; }
.action-status { margin: 8px 0 0; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
thead th { border-bottom: 2px solid var(--line); white-space: nowrap; }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { vertical-align: middle; margin-right: 6px; }
.bar .track { fill: var(--panel); stroke: var(--line); }
.bar .fill { fill: var(--info); }
.reason { overflow-wrap: anywhere; }
.events { margin: 0; padding: 0; list-style: none; font-size: 14px; }
.events time { color: var(--muted); font-variant-numeric: tabular-nums; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
