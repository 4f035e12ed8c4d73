// 待办: opt-in 批量通过. Nothing is ticked until the reviewer ticks it; the button says how many. At the last step
// (财政审核) approving publishes: the button says 通过并公开 with the count and the total amount, and the server's
// confirmation page (no dialog) repeats both before anything is published.
(function () {
  var form = document.getElementById("batch-form");
  if (!form) { return; }
  var all = document.getElementById("batch-all");
  var button = form.querySelector("[data-testid=batch-approve]");
  var count = form.querySelector("[data-batch-count]");
  function picks() { return Array.prototype.slice.call(form.querySelectorAll("input.batch-pick")); }
  function cents(text) {
    // "123.45" → 12345, exactly (amounts have two decimals)
    var parts = String(text || "0").split(".");
    return Number(parts[0] || "0") * 100 + Number(((parts[1] || "") + "00").slice(0, 2));
  }
  function money(value) {
    var fraction = String(value % 100);
    return Math.floor(value / 100) + "." + (fraction.length < 2 ? "0" + fraction : fraction);
  }
  function update() {
    var ticked = picks().filter(function (box) { return box.checked; });
    var publishing = ticked.filter(function (box) { return box.hasAttribute("data-publishes"); });
    if (button) { button.disabled = ticked.length === 0; }
    if (button && button.firstChild && button.firstChild.nodeType === 3 && ticked.length) {
      button.firstChild.nodeValue = publishing.length ? "批量通过并公开" : "批量通过";
    }
    if (count) {
      if (publishing.length) {
        var total = publishing.reduce(function (sum, box) { return sum + cents(box.getAttribute("data-amount")); }, 0);
        var some = publishing.length < ticked.length ? "，其中公开 " + publishing.length + " 张" : "";
        count.textContent = "（" + ticked.length + " 张" + some + "，预算合计 " + money(total) + " 万元）";
      } else {
        count.textContent = ticked.length ? "（" + ticked.length + " 张）" : "";
      }
    }
    if (all) { all.checked = ticked.length > 0 && ticked.length === picks().length; }
    if (publishing.length) {
      form.removeAttribute("data-confirm"); // the confirmation page lists what will be published
    } else {
      form.setAttribute("data-confirm", "确定批量通过所勾选的 " + ticked.length + " 张绩效目标表吗？每张表将分别记入办理记录。");
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      picks().forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("batch-pick")) { update(); }
  });
  update();
}());
