// A Chromium as a reader without internet has it: the system's chromium driven by puppeteer-core, every request to a
// host other than this machine aborted (and counted), so nothing can come from a CDN.
import puppeteer from 'puppeteer-core';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
  });
}

/** Aborts every request that leaves this machine; returns the list of the URLs refused. */
export async function offline(page) {
  const refused = [];
  await page.setRequestInterception(true);
  page.on('request', request => {
    const url = request.url();
    const local = /^(data|blob|about|file):/.test(url) || /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(url);
    if (local) request.continue();
    else {
      refused.push(url);
      request.abort();
    }
  });
  return refused;
}
