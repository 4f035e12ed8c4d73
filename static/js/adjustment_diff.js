// 目标调整 in the editor: every input that differs from the version in force is marked as it is typed (its title says
// the value in force), rows the adjustment adds are marked, and the panel's summary counts the differences, saved or
// not. The list under it is the diff as last saved (what the reviewer sees).
(function () {
  "use strict";
  const data = document.getElementById("in-force-values");
  const form = document.getElementById("sheet-editor");
  if (!data || !form) return;
  const before = JSON.parse(data.textContent);
  const counter = document.querySelector("[data-live-diff-count]");
  const SEPARATOR = "\u001f";
  const NUMERIC = /^(sheet-(budget_total|fiscal_funds|other_funds)$|plan-)/;

  function same(name, typed, old) {
    const a = typed.trim(), b = (old || "").trim();
    if (NUMERIC.test(name) && a !== "" && b !== "" && !isNaN(Number(a)) && !isNaN(Number(b))) return Number(a) === Number(b);
    return a === b;
  }

  function mark(input, old) {
    const changed = !same(input.name, input.value, old);
    input.classList.toggle("changed-from-in-force", changed);
    if (changed) input.title = "现行版本：" + (old || "（空）");
    else input.removeAttribute("title");
    return changed;
  }

  function refresh() {
    let count = 0;
    for (const [name, old] of Object.entries(before.fields).concat(Object.entries(before.plan))) {
      const input = form.elements.namedItem(name);
      if (input && mark(input, old)) count += 1;
    }
    const seen = new Set();
    form.querySelectorAll("tr.indicator-row").forEach(function (row) {
      if (row.hidden || row.closest("template")) return; // a deleted row, or the empty row's template
      const field = function (name) { return row.querySelector('[name$="-' + name + '"]'); };
      const name = field("name");
      if (!name || !name.value.trim()) return;
      const key = [field("category").value, field("subcategory").value, name.value.trim()].join(SEPARATOR);
      const old = before.rows[key];
      seen.add(key);
      row.classList.toggle("added-in-adjustment", !old);
      row.title = old ? "" : "调整新增的指标";
      if (!old) { count += 1; return; }
      ["description", "target_value", "basis"].forEach(function (f) {
        const input = field(f);
        if (input && mark(input, old[f])) count += 1;
      });
    });
    const removed = Object.keys(before.rows).filter(function (key) { return !seen.has(key); }).length;
    count += removed;
    if (counter) {
      counter.textContent = count
        ? "（编辑中共 " + count + " 处不同于现行版本" + (removed ? "，其中删除 " + removed + " 行" : "") + "；黄色标出）"
        : "（编辑中：与现行版本相同）";
    }
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  // rows added, deleted (hidden) or moved between groups by the editor's own script
  new MutationObserver(refresh).observe(form, { childList: true, subtree: true, attributes: true, attributeFilter: ["hidden", "value"] });
  refresh();
})();
