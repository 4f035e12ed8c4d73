// The sheet page's decision bar: 退回 / 转办 / 加意见 open their comment sheet; 常用意见 fill the box or save it.
(function () {
  function sheets() { return Array.prototype.slice.call(document.querySelectorAll(".comment-sheet")); }
  function closeAll() { sheets().forEach(function (sheet) { sheet.hidden = true; }); }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    var opener = target.closest("[data-sheet-open]");
    if (opener) {
      var sheet = document.getElementById(opener.getAttribute("data-sheet-open"));
      var wasHidden = sheet && sheet.hidden;
      closeAll();
      if (sheet && wasHidden) {
        sheet.hidden = false;
        var box = sheet.querySelector("textarea, select");
        if (box) { box.focus(); }
      }
      return;
    }
    if (target.closest("[data-sheet-close]")) { closeAll(); return; }

    var chip = target.closest("[data-phrase]");
    var save = target.closest("[data-phrase-save]");
    var holder = target.closest("[data-phrases-for]");
    if (!holder || !(chip || save)) { return; }
    var box = document.getElementById(holder.getAttribute("data-phrases-for"));
    if (!box) { return; }
    if (chip) {
      box.value = chip.getAttribute("data-phrase");
      box.focus();
      return;
    }
    var text = box.value.trim();
    if (!text) { window.alert("请先在意见框中填写要保存的常用意见。"); return; }
    var body = new URLSearchParams();
    body.append("text", text);
    fetch(holder.getAttribute("data-phrases-url"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) { window.alert(result.data.detail || "保存失败。"); return; }
      document.querySelectorAll("[data-phrases-for]").forEach(function (list) {
        var exists = Array.prototype.some.call(list.querySelectorAll("[data-phrase]"), function (b) {
          return b.getAttribute("data-phrase") === text;
        });
        if (!exists) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "chip";
          button.setAttribute("data-phrase", text);
          button.textContent = text;
          list.insertBefore(button, list.querySelector("[data-phrase-save]"));
        }
      });
      save.textContent = "已保存";
    }).catch(function () { window.alert("网络错误，常用意见未保存。"); });
  });
}());
