// 绩效自评表: score as values are typed (a preview; the server recomputes every score on save and refuses what the
// rules refuse). Positive (≥ > or a bare value), reverse (≤ <) and equal rows of the same unit, the budget line, the
// weights' total and the grade; a qualitative row shows its level's band.
(function () {
  "use strict";
  var form = document.getElementById("evaluation-form");
  if (!form) return;
  var NUM = /^\s*(≥|≤|>=|<=|>|<|=)?\s*(\d+(?:\.\d+)?)\s*(.*)$/;
  var BANDS = { "达成": [0.8, 1, true], "部分达成": [0.6, 0.8, false], "未达成": [0, 0.6, false] };

  function parse(text) {
    var m = NUM.exec((text || "").replace(/，/g, ",").replace(/,/g, ""));
    if (!m) return null;
    return { op: m[1] || "", n: parseFloat(m[2]), unit: m[3].trim() };
  }
  function r2(x) { return Math.round((x + 1e-9) * 100) / 100; }
  function f2(x) { return r2(x).toFixed(2); }
  function num(x) { return String(r2(x)); }
  function rowScore(rule, t, a, w) {
    if (rule === "positive") return a >= t ? [w, num(a) + " ≥ " + num(t) + "，得满分 " + f2(w)] : [a / t * w, num(a) + " ÷ " + num(t) + " × " + num(w) + " = " + f2(a / t * w)];
    if (rule === "reverse") {
      if (a <= t) return [w, num(a) + " ≤ " + num(t) + "，得满分 " + f2(w)];
      if (a >= 2 * t) return [0, num(a) + " ≥ 2 × " + num(t) + "，得 0.00"];
      var s = (1 - (a - t) / t) * w;
      return [s, "(1 − (" + num(a) + " − " + num(t) + ") ÷ " + num(t) + ") × " + num(w) + " = " + f2(s)];
    }
    if (a === t) return [w, num(a) + " = " + num(t) + "，得满分 " + f2(w)];
    var e = Math.max(0, (1 - Math.abs(a - t) / t) * w);
    return [e, "(1 − |" + num(a) + " − " + num(t) + "| ÷ " + num(t) + ") × " + num(w) + " = " + f2(e)];
  }
  function set(scope, name, text) { var el = scope.querySelector('[data-live="' + name + '"]'); if (el) el.textContent = text; }

  function recompute() {
    var total = 0, complete = true, weights = 0;
    form.querySelectorAll("tr[data-row]").forEach(function (row) {
      var rule = row.dataset.rule, w = parseFloat((row.querySelector("[data-weight]") || {}).value);
      if (isNaN(w)) { complete = false; return; }
      weights += w;
      if (rule === "qualitative") {
        var level = (row.querySelector("[data-level]") || {}).value, input = row.querySelector("[data-score]");
        var band = BANDS[level], score = input ? parseFloat(input.value) : NaN;
        if (!band) { complete = false; return; }
        var low = r2(band[0] * w), high = r2(band[1] * w), inside = !isNaN(score) && score >= low && (score < high || (band[2] && score === high));
        set(row, "how", "定性指标，评为“" + level + "”，得分区间 [" + low + ", " + high + (band[2] ? "]" : ")") + (isNaN(score) ? "，请在区间内打分" : inside ? "，评价人打分 " + f2(score) : "，" + score + " 分不在区间内，保存时将被拒绝"));
        if (!inside) { complete = false; return; }
        total += r2(score);
        return;
      }
      var t = parse(row.dataset.target), a = parse((row.querySelector("[data-actual]") || {}).value);
      if (!t || !a || a.op || (a.unit && a.unit !== t.unit)) {
        set(row, "score", "—");
        set(row, "how", a && a.unit && t && a.unit !== t.unit ? "单位应为“" + t.unit + "”（保存时核对）" : "");
        complete = false;
        return;
      }
      var result = rowScore(rule, t.n, a.n, w);
      set(row, "score", f2(result[0]));
      set(row, "how", { positive: "正向指标：", reverse: "反向指标：", equal: "等于型指标：" }[rule] + result[1]);
      total += r2(result[0]);
    });
    set(form, "weights", "分值合计 " + num(weights) + (r2(weights) === 90 ? "（应为 90，已符合）" : "，应为 90"));
    var adjusted = parseFloat(form.querySelector("[data-adjusted]").dataset.adjusted), spent = parseFloat((form.querySelector('[name="spent"]') || {}).value);
    if (isNaN(spent) || !adjusted) { complete = false; set(form, "budget-score", "—"); set(form, "rate", "—"); }
    else {
      var rate = spent / adjusted, budget = Math.min(rate * 10, 10);
      set(form, "rate", f2(rate * 100) + "%");
      set(form, "budget-score", f2(budget));
      set(form, "budget-how", "执行率 = " + num(spent) + " ÷ " + num(adjusted) + " = " + f2(rate * 100) + "%；10 × " + f2(rate * 100) + "% = " + f2(budget));
      total += r2(budget);
    }
    var grade = total >= 90 ? "优" : total >= 80 ? "良" : total >= 60 ? "中" : "差";
    set(document, "total", complete && r2(weights) === 90 ? f2(total) : "—");
    set(document, "grade", complete && r2(weights) === 90 ? grade : "");
  }
  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);
  recompute();
})();
