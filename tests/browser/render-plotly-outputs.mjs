// Draws every application/vnd.plotly.v1+json output of the given executed notebooks as VS Code's and JupyterLab's
// plotly renderers do (Plotly.newPlot of the figure's data, layout and config), with the pinned plotly.js and no
// network, and prints one JSON line per notebook: {notebook, outputs, drawn, failures}.
//   node render-plotly-outputs.mjs executed/00-getting-started.ipynb ...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { launch, offline } from './offline.mjs';

const plotlyPath = createRequire(import.meta.url).resolve('plotly.js-dist-min');
const browser = await launch();
let failed = false;
try {
  const page = await browser.newPage();
  const refused = await offline(page);
  const errors = [];
  page.on('pageerror', error => errors.push(String(error)));
  for (const path of process.argv.slice(2)) {
    const notebook = JSON.parse(readFileSync(path, 'utf8'));
    const figures = notebook.cells.flatMap(cell => (cell.outputs || []))
      .map(output => output.data && output.data['application/vnd.plotly.v1+json'])
      .filter(figure => figure !== undefined);
    let drawn = 0;
    const failures = [];
    for (const [index, figure] of figures.entries()) {
      if (typeof figure !== 'object' || !Array.isArray(figure.data)) {
        failures.push(`output ${index}: the figure is a ${typeof figure}, not an object with data`);
        continue;
      }
      await page.setContent('<!DOCTYPE html><html><body><div id="chart"></div></body></html>');
      await page.addScriptTag({ path: plotlyPath });
      errors.length = 0;
      const result = await page.evaluate(async figure => {
        const target = document.getElementById('chart');
        try {
          await window.Plotly.newPlot(target, figure.data, figure.layout, figure.config);
        } catch (error) {
          return { ok: false, why: String(error) };
        }
        const svg = target.querySelector('.plot-container svg.main-svg');
        const marks = target.querySelectorAll('.plot-container .trace, .plot-container .hm, .plot-container image').length;
        return { ok: !!svg && marks > 0, why: svg ? `no trace drawn` : 'no .plot-container svg' };
      }, figure);
      if (result.ok && errors.length === 0) drawn++;
      else failures.push(`output ${index} (${figure.layout?.title?.text ?? 'untitled'}): ${result.ok ? errors.join('; ') : result.why}`);
    }
    if (drawn !== figures.length) failed = true;
    console.log(JSON.stringify({ notebook: basename(path), outputs: figures.length, drawn, failures, refused: refused.length }));
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
