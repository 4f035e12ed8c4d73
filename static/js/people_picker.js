// A person is searched, never listed (授予角色, 委托人, 受托人). Typing in a picker field asks its candidates URL for at
// most 20 matches; choosing one (click, or arrows and Enter) fills the form's hidden id field. Without JavaScript the
// typed username is looked up by the server among the people the user may reach.
//   data-person-picker="<hidden field name>" (empty: "person"), data-candidates-url (else the form's),
//   data-picker-empty: the text when nothing matches, data-picker-with="<field>": that field's value is sent too.
(function () {
  function picker(input) {
    var form = input.form;
    var hidden = form.querySelector("input[name='" + (input.getAttribute("data-person-picker") || "person") + "']");
    var url = input.getAttribute("data-candidates-url") || form.getAttribute("data-candidates-url");
    var empty = input.getAttribute("data-picker-empty") || "没有找到可以授予角色的人员";
    var withField = input.getAttribute("data-picker-with");
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
        none.textContent = empty;
        list.appendChild(none);
      }
      results.forEach(function (person, index) {
        var option = document.createElement("li");
        option.className = "suggest-item";
        option.id = list.id + "-" + index;
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
      var query = "?q=" + encodeURIComponent(input.value.trim());
      if (withField && form.elements[withField] && form.elements[withField].value) {
        query += "&" + encodeURIComponent(withField) + "=" + encodeURIComponent(form.elements[withField].value);
      }
      fetch(url + query, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
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
  }

  document.querySelectorAll("input[data-person-picker]").forEach(picker);
})();
