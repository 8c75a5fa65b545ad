/*
 * web/app.js — Hearth's only script: start GOV.UK Frontend's components.
 *
 * Every page loads this as <script type="module" src="/assets/app.js">.
 * Our CSP forbids inline script, so the snippet GOV.UK Frontend's page
 * template puts at the top of <body> lives here instead.  A browser that
 * runs this file supports ES modules, which is exactly the test that
 * snippet makes ('noModule' in HTMLScriptElement.prototype), so we mark
 * <body> as supported and then initialise every component on the page.
 *
 * Pages are rendered on the server and work without JavaScript: nothing
 * here is needed to read a page or submit a form; the components only
 * add behaviour (error summary focus, accordions, character counts, ...).
 */
import { initAll } from '/assets/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
	document.body.classList.add('govuk-frontend-supported')
}

initAll()

// A page that follows work in progress (an import) marks itself with
// data-hearth-refresh="SECONDS": with script, it reloads itself until the
// work is done; without, its "Check progress" link does the same.  (A
// <meta http-equiv="refresh"> would, but takes the timing out of the
// user's hands: WCAG 2.2.1.)
const follow = document.querySelector('[data-hearth-refresh]')
if (follow) {
	const seconds = Number(follow.getAttribute('data-hearth-refresh')) || 2
	setTimeout(() => window.location.reload(), seconds * 1000)
}
