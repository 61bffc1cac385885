// Reliability diagram of the relevance calibration: shown relevance (x) vs share judged relevant.
document.addEventListener('DOMContentLoaded', function () {
  var canvas = document.getElementById('reliability-chart');
  if (!canvas || typeof Chart === 'undefined') { return; }
  var d = JSON.parse(canvas.getAttribute('data-chart'));
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: d.labels,
      datasets: [
        { type: 'bar', label: '实际判为相关的比例', data: d.accuracy, backgroundColor: '#198754' },
        { type: 'line', label: '平均显示相关度（理想）', data: d.confidence, borderColor: '#0d6efd', backgroundColor: '#0d6efd' }
      ]
    },
    options: {
      responsive: true,
      scales: { y: { min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + '%'; } } } },
      plugins: { tooltip: { callbacks: { afterLabel: function (ctx) { return '匹配对数 ' + d.counts[ctx.dataIndex]; } } } }
    }
  });
});
