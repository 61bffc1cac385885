// 竞价大厅: polls the auction's JSON every 2 s so every watcher sees the current price, the
// time left and the bid history without reloading; bids are posted as JSON. No inline scripts (CSP).
document.addEventListener('DOMContentLoaded', function () {
  var root = document.getElementById('auction');
  if (!root) { return; }
  var api = root.dataset.api;
  var bidUrl = root.dataset.bidUrl;
  var $ = function (id) { return root.querySelector('[data-testid="' + id + '"]'); };
  var left = $('time-left');
  var seconds = parseInt(left.dataset.seconds, 10) || 0;
  var active = true;

  function fmt(s) {
    if (s <= 0) { return '已截止'; }
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return (d ? d + ' 天 ' : '') + pad(h) + ':' + pad(m) + ':' + pad(r);
  }

  function render(state) {
    seconds = state.time_left_seconds;
    active = state.status === 'active';
    left.textContent = active ? fmt(seconds) : '已结束';
    $('current-price').textContent = state.current_wan === null ? '—' : state.current_wan;
    $('phase').textContent = state.phase_label;
    $('bid-count').textContent = state.bid_count;
    var min = $('minimum-bid');
    if (min) { min.textContent = state.minimum_bid_wan === null ? '—' : state.minimum_bid_wan; }
    var list = $('bids');
    list.replaceChildren();
    state.bids.slice().reverse().forEach(function (b) {
      var li = document.createElement('li');
      li.className = 'list-group-item d-flex justify-content-between';
      var who = document.createElement('span');
      who.textContent = b.bidder + (b.mine ? '（我）' : '') + (b.extended ? ' · 顺延' : '');
      var amount = document.createElement('span');
      amount.textContent = b.amount_wan + ' 万元';
      li.append(who, amount);
      list.append(li);
    });
    var win = $('winner');
    if (state.winner) {
      win.classList.remove('d-none');
      win.querySelector('[data-role="winner-text"]').textContent =
        state.winner.organization + ' 以 ' + state.winner.price_wan + ' 万元成交';
    }
    var form = $('bid-form');
    if (form && !active) { form.querySelector('button').disabled = true; }
  }

  function poll() {
    fetch(api, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { render(state); } })
      .catch(function () { /* the next poll retries */ });
  }

  setInterval(function () {
    if (active && seconds > 0) { seconds -= 1; left.textContent = fmt(seconds); }
  }, 1000);
  setInterval(poll, 2000);
  poll();

  var form = $('bid-form');
  if (!form) { return; }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var error = $('bid-error'), ok = $('bid-ok');
    error.textContent = ''; ok.textContent = '';
    var raw = form.querySelector('input[name=amount_wan]').value;
    fetch(bidUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({amount_wan: raw === '' ? null : Number(raw)})
    }).then(function (r) {
      return r.json().then(function (body) { return {status: r.status, body: body}; });
    }).then(function (res) {
      if (res.status === 201) {
        ok.textContent = '出价成功：' + res.body.bid.amount_wan + ' 万元（第 ' + res.body.bid.seq + ' 次出价）';
        render(res.body);
        var input = form.querySelector('input[name=amount_wan]');
        if (res.body.minimum_bid_wan !== null) { input.value = res.body.minimum_bid_wan; }
      } else {
        error.textContent = (res.body.error && res.body.error.message) || '出价失败，请重试';
        poll();
      }
    }).catch(function () { error.textContent = '网络错误，出价未提交成功，请重试'; });
  });
});
