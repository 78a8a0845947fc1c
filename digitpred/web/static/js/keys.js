// The keyboard shortcuts: Enter predicts, and on a drawing pad Escape clears and Ctrl/Cmd+Z undoes. Where a key
// already means something (a button, a link, a form field), it keeps that meaning.

import { byId, isTextField } from "./dom.js";

const USES_ENTER = "a[href], button, input, select, textarea, summary, [contenteditable]:not([contenteditable='false']), " +
  "[role='button'], [role='tab'], [role='link'], [role='checkbox'], form";
const usesEnter = (node) => node instanceof Element && Boolean(node.closest(USES_ENTER));

// pads: { draw, number } from pads.js, keyed by tab; tabs: from tabs.js; predictUpload: the Upload tab's Predict.
export function installKeys({ pads, tabs, predictUpload }) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing || e.altKey) return;
    const pad = pads[tabs.mode]; // undefined on the Upload tab
    const mod = e.ctrlKey || e.metaKey;
    if (e.key === "Enter" && !mod && !e.shiftKey && !e.repeat && !usesEnter(e.target)) {
      e.preventDefault();
      if (pad) pad.predict();
      else predictUpload();
    } else if (e.key === "Escape" && !mod && !e.shiftKey && pad) {
      e.preventDefault();
      pad.clear();
    } else if (mod && !e.shiftKey && e.key.toLowerCase() === "z" && pad && !isTextField(e.target)) {
      e.preventDefault();
      pad.undo();
    }
  });

  // Apple keyboards say Cmd for what others call Ctrl.
  const platform = navigator.userAgentData?.platform || navigator.platform || "";
  if (/mac|iphone|ipad|ipod/i.test(platform)) {
    for (const key of document.querySelectorAll(".mod-key")) key.textContent = "⌘";
  }
  byId("kbd-hint").hidden = false;
}
