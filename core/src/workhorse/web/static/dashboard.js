/* workhorse dashboard behaviour: confirmations, select-all, the live and history charts.
 *
 * Served as a file because the Content-Security-Policy forbids inline script.
 * Nothing here builds HTML from data: every label is set with textContent and
 * every chart element is created through the DOM, so job data cannot inject markup.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var W = 800, H = 220, LEFT = 56, RIGHT = 12, TOP = 12, BOTTOM = 26;

  // -- forms -----------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || null;
    if (form.hasAttribute("data-needs-selection") && button && button.name === "action" &&
        !form.querySelector('input[name="key"]:checked')) {
      window.alert("Select at least one job first.");
      event.preventDefault();
      return;
    }
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]") || !box.form) {
      return;
    }
    box.form.querySelectorAll('input[name="key"]').forEach(function (each) {
      each.checked = box.checked;
    });
  });

  // -- drawing helpers -------------------------------------------------------

  function node(name, attrs, parent) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) {
      element.setAttribute(key, String(attrs[key]));
    });
    if (parent) {
      parent.appendChild(element);
    }
    return element;
  }

  function text(parent, x, y, label, anchor) {
    var t = node("text", { x: x, y: y, "class": "axis-label", "text-anchor": anchor || "start" }, parent);
    t.textContent = label;
    return t;
  }

  function niceMax(value) {
    if (!(value > 0)) {
      return 1;
    }
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var scaled = value / power;
    var step = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
    return step * power;
  }

  function short(n) {
    if (n >= 1e6) { return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + "M"; }
    if (n >= 1e3) { return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + "k"; }
    return n >= 10 || n === 0 ? String(Math.round(n)) : n.toFixed(1);
  }

  // Clears the chart and draws the grid; returns coordinate mappers.
  function frame(svg, maxY, xLabels) {
    while (svg.firstChild) {
      svg.removeChild(svg.firstChild);
    }
    var plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    var top = niceMax(maxY);
    [0, 0.5, 1].forEach(function (f) {
      var y = TOP + plotH * (1 - f);
      node("line", { x1: LEFT, x2: W - RIGHT, y1: y, y2: y, "class": "grid" }, svg);
      text(svg, LEFT - 6, y + 4, short(top * f), "end");
    });
    xLabels.forEach(function (label) {
      var anchor = label.at <= 0.02 ? "start" : label.at >= 0.98 ? "end" : "middle";
      text(svg, LEFT + plotW * label.at, H - 6, label.text, anchor);
    });
    return {
      x: function (f) { return LEFT + plotW * f; },
      y: function (v) { return TOP + plotH * (1 - Math.min(v, top) / top); },
      width: plotW,
      bottom: TOP + plotH
    };
  }

  function noData(svg, message) {
    frame(svg, 1, []);
    var t = node("text", { x: W / 2, y: H / 2, "class": "nodata", "text-anchor": "middle" }, svg);
    t.textContent = message;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store",
                        headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
  }

  // -- live throughput ---------------------------------------------------------

  function drawLive(svg, processed, failed, everyMs) {
    var n = processed.length;
    if (n < 2) {
      noData(svg, n ? "measuring…" : "waiting for data…");
      return;
    }
    var span = Math.round((n - 1) * everyMs / 1000);
    var chart = frame(svg, Math.max.apply(null, processed.concat(failed)),
                      [{ at: 0, text: span + " s ago" }, { at: 1, text: "now" }]);
    function points(values) {
      return values.map(function (v, i) {
        return chart.x(i / (n - 1)).toFixed(1) + "," + chart.y(v).toFixed(1);
      });
    }
    var line = points(processed);
    node("polygon", { points: chart.x(0) + "," + chart.bottom + " " + line.join(" ") + " " +
                      chart.x(1) + "," + chart.bottom, "class": "area processed" }, svg);
    node("polyline", { points: line.join(" "), "class": "series processed" }, svg);
    node("polyline", { points: points(failed).join(" "), "class": "series failed" }, svg);
  }

  function updateCards(stats) {
    document.querySelectorAll("[data-stat]").forEach(function (card) {
      var value = stats[card.getAttribute("data-stat")];
      if (typeof value === "number") {
        card.textContent = value.toLocaleString("en-US");
      }
    });
  }

  function live(svg) {
    var src = svg.getAttribute("data-src");
    var everyMs = Number(svg.getAttribute("data-poll-ms")) || 5000;
    var keep = 60, last = null, processed = [], failed = [], samples = 0;
    var status = document.getElementById("live-status");

    function schedule() {
      window.setTimeout(tick, everyMs);
    }

    function record(stats) {
      updateCards(stats);
      if (last) {
        var seconds = Math.max(0.001, stats.time - last.time);
        processed.push(Math.max(0, (stats.processed - last.processed) / seconds));
        failed.push(Math.max(0, (stats.failed - last.failed) / seconds));
        if (processed.length > keep) {
          processed.shift();
          failed.shift();
        }
      }
      last = stats;
      samples += 1;
      svg.setAttribute("data-samples", String(samples));
      drawLive(svg, processed, failed, everyMs);
      if (status) {
        status.textContent = "updated " + new Date().toLocaleTimeString();
      }
    }

    function tick() {
      if (document.hidden) {
        schedule();
        return;
      }
      getJSON(src).then(record).catch(function (error) {
        if (status) {
          status.textContent = "update failed (" + error.message + "), retrying";
        }
      }).then(schedule);
    }

    drawLive(svg, processed, failed, everyMs);
    tick();
  }

  // -- daily history -----------------------------------------------------------

  function drawHistory(svg, days) {
    if (!days.length) {
      noData(svg, "no history");
      return;
    }
    var max = Math.max.apply(null, days.map(function (d) { return d.processed; }));
    var n = days.length, middle = Math.floor((n - 1) / 2);
    var chart = frame(svg, max, [
      { at: 0, text: days[0].date }, { at: 0.5, text: days[middle].date },
      { at: 1, text: days[n - 1].date }]);
    var slot = chart.width / n, gap = slot > 6 ? 1.5 : 0.5;
    days.forEach(function (day, i) {
      var x = chart.x(i / n) + gap / 2, width = Math.max(1, slot - gap);
      var group = node("g", {}, svg);
      var title = node("title", {}, group);
      title.textContent = day.date + ": " + day.processed.toLocaleString("en-US") +
        " processed, " + day.failed.toLocaleString("en-US") + " failed";
      [["processed", day.processed], ["failed", day.failed]].forEach(function (pair) {
        var y = chart.y(pair[1]);
        node("rect", { x: x.toFixed(1), y: y.toFixed(1), width: width.toFixed(1),
                       height: Math.max(0, chart.bottom - y).toFixed(1), "class": "bar " + pair[0] }, group);
      });
    });
    svg.setAttribute("data-days", String(n));
  }

  function history(svg) {
    noData(svg, "loading…");
    getJSON(svg.getAttribute("data-src"))
      .then(function (data) { drawHistory(svg, data.days); })
      .catch(function (error) { noData(svg, "could not load history (" + error.message + ")"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var liveChart = document.getElementById("live-chart");
    if (liveChart) {
      live(liveChart);
    }
    var historyChart = document.getElementById("history-chart");
    if (historyChart) {
      history(historyChart);
    }
  });
}());
