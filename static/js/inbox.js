// 待办: opt-in 批量通过. Nothing is ticked until the reviewer ticks it; the button says how many.
(function () {
  var form = document.getElementById("batch-form");
  if (!form) { return; }
  var all = document.getElementById("batch-all");
  var button = form.querySelector("[data-testid=batch-approve]");
  var count = form.querySelector("[data-batch-count]");
  function picks() { return Array.prototype.slice.call(form.querySelectorAll("input.batch-pick")); }
  function update() {
    var ticked = picks().filter(function (box) { return box.checked; }).length;
    if (button) { button.disabled = ticked === 0; }
    if (count) { count.textContent = ticked ? "（" + ticked + " 张）" : ""; }
    if (all) { all.checked = ticked > 0 && ticked === picks().length; }
    form.setAttribute("data-confirm", "确定批量通过所勾选的 " + ticked + " 张绩效目标表吗？每张表将分别记入办理记录。");
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
