// 揭榜挂帅 statistics chart: reads its data from the canvas's data-chart attribute (no inline scripts).
document.addEventListener('DOMContentLoaded', function () {
  var canvas = document.getElementById('field-chart');
  if (!canvas || typeof Chart === 'undefined') { return; }
  var data = JSON.parse(canvas.getAttribute('data-chart'));
  var colours = ['#0d6efd', '#fd7e14', '#198754'];
  data.datasets.forEach(function (ds, i) { ds.backgroundColor = colours[i % colours.length]; });
  new Chart(canvas, {
    type: 'bar',
    data: data,
    options: { responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
});
