// Site-wide behaviour; no inline scripts (the CSP forbids them).
document.addEventListener('DOMContentLoaded', function () {
  // <button data-confirm="..."> asks before submitting its form.
  document.querySelectorAll('[data-confirm]').forEach(function (el) {
    el.addEventListener('click', function (ev) {
      if (!window.confirm(el.getAttribute('data-confirm'))) { ev.preventDefault(); }
    });
  });
  // <input type=checkbox data-check-all="name"> toggles every checkbox of that name.
  document.querySelectorAll('[data-check-all]').forEach(function (el) {
    el.addEventListener('change', function () {
      document.querySelectorAll('input[type=checkbox][name="' + el.getAttribute('data-check-all') + '"]')
        .forEach(function (box) { box.checked = el.checked; });
    });
  });
  // Registration: keep 机构类型 in step with 注册身份 (企业 ↔ 高校/科研院所).
  var role = document.querySelector('select[name=role]');
  var orgType = document.querySelector('select[name=org_type]');
  if (role && orgType) {
    role.addEventListener('change', function () {
      if (role.value === 'enterprise') { orgType.value = '企业'; }
      else if (role.value === 'researcher' && orgType.value === '企业') { orgType.value = '高校'; }
    });
  }
});

// Create forms (<form data-once>): keep the one-time token across Back, so 保存 after Back
// shows the saved record instead of making a second one (防重复提交).
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    var input = form.querySelector("input[name=submit_token]");
    if (!input) return;
    var key = "submit-token:" + window.location.pathname + window.location.search;
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
