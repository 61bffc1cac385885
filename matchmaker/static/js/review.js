// Broker queue keyboard shortcuts (经纪人审核快捷键). No inline scripts: the CSP forbids them.
//   j / k  next / previous match      x  select for the bulk action
//   a      accept                     r  open the reject reasons
//   1-6    reject with that reason    o  open the detail page
document.addEventListener('DOMContentLoaded', function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('.match-row'));
  if (!rows.length) { return; }
  var current = -1;

  function select(i) {
    if (i < 0 || i >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove('border-primary', 'shadow-sm'); }
    current = i;
    rows[i].classList.add('border-primary', 'shadow-sm');
    rows[i].focus({preventScroll: true});
    rows[i].scrollIntoView({block: 'nearest'});
  }

  function act(selector) {
    if (current < 0) { return false; }
    var el = rows[current].querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  rows.forEach(function (row, i) {
    row.addEventListener('click', function () { if (current !== i) { select(i); } });
  });

  document.addEventListener('keydown', function (ev) {
    var tag = (ev.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var key = ev.key;
    if (key === 'j') { select(Math.min(current + 1, rows.length - 1)); }
    else if (key === 'k') { select(Math.max(current - 1, 0)); }
    else if (key === 'x') { act('input[name=ids]'); }
    else if (key === 'a') { act('[data-action=accept]'); }
    else if (key === 'r') { act('[data-action=reject]'); }
    else if (key === 'o') { act('[data-action=open]'); }
    else if (/^[1-6]$/.test(key)) { act('[data-reason-index="' + key + '"]'); }
    else { return; }
    ev.preventDefault();
  });
  select(0);
});
