// 数据看板: each <canvas class="dashboards-chart" data-chart='{...}'> becomes a Chart.js chart.
// Bars and heat-map cells link to the records behind them (data "links" / cell "link").
document.addEventListener('DOMContentLoaded', function () {
  if (typeof Chart === 'undefined') { return; }
  var colours = ['#0d6efd', '#fd7e14', '#198754', '#6f42c1', '#dc3545'];
  var narrow = window.matchMedia('(max-width: 576px)').matches;

  function go(url) { if (url) { window.location.href = url; } }

  function bar(canvas, spec) {
    spec.datasets.forEach(function (ds, i) { ds.backgroundColor = colours[i % colours.length]; });
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0, autoSkip: !spec.horizontal, maxRotation: narrow ? 60 : 30 } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        },
        onClick: function (evt, elements) {
          if (elements.length && spec.links) { go(spec.links[elements[0].index]); }
        }
      }
    });
  }

  function heat(canvas, spec) {
    var max = 1;
    spec.cells.forEach(function (c) { if (c.n > max) { max = c.n; } });
    var points = spec.cells.map(function (c) {
      return { x: c.x, y: c.y, r: 4 + 14 * Math.sqrt(c.n / max) * (narrow ? 0.7 : 1), n: c.n, link: c.link };
    });
    return new Chart(canvas, {
      type: 'bubble',
      data: { datasets: [{ label: '未满足需求', data: points, backgroundColor: 'rgba(220, 53, 69, 0.6)' }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { var p = ctx.raw; return p.y + ' · ' + p.x + '：' + p.n + ' 条'; } } }
        },
        scales: {
          x: { type: 'category', labels: spec.xLabels, offset: true, ticks: { autoSkip: false, maxRotation: narrow ? 90 : 45 } },
          y: { type: 'category', labels: spec.yLabels, offset: true, ticks: { autoSkip: false } }
        },
        onClick: function (evt, elements) {
          if (elements.length) { go(points[elements[0].index].link); }
        }
      }
    });
  }

  document.querySelectorAll('canvas.dashboards-chart[data-chart]').forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute('data-chart'));
    canvas.dataset.rendered = spec.type === 'heat' ? heat(canvas, spec) && 'heat' : bar(canvas, spec) && 'bar';
  });
});
