// The mistake explorer: reads window.EXPLORER_DATA (data.js) and, when a mistake is opened, its chunk
// (chunks/mistakes-N.js, which calls window.explorerChunk). Everything is drawn here with the DOM and SVG: no library,
// no request beyond this folder, so the page works from file:// without internet.
(function () {
  'use strict';
  const D = window.EXPLORER_DATA;
  const PAGE = 400;                 // thumbnails drawn at a time in the grid
  const chunks = {}, waiting = {};
  const state = { sort: 'index', filter: null, order: [], shown: PAGE, current: null };
  const byIndex = new Map(D.mistakes.map(m => [m.i, m]));
  const $ = id => document.getElementById(id);
  window.explorerChunk = (n, detail) => { chunks[n] = detail; };

  function el(tag, attributes, children) {
    const node = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of [].concat(children || [])) if (child) node.append(child);
    return node;
  }
  // Replaces (or extends) a node's children, leaving out the null ones (replaceChildren would write "null").
  const fill = (node, ...children) => node.replaceChildren(...children.filter(c => c !== null && c !== undefined && c !== false));
  const add = (node, ...children) => node.append(...children.filter(c => c !== null && c !== undefined && c !== false));
  const name = c => D.classes[c];
  const percent = p => (100 * p).toFixed(1) + '%';
  const fixed = (v, digits) => v === null || v === undefined ? '–' : v.toFixed(digits);

  // A thumbnail from the sheets, `size` pixels on its longer side, with the image's index as data-index.
  function thumb(index, size, classes, title, onclick) {
    const tile = D.thumbs[index], t = D.tile;
    const scale = size / Math.max(t.width, t.height);
    const column = tile[1] % t.columns, row = Math.floor(tile[1] / t.columns);
    return el('span', {
      class: 'thumb ' + (classes || ''), 'data-index': index, title: title, role: 'option', onclick: onclick,
      style: `width:${t.width * scale}px;height:${t.height * scale}px;background-image:url(thumbs-${tile[0]}.png);` +
        `background-size:${t.columns * t.width * scale}px auto;background-position:-${column * t.width * scale}px -${row * t.height * scale}px`,
    });
  }

  function loadChunk(n) {
    if (chunks[n]) return Promise.resolve(chunks[n]);
    if (!waiting[n]) waiting[n] = new Promise((resolve, reject) => {
      const script = el('script', { src: `chunks/mistakes-${n}.js` });
      script.onload = () => resolve(chunks[n]);
      script.onerror = () => reject(new Error(`chunks/mistakes-${n}.js could not be read`));
      document.head.append(script);
    });
    return waiting[n];
  }

  // ---- the overview -------------------------------------------------------------------------------------------------
  function matches(m) {
    const f = state.filter;
    if (!f) return true;
    if (f.kind === 'cell') return m.t === f.t && m.p === f.p;
    if (f.kind === 'mode') return m.mode === f.mode;
    return true;
  }

  function ordered() {
    const list = D.mistakes.filter(matches);
    const by = { index: (a, b) => a.i - b.i, confidence: (a, b) => b.pp - a.pp || a.i - b.i, unsure: (a, b) => a.pp - b.pp || a.i - b.i, size: (a, b) => b.size - a.size || a.i - b.i };
    return list.sort(by[state.sort]);
  }

  function drawGrid() {
    state.order = ordered();
    const grid = $('grid');
    fill(grid, ...state.order.slice(0, state.shown).map(m => thumb(m.i, 42, m.i === state.current ? 'selected' : '',
      `#${m.i}: ${name(m.t)} → ${name(m.p)} (${percent(m.pp)})`, () => openMistake(m.i))));
    $('grid-title').textContent = `Mistakes: ${state.order.length} of ${D.mistakes.length} shown` + (state.order.length > state.shown ? ` (first ${state.shown})` : '');
    $('more').hidden = state.order.length <= state.shown;
    const f = state.filter;
    fill($('filter'), ...(f ? [el('span', { text: f.kind === 'cell' ? `Filter: true ${name(f.t)}, predicted ${name(f.p)}` : `Filter: failure mode ${f.mode}` }),
      el('button', { text: 'clear', onclick: () => setFilter(null) })] : []));
    document.querySelectorAll('td.cell').forEach(td => td.classList.toggle('selected', !!f && f.kind === 'cell' && +td.dataset.true === f.t && +td.dataset.pred === f.p));
    document.querySelectorAll('#modes .mode').forEach(b => b.classList.toggle('selected', !!f && f.kind === 'mode' && +b.dataset.mode === f.mode));
  }

  function setFilter(filter) {
    state.filter = filter;
    state.shown = PAGE;
    drawGrid();
  }

  function drawConfusion() {
    const shown = D.classes.map(() => D.classes.map(() => 0));
    for (const m of D.mistakes) shown[m.t][m.p]++;
    const head = el('tr', {}, [el('th', { text: 'true \\ predicted' }), ...D.classes.map(c => el('th', { class: 'col', text: c }))]);
    const rows = D.classes.map((c, t) => el('tr', {}, [el('th', { text: c }), ...D.classes.map((_, p) => t === p
      ? el('td', { class: 'diagonal', text: D.confusion[t][p], title: `${D.confusion[t][p]} correct` })
      : el('td', {
        class: shown[t][p] ? 'cell' : '', 'data-true': t, 'data-pred': p, text: shown[t][p] || '',
        title: `${shown[t][p]} ${c} images predicted ${D.classes[p]}`,
        style: shown[t][p] ? `background: rgba(211, 51, 51, ${Math.min(0.85, 0.1 + shown[t][p] / 40)})` : null,
        onclick: shown[t][p] ? () => setFilter({ kind: 'cell', t, p }) : null,
      }))]));
    fill($('confusion'), el('table', { class: 'confusion' }, [head, ...rows]));
  }

  function modeLabel(mode) {
    return `Mode ${mode.n} (${mode.size}): ` + mode.pairs.slice(0, 3).map(p => `${name(p[0])} → ${name(p[1])} ${p[2]}`).join(', ');
  }

  function drawModes() {
    const modes = D.modes.map(mode => el('button', { class: 'mode', 'data-mode': mode.n, text: modeLabel(mode), onclick: () => setFilter({ kind: 'mode', mode: mode.n }) }));
    fill($('modes'), ...(modes.length ? modes : [el('p', { class: 'placeholder', text: 'No failure modes (too few mistakes).' })]),
      D.modesSummary ? el('p', { class: 'hint', text: D.modesSummary }) : null);
  }

  // ---- charts (SVG) -------------------------------------------------------------------------------------------------
  function bars(entries, onclick) {   // entries: [label, value, id]
    const width = 520, row = 18, left = 250, max = Math.max(...entries.map(e => Math.abs(e[1])), 1e-9);
    const svg = el('svg:svg', { class: 'bars', width, height: entries.length * row + 4, role: 'img', 'aria-label': 'top units by ŝ' });
    entries.forEach(([label, value, id], r) => {
      const g = el('svg:g', { class: 'unit', 'data-unit': id, 'data-name': label, transform: `translate(0, ${r * row})`, onclick: () => onclick(id) }, [
        el('svg:title', { text: `${label}: ŝ = ${value.toFixed(2)}` }),
        el('svg:text', { x: left - 6, y: 13, 'text-anchor': 'end', text: label.length > 38 ? '…' + label.slice(-37) : label }),
        el('svg:rect', { x: left, y: 3, height: row - 6, width: Math.max(1, (width - left - 50) * Math.abs(value) / max), fill: value >= 0 ? '#d9534f' : '#5b8bd9' }),
        el('svg:text', { x: left + 4 + (width - left - 50) * Math.abs(value) / max, y: 13, text: value.toFixed(1) }),
      ]);
      svg.append(g);
    });
    return svg;
  }

  function histogram(unit) {
    const width = 460, height = 150, left = 36, bottom = 22, n = D.bins.count;
    const total = h => h.reduce((a, b) => a + b, 0) || 1;
    const series = [[unit.hm, '#d9534f', `mistakes (${total(unit.hm)})`], [unit.hc, '#5b8bd9', `correct, sample of ${D.correctSample}`]];
    const max = Math.max(...series.flatMap(([h]) => h.map(c => c / total(h))), 1e-9);
    const x = b => left + (width - left - 24) * b / n, y = v => (height - bottom) * (1 - Math.sqrt(v / max)) + 4;
    const svg = el('svg:svg', { width, height: height + 8, role: 'img', 'aria-label': 'ŝ over mistakes and correct images' });
    for (const [h, colour] of series) {
      const points = h.map((c, b) => `${x(b)},${y(c / total(h))} ${x(b + 1)},${y(c / total(h))}`).join(' ');
      svg.append(el('svg:polyline', { points: `${x(0)},${y(0)} ${points} ${x(n)},${y(0)}`, fill: colour, 'fill-opacity': 0.25, stroke: colour }));
    }
    for (let b = 0; b <= n; b += 8) {
      const value = D.bins.lowest + b * D.bins.width;
      svg.append(el('svg:text', { x: x(b), y: height + 4, 'text-anchor': 'middle', 'font-size': 10, text: (b === 0 ? '≤' : b === n ? '≥' : '') + value }));
    }
    series.forEach(([, colour, label], s) => svg.append(el('svg:text', { x: width - 10, y: 14 + 14 * s, 'text-anchor': 'end', 'font-size': 11, fill: colour, text: label })));
    return el('figure', { class: 'histogram' }, [svg, el('figcaption', { text: `ŝ of this ${D.unitNoun} in bins of ${D.bins.width} (the end bins gather everything beyond); ` +
      'the height is the share of each group, on a square-root scale.' })]);
  }

  // ---- a mistake's panel --------------------------------------------------------------------------------------------
  function neighbourRow(id, title, list, query) {
    return el('div', { class: 'neighbours' }, [el('h3', { text: title }), el('div', { id }, list.map(([index, cosine, t, p]) => {
      const wrong = t !== p, same = wrong && ((t === query.t && p === query.p) || (t === query.p && p === query.t));
      return el('figure', {}, [thumb(index, 48, same ? 'same' : wrong ? 'wrong' : '', `#${index}: ${name(t)}${wrong ? ' → ' + name(p) : ''}, cosine ${cosine}`,
        byIndex.has(index) ? () => openMistake(index) : null),
      el('figcaption', { text: `#${index} ${name(t)}${wrong ? ' → ' + name(p) : ''}${same ? ' (same)' : ''}` })]);
    }))]);
  }

  async function openMistake(index) {
    const m = byIndex.get(index);
    if (!m) return;
    state.current = index;
    if (location.hash !== `#mistake-${index}`) history.replaceState(null, '', `#mistake-${index}`);
    document.querySelectorAll('#grid .thumb').forEach(t => t.classList.toggle('selected', +t.dataset.index === index));
    const position = state.order.findIndex(o => o.i === index);
    const panel = $('detail');
    fill(panel, 
      el('div', { class: 'nav' }, [
        el('button', { text: '← previous', onclick: () => step(-1), disabled: position <= 0 ? 'disabled' : null }),
        el('button', { text: 'next →', onclick: () => step(1), disabled: position < 0 || position >= state.order.length - 1 ? 'disabled' : null }),
        el('span', { class: 'hint', text: position >= 0 ? `${position + 1} of ${state.order.length}` : 'not in the current filter' })]),
      el('h2', {}, ['Mistake #', el('span', { id: 'panel-index', text: index })]),
      el('p', { text: `True: ${name(m.t)} (${percent(m.pt)}). Predicted: ${name(m.p)} (${percent(m.pp)}). Size of ŝ: ‖ŝ‖ = ${fixed(m.size, 1)}.` }),
      el('div', { id: 'maps' }, [el('figure', {}, [thumb(index, 104, '', `#${index}`), el('figcaption', { text: 'the image' })])]),
      el('h3', { text: `Top ${D.k} ${D.unitNoun}s by ŝ (click one)` }),
      el('div', { id: 'top-units' }, bars(m.top.map(([u, z]) => [D.units[u].name, z, u]), openUnit)),
      el('div', { id: 'neighbour-rows' }, el('p', { class: 'placeholder', text: 'loading heatmaps and neighbours…' })),
      modeSection(m), el('div', { id: 'sanity' }));
    let detail;
    try {
      detail = (await loadChunk(m.chunk))[index];
    } catch (error) {
      fill($('neighbour-rows'), el('p', { text: String(error) }));
      return;
    }
    if (state.current !== index) return;
    add($('maps'), ...detail.maps.map((src, k) => src ? el('figure', {}, [el('img', { src, width: 104, alt: D.methods[k] }), el('figcaption', { text: D.methods[k] })]) : null));
    fill($('neighbour-rows'), 
      neighbourRow('saliency-neighbours', `${D.neighbours} nearest in saliency space (cosine of ŝ); red: misclassified, pink ring: misclassified the same way`, detail.sal, m),
      neighbourRow('pixel-neighbours', `${D.neighbours} nearest in pixel space`, detail.pix, m));
    fill($('sanity'), ...sanitySection(detail));
  }

  function modeSection(m) {
    const mode = D.modes.find(c => c.n === m.mode);
    if (!mode) return el('p', { class: 'placeholder', text: 'No failure mode for this mistake.' });
    return el('div', { id: 'mode' }, [
      el('h3', {}, [el('a', { class: 'unit-link', text: modeLabel(mode), onclick: () => setFilter({ kind: 'mode', mode: mode.n }) })]),
      el('div', {}, mode.units.slice(0, 5).map(([u, excess, q, discovered]) => el('div', {}, [el('a', { class: 'unit-link', text: D.units[u].name, onclick: () => openUnit(u) }),
        ` excess of mean ŝ ${excess.toFixed(2)}, q ${fixed(q, 3)}${discovered ? ' (discovered)' : ''}`]))),
      el('div', {}, mode.typical.map(i => el('figure', {}, [thumb(i, 48, '', `#${i}`, () => openMistake(i)), el('figcaption', { text: `#${i}` })]))),
    ]);
  }

  function sanitySection(detail) {
    if (!D.sanity) return [];
    const link = D.sanity.link ? el('a', { href: D.sanity.link, text: 'the sanity report' }) : null;
    if (!detail.sanity) return [el('p', { class: 'placeholder' }, ['The sanity run did not measure this image. ', link])];
    return [el('h3', { text: 'Sanity signals of this image (trained model)' }), el('table', { class: 'sanity' }, [
      el('tr', {}, ['test', 'method', 'metric', 'value'].map(h => el('th', { text: h }))),
      ...detail.sanity.map(row => el('tr', {}, row.map(v => el('td', { text: typeof v === 'number' ? v.toFixed(3) : v }))))]), el('p', {}, ['See ', link, '.'])];
  }

  function step(delta) {
    if (!state.order.length) return;
    const position = state.order.findIndex(o => o.i === state.current);
    const next = position < 0 ? 0 : Math.min(state.order.length - 1, Math.max(0, position + delta));
    if (next >= state.shown) { state.shown = next + PAGE; drawGrid(); }
    openMistake(state.order[next].i);
  }

  // ---- a unit's panel -----------------------------------------------------------------------------------------------
  function openUnit(u) {
    const unit = D.units[u];
    if (location.hash !== `#unit-${u}`) history.replaceState(null, '', `#unit-${u}`);
    const carried = D.mistakes.filter(m => m.top.some(([v]) => v === u));
    fill($('detail'), 
      el('h2', {}, [`${D.unitNoun} `, el('span', { id: 'unit-name', text: unit.name })]),
      el('p', { text: `Mean ŝ over the mistakes ${fixed(unit.mm, 2)}; over ${D.correctSample} correct images ${fixed(unit.mc, 2)}.` }),
      histogram(unit),
      el('h3', { text: `${carried.length} mistake${carried.length === 1 ? ' has' : 's have'} it in their top ${D.k}` }),
      el('div', { id: 'unit-mistakes' }, carried.map(m => thumb(m.i, 42, '', `#${m.i}: ${name(m.t)} → ${name(m.p)}`, () => openMistake(m.i)))),
      el('h3', { text: 'Images of largest ŝ on it (among the mistakes and the correct sample)' }),
      el('div', { id: 'unit-largest' }, unit.largest.map(([i, z, t, p]) => el('figure', {}, [thumb(i, 48, t !== p ? 'wrong' : '', `#${i}`, byIndex.has(i) ? () => openMistake(i) : null),
        el('figcaption', { text: `#${i} ŝ ${z.toFixed(1)}` })]))),
      unit.excite ? el('h3', { text: 'Images that excite it most (largest mean output of its channel, among the same images)' }) : null,
      unit.excite ? el('div', { id: 'unit-excite' }, unit.excite.map(([i, mean, t, p]) => el('figure', {}, [thumb(i, 48, t !== p ? 'wrong' : '', `#${i}`, byIndex.has(i) ? () => openMistake(i) : null),
        el('figcaption', { text: `#${i} ${mean.toFixed(2)}` })]))) : null);
  }

  // ---- start --------------------------------------------------------------------------------------------------------
  $('title').textContent = D.title;
  document.title = D.title;
  $('summary').textContent = `${D.dataset}: ${D.images} images, accuracy ${percent(D.accuracy)}, ${D.mistakesTotal} mistakes; ` +
    `units: ${D.unitNoun}s, top ${D.k} by ŝ = (s − μ) / σ.`;
  $('notes').textContent = D.notes.join(' ');
  $('sort').addEventListener('change', e => { state.sort = e.target.value; drawGrid(); });
  $('more').addEventListener('click', () => { state.shown += PAGE; drawGrid(); });
  document.addEventListener('keydown', e => {
    if (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT') return;
    if (e.key === 'ArrowRight' || e.key === 'j') step(1);
    else if (e.key === 'ArrowLeft' || e.key === 'k') step(-1);
    else if (e.key === 'Escape') setFilter(null);
  });
  drawConfusion();
  drawModes();
  drawGrid();
  const linked = /^#(mistake|unit)-(\d+)$/.exec(location.hash);
  if (linked && linked[1] === 'mistake') openMistake(+linked[2]);
  else if (linked && D.units[+linked[2]]) openUnit(+linked[2]);
})();
