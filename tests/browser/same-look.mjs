// Draws two plotly figures (JSON files) with the pinned plotly.js, offline, and prints {"identical": bool, "differentBytes": n}:
// whether their screenshots are the same image.
//   node same-look.mjs a.json b.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, offline } from './offline.mjs';

const plotlyPath = createRequire(import.meta.url).resolve('plotly.js-dist-min');
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 700 });
  await offline(page);
  const shots = [];
  for (const path of process.argv.slice(2, 4)) {
    const figure = JSON.parse(readFileSync(path, 'utf8'));
    await page.setContent('<!DOCTYPE html><html><body style="margin:0"><div id="chart"></div></body></html>');
    await page.addScriptTag({ path: plotlyPath });
    await page.evaluate(async figure => {
      await window.Plotly.newPlot(document.getElementById('chart'), figure.data, figure.layout, { ...figure.config, staticPlot: true });
    }, figure);
    shots.push(await page.screenshot({ type: 'png' }));
  }
  let different = Math.abs(shots[0].length - shots[1].length);
  for (let i = 0; i < Math.min(shots[0].length, shots[1].length); i++) if (shots[0][i] !== shots[1][i]) different++;
  console.log(JSON.stringify({ identical: different === 0, differentBytes: different, bytes: shots[0].length }));
} finally {
  await browser.close();
}
