// The sheet editor: indicator rows live in their 一级/二级 group (tbody.indicator-group). Rows are added inside a
// group, dragged (pointer events: mouse, pen and touch) or moved with ↑ ↓ within and across groups; a row that
// changes group takes the group's category. The checker's findings are shown as you type, beside each row, and
// the offending input is marked (aria-invalid). Adding a row offers the indicator library's entries for its group.
(function () {
  "use strict";
  const form = document.getElementById("sheet-editor");
  if (!form) return;
  const table = document.getElementById("indicator-rows");
  const total = form.querySelector("input[name='rows-TOTAL_FORMS']");
  const template = document.getElementById("empty-row");
  const findings = document.querySelector("#live-findings ul");
  const box = document.getElementById("suggest-box");

  const groups = () => Array.from(table.querySelectorAll("tbody.indicator-group"));
  const liveRows = () => Array.from(table.querySelectorAll("tr.indicator-row")).filter((row) => !row.hidden);
  const field = (row, name) => row.querySelector(`[name$='-${name}']`);

  function renumber() {
    liveRows().forEach((row, index) => {
      const order = field(row, "ORDER");
      if (order) order.value = index + 1;
    });
  }

  function adopt(row, group) {
    field(row, "category").value = group.dataset.category;
    field(row, "subcategory").value = group.dataset.subcategory;
  }

  function changed() {
    renumber();
    scheduleCheck();
  }

  // ---------------------------------------------------------------- text areas that grow with their text
  function grow(area) {
    if (!area || area.tagName !== "TEXTAREA") return;
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }
  const growAll = (root) => root.querySelectorAll("textarea.grow").forEach(grow);
  form.addEventListener("input", (event) => {
    grow(event.target);
    scheduleCheck();
  });
  form.addEventListener("keydown", (event) => {
    // 三级指标 and 指标值 are one line in the form: Enter does not break them (they still wrap to show long text)
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("single-line")) {
      event.preventDefault();
    }
  });
  window.addEventListener("resize", () => growAll(form));

  // ---------------------------------------------------------------- adding, removing, moving
  function addRow(group) {
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const rows = group.querySelectorAll("tr.indicator-row");
    const anchor = rows.length ? rows[rows.length - 1] : group.querySelector("tr.group-head");
    anchor.insertAdjacentHTML("afterend", html);
    const row = anchor.nextElementSibling;
    total.value = index + 1;
    adopt(row, group);
    growAll(row);
    changed();
    const name = field(row, "name");
    name.focus();
    suggest(name, row);
    return row;
  }

  function neighbour(row, step) {
    // the next live row up or down, or the head of the next group when the row is at its group's edge
    let other = step < 0 ? row.previousElementSibling : row.nextElementSibling;
    while (other && other.hidden) other = step < 0 ? other.previousElementSibling : other.nextElementSibling;
    return other;
  }

  function move(row, step) {
    const group = row.parentElement;
    const other = neighbour(row, step);
    if (other && other.classList.contains("indicator-row")) {
      if (step < 0) group.insertBefore(row, other);
      else group.insertBefore(other, row);
    } else {
      const list = groups();
      const target = list[list.indexOf(group) + step];
      if (!target) return;
      if (step < 0) target.appendChild(row);
      else target.querySelector("tr.group-head").after(row);
      adopt(row, target);
    }
    row.querySelector(step < 0 ? ".move-up" : ".move-down").focus();
    changed();
  }

  table.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("add-row")) {
      addRow(button.closest("tbody"));
      return;
    }
    const row = button.closest("tr.indicator-row");
    if (!row) return;
    if (button.classList.contains("remove-row")) {
      field(row, "DELETE").checked = true;
      row.hidden = true;
      changed();
    } else if (button.classList.contains("move-up")) {
      move(row, -1);
    } else if (button.classList.contains("move-down")) {
      move(row, 1);
    }
  });

  // ---------------------------------------------------------------- dragging with pointer events
  let drag = null;
  table.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (!handle || (event.pointerType === "mouse" && event.button !== 0)) return;
    const row = handle.closest("tr.indicator-row");
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    drag = { row, handle, pointerId: event.pointerId };
    row.classList.add("dragging");
    document.body.classList.add("is-dragging");
  });

  table.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    event.preventDefault();
    const target = placeFor(event.clientY);
    if (!target) return;
    if (target.before) target.group.insertBefore(drag.row, target.before);
    else target.group.appendChild(drag.row);
    autoScroll(event.clientY);
  });

  function placeFor(y) {
    // the group under the pointer's height, and the row the dragged one goes before
    for (const group of groups()) {
      const rect = group.getBoundingClientRect();
      if (y < rect.top || y > rect.bottom) continue;
      const head = group.querySelector("tr.group-head");
      const rows = Array.from(group.querySelectorAll("tr.indicator-row")).filter((r) => !r.hidden && r !== drag.row);
      if (y < head.getBoundingClientRect().bottom) return { group, before: rows[0] || null };
      for (const row of rows) {
        const box = row.getBoundingClientRect();
        if (y < box.top + box.height / 2) return { group, before: row };
      }
      return { group, before: null };
    }
    return null;
  }

  function autoScroll(y) {
    const margin = 60;
    if (y < margin) window.scrollBy(0, -20);
    else if (y > window.innerHeight - margin) window.scrollBy(0, 20);
  }

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const { row } = drag;
    row.classList.remove("dragging");
    document.body.classList.remove("is-dragging");
    drag = null;
    adopt(row, row.parentElement);
    changed();
  }
  table.addEventListener("pointerup", endDrag);
  table.addEventListener("pointercancel", endDrag);

  // ---------------------------------------------------------------- the checker, beside each row
  // The findings region is aria-busy from an edit until the answer to the latest form is shown (an older answer
  // arriving late is dropped).
  const region = document.getElementById("live-findings");
  let timer = null;
  let asked = 0;
  function scheduleCheck() {
    clearTimeout(timer);
    asked += 1;
    region.setAttribute("aria-busy", "true");
    timer = setTimeout(check, 400);
  }

  function clearMarks() {
    form.querySelectorAll("[aria-invalid='true'].checker-invalid").forEach((input) => {
      input.removeAttribute("aria-invalid");
      input.classList.remove("checker-invalid");
    });
    form.querySelectorAll(".row-findings, .group-findings").forEach((cell) => cell.replaceChildren());
    groups().forEach((group) => group.classList.remove("invalid"));
    liveRows().forEach((row) => row.classList.remove("has-finding"));
  }

  function mark(input) {
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    input.classList.add("checker-invalid");
  }

  function note(cell, finding) {
    const item = document.createElement("span");
    item.className = "finding " + finding.severity;
    item.textContent = finding.severity_label + "：" + finding.message;
    cell.appendChild(item);
  }

  function groupOf(name) {
    return groups().find((g) => name === g.dataset.category || name === g.dataset.category + "/" + g.dataset.subcategory);
  }

  function show(list) {
    clearMarks();
    findings.replaceChildren();
    const rows = liveRows();
    // a 指标值 still holding the library's operator and unit waits for its number: judged once typed into or left
    const waiting = (finding) => finding.row !== null && rows[finding.row] && finding.field === "target_value"
      && field(rows[finding.row], "target_value").dataset.template !== undefined;
    list = list.filter((finding) => !waiting(finding));
    if (!list.length) {
      const item = document.createElement("li");
      item.className = "ok";
      item.textContent = "未发现问题。";
      findings.appendChild(item);
    }
    for (const finding of list) {
      const item = document.createElement("li");
      item.className = "finding " + finding.severity;
      item.textContent = finding.severity_label + "：" + finding.message;
      findings.appendChild(item);
      if (finding.row !== null && rows[finding.row]) {
        const row = rows[finding.row];
        row.classList.add("has-finding");
        note(row.querySelector(".row-findings"), finding);
        const name = ["category", "subcategory"].includes(finding.field) ? "name" : finding.field || "name";
        mark(field(row, name));
      } else if (finding.group && groupOf(finding.group)) {
        const group = groupOf(finding.group);
        group.classList.add("invalid");
        note(group.querySelector(".group-findings"), finding);
        mark(group.querySelector(".add-row"));
      } else if (finding.field === "plan") {
        form.querySelectorAll("input[name^='plan-']").forEach(mark);
      } else if (finding.field) {
        mark(form.querySelector(`[name='sheet-${finding.field}']`));
      }
    }
  }

  async function check() {
    const mine = asked;
    try {
      const response = await fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      const data = await response.json();
      if (mine === asked) show(data.findings);
    } catch (error) {
      /* offline: keep the last findings */
    } finally {
      if (mine === asked) region.removeAttribute("aria-busy");
    }
  }

  // ---------------------------------------------------------------- the library's suggestions
  let suggestTimer = null;
  let active = null; // {input, row, items}

  function suggest(input, row) {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(() => fetchSuggestions(input, row), 200);
  }

  async function fetchSuggestions(input, row) {
    const params = new URLSearchParams({
      category: field(row, "category").value,
      subcategory: field(row, "subcategory").value,
      q: input.value.trim(),
      sheet: form.dataset.sheet,
    });
    try {
      const response = await fetch(`${form.dataset.suggestUrl}?${params}`, { headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return hideBox();
      const data = await response.json();
      if (document.activeElement !== input) return;
      render(input, row, data.results);
    } catch (error) {
      hideBox();
    }
  }

  function render(input, row, items) {
    box.replaceChildren();
    if (!items.length) return hideBox();
    items.forEach((entry, index) => {
      const option = document.createElement("div");
      option.className = "suggest-item";
      option.setAttribute("role", "option");
      option.id = "suggest-" + index;
      option.dataset.index = index;
      const title = document.createElement("strong");
      title.textContent = entry.name;
      option.appendChild(title);
      if (entry.recommended) {
        const tag = document.createElement("span");
        tag.className = "tag tag-rec";
        tag.textContent = "推荐";
        option.appendChild(tag);
      }
      const meta = document.createElement("span");
      meta.className = "muted";
      const parts = [];
      if (entry.example_value) parts.push("参考 " + entry.example_value);
      if (entry.last_year_value) parts.push("上年 " + entry.last_year_value);
      parts.push(`用过 ${entry.use_count} 次`);
      meta.textContent = " " + parts.join(" · ");
      option.appendChild(meta);
      if (entry.description) {
        const description = document.createElement("div");
        description.className = "muted suggest-desc";
        description.textContent = entry.description;
        option.appendChild(description);
      }
      box.appendChild(option);
    });
    active = { input, row, items, index: -1 };
    const rect = input.getBoundingClientRect();
    box.style.top = rect.bottom + window.scrollY + 2 + "px";
    const width = Math.min(Math.max(rect.width, 320), document.documentElement.clientWidth - 16);
    box.style.width = width + "px";
    box.style.left = Math.max(8, Math.min(rect.left + window.scrollX, document.documentElement.clientWidth - width - 8)) + "px";
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function hideBox() {
    box.hidden = true;
    if (active) active.input.setAttribute("aria-expanded", "false");
    active = null;
  }

  function choose(index) {
    if (!active) return;
    const { row, items } = active;
    const entry = items[index];
    field(row, "name").value = entry.name;
    const description = field(row, "description");
    if (!description.value.trim()) description.value = entry.description;
    const value = field(row, "target_value");
    if (!value.value.trim()) {
      if (entry.operator || entry.unit) {
        value.value = entry.operator + entry.unit; // the number goes between them, where the caret is put
        value.dataset.template = value.value;
      }
      value.placeholder = entry.example_value ? "如 " + entry.example_value : "";
    }
    const last = row.querySelector(".last-year");
    last.textContent = entry.last_year_value ? `上年：${entry.last_year_value}` : "";
    hideBox();
    growAll(row);
    value.focus();
    const caret = (entry.operator || "").length;
    if (value.dataset.template !== undefined) value.setSelectionRange(caret, caret);
    scheduleCheck();
  }

  box.addEventListener("pointerdown", (event) => event.preventDefault()); // keep the focus in the input
  box.addEventListener("click", (event) => {
    const option = event.target.closest(".suggest-item");
    if (option) choose(Number(option.dataset.index));
  });

  table.addEventListener("input", (event) => {
    const input = event.target;
    if (input.name && input.name.endsWith("-name")) suggest(input, input.closest("tr"));
    if (input.dataset.template !== undefined && input.value !== input.dataset.template) delete input.dataset.template;
  });
  table.addEventListener("focusin", (event) => {
    const input = event.target;
    if (input.name && input.name.endsWith("-name") && !input.value.trim()) suggest(input, input.closest("tr"));
  });
  table.addEventListener("focusout", (event) => {
    if (active && event.target === active.input) setTimeout(hideBox, 150);
    if (event.target.dataset.template !== undefined) { // left without its number: judge it now
      delete event.target.dataset.template;
      scheduleCheck();
    }
  });
  table.addEventListener("keydown", (event) => {
    if (!active || event.target !== active.input) return;
    const options = box.querySelectorAll(".suggest-item");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active.index = (active.index + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active.index)));
      active.input.setAttribute("aria-activedescendant", options[active.index].id);
    } else if (event.key === "Enter" && active.index >= 0) {
      event.preventDefault();
      choose(active.index);
    } else if (event.key === "Escape") {
      hideBox();
    }
  });

  // ---------------------------------------------------------------- start
  liveRows().forEach((row) => {
    (row.dataset.invalid || "").split(" ").filter(Boolean).forEach((name) => {
      mark(field(row, ["category", "subcategory"].includes(name) ? "name" : name));
    });
  });
  renumber();
  growAll(form);
})();
