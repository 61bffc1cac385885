// Posting forms: keep the one-time token across Back, so 保存 after Back shows the saved record.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    var input = form.querySelector("input[name=submit_token]");
    if (!input) return;
    var key = "submit-token:" + window.location.pathname;
    var nav = (performance.getEntriesByType("navigation")[0] || {}).type;
    var kept = null;
    try { kept = window.sessionStorage.getItem(key); } catch (e) { /* storage off: server still guards double clicks */ }
    if (nav === "back_forward" && kept) {
      input.value = kept; // the form we already submitted, not a new one
    }
    form.addEventListener("submit", function () {
      try { window.sessionStorage.setItem(key, input.value); } catch (e) { /* ignore */ }
    });
  });
})();

// Import progress (导入进度): poll the job's status while it runs; the database holds it.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=import-job]");
  if (!box || box.dataset.status !== "running") return;
  var labels = { preview: "待确认", running: "正在导入", done: "已完成", failed: "未导入" };
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        box.querySelector("[data-testid=import-progress]").value = job.percent;
        box.querySelector("[data-testid=import-checked]").textContent = job.checked;
        if (job.status === "running") { setTimeout(poll, 1000); return; }
        window.location.reload(); // done or failed: show the summary and any errors
      });
  }
  setTimeout(poll, 500);
})();
