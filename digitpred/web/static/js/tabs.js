// The Draw / Number / Upload tabs (the WAI-ARIA tabs pattern: click, arrows, Home, End). The open tab is this
// module's state: read it as tabs.mode. onSelect(mode) runs after every change, for what the others must do then.

import { byId } from "./dom.js";

// tablist: the [role=tablist] element, hidden until start(); layout: the element whose "wide" class gives the
// number canvas the whole row.
export function createTabs({ tablist, layout, onSelect }) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  let mode = "draw";

  function select(next, focus = false) {
    mode = next;
    for (const tab of tabs) {
      const on = tab.dataset.mode === next;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      byId(tab.getAttribute("aria-controls")).hidden = !on;
      if (on && focus) tab.focus();
    }
    // The wide number canvas takes the whole row; the result goes below it.
    layout.classList.toggle("wide", next === "number");
    onSelect(next);
  }

  tablist.addEventListener("click", (e) => {
    const tab = e.target.closest('[role="tab"]');
    if (tab) select(tab.dataset.mode);
  });

  tablist.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(tabs[(next + tabs.length) % tabs.length].dataset.mode, true);
  });

  // Shows the tabs (they only work with JavaScript) and opens the one the page asks for.
  function start() {
    tablist.hidden = false;
    select(tablist.dataset.initialMode === "upload" ? "upload" : "draw");
  }

  return {
    get mode() {
      return mode;
    },
    select,
    start,
  };
}
