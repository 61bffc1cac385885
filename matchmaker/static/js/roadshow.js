// 龙子湖科创路演: solve progress polling and live conflict warnings on draft edits.
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('.js-print').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });

  var job = document.querySelector('.js-job');
  if (job) {
    var text = job.querySelector('.js-job-text');
    var phases = {queued: '排队中', demand: '正在计算各项目的需求值', solving: '正在求解', done: '完成', failed: '失败'};
    var poll = function () {
      fetch(job.getAttribute('data-status-url'), {credentials: 'same-origin'})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.job_status === 'done' || s.job_status === 'failed') { window.location.reload(); return; }
          var p = s.progress || {};
          var line = phases[p.phase] || '求解中';
          if (p.objective !== undefined) {
            line += '：当前目标值 ' + p.objective.toFixed(3) + '，上界 ' + p.bound.toFixed(3) + '，已用 ' + p.seconds + ' 秒';
          }
          text.textContent = line;
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    poll();
  }

  var csrf = document.querySelector('input[name=csrf_token]');
  document.querySelectorAll('form.js-place').forEach(function (form) {
    var out = form.querySelector('.js-warnings');
    var check = function () {
      var data = new FormData(form);
      if (!data.get('room') || !data.get('start')) { out.textContent = ''; return; }
      fetch(form.getAttribute('data-check-url'), {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf ? csrf.value : ''},
        body: JSON.stringify({candidate: data.get('candidate_id'), session: data.get('session_id'),
                              room: data.get('room'), start: data.get('start')})
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (res.error) { out.textContent = res.error.message; return; }
        var mine = res.conflicts;
        out.textContent = mine.length ? '冲突：' + mine.map(function (c) { return c.detail; }).join('；') : '';
        out.classList.toggle('text-success', !mine.length);
        if (!mine.length) { out.textContent = '无冲突'; }
      });
    };
    form.querySelectorAll('select, input[name=room], input[name=start]').forEach(function (el) {
      el.addEventListener('change', check);
    });
  });
});
