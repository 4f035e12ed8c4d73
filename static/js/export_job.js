// The export progress page: poll the job's status until it is done or failed, then show the download link.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var download = box.querySelector(".export-download");
  var link = download && download.querySelector("a");
  var error = box.querySelector("[data-field=error]");
  var retry = box.querySelector(".export-retry");

  function field(name, value) {
    var node = box.querySelector("[data-field=" + name + "]");
    if (node) node.textContent = value;
  }

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    field("status_label", status.status_label);
    field("done", status.done);
    field("total", status.total);
    error.textContent = status.error || "";
    error.hidden = !status.error;
    if (retry) retry.hidden = !status.can_retry;
    if (status.download_url) {
      link.href = status.download_url;
      link.textContent = "下载 " + (status.file_name || "文件") + (status.size_label ? "（" + status.size_label + "）" : "");
      download.hidden = false;
    }
    return status.status === "done" || status.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        if (!show(status)) window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  if (box.getAttribute("data-finished") !== "1") poll();
})();
