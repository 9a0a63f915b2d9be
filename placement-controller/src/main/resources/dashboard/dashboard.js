// The moe-mesh dashboard: polls api/state (relative to this page) every refresh period and renders
// it. Plain DOM: every peer-provided string goes through textContent, never through HTML parsing.
(function () {
  'use strict';

  var root = document.getElementById('dashboard');
  var refreshMillis = 2000;
  var latest = null;
  var chosenLayer = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function text(id, value) { document.getElementById(id).textContent = value; }

  function fmt(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) { return '–'; }
    return Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  }

  function pct(x) { return x === null || x === undefined ? '–' : fmt(100 * x, 2) + ' %'; }

  function bytes(x) {
    if (x === null || x === undefined) { return '–'; }
    if (x >= 1024 * 1024) { return fmt(x / 1024 / 1024, 2) + ' MiB'; }
    if (x >= 1024) { return fmt(x / 1024, 1) + ' KiB'; }
    return fmt(x, 0) + ' B';
  }

  function unit(u) { return 'L' + u.layer + '·E' + u.expert; }

  function time(millis) { return millis ? new Date(millis).toLocaleTimeString() : ''; }

  // white → blue by fraction f in [0, 1]
  function heat(f) {
    var a = Math.max(0, Math.min(1, f));
    return 'rgba(37, 99, 235, ' + (0.06 + 0.84 * a).toFixed(3) + ')';
  }

  function setConnection(kind, label) {
    var badge = document.getElementById('connection');
    badge.className = 'badge badge-' + kind;
    badge.textContent = label;
  }

  function renderHeader(s) {
    text('model-shape', s.model ? s.model.layers + ' layers × ' + s.model.experts + ' experts · '
      + s.routers.length + (s.routers.length === 1 ? ' router' : ' routers') : 'waiting for the routers…');
    var tps = s.summary.tokensPerSecond;
    // plain numbers (no digit grouping) in the two elements tests read
    var node = document.getElementById('tokens-per-second');
    node.textContent = tps === null ? '0' : tps.toFixed(1);
    node.setAttribute('data-value', tps === null ? '' : String(tps));
    node.title = tps === null ? 'no rate yet: the routers have been read once' : 'tokens streamed to clients per second';
    var degraded = document.getElementById('degraded-rate');
    degraded.textContent = s.summary.degradedRate === null ? '–' : (100 * s.summary.degradedRate).toFixed(2) + ' %';
    degraded.setAttribute('data-value', s.summary.degradedRate === null ? '' : String(s.summary.degradedRate));
    text('calls-per-token', fmt(s.summary.callsPerToken, 3));
    text('bytes-per-token', s.summary.bytesPerToken === null ? 'bytes per token: –'
      : bytes(s.summary.bytesPerToken) + ' per token per layer');
    renderSparkline(s.history);
    var p = s.placement;
    text('decision', p ? p.decision : 'no planning round yet');
    text('plans-applied', p ? '· ' + p.plansApplied + ' plans applied' + (p.at ? ' · last round ' + time(p.at) : '') : '');
    text('last-change', p && p.lastChange ? 'last re-placement ' + time(p.lastChange.at) + ': '
      + p.lastChange.servicesChanged + ' services changed — ' + p.lastChange.decision : 'no re-placement applied yet');
    var error = document.getElementById('error');
    error.hidden = !s.error;
    error.textContent = s.error || '';
  }

  function renderSparkline(history) {
    var line = document.querySelector('#sparkline polyline');
    if (!history.length) { line.setAttribute('points', ''); return; }
    var max = Math.max.apply(null, history.map(function (p) { return p.tokensPerSecond; }).concat([1]));
    var step = history.length > 1 ? 160 / (history.length - 1) : 0;
    line.setAttribute('points', history.map(function (p, i) {
      return (i * step).toFixed(1) + ',' + (30 - 28 * p.tokensPerSecond / max).toFixed(1);
    }).join(' '));
  }

  function renderHeatmap(s) {
    var box = document.getElementById('heatmap-tables');
    box.replaceChildren();
    if (!s.model) { return; }
    var head = el('tr', {}, [el('th', { text: '' })]);
    for (var e = 0; e < s.model.experts; e++) { head.appendChild(el('th', { text: 'E' + e })); }
    box.appendChild(el('table', { 'class': 'heatmap heatmap-head' }, [el('thead', {}, [head])]));
    s.layers.forEach(function (layer) {
      var max = Math.max.apply(null, layer.experts.concat([1]));
      var row = el('tr', {}, [el('th', { text: 'L' + layer.layer, title: layer.tokens + ' tokens through layer ' + layer.layer })]);
      layer.experts.forEach(function (n, expert) {
        var share = layer.tokens > 0 ? n / layer.tokens : 0;
        var cell = el('td', {
          'class': 'heat', 'data-layer': String(layer.layer), 'data-expert': String(expert), 'data-tokens': String(n),
          title: 'layer ' + layer.layer + ', expert ' + expert + ': ' + n + ' tokens (' + fmt(100 * share, 1)
            + ' % of the layer\'s tokens)', text: String(n)
        });
        cell.style.background = heat(n / max);
        if (n / max > 0.55) { cell.className = 'heat hot'; }
        row.appendChild(cell);
      });
      box.appendChild(el('table', { 'class': 'heatmap', 'data-layer': String(layer.layer) }, [el('tbody', {}, [row])]));
    });
    text('window', 'window ' + time(s.model.windowStart) + ' – ' + time(s.model.windowEnd)
      + '; colour: share of the layer\'s tokens, relative to its busiest expert');
  }

  function renderCoactivation(s) {
    var select = document.getElementById('coactivation-layer');
    var box = document.getElementById('coactivation-matrix');
    if (!s.model) { box.replaceChildren(); select.replaceChildren(); return; }
    if (select.options.length !== s.layers.length) {
      select.replaceChildren();
      s.layers.forEach(function (l) { select.appendChild(el('option', { value: String(l.layer), text: 'L' + l.layer })); });
    }
    if (chosenLayer === null || chosenLayer >= s.layers.length) { chosenLayer = 0; }
    select.value = String(chosenLayer);
    var layer = s.layers[chosenLayer];
    var n = s.model.experts;
    var max = Math.max.apply(null, layer.coactivation.concat([1]));
    var head = el('tr', {}, [el('th', { text: '' })]);
    for (var j = 0; j < n; j++) { head.appendChild(el('th', { text: 'E' + j })); }
    var body = el('tbody');
    for (var i = 0; i < n; i++) {
      var row = el('tr', {}, [el('th', { text: 'E' + i })]);
      for (var k = 0; k < n; k++) {
        var c = layer.coactivation[i * n + k];
        var cell = el('td', { 'class': i === k ? 'co diag' : 'co', 'data-count': String(c),
          title: 'layer ' + layer.layer + ': experts ' + i + ' and ' + k + ' chosen together by ' + c + ' tokens' });
        if (i !== k) {
          cell.style.background = heat(c / max);
          if (n <= 12) { cell.textContent = String(c); }
          if (c / max > 0.55) { cell.className = 'co hot'; }
        }
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
    box.replaceChildren(el('table', { 'class': n <= 12 ? 'comatrix numbers' : 'comatrix', 'data-layer': String(layer.layer) }, [el('thead', {}, [head]), body]));
  }

  function chips(units, kind) {
    var span = el('span', { 'class': 'chips' });
    units.forEach(function (u) { span.appendChild(el('span', { 'class': 'chip ' + kind, text: unit(u) })); });
    return span;
  }

  function baseText(units) {
    if (!units.length) { return '–'; }
    var layers = units.map(function (u) { return u.layer; });
    return 'E' + units[0].expert + ' in ' + units.length + ' layers (L' + Math.min.apply(null, layers) + '–L'
      + Math.max.apply(null, layers) + ')';
  }

  function renderServices(s) {
    var body = document.querySelector('#services tbody');
    body.replaceChildren();
    text('services-from', s.placement && s.placement.servicesFrom === 'round' ? '(live placement of the latest planning round)'
      : s.placement && s.placement.servicesFrom === 'routers' ? '(as the routers list their endpoints)' : '');
    s.services.forEach(function (svc) {
      var changed = svc.added.length > 0 || svc.removed.length > 0;
      var change = el('td');
      if (changed) {
        change.appendChild(chips(svc.added, 'added'));
        change.appendChild(chips(svc.removed, 'removed'));
      } else {
        change.textContent = '–';
      }
      body.appendChild(el('tr', { 'class': changed ? 'changed' : '', 'data-service': String(svc.service) }, [
        el('td', { text: 'expert-' + svc.service }),
        el('td', { 'class': 'mono', text: svc.endpoints.join(', ') || '–' }),
        el('td', { text: baseText(svc.base) }),
        el('td', {}, [svc.partners.length ? chips(svc.partners, 'partner') : el('span', { text: '–' })]),
        change
      ]));
    });
  }

  function renderEndpoints(s) {
    var body = document.querySelector('#endpoints tbody');
    body.replaceChildren();
    s.endpoints.forEach(function (e) {
      var errorCell = el('td', { text: pct(e.errorRate) });
      if (e.errorRate > 0) { errorCell.className = 'bad'; }
      body.appendChild(el('tr', { 'data-endpoint': e.endpoint }, [
        el('td', { text: e.endpoint }),
        el('td', { 'class': 'mono', text: e.target }),
        el('td', { text: fmt(e.callsPerSecond, 1) }),
        errorCell,
        el('td', { text: fmt(e.refusedPerSecond, 1) }),
        el('td', { text: fmt(e.p50Millis, 2) }),
        el('td', { text: fmt(e.p99Millis, 2) }),
        el('td', { 'class': e.accepting ? 'good' : 'bad', text: e.accepting ? 'yes' : 'no (breaker open)' })
      ]));
    });
    if (!s.endpoints.length) {
      body.appendChild(el('tr', {}, [el('td', { colspan: '8', 'class': 'muted', text: 'no endpoint calls reported (experts in process, or the routers do not report them yet)' })]));
    }
  }

  function renderRouters(s) {
    var list = document.getElementById('routers');
    list.replaceChildren();
    s.routers.forEach(function (r) {
      list.appendChild(el('li', { 'class': r.ok ? 'good' : 'bad', text: r.name + (r.ok ? ' · read ' + time(r.lastRead) : ' · failing: ' + r.error) }));
    });
  }

  function render(s) {
    latest = s;
    refreshMillis = s.refreshMillis || refreshMillis;
    renderHeader(s);
    renderHeatmap(s);
    renderCoactivation(s);
    renderServices(s);
    renderEndpoints(s);
    renderRouters(s);
    root.setAttribute('data-updated', String(s.updated));
    root.setAttribute('data-state', s.state);
    text('updated', s.updated ? 'data of ' + time(s.updated) : '');
  }

  function poll() {
    fetch('api/state', { cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      })
      .then(function (s) {
        render(s);
        root.removeAttribute('data-stale');
        setConnection(s.state === 'error' ? 'bad' : s.state === 'live' ? 'live' : 'wait', s.state);
      })
      .catch(function (e) {
        root.setAttribute('data-stale', 'true');
        setConnection('stale', 'stale: ' + e.message);
      })
      .finally(function () { setTimeout(poll, refreshMillis); });
  }

  document.getElementById('coactivation-layer').addEventListener('change', function (event) {
    chosenLayer = Number(event.target.value);
    if (latest) { renderCoactivation(latest); }
  });
  poll();
}());
