// 40-caseload.mjs — the demo worker's caseload and calendar feed, in the
// browser.  The demo (hearth demo) gives Sam Whitfield about a dozen open
// cases, one with its review overdue, visits booked this week, and a
// colleague covered this week.  Sam opens "My caseload" from the menu:
// the overdue review is the first row, marked in red with the days
// overdue; the covered colleague's cases are marked; the planned visits
// are listed.  Sam then sets up the calendar feed: the address is shown
// once, and a calendar client fetching it (no cookie) gets an iCalendar
// feed of those visits.  Both pages pass axe.

function rgb(css) {
	const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css || '')
	return m ? m.slice(1, 4).map(Number) : null
}

export default async function (t) {
	await t.test('caseload: overdue review first and in red; covered cases marked; visits listed',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker')
			await page.getByRole('link', { name: 'My caseload', exact: true }).click()
			await page.waitForURL(`${t.base}/caseload`)
			t.check(await t.h1Text(page) === 'My caseload', 'the heading is not "My caseload"')
			const summary = await page.locator('#caseload-summary').innerText()
			t.check(/\d+ open cases/.test(summary), `summary line: "${summary}"`)
			t.check(/weighted load \d+ of \d+ places/.test(summary), `no load in "${summary}"`)
			t.check(/[1-9]\d* reviews? overdue/.test(summary), `no overdue review in "${summary}"`)

			const rows = page.locator('#caseload tbody tr')
			const n = await rows.count()
			t.check(n >= 10, `expected the demo worker's dozen cases, found ${n} rows`)
			const first = rows.first()
			t.check(/hearth-row--overdue/.test(await first.getAttribute('class') || ''),
				'the first row is not the overdue review')
			const tag = first.locator('.govuk-tag--red')
			t.check(await tag.count() === 1, 'no red tag on the overdue row')
			const tagText = await tag.innerText()
			t.check(/^Overdue by \d+ days?$/.test(tagText.trim()), `tag says "${tagText}"`)
			const bg = rgb(await tag.evaluate(e => getComputedStyle(e).backgroundColor))
			const fg = rgb(await tag.evaluate(e => getComputedStyle(e).color))
			t.check(bg && fg && bg[0] > bg[2] && fg[0] > fg[2], `the overdue tag is not red (${bg} on ${fg})`)
			// Overdue rows come before all others.
			const classes = await rows.evaluateAll(rs => rs.map(r => r.className))
			const lastOverdue = classes.map(c => /overdue/.test(c)).lastIndexOf(true)
			t.check(classes.slice(0, lastOverdue + 1).every(c => /overdue/.test(c)),
				'an overdue review is listed after a case that is not overdue')
			t.check(await page.locator('#caseload .govuk-tag--yellow', { hasText: 'Covering for' }).count() > 0,
				"no case marked as covering a colleague's")
			const visits = await page.locator('#planned-visits tbody tr').count()
			t.check(visits > 0, 'no planned visits listed')
			await t.axe(page, '/caseload')
			await t.shot(page, 'caseload')

			// The case link goes to the family record.
			const href = await first.locator('a').first().getAttribute('href')
			t.check(/^\/cases\/C-\d{6}$/.test(href || ''), `case link ${href}`)
		} finally {
			await context.close()
		}
	})

	await t.test('caseload: the worker sets up the calendar feed and a calendar client reads it',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/caseload`)
			const button = page.getByRole('button', { name: /Set up calendar feed|Make a new calendar address/ })
			await button.click()
			await page.waitForURL(`${t.base}/account/calendar`)
			t.check(await t.h1Text(page) === 'Your calendar feed', 'the heading is not "Your calendar feed"')
			const input = page.getByLabel('Calendar feed address')
			const url = await input.inputValue()
			t.check(new RegExp(`^${t.base}/calendar/[0-9a-f]{64}\\.ics$`).test(url), `feed address ${url}`)
			t.check(await input.getAttribute('readonly') !== null, 'the address can be edited')
			const webcal = await page.getByRole('link', { name: 'Subscribe on this device' }).getAttribute('href')
			t.check(webcal === url.replace(/^http:/, 'webcal:'), `webcal link ${webcal}`)
			await t.axe(page, '/account/calendar')
			await t.shot(page, 'calendar-feed')

			// A calendar client: no cookie, just the address.
			const r = await fetch(url)
			t.check(r.status === 200, `the feed gave ${r.status}`)
			t.check(/^text\/calendar/.test(r.headers.get('content-type') || ''), 'not text/calendar')
			const ics = await r.text()
			t.check(ics.startsWith('BEGIN:VCALENDAR\r\n'), 'the feed does not start with BEGIN:VCALENDAR and CRLF')
			t.check(/\r\nBEGIN:VEVENT\r\n/.test(ics), 'the feed has no events')
			t.check(/\r\nSUMMARY:[A-Za-z ]+ — F-\d{6} /.test(ics), 'no "Home visit — F-000123 …" summary')
			t.check(ics.split('\r\n').every(l => Buffer.byteLength(l) <= 75), 'a line is longer than 75 octets')

			// Reloading the page does not show the address again; a new one
			// replaces it and the old one stops working.
			await page.goto(`${t.base}/caseload`)
			t.check(await page.getByText('Your calendar feed is set up').count() === 1,
				'the caseload does not say the feed is set up')
			await page.getByRole('button', { name: 'Make a new calendar address' }).click()
			await page.waitForURL(`${t.base}/account/calendar`)
			const url2 = await page.getByLabel('Calendar feed address').inputValue()
			t.check(url2 !== url, 'the new address is the old one')
			t.check((await fetch(url)).status === 404, 'the old address still works')
			t.check((await fetch(url2)).status === 200, 'the new address does not work')
		} finally {
			await context.close()
		}
	})
}
