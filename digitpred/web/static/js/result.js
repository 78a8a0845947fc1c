// The result panel, shared by every mode: a digit with its confidence, bars and the 28 × 28 image the model saw,
// a number with one card per digit, an error, the "Predicting…" state, and one sentence per answer for screen
// readers. It only shows what it is given; which answer is current is decided in sending.js.

import { byId, el } from "./dom.js";

const pct = (p) => `${(p * 100).toFixed(1)}%`;
// Only accept a data: image, never an arbitrary URL from the response.
const isDataImage = (s) => typeof s === "string" && s.startsWith("data:image/");

export function createResultPanel() {
  const region = byId("result");
  const ui = {
    status: byId("result-status"),
    placeholder: byId("result-placeholder"),
    error: byId("result-error"),
    closest: byId("result-closest"),
    closestDigit: byId("result-closest-digit"),
    closestProbability: byId("result-closest-probability"),
    body: byId("result-body"),
    digit: byId("result-digit"),
    confidence: byId("result-confidence"),
    uncertain: byId("result-uncertain"),
    uncertainDigit: byId("result-uncertain-digit"),
    announce: byId("result-announce"),
    input: byId("result-input"),
    bars: [...document.querySelectorAll("#result-bars .bar")],
    numberBody: byId("number-body"),
    number: byId("number-value"),
    numberConfidence: byId("number-confidence"),
    numberUncertain: byId("number-uncertain"),
    numberDigits: byId("number-digits"),
  };

  // The same sentence in a bar at the foot of the screen while the result card is out of view (on a phone the
  // card starts below the canvas): the answer stays in view while drawing or while the camera runs. Screen readers
  // have the status region; the bar is for eyes only.
  const bar = byId("answer-bar");
  let cardInView = true;
  const placeBar = () => {
    bar.hidden = cardInView || !bar.textContent;
  };
  new IntersectionObserver(
    ([entry]) => {
      cardInView = entry.isIntersecting && entry.intersectionRatio >= 0.25;
      placeBar();
    },
    { threshold: [0, 0.25, 0.5, 1] },
  ).observe(region);

  // One sentence per answer in a polite status region: screen readers hear the digit and, above all, when the
  // model is unsure (the visible note alone would not be read out if it was already showing for the last answer).
  let announceTimer = 0;
  function announce(text) {
    bar.textContent = text;
    placeBar();
    clearTimeout(announceTimer);
    ui.announce.textContent = "";
    // Emptied first and refilled a moment later, so the same sentence twice in a row is read out twice.
    announceTimer = setTimeout(() => { ui.announce.textContent = text; }, 50);
  }

  function show(which) {
    ui.placeholder.hidden = which !== "placeholder";
    ui.error.hidden = which !== "error";
    if (which !== "error") ui.closest.hidden = true;
    ui.body.hidden = which !== "result";
    ui.numberBody.hidden = which !== "number";
  }

  // data: an /api/predict answer in digit mode.
  function showDigit(data) {
    const uncertain = Boolean(data.uncertain);
    ui.digit.textContent = String(data.digit);
    ui.confidence.textContent = pct(data.confidence);
    ui.uncertain.hidden = !uncertain;
    ui.uncertainDigit.textContent = String(data.digit);
    ui.body.classList.toggle("is-uncertain", uncertain);
    if (isDataImage(data.input)) ui.input.src = data.input;
    ui.bars.forEach((li, i) => {
      const p = Number(data.probabilities?.[i]) || 0;
      li.querySelector("progress").value = p;
      li.querySelector(".bar-pct").textContent = pct(p);
      li.classList.toggle("winner", i === data.digit);
    });
    show("result");
    announce(
      uncertain
        ? `Digit ${data.digit}, low confidence: this may not be a ${data.digit} (only ${pct(data.confidence)} sure). ` +
            "Try writing it larger and clearer, or use a sharper image."
        : `Digit ${data.digit}, ${pct(data.confidence)} confident.`,
    );
  }

  // data: an /api/predict answer in number mode, with at least one digit.
  function showNumber(data) {
    ui.number.textContent = data.number;
    ui.numberConfidence.textContent = pct(Number(data.confidence) || 0);
    const doubtful = data.digits.filter((d) => d.uncertain).length;
    const leftOut = Array.isArray(data.left_out) ? data.left_out.length : 0;
    const notes = [];
    if (doubtful) notes.push(doubtful === 1 ? "One digit is doubtful (marked below)." : `${doubtful} digits are doubtful (marked below).`);
    if (leftOut) notes.push(leftOut === 1 ? "One mark is not a digit and was left out." : `${leftOut} marks are not digits and were left out.`);
    ui.numberUncertain.hidden = notes.length === 0;
    ui.numberUncertain.textContent = notes.join(" ");
    const items = data.digits.map((d, i) => {
      const li = el("li", d.uncertain ? "digit-card doubtful" : "digit-card");
      const img = el("img");
      img.width = img.height = 56;
      img.alt = `The 28 × 28 image the model saw for digit ${i + 1}`;
      if (isDataImage(d.input)) img.src = d.input;
      li.append(img, el("span", "digit-value", String(d.digit)), el("span", "digit-conf", pct(Number(d.confidence) || 0)));
      if (d.uncertain) li.append(el("span", "digit-flag", "Doubtful"));
      return li;
    });
    ui.numberDigits.replaceChildren(...items);
    show("number");
    announce(
      `Number ${data.number}, ${pct(Number(data.confidence) || 0)} confident.` +
        (notes.length ? ` ${doubtful ? "Low confidence: " : ""}${ui.numberUncertain.textContent}` : ""),
    );
  }

  // closest: with a "not a digit" refusal, the nearest digit and its probability ({digit, probability}), shown small.
  function showError(message, closest = null) {
    ui.error.textContent = message;
    show("error");
    const guess = closest && Number.isInteger(closest.digit) ? closest : null;
    ui.closest.hidden = !guess;
    if (guess) {
      ui.closestDigit.textContent = String(guess.digit);
      ui.closestProbability.textContent = pct(Number(guess.probability) || 0);
    }
    announce(guess ? `${message} The closest digit is ${guess.digit}.` : message);
  }

  // Back to the placeholder, with nothing left to announce.
  function clear() {
    show("placeholder");
    announce("");
  }

  function setBusy(busy) {
    region.setAttribute("aria-busy", String(busy));
    region.classList.toggle("busy", busy);
    ui.status.hidden = !busy;
  }

  const isBusy = () => region.classList.contains("busy");

  return { showDigit, showNumber, showError, clear, setBusy, isBusy };
}
