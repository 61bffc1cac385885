// Broker tools: kanban drag-and-drop (看板拖拽) and search-as-you-type pickers (手工添加撮合).
(function () {
  "use strict";

  // Kanban: dropping a card on another column posts the same stage form as the detail page,
  // so the same service, rules and audit apply; the reload shows its message.
  var board = document.querySelector("[data-testid=kanban]");
  if (board) {
    var dragged = null;
    board.querySelectorAll(".kanban-card").forEach(function (card) {
      card.addEventListener("dragstart", function (ev) {
        dragged = card;
        ev.dataTransfer.setData("text/plain", card.dataset.matchId);
        ev.dataTransfer.effectAllowed = "move";
      });
    });
    board.querySelectorAll(".kanban-column").forEach(function (col) {
      col.addEventListener("dragover", function (ev) { ev.preventDefault(); col.classList.add("border-primary"); });
      col.addEventListener("dragleave", function () { col.classList.remove("border-primary"); });
      col.addEventListener("drop", function (ev) {
        ev.preventDefault();
        col.classList.remove("border-primary");
        if (!dragged || dragged.closest(".kanban-column") === col) return;
        var reason = "看板拖拽";
        if (col.dataset.stage === "closed") {
          reason = window.prompt("请填写关闭原因");
          if (!reason) return;
        }
        var body = new URLSearchParams();
        body.set("csrf_token", board.dataset.csrf);
        body.set("to_stage", col.dataset.stage);
        body.set("reason", reason);
        fetch(dragged.dataset.stageUrl, { method: "POST", body: body, credentials: "same-origin" })
          .then(function () { window.location.reload(); });
      });
    });
  }

  // Pickers: type part of a title, choose from the list; the field then holds the external id.
  document.querySelectorAll(".picker").forEach(function (picker) {
    var input = picker.querySelector("input");
    var list = picker.querySelector(".picker-results");
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q) { list.replaceChildren(); return; }
        fetch(picker.dataset.pickUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.replaceChildren();
            data.items.forEach(function (item) {
              var btn = document.createElement("button");
              btn.type = "button";
              btn.className = "list-group-item list-group-item-action small";
              btn.textContent = item.title + " · " + item.organization + "（" + item.ref + "）";
              btn.addEventListener("click", function () {
                input.value = item.ref;
                list.replaceChildren();
              });
              list.appendChild(btn);
            });
          });
      }, 200);
    });
  });
})();
