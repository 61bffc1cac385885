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
});
