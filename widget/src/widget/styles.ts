/** The widget's CSS, scoped to its shadow root. Pixels only: shop pages may set html { font-size }. */

export const CSS = `
:host { all: initial; }
.root, .root * { box-sizing: border-box; }
.root {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d1d1f; text-align: left; direction: ltr;
}
button, textarea, input { font: inherit; color: inherit; margin: 0; }
/* Messages and typed text carry dir="auto": right-to-left text starts at the right. */
.bubble, textarea, input { text-align: start; }
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
.badge[hidden], .panel[hidden], .typing[hidden], .new-below[hidden], .conn[hidden], .sheet[hidden], .invite[hidden],
.offers[hidden], .thanks[hidden], .offers button[hidden] { display: none; }
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
.msg.system .meta { text-align: center; }
.msg.failed .bubble { opacity: .6; }
.msg.failed .status { color: #b00020; }
.typing { padding: 4px 16px; font-size: 13px; color: #555; font-style: italic; min-height: 0; }
.new-below { align-self: center; margin: -40px auto 8px; position: relative; z-index: 1; border: 0;
             border-radius: 16px; padding: 6px 14px; background: #20443a; color: #fff; font-size: 13px;
             cursor: pointer; box-shadow: 0 2px 6px rgba(0,0,0,.25); flex-shrink: 0; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px; border-top: 1px solid #e2e5e3; background: #fff; }
.composer textarea { flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 10px;
                     border: 1px solid #b9c0bc; border-radius: 8px; background: #fff; color: #1d1d1f;
                     font-size: 15px; line-height: 1.35; }
.composer textarea:disabled, .send:disabled { opacity: .55; cursor: not-allowed; }
.composer textarea:focus { outline: 2px solid #20443a; outline-offset: 0; border-color: #20443a; }
.send { border: 0; border-radius: 8px; padding: 0 14px; height: 40px; background: #20443a; color: #fff;
        cursor: pointer; font-weight: 600; }
.notice { padding: 6px 12px 0; font-size: 12px; color: #b00020; }
.detail { font-size: 13px; margin-top: 4px; font-weight: 600; }
.detail:empty { display: none; }
.offer { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; align-items: center; }
.offer .ask-line { font-size: 13px; color: #555; width: 100%; }
.offer button, .offers button, .sheet button, .invite button { cursor: pointer; border-radius: 16px; font-size: 13px; }
.offer button { border: 1px solid #20443a; background: #fff; color: #20443a; padding: 5px 11px; text-align: left; }
.offer button:disabled { opacity: .55; cursor: default; }
.offer .choice.chosen { background: #20443a; color: #fff; opacity: 1; }
.offers { display: flex; justify-content: center; padding: 6px 12px 0; background: #fff; }
.person, .leave-offer { border: 1px solid #20443a; background: #fff; color: #20443a; padding: 6px 14px; font-weight: 600; }
.person:disabled, .leave-offer:disabled { opacity: .55; }
.sheet { flex: 0 1 auto; min-height: 0; overflow-y: auto; margin: 0; padding: 10px 14px; border-top: 1px solid #e2e5e3; background: #fff; display: grid; gap: 4px; font-size: 14px; }
.sheet h3, .sheet legend { font-size: 15px; font-weight: 700; margin: 0 0 2px; padding: 0; }
.sheet fieldset { border: 0; margin: 0; padding: 0; }
.sheet .intro { margin: 0 0 4px; color: #555; font-size: 13px; }
.sheet label { font-size: 13px; font-weight: 600; margin-top: 4px; }
.sheet input, .sheet textarea { width: 100%; padding: 7px 9px; border: 1px solid #b9c0bc; border-radius: 6px; background: #fff; font-size: 14px; resize: none; }
.sheet textarea { min-height: 58px; }
.sheet .contact { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.sheet .contact > div { display: grid; gap: 4px; min-width: 0; align-content: start; }
.sheet input { min-height: 34px; }
.asking .offers, .asking .offer-leave { display: none; }
/* The form takes room of its own: the panel grows while it is open (as far as the window
   lets it), so the conversation above it stays in sight. */
.panel.asking { height: 680px; }
.sheet [aria-invalid="true"] { border-color: #b00020; }
.sheet .error { color: #b00020; font-size: 13px; margin: 2px 0 0; }
.sheet .error:empty { display: none; }
.sheet .buttons { display: flex; gap: 8px; margin-top: 6px; }
.sheet .primary { border: 0; background: #20443a; color: #fff; padding: 8px 14px; font-weight: 600; border-radius: 8px; }
.sheet .secondary { border: 1px solid #b9c0bc; background: #fff; padding: 8px 14px; border-radius: 8px; }
.stars { display: flex; gap: 4px; }
.sheet .star { border: 0; background: transparent; font-size: 28px; line-height: 1; color: #c5cbc8; padding: 2px; }
.sheet .star.on { color: #e0a100; }
.head, .conn, .typing, .thanks, .offers, .notice, .composer { flex-shrink: 0; }
.messages { min-height: 72px; }
.thanks { margin: 0; padding: 8px 14px; text-align: center; font-size: 14px; color: #20443a; background: #fff; }
.invite { position: absolute; right: 0; bottom: 74px; width: 260px; display: flex; align-items: flex-start;
          background: #fff; border-radius: 12px; box-shadow: 0 4px 18px rgba(0,0,0,.22); }
.invite-text { flex: 1; border: 0; background: transparent; padding: 12px 4px 12px 14px; text-align: left; font-size: 14px; }
.invite-close { border: 0; background: transparent; width: 32px; height: 32px; font-size: 18px; color: #555; }
.offer button:focus-visible, .offers button:focus-visible, .sheet button:focus-visible, .invite button:focus-visible,
.sheet input:focus-visible, .sheet textarea:focus-visible { outline: 3px solid #f5b301; outline-offset: 1px; }
.notice:empty { display: none; }
@media (max-width: 480px) {
  .root.open { right: 0; bottom: 0; left: 0; top: 0; }
  .root.open .launcher { display: none; }
  .panel, .panel.asking { position: fixed; left: 0; top: 0; right: 0; bottom: 0; width: 100%;
           height: 100%; max-height: none; border-radius: 0; }
  /* An e-mail address needs the whole width to be read while typed. */
  .sheet .contact { grid-template-columns: 1fr; gap: 0; }
  /* Phones zoom into a field whose text is under 16px when it gets focus. */
  .composer textarea, .sheet input, .sheet textarea { font-size: 16px; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel { transition: opacity .15s ease; }
}
`;
