// 授予角色: the person is searched, never listed. Typing in the 人员 field asks the page's candidates URL for at most
// 20 matches; choosing one (click, or arrows and Enter) fills the hidden person id. Without JavaScript the typed
// username is looked up by the server among the people the administrator may reach.
(function () {
  var input = document.querySelector("input[data-person-picker]");
  if (!input) { return; }
  var form = input.form;
  var hidden = form.querySelector("input[name=person]");
  var url = form.getAttribute("data-candidates-url");
  var list = document.createElement("ul");
  list.id = input.getAttribute("aria-controls");
  list.className = "suggest-box picker-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.insertAdjacentElement("afterend", list);
  input.parentNode.classList.add("picker");
  var timer = null, active = -1, asked = 0;

  function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }

  function choose(option) {
    hidden.value = option.getAttribute("data-id");
    input.value = option.getAttribute("data-label");
    close();
  }

  function mark(index) {
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    active = (index + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function show(results) {
    list.textContent = "";
    if (!results.length) {
      var none = document.createElement("li");
      none.className = "suggest-item muted";
      none.textContent = "没有找到可以授予角色的人员";
      list.appendChild(none);
    }
    results.forEach(function (person, index) {
      var option = document.createElement("li");
      option.className = "suggest-item";
      option.id = "grant-person-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("data-id", person.id);
      option.setAttribute("data-label", person.label);
      option.textContent = person.label;
      list.appendChild(option);
    });
    list.hidden = false;
    active = -1;
    input.setAttribute("aria-expanded", "true");
  }

  function ask() {
    var number = ++asked;
    fetch(url + "?q=" + encodeURIComponent(input.value.trim()), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (number === asked && document.activeElement === input) { show(data.results || []); } })
      .catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    hidden.value = "";  // a changed text no longer names the chosen person
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  input.addEventListener("focus", function () { if (!hidden.value) { ask(); } });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); mark(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(list.querySelectorAll("[role=option]")[active]); }
    else if (event.key === "Escape") { close(); }
  });
  list.addEventListener("mousedown", function (event) {
    var option = event.target.closest("[role=option]");
    if (option) { event.preventDefault(); choose(option); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();
