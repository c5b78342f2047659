// The live review queue: rows arrive over Server-Sent Events; filters, counts and keyboard
// navigation run here. The browser's EventSource reconnects by itself and sends the last event
// id, so the server resumes with what changed meanwhile (or a full snapshot after a restart).
"use strict";
(function () {
  const MAX_ROWS = 300; // rows drawn at once: filters narrow the rest
  const lang = document.body.dataset.lang || "vi";
  const words = JSON.parse(document.getElementById("q-words").textContent);
  const rows = new Map(); // key -> row
  const form = document.getElementById("q-filters");
  const body = document.getElementById("q-rows");
  const live = document.getElementById("q-live");
  let selected = null;
  let drawPending = false;
  // Read by the browser tests and `hireview bench console`: when each claim first arrived, and
  // the longest gap between two animation frames (the page's responsiveness under a burst).
  const stats = { rows, received: 0, arrivals: new Map(), maxFrameGap: 0, frames: 0 };
  window.hireviewQueue = stats;
  (function frame(last) {
    requestAnimationFrame((t) => {
      if (last !== null) stats.maxFrameGap = Math.max(stats.maxFrameGap, t - last);
      stats.frames += 1;
      frame(t);
    });
  })(null);

  const money = (v) => new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-US",
    { maximumFractionDigits: 0 }).format(Math.round(v)) + " ₫";
  // dd/mm hh:mm in Vietnam time, whatever the browser's zone and locale (the year when not
  // this year's), the way the agency writes dates.
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  const thisYear = new Date().getFullYear().toString();
  const when = (ms) => {
    const p = Object.fromEntries(parts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return `${p.day}/${p.month}${p.year === thisYear ? "" : "/" + p.year} ${p.hour}:${p.minute}`;
  };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;",
    ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function ageOk(row, age, now) {
    const h = (now - row.submitted_at) / 3600e3;
    return !age || (age === "1h" ? h < 1 : age === "1d" ? h < 24 : age === "7d" ? h < 168
      : h >= 168);
  }

  function matches(row, f, now) {
    return (!f.province || row.province === f.province) &&
      (!f.district || row.district === f.district) &&
      (!f.facility || row.facility === f.facility) &&
      (!f.rule || row.rules.includes(f.rule)) &&
      (!f.severity || row.severities.includes(f.severity)) &&
      (!f.outcome || row.outcome === f.outcome) &&
      (f.status === "todo" ? row.status !== "resolved" : !f.status || row.status === f.status) &&
      ageOk(row, f.age, now);
  }

  function fillSelect(name, values) {
    const select = form.elements[name];
    const have = new Set(Array.from(select.options).map((o) => o.value));
    for (const v of Array.from(values).sort()) {
      if (!have.has(v)) select.add(new Option(v, v));
    }
  }

  function draw() {
    drawPending = false;
    const f = Object.fromEntries(new FormData(form).entries());
    const now = Date.now();
    const shown = [];
    let count = 0, stake = 0;
    const seen = { province: new Set(), district: new Set(), facility: new Set(), rule: new Set() };
    for (const row of rows.values()) {
      seen.province.add(row.province); seen.facility.add(row.facility);
      if (row.district) seen.district.add(row.district);
      row.rules.forEach((r) => seen.rule.add(r));
      if (!matches(row, f, now)) continue;
      count += 1; stake += row.at_stake;
      shown.push(row);
    }
    for (const name in seen) fillSelect(name, seen[name]);
    shown.sort((a, b) => b.submitted_at - a.submitted_at || (a.key < b.key ? -1 : 1));
    const html = [];
    for (const row of shown.slice(0, MAX_ROWS)) {
      const taken = row.taken_by ? `<span class="taken">${esc(words.taken.replace("{who}", row.taken_by))}</span>` : "";
      html.push(`<tr data-key="${esc(row.key)}" class="${row.key === selected ? "sel" : ""} st-${row.status}${row.taken_by ? " is-taken" : ""}">` +
        `<td>${when(row.submitted_at)}</td><td>${esc(row.facility)}</td>` +
        `<td><a href="/claims/${encodeURIComponent(row.facility)}/${encodeURIComponent(row.claim_id)}/${row.version}">${esc(row.claim_id)}</a>${row.version > 1 ? ` <small>v${row.version}</small>` : ""}</td>` +
        `<td>${row.rules.map((r) => `<span class="code">${esc(r)}</span>`).join(" ")}</td>` +
        `<td><span class="oc oc-${row.outcome}">${esc(words.outcome[row.outcome] || row.outcome)}</span></td>` +
        `<td class="num">${money(row.requested)}</td><td class="num">${money(row.at_stake)}</td>` +
        `<td><span class="st">${esc(words.status[row.status] || row.status)}</span>${taken}</td></tr>`);
    }
    body.innerHTML = html.join("");
    document.getElementById("q-count").textContent = count.toLocaleString(lang === "vi" ? "vi-VN" : "en-US");
    document.getElementById("q-stake").textContent = money(stake);
    document.getElementById("q-empty").hidden = count > 0;
    const more = document.getElementById("q-more");
    more.hidden = count <= MAX_ROWS;
    more.textContent = more.dataset.text.replace("{shown}", MAX_ROWS).replace("{total}", count);
  }

  // At most 4 redraws a second: under a burst the rows arrive every 100 ms, and redrawing the
  // table for each batch would keep the main thread busy (key presses would wait).
  const MIN_REDRAW_MS = 250;
  let lastDraw = 0;
  function schedule() {
    if (drawPending) return;
    drawPending = true;
    const wait = Math.max(0, lastDraw + MIN_REDRAW_MS - performance.now());
    setTimeout(() => requestAnimationFrame(() => { lastDraw = performance.now(); draw(); }), wait);
  }

  function apply(list, reset) {
    if (reset) rows.clear();
    const now = Date.now();
    for (const row of list) {
      rows.set(row.key, row);
      if (!stats.arrivals.has(row.key)) stats.arrivals.set(row.key, now);
    }
    stats.received += list.length;
    schedule();
  }

  function connect() {
    const source = new EventSource("/api/console/stream");
    source.addEventListener("open", () => { live.className = "live on"; live.textContent = live.dataset.on; });
    source.addEventListener("error", () => { live.className = "live off"; live.textContent = live.dataset.off; });
    source.addEventListener("snapshot", (e) => apply(JSON.parse(e.data).rows, true));
    source.addEventListener("rows", (e) => apply(JSON.parse(e.data).rows, false));
  }

  function move(step) {
    const trs = Array.from(body.querySelectorAll("tr"));
    if (!trs.length) return;
    let i = trs.findIndex((tr) => tr.dataset.key === selected);
    i = Math.max(0, Math.min(trs.length - 1, i < 0 ? 0 : i + step));
    selected = trs[i].dataset.key;
    trs.forEach((tr) => tr.classList.toggle("sel", tr.dataset.key === selected));
    trs[i].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (e.key === "j" || e.key === "ArrowDown") { move(1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { move(-1); e.preventDefault(); }
    else if (e.key === "Enter" && selected) {
      const link = body.querySelector(`tr.sel a`);
      if (link) link.click();
    } else if (e.key === "/") { form.elements[0].focus(); e.preventDefault(); }
  });
  body.addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr && !e.target.closest("a")) { selected = tr.dataset.key; schedule(); }
  });
  form.addEventListener("change", schedule);
  setInterval(schedule, 30000); // ages and due dates move on without events
  connect();
})();
