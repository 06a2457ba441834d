// The mistake explorer as a reader uses it, offline: opens DIR/index.html from file://, clicks the third mistake, a
// confusion-matrix cell and the mistake's top unit, keeps screenshots of the three views, and prints one JSON line of
// what the page showed, with the console's errors and every request refused.
//   node explorer.mjs DIR/index.html SCREENSHOT_PREFIX TRUE PREDICTED
import { launch, offline } from './offline.mjs';

const [path, shots, cellTrue, cellPredicted] = process.argv.slice(2);
const browser = await launch();
const result = { errors: [], refused: [] };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  result.refused = await offline(page);
  page.on('pageerror', error => result.errors.push(String(error)));
  page.on('console', message => { if (message.type() === 'error') result.errors.push(message.text()); });
  page.on('requestfailed', request => result.errors.push(`request failed: ${request.url()}`));

  const started = Date.now();
  await page.goto('file://' + path, { waitUntil: 'load' });
  await page.waitForSelector('#grid .thumb');
  result.openMs = Date.now() - started;
  result.gridCount = await page.$$eval('#grid .thumb', nodes => nodes.length);
  await page.screenshot({ path: `${shots}-overview.png` });

  // The third mistake: its index, its top units in order, its neighbours in both spaces.
  const thumbs = await page.$$('#grid .thumb');
  result.third = await thumbs[2].evaluate(node => +node.dataset.index);
  await thumbs[2].click();
  await page.waitForSelector('#saliency-neighbours .thumb');
  await page.waitForFunction(() => document.querySelectorAll('#maps img').length > 0);
  result.panelIndex = await page.$eval('#panel-index', node => +node.textContent);
  result.topUnits = await page.$$eval('#top-units .unit', nodes => nodes.map(n => n.dataset.name));
  result.saliencyNeighbours = await page.$$eval('#saliency-neighbours .thumb', nodes => nodes.map(n => +n.dataset.index));
  result.pixelNeighbours = await page.$$eval('#pixel-neighbours .thumb', nodes => nodes.map(n => +n.dataset.index));
  result.maps = await page.$$eval('#maps img', nodes => nodes.map(n => n.naturalWidth > 0));
  await page.screenshot({ path: `${shots}-mistake.png` });

  // The keyboard: the next mistake in the grid's order.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(third => +document.querySelector('#panel-index').textContent !== third, {}, result.third);
  result.afterArrow = await page.$eval('#panel-index', node => +node.textContent);

  // A unit's panel: the last of the third mistake's top units (rank k, where an off-by-one in k would show).
  await thumbs[2].click();
  await page.waitForSelector('#top-units .unit');
  const units = await page.$$('#top-units .unit');
  await units[units.length - 1].click();
  await page.waitForSelector('#unit-name');
  result.unitName = await page.$eval('#unit-name', node => node.textContent);
  result.unitMistakes = await page.$$eval('#unit-mistakes .thumb', nodes => nodes.map(n => +n.dataset.index));
  await page.screenshot({ path: `${shots}-unit.png` });

  // A confusion-matrix cell as a filter: every thumbnail of the grid, through every "Show more".
  await page.click(`td.cell[data-true="${cellTrue}"][data-pred="${cellPredicted}"]`);
  while (await page.$eval('#more', button => !button.hidden)) await page.click('#more');
  result.cellMistakes = await page.$$eval('#grid .thumb', nodes => nodes.map(n => +n.dataset.index));
  await page.keyboard.press('Escape');
  result.afterEscape = await page.$$eval('#grid .thumb', nodes => nodes.length);

  // Sorting: the most confident mistake first, then the least confident.
  await page.select('#sort', 'confidence');
  result.mostConfident = await page.$eval('#grid .thumb', node => +node.dataset.index);
  await page.select('#sort', 'unsure');
  result.leastConfident = await page.$eval('#grid .thumb', node => +node.dataset.index);
} catch (error) {
  result.errors.push(`script: ${error}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.errors.length || result.refused.length ? 1 : 0);
