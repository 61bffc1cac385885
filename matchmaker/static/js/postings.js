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
