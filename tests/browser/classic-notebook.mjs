// Opens a notebook in Jupyter's classic Notebook through its UI, as a reader does, with no network beyond this machine:
// waits for the kernel, runs every cell (Cell > Run All), waits until the last one has run, then counts the chart outputs,
// the ones drawn (a .plot-container with an SVG) and the error outputs, and saves a screenshot. Prints one JSON line.
//   node classic-notebook.mjs http://127.0.0.1:PORT/notebooks/notebooks/01-profiling.ipynb?token=T screenshot.png [minutes]
import { launch, offline } from './offline.mjs';

const [url, screenshot, minutesText] = process.argv.slice(2);
const deadline = Date.now() + Number(minutesText || 15) * 60_000;
const browser = await launch();
let result = { ok: false };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const refused = await offline(page);
  const pageErrors = [];
  page.on('pageerror', error => pageErrors.push(String(error)));
  await page.goto(url, { waitUntil: 'load' });
  // The kernel is up when the notebook says so.
  await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.() && window.Jupyter.notebook.kernel_busy === false,
    { timeout: Math.max(1000, deadline - Date.now()), polling: 500 });
  await page.click('#celllink');
  await page.click('#run_all_cells > a');
  // Done when every code cell has an execution count and the kernel is idle.
  await page.waitForFunction(() => {
    const notebook = window.Jupyter.notebook;
    const cells = notebook.get_cells().filter(cell => cell.cell_type === 'code');
    return !notebook.kernel_busy && cells.every(cell => typeof cell.input_prompt_number === 'number');
  }, { timeout: Math.max(1000, deadline - Date.now()), polling: 1000 });
  await new Promise(resolve => setTimeout(resolve, 3000)); // charts draw after their output is attached
  const counts = await page.evaluate(() => {
    const charts = [...document.querySelectorAll('.output_subarea .parameter-saliency-chart')];
    return {
      cells: window.Jupyter.notebook.get_cells().filter(cell => cell.cell_type === 'code').length,
      charts: charts.length,
      drawn: charts.filter(chart => chart.querySelector('.plot-container svg.main-svg')).length,
      errors: [...document.querySelectorAll('.output_error')].map(error => error.innerText.slice(0, 300)),
    };
  });
  // The classic Notebook scrolls inside #site: let the page grow so the screenshot holds every cell.
  await page.evaluate(() => {
    document.body.style.overflow = 'visible';
    const site = document.getElementById('site');
    site.style.height = 'auto';
    site.style.overflow = 'visible';
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  result = { ok: true, ...counts, refused: refused.length, refusedExamples: refused.slice(0, 3), pageErrors: pageErrors.slice(0, 5) };
} catch (error) {
  result = { ok: false, why: String(error) };
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
