// The sheet editor: add, remove and reorder indicator rows in place; show the checker's findings as you type.
(function () {
  "use strict";
  const form = document.getElementById("sheet-editor");
  if (!form) return;
  const body = document.querySelector("#indicator-rows tbody");
  const total = form.querySelector("input[name='rows-TOTAL_FORMS']");
  const template = document.getElementById("empty-row");
  const findings = document.querySelector("#live-findings ul");

  function liveRows() {
    return Array.from(body.querySelectorAll("tr.indicator-row")).filter((row) => !row.hidden);
  }

  function renumber() {
    liveRows().forEach((row, index) => {
      const order = row.querySelector("input[name$='-ORDER']");
      if (order) order.value = index + 1;
    });
  }

  function addRow() {
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    renumber();
    const first = body.lastElementChild.querySelector("input, textarea");
    if (first) first.focus();
    scheduleCheck();
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    if (button.classList.contains("remove-row")) {
      row.querySelector("input[name$='-DELETE']").checked = true;
      row.hidden = true;
    } else if (button.classList.contains("move-up")) {
      let previous = row.previousElementSibling;
      while (previous && previous.hidden) previous = previous.previousElementSibling;
      if (previous) body.insertBefore(row, previous);
    } else if (button.classList.contains("move-down")) {
      let next = row.nextElementSibling;
      while (next && next.hidden) next = next.nextElementSibling;
      if (next) body.insertBefore(next, row);
    } else {
      return;
    }
    renumber();
    scheduleCheck();
  });

  document.getElementById("add-row").addEventListener("click", addRow);

  let timer = null;
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  async function check() {
    try {
      const response = await fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      const data = await response.json();
      findings.replaceChildren();
      if (!data.findings.length) {
        const item = document.createElement("li");
        item.className = "ok";
        item.textContent = "未发现问题。";
        findings.appendChild(item);
      }
      for (const finding of data.findings) {
        const item = document.createElement("li");
        item.className = "finding " + finding.severity;
        item.textContent = finding.severity_label + "：" + finding.message;
        findings.appendChild(item);
      }
    } catch (error) {
      /* offline: keep the last findings */
    }
  }

  form.addEventListener("input", scheduleCheck);
  renumber();
})();
