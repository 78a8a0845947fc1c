// Small DOM helpers shared by the page's modules: finding an element, making one, and telling a text field
// (where typing and pasting keep their usual meaning) from the rest of the page.

export const byId = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const TEXT_INPUT = 'textarea, [contenteditable]:not([contenteditable="false"]), ' +
  'input:not([type="button"], [type="checkbox"], [type="file"], [type="radio"], [type="reset"], [type="submit"])';
export const isTextField = (node) => node instanceof Element && Boolean(node.closest(TEXT_INPUT));
