// The claim view: takes the claim while the page is open (others see it as taken), and sends the
// appraiser's actions. A take expires on the server unless renewed, so a closed laptop or a
// crashed browser returns the claim to the queue by itself.
"use strict";
(function () {
  const root = document.getElementById("claim");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = `/api/console/claims/${encodeURIComponent(root.dataset.facility)}/` +
    `${encodeURIComponent(root.dataset.claim)}/${root.dataset.version}`;
  const result = document.getElementById("c-result");
  const takenBox = document.getElementById("c-taken");
  const form = document.getElementById("c-actions");

  const post = (path, body, keepalive) => fetch(base + path, {
    method: "POST", keepalive: !!keepalive, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });

  async function take() {
    const r = await post("/take");
    if (!r.ok) return;
    const answer = await r.json();
    takenBox.hidden = answer.mine;
    if (!answer.mine) takenBox.textContent = root.dataset.taken.replace("{who}", answer.taken_by);
    form.querySelectorAll("button").forEach((b) => { b.disabled = !answer.mine; });
  }
  take();
  setInterval(take, Math.max(5, Number(root.dataset.takeSeconds) / 3) * 1000);
  window.addEventListener("pagehide", () => post("/release", {}, true));

  function body(action) {
    const out = { action, note: form.elements.note.value };
    const lines = Array.from(document.querySelectorAll("input.reject"))
      .filter((i) => Number(i.value) > 0)
      .map((i) => ({ table: i.dataset.table, line: Number(i.dataset.line), amount: Number(i.value) }));
    if (action === "REJECT_LINES") out.lines = lines;
    if (action === "CLEAR_HITS") {
      out.clear = Array.from(document.querySelectorAll('input[name="clear"]:checked')).map((i) => i.value);
    }
    if (action === "REQUEST_EXPLANATION") {
      out.due_days = Number(form.elements.due_days.value);
      out.proposal = form.elements.proposal.value;
      if (out.proposal === "REJECT_LINES") out.lines = lines;
    }
    return out;
  }

  form.addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    e.preventDefault();
    result.className = "result";
    result.textContent = "…";
    const r = await post("/actions", body(button.dataset.action));
    const answer = await r.json().catch(() => ({}));
    if (r.ok) {
      result.className = "result ok";
      result.textContent = root.dataset.sent;
      setTimeout(() => location.reload(), 1500);
    } else {
      result.className = "result bad";
      result.textContent = answer.detail || `HTTP ${r.status}`;
    }
  });
})();
