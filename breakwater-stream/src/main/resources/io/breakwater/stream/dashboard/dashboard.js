// Breakwater dashboard. Reads the Hystrix-format event stream of this server (one process) or
// its merged fleet stream (/turbine.stream), and draws one card per circuit, thread pool and
// collapser. Everything from the stream is written with textContent, never as markup.
(function () {
  'use strict';

  var SPARK_SECONDS = 120;
  var STALE_MS = 10000;
  var RENDER_MS = 500;

  var circuits = new Map();
  var pools = new Map();
  var collapsers = new Map();
  var source = null;
  var sortBy = readSetting('sort', 'error');
  var filterText = '';
  var lastMessageAt = 0;

  var $ = function (id) { return document.getElementById(id); };

  function readSetting(key, fallback) {
    try { return window.localStorage.getItem('breakwater.' + key) || fallback; }
    catch (e) { return fallback; }
  }

  function writeSetting(key, value) {
    try { window.localStorage.setItem('breakwater.' + key, value); } catch (e) { /* private */ }
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function num(v) {
    var n = Number(v);
    return isFinite(n) ? n : 0;
  }

  function hosts(d) { return Math.max(1, num(d.reportingHosts)); }

  function fmt(n) {
    if (n >= 10000) { return Math.round(n / 1000) + 'k'; }
    if (n >= 1000) { return (n / 1000).toFixed(1) + 'k'; }
    return String(Math.round(n));
  }

  function fmtRate(n) {
    if (n >= 100) { return fmt(n); }
    if (n >= 10) { return n.toFixed(0); }
    return n.toFixed(1);
  }

  // ---- what the figures mean -------------------------------------------------------------

  function windowSeconds(d) {
    var w = num(d.propertyValue_metricsRollingStatisticalWindowInMilliseconds);
    return w > 0 ? w / 1000 : 10;
  }

  /** Calls per second: every call that reached the command, short-circuited ones included. */
  function callRate(d) {
    var calls = num(d.requestCount) + num(d.rollingCountShortCircuited)
        + num(d.rollingCountBadRequests) + num(d.rollingCountResponsesFromCache);
    return calls / windowSeconds(d);
  }

  /** Over a fleet, the exact percentage from the summed counts; for one host, its own. */
  function errorPct(d) {
    if (hosts(d) === 1) { return num(d.errorPercentage); }
    var total = num(d.requestCount);
    return total === 0 ? 0 : Math.floor(num(d.errorCount) * 100 / total);
  }

  /** A fleet sums each host's percentile; the per-host mean is what the stream can tell. */
  function perHost(d, v) { return Math.round(num(v) / hosts(d)); }

  function isTrue(v) { return v === true || v === 'true'; }

  function circuitState(d) {
    if (isTrue(d.propertyValue_circuitBreakerForceOpen)) {
      return { cls: 'forced-open', text: 'Forced open' };
    }
    if (isTrue(d.propertyValue_circuitBreakerForceClosed)) {
      return { cls: 'forced-closed', text: 'Forced closed' };
    }
    if (d.propertyValue_circuitBreakerEnabled === false) {
      return { cls: 'disabled', text: 'Breaker off' };
    }
    var n = hosts(d);
    var open = d.circuitOpenHosts !== undefined ? num(d.circuitOpenHosts)
        : (isTrue(d.isCircuitBreakerOpen) ? n : 0);
    if (open === 0) { return { cls: 'closed', text: 'Closed' }; }
    if (open < n) { return { cls: 'half-open', text: 'Open on ' + open + ' of ' + n }; }
    if (d.circuitState === 'HALF_OPEN') { return { cls: 'half-open', text: 'Half-open' }; }
    return { cls: 'open', text: n > 1 ? 'Open on all ' + n : 'Open' };
  }

  function rejected(d) {
    return num(d.rollingCountThreadPoolRejected) + num(d.rollingCountSemaphoreRejected);
  }

  var COUNTS = [
    { key: 'success', label: 'Success', tone: 'success', get: function (d) {
      return num(d.rollingCountSuccess); } },
    { key: 'short-circuited', label: 'Shorted', tone: 'forced', get: function (d) {
      return num(d.rollingCountShortCircuited); } },
    { key: 'bad-request', label: 'Bad req.', tone: 'warn', get: function (d) {
      return num(d.rollingCountBadRequests); } },
    { key: 'timeout', label: 'Timeout', tone: 'bad', get: function (d) {
      return num(d.rollingCountTimeout); } },
    { key: 'rejected', label: 'Rejected', tone: 'bad', get: rejected },
    { key: 'failure', label: 'Failure', tone: 'bad', get: function (d) {
      return num(d.rollingCountFailure); } },
    { key: 'fallback', label: 'Fallback', tone: 'warn', get: function (d) {
      return num(d.rollingCountFallbackSuccess); } },
    { key: 'cached', label: 'Cached', tone: 'success', get: function (d) {
      return num(d.rollingCountResponsesFromCache); } }
  ];

  var LATENCIES = [['mean', 'mean'], ['50', 'p50'], ['90', 'p90'], ['99', 'p99'],
    ['99.5', 'p99.5']];

  // ---- cards -----------------------------------------------------------------------------

  function circuitCard(name) {
    var card = el('article', 'card');
    card.dataset.command = name;
    var head = el('div', 'card-head');
    var names = el('div', 'names');
    var title = el('div', 'name', name);
    var group = el('div', 'group');
    names.append(title, group);
    var state = el('span', 'state', '');
    head.append(names, state);

    var figures = el('div', 'figures');
    var rate = el('div', 'figure');
    var rateValue = el('span', 'big rate', '0');
    rate.append(rateValue, el('span', 'unit', '/s'), el('div', 'label', 'calls'));
    var err = el('div', 'figure');
    var errValue = el('span', 'big error-pct', '0');
    err.append(errValue, el('span', 'unit', '%'), el('div', 'label', 'errors'));
    var spark = el('div', 'spark');
    spark.title = 'Calls per second, last two minutes';
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 ' + SPARK_SECONDS + ' 40');
    svg.setAttribute('preserveAspectRatio', 'none');
    var area = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    area.setAttribute('class', 'area');
    var line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    line.setAttribute('class', 'line');
    svg.append(area, line);
    spark.append(svg);
    figures.append(rate, err, spark);

    var counts = el('div', 'counts');
    var countCells = {};
    COUNTS.forEach(function (c) {
      var cell = el('div', 'count ' + c.tone + ' count-' + c.key);
      var v = el('span', 'value', '0');
      cell.append(el('span', 'k', c.label), v);
      cell.title = (c.key === 'short-circuited' ? 'Short-circuited (refused by an open circuit)'
          : c.label) + ' in the rolling window';
      counts.append(cell);
      countCells[c.key] = { cell: cell, value: v };
    });

    var lat = el('div', 'latency');
    var latCells = {};
    LATENCIES.forEach(function (l) {
      var cell = el('div', 'lat-' + l[1].replace('.', '_'));
      var v = el('span', 'value', '0');
      cell.append(el('span', 'k', l[1]), v);
      lat.append(cell);
      latCells[l[0]] = v;
    });

    var meta = el('div', 'meta');
    card.append(head, figures, counts, lat, meta);
    return { card: card, group: group, state: state, rate: rateValue, err: errValue,
      area: area, line: line, counts: countCells, lat: latCells, meta: meta,
      history: [], data: null, seen: 0 };
  }

  function updateCircuit(c) {
    var d = c.data;
    var st = circuitState(d);
    c.card.className = 'card ' + st.cls + (Date.now() - c.seen > STALE_MS / 2 ? ' stale' : '');
    c.state.textContent = st.text;
    c.group.textContent = 'group ' + d.group + (d.threadPool && d.threadPool !== d.group
        ? ' \u00b7 pool ' + d.threadPool : '');
    c.rate.textContent = fmtRate(callRate(d));
    var e = errorPct(d);
    c.err.textContent = String(e);
    var threshold = num(d.propertyValue_circuitBreakerErrorThresholdPercentage) || 50;
    c.err.className = 'big error-pct' + (e >= threshold ? ' bad' : e > 0 ? ' warn' : '');
    COUNTS.forEach(function (k) {
      var v = k.get(d);
      var cell = c.counts[k.key];
      cell.value.textContent = fmt(v);
      cell.cell.classList.toggle('nonzero', v > 0);
    });
    c.lat.mean.textContent = perHost(d, d.latencyExecute_mean) + ' ms';
    ['50', '90', '99', '99.5'].forEach(function (p) {
      c.lat[p].textContent = perHost(d, (d.latencyExecute || {})[p]) + ' ms';
    });
    var isolation = d.isolation || d.propertyValue_executionIsolationStrategy;
    var parts = [String(isolation).toLowerCase(),
      'active ' + num(d.currentConcurrentExecutionCount),
      'timeout ' + num(d.propertyValue_executionTimeoutInMilliseconds
          || d.propertyValue_executionIsolationThreadTimeoutInMilliseconds) + ' ms'];
    if (hosts(d) > 1) { parts.unshift(hosts(d) + ' hosts'); }
    c.meta.textContent = parts.join(' \u00b7 ');
    drawSpark(c);
  }

  function drawSpark(c) {
    var now = Date.now();
    var pts = c.history.filter(function (p) { return now - p.t <= SPARK_SECONDS * 1000; });
    c.history = pts;
    if (pts.length < 2) {
      c.line.setAttribute('d', '');
      c.area.setAttribute('d', '');
      return;
    }
    var max = 1;
    pts.forEach(function (p) { max = Math.max(max, p.v); });
    var d = '';
    pts.forEach(function (p, i) {
      var x = SPARK_SECONDS - (now - p.t) / 1000;
      var y = 38 - (p.v / max) * 34;
      d += (i === 0 ? 'M' : 'L') + x.toFixed(2) + ' ' + y.toFixed(2);
    });
    c.line.setAttribute('d', d);
    var firstX = (SPARK_SECONDS - (now - pts[0].t) / 1000).toFixed(2);
    c.area.setAttribute('d', d + 'L' + SPARK_SECONDS + ' 40L' + firstX + ' 40Z');
  }

  function poolCard(name, kind) {
    var card = el('article', 'card pool-card');
    card.dataset[kind] = name;
    var head = el('div', 'card-head');
    var names = el('div', 'names');
    names.append(el('div', 'name', name));
    var sub = el('div', 'group');
    names.append(sub);
    head.append(names);
    var grid = el('div', 'pool-figures');
    card.append(head, grid);
    return { card: card, sub: sub, grid: grid, cells: {}, data: null, seen: 0 };
  }

  function setFigure(p, key, label, value, bad) {
    var cell = p.cells[key];
    if (!cell) {
      var box = el('div', 'fig-' + key);
      var v = el('div', 'value', '');
      box.append(el('div', 'label', label), v);
      p.grid.append(box);
      cell = p.cells[key] = v;
    }
    cell.textContent = value;
    cell.classList.toggle('bad', !!bad);
  }

  function updatePool(p) {
    var d = p.data;
    p.sub.textContent = 'core ' + num(d.currentCorePoolSize) + ' \u00b7 max '
        + num(d.currentMaximumPoolSize) + ' \u00b7 alive ' + num(d.currentPoolSize)
        + (hosts(d) > 1 ? ' \u00b7 ' + hosts(d) + ' hosts' : '');
    var rejections = num(d.rollingCountCommandRejections);
    setFigure(p, 'active', 'Active', fmt(num(d.currentActiveCount)));
    setFigure(p, 'queued', 'Queued', fmt(num(d.currentQueueSize)), num(d.currentQueueSize) > 0);
    setFigure(p, 'rejected', 'Rejected', fmt(rejections), rejections > 0);
    setFigure(p, 'executed', 'Executed', fmt(num(d.rollingCountThreadsExecuted)));
  }

  function updateCollapser(p) {
    var d = p.data;
    var batches = num(d.rollingCountBatches);
    p.sub.textContent = 'max ' + num(d.propertyValue_maxRequestsInBatch) + ' per batch \u00b7 '
        + num(d.propertyValue_timerDelayInMilliseconds) + ' ms window';
    setFigure(p, 'batches', 'Batches', fmt(batches));
    setFigure(p, 'requests', 'Requests', fmt(num(d.rollingCountRequestsBatched)));
    setFigure(p, 'mean', 'Batch size', String(perHost(d, d.batchSize_mean)));
    setFigure(p, 'p99', 'Size p99', String(perHost(d, (d.batchSize || {})['99'])));
  }

  // ---- the stream ------------------------------------------------------------------------

  function onMessage(e) {
    var d;
    try { d = JSON.parse(e.data); } catch (err) { return; }
    if (!d || typeof d.name !== 'string') { return; }
    lastMessageAt = Date.now();
    if (d.type === 'HystrixCommand') {
      var c = circuits.get(d.name);
      if (!c) { c = circuitCard(d.name); circuits.set(d.name, c); }
      c.data = d;
      c.seen = Date.now();
      var last = c.history[c.history.length - 1];
      if (!last || c.seen - last.t >= 900) { c.history.push({ t: c.seen, v: callRate(d) }); }
    } else if (d.type === 'HystrixThreadPool') {
      keep(pools, d, 'pool');
    } else if (d.type === 'HystrixCollapser') {
      keep(collapsers, d, 'collapser');
    }
  }

  function keep(map, d, kind) {
    var p = map.get(d.name);
    if (!p) { p = poolCard(d.name, kind); map.set(d.name, p); }
    p.data = d;
    p.seen = Date.now();
  }

  function streamUrl(src) {
    if (src === 'local') { return 'hystrix.stream'; }
    var parts = src.split('|');
    return 'turbine.stream?service=' + encodeURIComponent(parts[1])
        + (parts[2] ? '&instance=' + encodeURIComponent(parts[2]) : '');
  }

  function connect(src) {
    if (source) { source.close(); }
    circuits.forEach(function (c) { c.card.remove(); });
    pools.forEach(function (p) { p.card.remove(); });
    collapsers.forEach(function (p) { p.card.remove(); });
    circuits.clear(); pools.clear(); collapsers.clear();
    $('no-circuits').textContent = 'Waiting for the stream\u2026';
    var url = streamUrl(src);
    $('stream-link').href = url;
    $('stream-link').textContent = url;
    setStatus('connecting', 'connecting');
    source = new EventSource(url);
    source.onmessage = onMessage;
    source.onopen = function () { setStatus('live', 'live'); };
    source.onerror = function () { setStatus('down', 'reconnecting'); };
  }

  function setStatus(cls, text) {
    var s = $('status');
    s.className = 'status ' + cls;
    s.textContent = text;
  }

  // ---- drawing ---------------------------------------------------------------------------

  function matches(name, d) {
    if (!filterText) { return true; }
    var hay = (name + ' ' + (d.group || '') + ' ' + (d.threadPool || '')).toLowerCase();
    return hay.indexOf(filterText) >= 0;
  }

  function compare(a, b) {
    if (sortBy === 'name') { return a.name.localeCompare(b.name); }
    var ka = sortBy === 'rate' ? callRate(a.c.data) : errorPct(a.c.data);
    var kb = sortBy === 'rate' ? callRate(b.c.data) : errorPct(b.c.data);
    if (kb !== ka) { return kb - ka; }
    if (sortBy === 'error') {
      var ra = callRate(a.c.data);
      var rb = callRate(b.c.data);
      if (rb !== ra) { return rb - ra; }
    }
    return a.name.localeCompare(b.name);
  }

  function render() {
    var now = Date.now();
    if (source && source.readyState === 1 && lastMessageAt && now - lastMessageAt > 5000) {
      setStatus('connecting', 'idle');
    } else if (source && source.readyState === 1 && lastMessageAt) {
      setStatus('live', 'live');
    }
    var grid = $('circuits');
    var shown = [];
    var open = 0;
    circuits.forEach(function (c, name) {
      if (now - c.seen > STALE_MS) { c.card.remove(); circuits.delete(name); return; }
      updateCircuit(c);
      var st = circuitState(c.data).cls;
      if (st === 'open' || st === 'forced-open' || st === 'half-open') { open++; }
      if (matches(name, c.data)) { shown.push({ name: name, c: c }); } else { c.card.remove(); }
    });
    shown.sort(compare);
    shown.forEach(function (s, i) {
      if (grid.children[i] !== s.c.card) { grid.insertBefore(s.c.card, grid.children[i] || null); }
    });
    var empty = $('no-circuits');
    empty.hidden = shown.length > 0;
    if (circuits.size > 0 && shown.length === 0) {
      empty.textContent = 'No circuit matches \u201c' + filterText + '\u201d.';
    }
    $('summary').textContent = circuits.size === 0 ? '' : circuits.size
        + (circuits.size === 1 ? ' circuit \u00b7 ' : ' circuits \u00b7 ')
        + (open === 0 ? 'all closed' : open + ' not closed');
    drawGroup(pools, $('pools'), $('pools-section'), updatePool, now);
    drawGroup(collapsers, $('collapsers'), $('collapsers-section'), updateCollapser, now);
  }

  function drawGroup(map, grid, section, update, now) {
    var names = [];
    map.forEach(function (p, name) {
      if (now - p.seen > STALE_MS) { p.card.remove(); map.delete(name); return; }
      update(p);
      if (matches(name, p.data)) { names.push(name); } else { p.card.remove(); }
    });
    names.sort();
    names.forEach(function (name, i) {
      var card = map.get(name).card;
      if (grid.children[i] !== card) { grid.insertBefore(card, grid.children[i] || null); }
    });
    section.hidden = map.size === 0;
  }

  // ---- controls --------------------------------------------------------------------------

  function loadSources() {
    fetch('api/sources', { credentials: 'same-origin' }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (s) {
      if (!s) { return; }
      $('title').textContent = s.title;
      document.title = s.title + ' \u00b7 Breakwater';
      var select = $('source');
      var current = select.value;
      while (select.options.length > 1) { select.remove(1); }
      (s.services || []).forEach(function (svc) {
        var group = document.createElement('optgroup');
        group.label = svc.name;
        var all = el('option', null, svc.name + ' \u2014 all ' + svc.instances.length
            + ' instance' + (svc.instances.length === 1 ? '' : 's'));
        all.value = 'service|' + svc.name;
        group.append(all);
        svc.instances.forEach(function (i) {
          var o = el('option', null, i.id + ' (' + i.address + ':' + i.port + ')');
          o.value = 'service|' + svc.name + '|' + i.id;
          group.append(o);
        });
        select.append(group);
      });
      select.value = current;
      if (select.value !== current) { select.value = 'local'; }
    }).catch(function () { /* the selector keeps what it has */ });
  }

  function initialSource() {
    var q = new URLSearchParams(window.location.search);
    if (q.get('service')) {
      return 'service|' + q.get('service') + (q.get('instance') ? '|' + q.get('instance') : '');
    }
    return 'local';
  }

  function init() {
    var select = $('source');
    var first = initialSource();
    if (first !== 'local') {
      var o = el('option', null, first.split('|').slice(1).join(' \u203a '));
      o.value = first;
      select.append(o);
      select.value = first;
    }
    select.addEventListener('change', function () { connect(select.value); });
    $('filter').addEventListener('input', function (e) {
      filterText = e.target.value.trim().toLowerCase();
      render();
    });
    document.querySelectorAll('[data-sort]').forEach(function (b) {
      b.classList.toggle('on', b.dataset.sort === sortBy);
      b.addEventListener('click', function () {
        sortBy = b.dataset.sort;
        writeSetting('sort', sortBy);
        document.querySelectorAll('[data-sort]').forEach(function (x) {
          x.classList.toggle('on', x === b);
        });
        render();
      });
    });
    loadSources();
    setInterval(loadSources, 15000);
    connect(first);
    setInterval(render, RENDER_MS);
  }

  init();
}());
