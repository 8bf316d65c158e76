/** The widget's CSS, scoped to its shadow root. Pixels only: shop pages may set html { font-size }. */

export const CSS = `
:host { all: initial; }
.root, .root * { box-sizing: border-box; }
.root {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d1d1f; text-align: left; direction: ltr;
}
button, textarea { font: inherit; color: inherit; margin: 0; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
      white-space: nowrap; border: 0; padding: 0; margin: -1px; }
.launcher {
  position: relative; display: flex; align-items: center; justify-content: center;
  width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
  background: #20443a; color: #fff; box-shadow: 0 4px 14px rgba(0,0,0,.25);
}
.launcher:focus-visible, .close:focus-visible, .send:focus-visible { outline: 3px solid #f5b301; outline-offset: 2px; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: #c62828; color: #fff; font-size: 12px; font-weight: 700;
  line-height: 22px; text-align: center;
}
.badge[hidden], .panel[hidden], .typing[hidden], .conn[hidden] { display: none; }
.panel {
  position: absolute; right: 0; bottom: 76px; width: 370px; height: 560px;
  max-height: calc(100vh - 110px); display: flex; flex-direction: column;
  background: #fff; border-radius: 12px; overflow: hidden;
  box-shadow: 0 8px 30px rgba(0,0,0,.28);
}
.head { display: flex; align-items: flex-start; gap: 8px; padding: 14px 16px;
        background: #20443a; color: #fff; }
.head .titles { flex: 1; min-width: 0; }
.title { font-size: 16px; font-weight: 700; margin: 0; }
.state { font-size: 13px; opacity: .9; margin-top: 2px; }
.close { border: 0; background: transparent; color: #fff; cursor: pointer; width: 32px; height: 32px;
         border-radius: 6px; font-size: 22px; line-height: 1; padding: 0; }
.conn { padding: 6px 16px; font-size: 13px; background: #fff4d6; color: #5c4300; }
.messages { flex: 1; overflow-y: auto; margin: 0; padding: 12px; list-style: none;
            background: #f6f7f6; display: flex; flex-direction: column; gap: 8px; }
.empty { color: #555; font-size: 14px; text-align: center; padding: 24px 8px; }
.msg { max-width: 85%; align-self: flex-start; }
.msg.own { align-self: flex-end; }
.bubble { padding: 8px 12px; border-radius: 12px; background: #fff; border: 1px solid #e2e5e3;
          white-space: pre-wrap; overflow-wrap: anywhere; font-size: 15px; }
.msg.own .bubble { background: #20443a; color: #fff; border-color: #20443a; }
.msg.own .bubble a { color: #fff; }
.bubble a { color: #1a5c9e; text-decoration: underline; }
.msg.system .bubble { background: transparent; border: 0; color: #555; font-size: 13px; text-align: center; }
.msg.system { align-self: center; }
.meta { font-size: 11px; color: #666; margin: 2px 4px 0; }
.msg.own .meta { text-align: right; }
.msg.failed .bubble { opacity: .6; }
.msg.failed .status { color: #b00020; }
.typing { padding: 4px 16px; font-size: 13px; color: #555; font-style: italic; min-height: 0; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px; border-top: 1px solid #e2e5e3; background: #fff; }
.composer textarea { flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 10px;
                     border: 1px solid #b9c0bc; border-radius: 8px; background: #fff; color: #1d1d1f;
                     font-size: 15px; line-height: 1.35; }
.composer textarea:focus { outline: 2px solid #20443a; outline-offset: 0; border-color: #20443a; }
.send { border: 0; border-radius: 8px; padding: 0 14px; height: 40px; background: #20443a; color: #fff;
        cursor: pointer; font-weight: 600; }
.notice { padding: 6px 12px 0; font-size: 12px; color: #b00020; }
.notice:empty { display: none; }
@media (max-width: 480px) {
  .root.open { right: 0; bottom: 0; left: 0; top: 0; }
  .root.open .launcher { display: none; }
  .panel { position: fixed; left: 0; top: 0; right: 0; bottom: 0; width: 100%; height: 100%;
           max-height: none; border-radius: 0; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel { transition: opacity .15s ease; }
}
`;
