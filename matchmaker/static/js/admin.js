// Admin dashboard charts: each <canvas class="admin-chart" data-chart='{labels, datasets}'> becomes a bar chart.
document.addEventListener('DOMContentLoaded', function () {
  if (typeof Chart === 'undefined') { return; }
  var colours = ['#0d6efd', '#fd7e14', '#198754', '#6f42c1'];
  document.querySelectorAll('canvas.admin-chart[data-chart]').forEach(function (canvas) {
    var data = JSON.parse(canvas.getAttribute('data-chart'));
    data.datasets.forEach(function (ds, i) { ds.backgroundColor = colours[i % colours.length]; });
    new Chart(canvas, {
      type: 'bar',
      data: data,
      options: { responsive: true, scales: { x: { ticks: { autoSkip: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
});
