// Corrections under an answer: "That's right", or the true digit or number, sent to /api/corrections with the same
// image the answer was for. Only the answer on show can be corrected; a reply about an older one is dropped.

import { UNREACHABLE, postForm, serverError } from "./api.js";
import { byId } from "./dom.js";

export function createCorrections({ url }) {
  const fb = {
    box: byId("feedback"),
    right: byId("feedback-right"),
    digits: byId("feedback-digits"),
    numberForm: byId("feedback-number"),
    numberInput: byId("feedback-number-input"),
    status: byId("feedback-status"),
  };
  const controls = () => [...fb.box.querySelectorAll("button, input")];
  let offered = null; // { blob, filename, mode, predicted } for the answer on show

  function setStatus(text, isError = false) {
    fb.status.textContent = text;
    fb.status.classList.toggle("is-error", isError);
  }

  function offer(answer) {
    offered = answer;
    const number = answer.mode === "number";
    fb.digits.hidden = number;
    fb.numberForm.hidden = !number;
    fb.numberInput.value = "";
    for (const node of controls()) node.disabled = false;
    for (const b of fb.digits.querySelectorAll("[data-label]")) b.hidden = b.dataset.label === answer.predicted;
    setStatus("");
    fb.box.hidden = false;
  }

  function hide() {
    offered = null;
    fb.box.hidden = true;
  }

  async function send(truth) {
    const answer = offered;
    if (!answer) return;
    const body = new FormData();
    body.append("image", answer.blob, answer.filename);
    body.append("mode", answer.mode);
    body.append(answer.mode === "number" ? "number" : "label", truth);
    for (const node of controls()) node.disabled = true;
    setStatus("Sending…");
    let message = "";
    let ok = false;
    try {
      const { res, data } = await postForm(url, body);
      ok = res.ok;
      message = ok
        ? truth === answer.predicted
          ? "Thank you for confirming."
          : `Thank you: saved as ${truth}. Corrections help train the next model.`
        : serverError(res, data);
    } catch {
      message = UNREACHABLE;
    }
    if (offered !== answer) return; // a newer answer is on show
    setStatus(message, !ok);
    if (!ok) for (const node of controls()) node.disabled = false; // let them try again
  }

  fb.right.addEventListener("click", () => offered && send(offered.predicted));
  fb.digits.addEventListener("click", (e) => {
    const button = e.target.closest("[data-label]");
    if (button) send(button.dataset.label);
  });
  fb.numberForm.addEventListener("submit", (e) => {
    e.preventDefault();
    // What the server takes (corrections/submit.py): a leading minus, digits, decimal points (a comma is one).
    const value = fb.numberInput.value.trim().replaceAll(",", ".");
    const digits = value.replace(/[^0-9]/g, "").length;
    if (!/^-?(?:[0-9]+(?:\.[0-9]+)*|\.[0-9]+)$/.test(value) || digits > 12) {
      setStatus("Type the number as digits only, with a leading - and a decimal point if it has them; up to 12 digits.", true);
      fb.numberInput.focus();
      return;
    }
    send(value);
  });

  return { offer, hide };
}
