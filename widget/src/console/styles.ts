/** CSS for the area switch and the admin pages, added to the console page's own styles. */

export const CONSOLE_CSS = `
.top .areas { display: flex; gap: .25rem; }
.top .areas [role="tab"] { background: transparent; color: #fff; border: 1px solid transparent; border-radius: 6px; padding: .2rem .7rem; }
.top .areas [role="tab"]:hover { border-color: rgba(255,255,255,.5); }
.top .areas [role="tab"][aria-selected="true"] { background: #fff; color: var(--green); font-weight: 600; }

.groups .past { display: grid; width: 100%; text-align: left; background: transparent; border: 1px solid transparent; border-radius: 8px; padding: .45rem .6rem; gap: .1rem; color: #555; }
.groups .past:hover { background: #f0f4f2; }
.groups .past[aria-current="true"] { border-color: var(--muted); background: #f0f2f1; }
.groups .past .name { font-weight: 600; }
.groups .past .sub { font-size: .8rem; color: var(--muted); }
.groups .past .last { font-size: .85rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.group.closed-today h3 { color: #777; }
.groups .help { margin: 1rem .4rem .4rem; font-size: .8rem; color: var(--muted); }
.groups .help summary { cursor: pointer; }
.groups .help ul { margin: .3rem 0 0; padding-left: 1rem; }
kbd { font: inherit; font-size: .75rem; border: 1px solid #c9cfcc; border-bottom-width: 2px; border-radius: 4px; padding: 0 .25rem; background: #fafafa; }

.ctx-toggle { display: none; }
.context { display: flex; flex-wrap: wrap; gap: .4rem 1.5rem; padding: .5rem 1rem; background: #fbfcfb; border-bottom: 1px solid var(--line); font-size: .85rem; max-height: 11rem; overflow-y: auto; }
.context dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: .15rem .7rem; flex: 1 1 20rem; min-width: 0; }
.context .ctx { display: contents; }
.context dt { color: var(--muted); }
.context dd { margin: 0; overflow-wrap: anywhere; display: flex; flex-wrap: wrap; gap: .1rem .5rem; }
.context .page-title { font-weight: 600; }
.context .badge, .msg .badge { display: inline-block; font-size: .7rem; border-radius: 999px; padding: 0 .5rem; background: #e8f0ec; color: var(--green); }
.context .earlier { flex: 1 1 16rem; min-width: 0; }
.context .earlier h3 { font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 .2rem; }
.context .earlier ul { list-style: none; margin: 0; padding: 0; display: grid; gap: .15rem; }
.context .earlier .none { margin: 0; color: var(--muted); }
.earlier-item { display: grid; width: 100%; text-align: left; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .25rem .5rem; font: inherit; }
.earlier-item:hover { background: #f0f4f2; }
.earlier-item .sub { color: var(--muted); font-size: .8rem; }
.earlier-item .last { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.msg .badge.bot-badge { background: #dcd6ef; color: #3f2f86; font-weight: 700; letter-spacing: .04em; }
.msg .choices { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .9rem; }

.close-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .4rem; margin-top: .5rem; }
.close-form label { font-size: .85rem; font-weight: 600; width: 100%; }
.close-form button { border-radius: 6px; padding: .3rem .8rem; border: 1px solid var(--green); background: var(--green); color: #fff; font-weight: 600; }
.close-form button.secondary { background: #fff; color: var(--green); }
.close-form textarea { flex: 1 1 16rem; font: inherit; padding: .35rem; border: 1px solid #b9c0bc; border-radius: 6px; resize: vertical; }

.admin { flex: 1; display: grid; grid-template-columns: 13rem 1fr; min-height: 0; }
.admin-nav { display: flex; flex-direction: column; gap: .25rem; padding: .6rem .5rem; background: #fff; border-right: 1px solid var(--line); }
.admin-nav [role="tab"] { text-align: left; background: #fff; border: 1px solid transparent; border-radius: 8px; padding: .5rem .6rem; }
.admin-nav [role="tab"]:hover { background: #f0f4f2; }
.admin-nav [role="tab"][aria-selected="true"] { border-color: var(--green); background: #e8f0ec; font-weight: 600; }
.admin-main { overflow-y: auto; padding: 1rem 1.4rem 2rem; }
.admin-panel { max-width: 62rem; }
.panel-head { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; }
.panel-head h2 { margin: 0; font-size: 1.2rem; flex: 1; }
.panel-controls { display: flex; align-items: center; gap: .4rem; font-size: .9rem; }
.panel-controls select { font: inherit; padding: .25rem .4rem; border: 1px solid #b9c0bc; border-radius: 6px; }
.panel-state { min-height: 1.2em; margin: .4rem 0; color: var(--muted); font-size: .9rem; }
.admin .hint { margin: 0 0 .6rem; font-size: .9rem; }
.admin .none, .admin .hint { color: var(--muted); }
.admin h3 { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 1rem 0 .4rem; }
.admin .badge { display: inline-block; font-size: .75rem; border-radius: 999px; padding: .05rem .55rem; background: #eef1ef; color: #333; }
.admin .badge.personal { background: #fdecea; color: #8a1c12; font-weight: 600; }

.learned-group { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .2rem 1rem 1rem; margin-bottom: 1rem; }
.learned { display: grid; gap: .3rem; padding: .8rem 0; border-top: 1px solid var(--line); }
.learned-group h3 + .learned { border-top: 0; }
.learned .facts { display: flex; flex-wrap: wrap; gap: .2rem .9rem; font-size: .85rem; color: var(--muted); }
.learned .language { font-weight: 600; color: var(--green); text-transform: uppercase; }
.learned .badges { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem; }
.learned label { font-size: .8rem; font-weight: 600; color: var(--muted); }
.learned textarea { font: inherit; padding: .45rem; border: 1px solid #b9c0bc; border-radius: 6px; resize: vertical; }
.learned .review-error { margin: 0; color: #b00020; font-size: .9rem; }
.learned .review-error:empty { display: none; }
.learned .review { display: flex; gap: .5rem; }
.learned .review button { border-radius: 6px; padding: .35rem .9rem; border: 1px solid var(--green); background: var(--green); color: #fff; font-weight: 600; }
.learned .review button.secondary { background: #fff; color: var(--green); }
.learned .review button.force { background: #b00020; border-color: #b00020; }
.learned .review button:disabled { opacity: .55; cursor: progress; }

.forget-form { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.forget-form select, .forget-form input { font: inherit; padding: .3rem .45rem; border: 1px solid #b9c0bc; border-radius: 6px; }
.forget-form input { flex: 1 1 16rem; }
.forget-form button, .forget-result button { border-radius: 6px; padding: .35rem .9rem; border: 1px solid var(--green); background: var(--green); color: #fff; font-weight: 600; }
.forget-result button.danger { background: #b00020; border-color: #b00020; }
.forget-result button:disabled { opacity: .55; cursor: progress; }
.forget-result { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .2rem 1rem .8rem; margin-top: .8rem; }
.forget-result:empty { display: none; }
.forget-result .forget-open { color: #8a1c12; font-weight: 600; }

.misses { list-style: none; margin: 0; padding: 0; display: grid; gap: .5rem; }
.miss { display: grid; grid-template-columns: 3.2rem 1fr; gap: .15rem .6rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .5rem .7rem; }
.miss .count { grid-row: span 4; font-weight: 700; font-size: 1.1rem; color: var(--green); }
.miss .question { font-weight: 600; overflow-wrap: anywhere; }
.miss .reasons { display: flex; gap: .3rem; }
.miss .last { font-size: .8rem; color: var(--muted); }
.miss .examples { list-style: none; margin: 0; padding: 0; font-size: .85rem; color: #444; }

.faq-entries .number { font-size: 1.6rem; color: var(--green); }
.faq-errors { margin: 0; padding-left: 1.2rem; color: #8a1c12; }
.faq-errors code { white-space: pre-wrap; overflow-wrap: anywhere; }
.faq-ok { color: var(--green); font-weight: 600; }

.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .6rem; margin: .5rem 0 1rem; }
.summary dt { font-size: .8rem; color: var(--muted); }
.summary dd { margin: 0; font-size: 1.2rem; font-weight: 600; color: var(--green); }
.summary .fact { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .5rem .7rem; }
.charts { display: grid; gap: 1rem; }
.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .7rem 1rem; }
.chart figcaption { font-weight: 600; margin-bottom: .4rem; }
.chart .bars { list-style: none; margin: 0; padding: 0; display: flex; gap: 3px; align-items: stretch; height: 9rem; }
.chart .bar { flex: 1; min-width: 0; display: flex; flex-direction: column; align-items: center; }
.chart .value { font-size: .75rem; color: #333; }
.chart .track { flex: 1; width: 100%; display: flex; align-items: flex-end; background: #f4f6f5; border-radius: 3px 3px 0 0; }
.chart .fill { display: block; width: 100%; background: var(--green); border-radius: 3px 3px 0 0; min-height: 1px; }
.chart .label { font-size: .7rem; color: var(--muted); }
.chart[data-chart="per-weekday"] .bars, .chart[data-chart="ratings"] .bars { max-width: 28rem; }
/* The list is focused after logging in (so the keyboard goes on there), by script: no ring
   round the whole column for that. Its entries show the focus ring when tabbed to. */
.groups:focus { outline: none; }
.groups .conv .last { text-align: start; }

/* Narrow windows (a phone, a split screen): everything wraps instead of running off screen. */
@media (max-width: 720px) {
  .top { flex-wrap: wrap; gap: .4rem .75rem; padding: .5rem .75rem; }
  .top .who { margin-left: auto; }
  .top .connection { flex-basis: 100%; order: 10; }
  .columns { grid-template-rows: minmax(5rem, 24%) 1fr; }
  /* Nothing chosen: the list has the window, not an empty pane that says to choose one. */
  .columns:has(> .detail > .placeholder:not([hidden])) { grid-template-rows: 1fr auto; }
  .columns > .detail > .placeholder { display: none; }
  .detail { overflow-y: auto; }
  .conversation { flex: 1 0 auto; }
  .conv-head { flex-wrap: wrap; gap: .5rem; padding: .6rem .75rem; }
  .conv-head > div:first-child { flex: 1 1 100%; }
  .conv-title { overflow-wrap: anywhere; }
  .actions { flex-wrap: wrap; width: 100%; }
  .actions button { flex: 1 1 auto; }
  .ctx-toggle { display: block; margin: .35rem .75rem 0; align-self: flex-start; border-radius: 6px; padding: .2rem .7rem; border: 1px solid var(--green); background: #fff; color: var(--green); font: inherit; font-size: .85rem; font-weight: 600; cursor: pointer; }
  .ctx-toggle::after { content: " ▾" / ""; }
  .ctx-toggle[aria-expanded="true"]::after { content: " ▴" / ""; }
  .context { display: none; max-height: none; padding: .4rem .75rem; }
  .ctx-toggle[aria-expanded="true"] + .context { display: flex; }
  .messages { flex: 1 0 10rem; min-height: 10rem; padding: .75rem; }
  .msg { max-width: 90%; }
  .assist { padding: .3rem .75rem 0; }
  .assist ul { max-height: 4.5rem; grid-template-columns: 1fr; }
  .composer { padding: .5rem .75rem; }
  .composer textarea { min-width: 0; }
}
@media (max-width: 720px) { .admin { grid-template-columns: 1fr; grid-template-rows: auto 1fr; } .admin-nav { flex-direction: row; flex-wrap: wrap; border-right: 0; border-bottom: 1px solid var(--line); } }
`;

/** Adds the CSS once, however often the console starts. */
export function addStyles(doc: Document = document): void {
  if (doc.getElementById("loket-console-extra")) return;
  const style = doc.createElement("style");
  style.id = "loket-console-extra";
  style.textContent = CONSOLE_CSS;
  doc.head.append(style);
}
