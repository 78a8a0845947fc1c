// Boxes over a canvas or an image, one per mark read, each labelled with what it was read as: its digit ("?"
// when doubtful), "." for a decimal point, "−" for a minus sign.
// They are positioned through the CSSOM (element.style), which a strict style-src allows, and placed again
// whenever the target changes size.

import { el } from "./dom.js";

// overlay: an absolutely positioned, aria-hidden element in the same position:relative wrapper as target.
// fit: "fill" when the target's content box shows the whole image stretched (the canvas),
//      "contain" for an <img> with object-fit: contain (the upload preview).
export function createOverlay(overlay, target, fit) {
  let last = null; // { marks, size } with size() the image's own pixel size, read when placing

  function place() {
    overlay.replaceChildren();
    if (!last || !target.clientWidth) return;
    const { marks } = last;
    const [width, height] = last.size();
    if (!(width > 0 && height > 0)) return; // e.g. the preview has not loaded yet: placed on its resize
    const cw = target.clientWidth;
    const ch = target.clientHeight;
    let sx = cw / width;
    let sy = ch / height;
    let ox = 0;
    let oy = 0;
    if (fit === "contain") {
      sx = sy = Math.min(sx, sy);
      ox = (cw - width * sx) / 2;
      oy = (ch - height * sy) / 2;
    }
    // target's content box, relative to the wrapper (its offsetParent)
    const left = target.offsetLeft + target.clientLeft + ox;
    const top = target.offsetTop + target.clientTop + oy;
    for (const d of marks) {
      const [x, y, w, h] = (Array.isArray(d.box) ? d.box : []).map(Number);
      if (![x, y, w, h].every(Number.isFinite)) continue;
      const box = el("div", d.uncertain ? "box doubtful" : "box");
      box.style.left = `${left + x * sx}px`;
      box.style.top = `${top + y * sy}px`;
      box.style.width = `${Math.max(2, w * sx)}px`;
      box.style.height = `${Math.max(2, h * sy)}px`;
      const text = d.kind === "point" ? "." : d.kind === "minus" ? "−" : d.uncertain ? `${d.digit}?` : String(d.digit);
      const label = el("span", "box-label", text);
      if (y * sy < 20) label.classList.add("below"); // no room above the box: put the label under it
      box.append(label);
      overlay.append(box);
    }
  }

  new ResizeObserver(place).observe(target);
  return {
    // marks: a number's "marks" (digits, points, a minus sign) or its "digits", each with a box.
    show(marks, size) {
      last = { marks, size };
      place();
    },
    clear() {
      last = null;
      overlay.replaceChildren();
    },
  };
}
