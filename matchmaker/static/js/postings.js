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
